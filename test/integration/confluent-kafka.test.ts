// confluent-kafka-python (Debian python3-confluent-kafka 1.7.0 on librdkafka 2.0.2).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'confluent_kafka_client.py');
const INSTALL_HINT = 'apt-get install python3-confluent-kafka';
const N = 200;

interface RoundTrip {
  codec: string;
  createError: string | null;
  unflushed: number;
  reports: { error: string | null; offset: number; partition: number }[];
  received: { offset: number; key: string | null; value: string | null; headers: [string, string | null][] }[];
  errors: string[];
}

async function runPy(python: string, args: string[]): Promise<unknown> {
  const r = await runProcess(python, [SCRIPT, ...args], { timeoutMs: 55_000 });
  assert.equal(r.code, 0, describeRun(`confluent_kafka_client.py ${args.join(' ')}`, r));
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
}

describe('confluent-kafka-python', { timeout: 300_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('confluent_kafka', INSTALL_HINT);
    return { python, broker: await startBrokerProcess() };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  test('AdminClient create_topics, list_topics, describe_configs, delete_topics', { timeout: 60_000 }, async () => {
    const { python, broker } = await setup.get();
    const res = (await runPy(python, [broker.bootstrap, 'admin', 'ck-admin-topic'])) as {
      listed: boolean;
      partitions: number[];
      brokers: { id: number; host: string; port: number }[];
      configs: Record<string, string>;
      listedAfterDelete: boolean;
    };
    assert.equal(res.listed, true, 'created topic is listed');
    assert.deepEqual(res.partitions, [0, 1]);
    assert.equal(res.brokers.length, 1);
    assert.equal(res.brokers[0]!.port, broker.port);
    assert.equal(res.configs['retention.ms'], '3600000', 'describe_configs shows the topic override');
    assert.ok('cleanup.policy' in res.configs, 'describe_configs lists cleanup.policy');
    assert.equal(res.listedAfterDelete, false, 'deleted topic is gone');
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    test(`Producer (acks=all, compression ${codec}) then Consumer.assign reads back`, { timeout: 60_000 }, async () => {
      const { python, broker } = await setup.get();
      const res = (await runPy(python, [broker.bootstrap, 'roundtrip', 'ck-rt', codec])) as RoundTrip;
      assert.equal(res.unflushed, 0, 'producer flushed everything');
      assert.equal(res.reports.length, N);
      assert.deepEqual(
        res.reports.filter((r) => r.error !== null),
        [],
        'no delivery errors',
      );
      assert.deepEqual(
        res.reports.map((r) => r.offset).sort((a, b) => a - b),
        Array.from({ length: N }, (_, i) => i),
        'delivery reports cover offsets 0..N-1',
      );
      assert.deepEqual(res.errors, [], 'no consumer errors');
      assert.equal(res.received.length, N, `consumed ${N} records`);
      res.received.forEach((m, i) => {
        assert.equal(m.offset, i);
        assert.equal(m.key, `k${i}`);
        assert.equal(m.value, `v${i}-${'x'.repeat(i % 50)}`);
        assert.deepEqual(m.headers, [
          ['h', String(i)],
          ['codec', codec],
        ]);
      });
    });
  }
});
