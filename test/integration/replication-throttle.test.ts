// Replication throttles on a two-broker ZooKeeper cluster, driven by Kafka's own kafka-reassign-partitions tool: a
// partition holding ~12 MB on broker 1 is reassigned to [1, 2] with `--throttle` (the tool sets
// leader/follower.replication.throttled.rate on the brokers and the topic's leader/follower throttled replica
// lists). While throttled, broker 2's copy grows at about the rate (Kafka's quota lets the first windows' worth
// through at once, so the bound is generous: under 3 × rate × elapsed); once the rates are deleted the reassignment
// completes, the copy is whole and `--verify` reports it done.
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { Admin, Producer } from '../../src/index.ts';
import { type BrokerHandle, makeTempDir, printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { describeRun, waitFor } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const TOPICS = 'org.apache.kafka.tools.TopicCommand';
const REASSIGN = 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand';
const RATE = 100_000; // bytes/s
const MEASURE_S = 15;
const RECORDS = 12_000;
const RECORD_BYTES = 1000;

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(async () => {
  const libs = ensureKafkaTools();
  const cluster = await startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 2,
    sessionTimeoutMs: 6000,
    overrides: {
      // Small fetches, so one fetch past the quota is small next to what the quota allows.
      'replica.fetch.max.bytes': '32768',
      'replica.fetch.response.max.bytes': '65536',
      'replica.fetch.wait.max.ms': '200',
    },
    onProgress: (c) => {
      started = c;
    },
  });
  return { libs, cluster };
});

after(() => stopZooKeeperCluster(started));

/** Bytes of the partition's segments in a broker's log dir. */
function logBytes(b: BrokerHandle, dir: string): number {
  const d = path.join(b.dataDir, dir);
  let n = 0;
  try {
    for (const f of readdirSync(d)) if (f.endsWith('.log')) n += statSync(path.join(d, f)).size;
  } catch {
    return 0;
  }
  return n;
}

describe('replication throttles', { timeout: 300_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('a throttled reassignment copies at about the rate, and completes once the throttle is removed', async () => {
    const { libs, cluster } = await setup.get();
    const [b1, b2] = cluster.brokers as [BrokerHandle, BrokerHandle];
    const tool = (...args: string[]) =>
      runKafkaTool(libs, args[0]!, ['--bootstrap-server', b1.bootstrap, ...args.slice(1)]);
    const created = await tool(TOPICS, '--create', '--topic', 'th', '--replica-assignment', '1');
    assert.equal(created.code, 0, describeRun('kafka-topics --create', created));

    const producer = new Producer({ bootstrapServers: b1.bootstrap, acks: 1 });
    try {
      const value = Buffer.alloc(RECORD_BYTES, 'x');
      for (let i = 0; i < RECORDS; i += 200)
        await producer.send({
          topic: 'th',
          messages: Array.from({ length: 200 }, (_, k) => ({
            partition: 0,
            value: Buffer.concat([Buffer.from(`${i + k}`), value]),
          })),
        });
    } finally {
      await producer.close();
    }
    const total = logBytes(b1, 'th-0');
    assert.ok(total > RECORDS * RECORD_BYTES, `the leader holds ${total} bytes`);
    assert.ok(total > 3 * RATE * MEASURE_S, 'more than the throttle could let through while measured');

    const file = path.join(makeTempDir('reassign-'), 'plan.json');
    writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'th', partition: 0, replicas: [1, 2] }] }));
    const exec = await tool(REASSIGN, '--reassignment-json-file', file, '--execute', '--throttle', String(RATE));
    assert.equal(exec.code, 0, describeRun('reassign --execute --throttle', exec));
    assert.match(exec.stdout, /throttle/i, describeRun('reassign --execute', exec));
    const t0 = Date.now();

    // The copy on broker 2 starts and grows, but no faster than the quota allows.
    await waitFor('broker 2 to start copying', async () => (logBytes(b2, 'th-0') > 0 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, MEASURE_S * 1000 - (Date.now() - t0)));
    const elapsed = (Date.now() - t0) / 1000;
    const copied = logBytes(b2, 'th-0');
    assert.ok(
      copied < 3 * RATE * elapsed,
      `throttled at ${RATE} B/s, broker 2 copied ${copied} bytes in ${elapsed.toFixed(1)} s (unthrottled: ${total})`,
    );
    assert.ok(copied > RATE, `throttled, not stopped: ${copied} bytes in ${elapsed.toFixed(1)} s`);
    const admin = new Admin({ bootstrapServers: b1.bootstrap });
    try {
      const p = (await admin.describeTopics(['th']))[0]!.partitions[0]!;
      assert.deepEqual([...p.isr].sort(), [1], 'still catching up: not in the ISR');

      // The throttle goes: the rates are deleted on both brokers.
      for (const id of ['1', '2'])
        await admin.alterConfigs({ type: 'broker', name: id }, [
          { name: 'leader.replication.throttled.rate', op: 'delete' },
          { name: 'follower.replication.throttled.rate', op: 'delete' },
        ]);
      const done = await waitFor(
        'the reassignment to complete',
        async () => {
          const x = (await admin.describeTopics(['th']))[0]!.partitions[0]!;
          return x.replicas.length === 2 && x.isr.length === 2 ? x : undefined;
        },
        120_000,
      );
      assert.deepEqual([...done.replicas].sort(), [1, 2]);
    } finally {
      await admin.close();
    }
    await waitFor('the copy to be whole', async () => (logBytes(b2, 'th-0') === total ? true : undefined), 30_000);
    const verify = await tool(REASSIGN, '--reassignment-json-file', file, '--verify');
    assert.equal(verify.code, 0, describeRun('reassign --verify', verify));
    assert.match(verify.stdout, /Reassignment of partition th-0 is completed/, describeRun('verify', verify));
  });
});
