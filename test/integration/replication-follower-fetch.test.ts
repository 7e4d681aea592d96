// Fetch from follower (KIP-392) on a three-broker ZooKeeper cluster with racks r1, r2, r3 and
// replica.selector.class = RackAwareReplicaSelector. A confluent-kafka (librdkafka) consumer with client.rack set to
// the rack of a follower reads a replication-factor-3 partition: the leader answers its first fetch with
// preferred_read_replica, and the records come from the follower in the consumer's rack. The brokers' metrics show it
// (consumer bytes out of the topic: the whole partition at that follower, nothing at the other follower), and the
// records are all there, in order. ListOffsets stays with the leader (a follower answers NOT_LEADER_OR_FOLLOWER).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin, Producer } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { httpPort, parseMetrics, sample } from '../helpers/prometheus.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const TOPIC = 'racked';
const COUNT = 300;

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(() =>
  startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 3,
    sessionTimeoutMs: 6000,
    overrides: {
      'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
      'http.listeners': 'http://127.0.0.1:0',
      'replica.fetch.wait.max.ms': '200',
    },
    brokerOverrides: (id) => ({ 'broker.rack': `r${id}` }),
    onProgress: (c) => {
      started = c;
    },
  }),
);

after(() => stopZooKeeperCluster(started));

async function bytesOut(b: BrokerHandle): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${httpPort(b)}/metrics`);
  const m = await parseMetrics(await r.text());
  return sample(m, 'kafka_server_brokertopicmetrics_bytesout_total', { topic: TOPIC }) ?? 0;
}

describe('fetch from follower (KIP-392)', { timeout: 240_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('a consumer with client.rack reads from the follower in its rack', async () => {
    const { brokers } = await setup.get();
    const py = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    const admin = new Admin({ bootstrapServers: brokers[0]!.bootstrap });
    let leader: number;
    try {
      await admin.createTopics([{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }]);
      const p = await waitFor(
        'a leader and a full ISR',
        async () => {
          const x = (await admin.describeTopics([TOPIC]))[0]!.partitions[0]!;
          return x.leader > 0 && x.isr.length === 3 ? x : undefined;
        },
        30_000,
      );
      leader = p.leader;
    } finally {
      await admin.close();
    }
    const [inRack, other] = brokers.map((_, i) => i + 1).filter((id) => id !== leader) as [number, number];
    const producer = new Producer({ bootstrapServers: brokers[0]!.bootstrap, acks: 'all' });
    try {
      for (let i = 0; i < COUNT; i += 50)
        await producer.send({
          topic: TOPIC,
          messages: Array.from({ length: 50 }, (_, k) => ({ partition: 0, value: `record-${i + k}` })),
        });
    } finally {
      await producer.close();
    }
    const before = await Promise.all(brokers.map(bytesOut));

    const run = await runProcess(
      py,
      [join(PY_DIR, 'rack_consumer.py'), brokers[leader - 1]!.bootstrap, TOPIC, String(COUNT), `r${inRack}`],
      { timeoutMs: 120_000 },
    );
    assert.equal(run.code, 0, describeRun('rack_consumer.py', run));
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { offsets: number[]; values: string[] };
    assert.deepEqual(
      out.offsets,
      Array.from({ length: COUNT }, (_, i) => i),
      describeRun('offsets', run),
    );
    assert.deepEqual(
      out.values,
      Array.from({ length: COUNT }, (_, i) => `record-${i}`),
    );

    const after = await Promise.all(brokers.map(bytesOut));
    const served = after.map((v, i) => v - before[i]!);
    assert.ok(
      served[inRack - 1]! >= COUNT * 'record-000'.length,
      `the follower in rack r${inRack} served the records (consumer bytes out per broker: ${served})`,
    );
    assert.equal(served[other - 1], 0, `the follower in another rack served nothing (${served})`);
    assert.equal(served[leader - 1], 0, `the leader pointed the consumer away and served no records (${served})`);

    // ListOffsets stays leader-only.
    const b = brokers[inRack - 1]!;
    const conn = await BrokerConnection.open('127.0.0.1', b.port, 't');
    try {
      const res = await conn.send<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(
        ApiKey.ListOffsets,
        7,
        {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
        },
      );
      assert.equal(res.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      conn.close();
    }
  });
});
