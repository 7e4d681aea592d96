// The Java client of Kafka 4.4 (from Maven Central) runs exactly-once consume-transform-produce on transactions v2
// (KIP-890 part 2): with transaction.version 2 finalized it negotiates the newest Produce, TxnOffsetCommit and EndTxn
// and sends no AddPartitionsToTxn or AddOffsetsToTxn (the broker's request log at debug level shows what reached it).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure, REPO_ROOT, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';
import { ensureKafkaTools } from '../helpers/kafka-tools.ts';
import { requestsSeen } from '../helpers/request-log.ts';

process.env.TRIBUTARY_LOG_LEVEL = 'debug';
process.env.TRIBUTARY_LOG_FORMAT = 'json';

describe('Java 4.4 client transactions v2', { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('exactly-once consume-transform-produce without AddPartitionsToTxn or AddOffsetsToTxn', async (t) => {
    requireBinary('java', 'apt-get install openjdk-17-jdk-headless');
    requireBinary('mvn', 'apt-get install maven');
    const libs = ensureKafkaTools();
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
    const c = await BrokerConnection.open('127.0.0.1', broker.port);
    const created = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: ['java-in', 'java-out'].map((name) => ({ name, numPartitions: 3, replicationFactor: 1 })),
    });
    c.close();
    assert.deepEqual(
      created.topics.map((x) => x.errorCode),
      [0, 0],
    );
    const source = path.join(REPO_ROOT, 'test', 'integration', 'java', 'EosV2.java');
    const r = await runProcess(
      'java',
      ['-cp', `${libs}/*`, source, broker.bootstrap, 'java-in', 'java-out', 'java-group'],
      { timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, describeRun('java EosV2', r));
    const result = JSON.parse(/^RESULT (.*)$/m.exec(r.stdout)![1]!) as {
      processed: number;
      transactions: number;
      committed: number;
      output: string[];
    };
    assert.deepEqual(
      result.output,
      Array.from({ length: 300 }, (_, i) => `x${i}`).sort(),
      'exactly once, none aborted',
    );
    assert.equal(result.committed, 300, 'the offsets were committed with the transactions');
    assert.ok(result.transactions > 1, `${result.transactions} transactions`);

    const seen = requestsSeen(broker.logs());
    const apis = [...seen.keys()].sort();
    t.diagnostic(`requests: ${apis.join(', ')}`);
    assert.ok(
      !apis.some((k) => k.startsWith('AddPartitionsToTxn') || k.startsWith('AddOffsetsToTxn')),
      `no explicit adds: ${apis.join(', ')}`,
    );
    for (const want of ['Produce v13', 'TxnOffsetCommit v6', 'EndTxn v5', 'ApiVersions v5'])
      assert.ok(seen.has(want), `${want} used: ${apis.join(', ')}`);
  });
});
