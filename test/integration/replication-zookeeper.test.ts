// Replication across broker processes: a real ZooKeeper, three brokers with 2 s sessions, a replication-factor-3
// topic with min.insync.replicas=2. An idempotent acks=all confluent-kafka producer writes while the partition's
// leader is kill -9'd and restarted (twice); afterwards every acknowledged record is in the log exactly once and in order,
// the restarted broker is back in the ISR (AlterPartition), and the three logs are byte-identical below the HW.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { toLogConfig } from '../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../src/config/topic-config.ts';
import { Admin } from '../../src/index.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const SESSION_MS = 2000;
const TOPIC = 'replicated';

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(() =>
  startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 3,
    sessionTimeoutMs: SESSION_MS,
    overrides: {
      'offsets.topic.replication.factor': '3',
      'offsets.topic.num.partitions': '1',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.num.partitions': '1',
      'replica.lag.time.max.ms': '10000',
      'replica.fetch.backoff.ms': '200',
      'replica.high.watermark.checkpoint.interval.ms': '500',
    },
    onProgress: (c) => {
      started = c;
    },
  }),
);

after(() => stopZooKeeperCluster(started));

async function withAdmin<T>(bootstrap: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

const partition0 = (bootstrap: string) =>
  withAdmin(bootstrap, async (a) => (await a.describeTopics([TOPIC]))[0]!.partitions.find((p) => p.partition === 0)!);

describe('replication on a three-broker ZooKeeper cluster', { timeout: 300_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('acks=all with min.insync.replicas=2 loses and duplicates nothing across kill -9s of the leader', async () => {
    const { brokers } = await setup.get();
    const py = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    await withAdmin(brokers[0]!.bootstrap, (a) =>
      a.createTopics([
        { topic: TOPIC, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
      ]),
    );
    const first = await waitFor('a leader and a full ISR', async () => {
      const p = await partition0(brokers[0]!.bootstrap);
      return p.leader > 0 && p.isr.length === 3 ? p : undefined;
    });
    const count = 8000;
    const producing = runProcess(
      py,
      [join(PY_DIR, 'replication_producer.py'), brokers.map((b) => b.bootstrap).join(','), TOPIC, String(count), '20'],
      { timeoutMs: 200_000 },
    );
    // Twice: kill the leader while the producer writes, restart it after its session has expired, wait until it is
    // back in the ISR.
    let current = first;
    for (let round = 0; round < 2; round++) {
      await new Promise((r) => setTimeout(r, 2000));
      const victim = brokers[current.leader - 1]!;
      const other = brokers.find((b) => b !== victim)!;
      await victim.kill9();
      const moved = await waitFor(
        'a new leader from the ISR',
        async () => {
          const p = await partition0(other.bootstrap).catch(() => undefined);
          return p && p.leader > 0 && p.leader !== current.leader ? p : undefined;
        },
        30_000,
      );
      assert.ok(current.isr.includes(moved.leader), `new leader ${moved.leader} was in the ISR [${current.isr}]`);
      assert.ok(!moved.isr.includes(current.leader), 'the dead broker left the ISR');
      await new Promise((r) => setTimeout(r, SESSION_MS));
      await victim.restart();
      current = await waitFor(
        'the restarted broker back in the ISR',
        async () => {
          const p = await partition0(other.bootstrap).catch(() => undefined);
          return p && p.isr.length === 3 ? p : undefined;
        },
        60_000,
      );
    }
    const run = await producing;
    assert.equal(run.code, 0, describeRun('replication_producer.py', run));
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      acked: number[];
      errors: Record<string, number>;
      unflushed: number;
    };
    assert.ok(
      out.acked.length > count / 2,
      `${out.acked.length} of ${count} acknowledged: ${JSON.stringify(out.errors)}`,
    );

    const final = await partition0(brokers[0]!.bootstrap);
    assert.equal(final.isr.length, 3);
    const leader = brokers[final.leader - 1]!;
    const read = await runProcess(py, [join(PY_DIR, 'replication_producer.py'), leader.bootstrap, TOPIC, 'read'], {
      timeoutMs: 120_000,
    });
    assert.equal(read.code, 0, describeRun('replication_producer.py read', read));
    const log = JSON.parse(read.stdout.trim().split('\n').at(-1)!) as { values: number[]; offsets: number[] };
    // Every acknowledged value once; the log in producer order without duplicates; offsets contiguous.
    const seen = new Map<number, number>();
    for (const v of log.values) seen.set(v, (seen.get(v) ?? 0) + 1);
    const lost = out.acked.filter((v) => !seen.has(v));
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
    process.stderr.write(
      `acked ${out.acked.length}/${count}, in the log ${log.values.length}, lost ${lost.length}, ` +
        `duplicated ${duplicated.length}, errors ${JSON.stringify(out.errors)}, divergence truncations ` +
        `${brokers.map((b) => b.logs().split('log truncated by replication').length - 1).join('/')}\n`,
    );
    assert.deepEqual(lost, [], 'acknowledged records lost');
    assert.deepEqual(duplicated, [], 'records duplicated');
    for (let i = 1; i < log.values.length; i++) {
      assert.ok(log.values[i]! > log.values[i - 1]!, `out of order at offset ${log.offsets[i]}`);
      assert.equal(log.offsets[i], log.offsets[i - 1]! + 1, 'offsets contiguous');
    }
    const hw = await withAdmin(
      leader.bootstrap,
      async (a) => (await a.listOffsets([{ topic: TOPIC, partitions: [0] }], 'latest'))[0]!.offset,
    );
    assert.equal(hw, log.values.length, 'the consumer read up to the high watermark');
    // Followers' logs equal the leader's below the HW: stop everything, compare the stored batches byte for byte.
    await waitFor('every replica at the HW', async () => {
      const p = await partition0(leader.bootstrap);
      return p.isr.length === 3 ? p : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    for (const b of brokers) await b.kill9();
    const cfg = toLogConfig(resolveTopicConfig(loadBrokerConfig({ env: {} }), {}));
    const stored = brokers.map((b) => {
      const l = PartitionLog.open(join(b.dataDir, `${TOPIC}-0`), cfg);
      try {
        assert.ok(l.logEndOffset >= hw, `broker at ${b.bootstrap} has ${l.logEndOffset} records, HW ${hw}`);
        return { records: Buffer.from(l.read(0, 1 << 30, hw, true).records), epochs: l.epochs.list() };
      } finally {
        l.close();
      }
    });
    for (const s of stored.slice(1)) {
      assert.ok(s.records.equals(stored[0]!.records), 'replica logs differ below the HW');
    }
  });
});
