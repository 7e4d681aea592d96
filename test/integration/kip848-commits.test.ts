// Offset commits with the consumer group protocol (KIP-848, group.protocol=consumer) from a current librdkafka
// (confluent-kafka from PyPI, librdkafka 2.12+): a consumer with a manual assign() never joins the group and commits
// with its own member id and epoch -1, which Kafka accepts as it does for simple consumers (issue 11: it was
// answered ILLEGAL_GENERATION); a subscribed member commits with its member epoch.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages.ts';
import { buildBatch } from '../../src/records/index.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, runProcess } from '../helpers/clients.ts';
import { type CurrentLibrdkafka, currentLibrdkafka } from '../helpers/current-librdkafka.ts';

const SCRIPT = path.join(PY_DIR, 'kip848_commits.py');
const TOPIC = 'kip848';

describe('KIP-848 offset commits from librdkafka 2.12+', { timeout: 400_000 }, () => {
  let broker: BrokerHandle | undefined;
  let py: CurrentLibrdkafka;
  const setup = sharedSetup(async () => {
    py = await currentLibrdkafka();
    broker = await startBrokerProcess({ overrides: { 'group.consumer.heartbeat.interval.ms': '500' } });
    const c = await BrokerConnection.open('127.0.0.1', broker.port);
    try {
      const res = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE);
      for (const partition of [0, 1]) {
        const records = Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) }));
        await c.send(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: buildBatch({ records }) }] }],
        });
      }
    } finally {
      c.close();
    }
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const run = async (mode: string, group: string) => {
    await setup.get();
    const r = await runProcess(py.python, [SCRIPT, broker!.bootstrap, mode, TOPIC, group], {
      env: py.env,
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, describeRun(`kip848_commits.py ${mode}`, r));
    return r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  test('manual assign(): commits without joining are accepted and read back', async () => {
    const events = await run('assign', 'kip848-assign');
    const commits = events.filter((e) => 'committed' in e || 'commit_error' in e);
    assert.deepEqual(commits, [{ committed: [[0, 5, null]] }, { committed: [[1, 3, null]] }], JSON.stringify(events));
    assert.deepEqual(events.at(-1), {
      fetched: [
        [0, 5],
        [1, 3],
      ],
    });
  });

  test('a subscribed member commits with its member epoch', async () => {
    const events = await run('member', 'kip848-member');
    const commit = events.find((e) => 'committed' in e || 'commit_error' in e);
    assert.ok(commit && 'committed' in commit, JSON.stringify(events));
    const fetched = (events.at(-1) as { fetched: number[][] }).fetched;
    const total = fetched.reduce((n, [, o]) => n + Math.max(0, o!), 0);
    assert.equal(total, 5, `five records read and committed: ${JSON.stringify(events)}`);
  });
});
