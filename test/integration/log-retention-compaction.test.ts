// Retention and compaction as a real client (confluent-kafka / librdkafka) sees them: old offsets disappear under
// retention.ms; a compacted topic read from the start shows the latest value per key; tombstones vanish after
// delete.retention.ms; AlterConfigs changes apply without a restart.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'log_client.py');

interface ReadResult {
  low: number;
  high: number;
  records: Array<[number, string | null, string | null]>;
}

describe('retention and compaction (confluent-kafka)', { timeout: 240_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    const broker = await startBrokerProcess({ overrides: { 'log.retention.check.interval.ms': '200' } });
    return { python, broker };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  async function py(args: string[]): Promise<unknown> {
    const { python } = await setup.get();
    const r = await runProcess(python, [SCRIPT, ...args], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(`log_client.py ${args.join(' ')}`, r));
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  }

  test('retention.ms deletes whole old segments: the earliest offset moves', async () => {
    const { broker } = await setup.get();
    const topic = 'ret-time';
    await py(['create', broker.bootstrap, topic, '1', 'segment.ms=100', 'retention.ms=-1']);
    // Record timestamps decide retention: the first segment's records are two hours old, the second's are new, so
    // a retention of one hour removes exactly the first segment however slowly the check runs.
    const twoHoursAgo = Date.now() - 2 * 3600_000;
    const batch = (from: number, ts: number) =>
      JSON.stringify(Array.from({ length: 20 }, (_, i) => [null, `m${from + i}`, ts]));
    await py(['produce', broker.bootstrap, topic, batch(0, twoHoursAgo)]);
    await new Promise((r) => setTimeout(r, 200));
    await py(['produce', broker.bootstrap, topic, batch(20, 0)]); // rolls: the first 20 are in a sealed segment
    let r = (await py(['read', broker.bootstrap, topic])) as ReadResult;
    assert.equal(r.low, 0);
    assert.equal(r.records.length, 40);
    await py(['alter', broker.bootstrap, topic, 'retention.ms=3600000']); // takes effect without a restart
    r = await waitFor('old segment to be deleted', async () => {
      const x = (await py(['read', broker.bootstrap, topic])) as ReadResult;
      return x.low > 0 ? x : undefined;
    });
    assert.equal(r.low, 20);
    assert.deepEqual(
      r.records.map((x) => x[0]),
      Array.from({ length: 20 }, (_, i) => 20 + i),
    );
  });

  test('a compacted topic keeps the latest value per key; tombstones vanish after delete.retention.ms', async () => {
    const { broker } = await setup.get();
    const topic = 'compacted';
    await py([
      'create',
      broker.bootstrap,
      topic,
      '1',
      'cleanup.policy=compact',
      'segment.ms=100',
      'min.cleanable.dirty.ratio=0.01',
      'delete.retention.ms=2000',
    ]);
    const recs: Array<[string, string | null]> = [];
    for (let i = 0; i < 50; i++) recs.push([`k${i % 5}`, `v${i}`]);
    recs.push(['k0', null]); // tombstone for k0
    await py(['produce', broker.bootstrap, topic, JSON.stringify(recs)]);
    await new Promise((r) => setTimeout(r, 200));
    await py(['produce', broker.bootstrap, topic, JSON.stringify([['other', 'x']])]); // roll
    const compacted = await waitFor(
      'the cleaner to compact the sealed segment',
      async () => {
        const x = (await py(['read', broker.bootstrap, topic])) as ReadResult;
        return x.records.length < 10 ? x : undefined;
      },
      30_000,
    );
    const byKey = new Map(compacted.records.map(([o, k, v]) => [k, { o, v }]));
    assert.deepEqual(byKey.get('k1'), { o: 46, v: 'v46' });
    assert.deepEqual(byKey.get('k4'), { o: 49, v: 'v49' });
    assert.deepEqual(byKey.get('k0'), { o: 50, v: null }, 'the tombstone is still there right after compaction');
    assert.equal(compacted.high, 52, 'offsets are kept: the high watermark did not move');
    assert.equal(compacted.low, 0);
    const offsets = compacted.records.map((x) => x[0]);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
    );
    // After delete.retention.ms the tombstone goes too.
    const later = await waitFor(
      'the tombstone to vanish',
      async () => {
        const x = (await py(['read', broker.bootstrap, topic])) as ReadResult;
        return x.records.some(([, k]) => k === 'k0') ? undefined : x;
      },
      30_000,
    );
    assert.deepEqual(later.records.map(([, k]) => k).sort(), ['k1', 'k2', 'k3', 'k4', 'other']);
  });
});
