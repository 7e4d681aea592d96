// franz-go (kgo) runs exactly-once consume-transform-produce on transactions v2 (KIP-890 part 2): it negotiates
// the newest versions and transaction.version 2 from ApiVersions, and no AddPartitionsToTxn or AddOffsetsToTxn
// request reaches the broker (seen in the broker's request log at debug level). The Go program is
// test/integration/go/main.go; Go fetches franz-go through the module proxy.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure, REPO_ROOT, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';
import { requestsSeen } from '../helpers/request-log.ts';

// The broker logs every request at debug level, as JSON lines this test reads.
process.env.TRIBUTARY_LOG_LEVEL = 'debug';
process.env.TRIBUTARY_LOG_FORMAT = 'json';

describe('franz-go transactions v2', { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('exactly-once consume-transform-produce on the v2 path', async (t) => {
    requireBinary('go', 'install Go (https://go.dev/dl/)');
    broker = await startBrokerProcess({
      overrides: { 'group.initial.rebalance.delay.ms': '0' },
    });
    const c = await BrokerConnection.open('127.0.0.1', broker.port);
    const created = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: ['go-in', 'go-out'].map((name) => ({ name, numPartitions: 3, replicationFactor: 1 })),
    });
    c.close();
    assert.deepEqual(
      created.topics.map((t) => t.errorCode),
      [0, 0],
    );
    const r = await runProcess('go', ['run', '.', broker.bootstrap, 'go-in', 'go-out', 'go-group', 'go-txn'], {
      cwd: path.join(REPO_ROOT, 'test', 'integration', 'go'),
      timeoutMs: 400_000,
    });
    assert.equal(r.code, 0, describeRun('go run', r));

    const negotiated = JSON.parse(/^NEGOTIATED (.*)$/m.exec(r.stdout)![1]!) as Record<string, unknown>;
    assert.deepEqual(negotiated.finalized, {
      'transaction.version': 2,
      'group.version': 1,
      'share.version': 1,
      'eligible.leader.replicas.version': 1,
    });
    const result = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]!) as {
      processed: number;
      transactions: number;
      output: string[];
      leftInGroup: number;
    };
    const expected = Array.from({ length: 300 }, (_, i) => `x${i}`).sort();
    assert.deepEqual(result.output, expected, 'every input exactly once in the output, nothing aborted');
    assert.equal(result.leftInGroup, 0, 'the offsets were committed with the transactions');
    assert.ok(result.transactions > 1, `${result.transactions} transactions`);

    const seen = requestsSeen(broker.logs());
    const apis = [...seen.keys()].sort();
    t.diagnostic(`franz-go negotiated ${JSON.stringify(negotiated)}; requests: ${apis.join(', ')}`);
    assert.ok(
      !apis.some((k) => k.startsWith('AddPartitionsToTxn') || k.startsWith('AddOffsetsToTxn')),
      `no explicit adds: ${apis.join(', ')}`,
    );
    for (const want of ['Produce v13', 'TxnOffsetCommit v6', 'EndTxn v5'])
      assert.ok(seen.has(want), `${want} used: ${apis.join(', ')}`);
  });
});
