// startCluster(): three brokers in this process on the in-memory coordination store, driven by the TypeScript
// client: one cluster seen from every broker, admin requests through any broker, produce/consume via leaders,
// NOT_LEADER_OR_FOLLOWER from the others, leadership moving on a controlled shutdown and on a session expiry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { partitionForGroup } from '../../src/coordinator/group/records.ts';
import { Admin, Consumer, Producer, type RunningCluster, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildBatch } from '../../src/records/index.ts';
import { REPO_ROOT } from '../helpers/broker.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('startCluster: three brokers in one process', { timeout: 120_000 }, () => {
  let cluster: RunningCluster;
  before(async () => {
    cluster = await startCluster({
      brokers: 3,
      sessionTimeoutMs: 2000,
      config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' },
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('every broker lists the three brokers and one controller', async () => {
    for (const b of cluster.brokers) {
      const admin = new Admin({ bootstrapServers: b.bootstrap });
      try {
        const c = await admin.describeCluster();
        assert.deepEqual(
          c.brokers.map((x) => x.nodeId).sort(),
          [1, 2, 3],
          `broker ${b.nodeId} lists ${JSON.stringify(c.brokers)}`,
        );
        assert.ok([1, 2, 3].includes(c.controllerId), `controller ${c.controllerId}`);
      } finally {
        await admin.close();
      }
    }
  });

  test('an RF 3 topic created through a broker that is not the controller; produce and consume via leaders', async () => {
    const first = new Admin({ bootstrapServers: cluster.brokers[0]!.bootstrap });
    const controllerId = (await first.describeCluster()).controllerId;
    await first.close();
    const other = cluster.brokers.find((b) => b.nodeId !== controllerId)!;
    // CreateTopics sent to a broker that is not the controller (the TS Admin would go to the controller).
    const conn = await BrokerConnection.open('127.0.0.1', other.port, 't');
    try {
      const res = await conn.send<{ topics: Array<{ name: string; errorCode: number; errorMessage: string | null }> }>(
        ApiKey.CreateTopics,
        5,
        {
          topics: [{ name: 'rf3', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }],
          timeoutMs: 30_000,
          validateOnly: false,
        },
      );
      assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE, res.topics[0]!.errorMessage ?? '');
      // Read right after the create answered, from the same broker: its image already has the topic.
      const md = await conn.send<{ topics: Array<{ name: string; partitions: unknown[] }> }>(ApiKey.Metadata, 4, {
        topics: [{ name: 'rf3' }],
        allowAutoTopicCreation: false,
      });
      assert.equal(md.topics[0]!.partitions.length, 3);
    } finally {
      conn.close();
    }
    const admin = new Admin({ bootstrapServers: other.bootstrap });
    try {
      const [d] = await admin.describeTopics(['rf3']);
      assert.equal(d!.partitions.length, 3);
      for (const p of d!.partitions) {
        assert.deepEqual([...p.replicas].sort(), [1, 2, 3]);
        assert.deepEqual([...p.isr].sort(), [1, 2, 3]);
        assert.ok(p.replicas.includes(p.leader));
      }
      assert.deepEqual(new Set(d!.partitions.map((p) => p.leader)).size, 3, 'leaders spread over the brokers');
      await assert.rejects(
        admin.createTopics([{ topic: 'rf4', replicationFactor: 4 }]),
        (e: Error) => e.name === 'INVALID_REPLICATION_FACTOR',
      );
    } finally {
      await admin.close();
    }
    const producer = new Producer({ bootstrapServers: cluster.bootstrap, lingerMs: 0 });
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'rf3', messages: [{ key: `k${i}`, value: `v${i}` }] });
    await producer.close();
    const consumer = new Consumer({
      bootstrapServers: cluster.bootstrap,
      groupId: 'g-rf3',
      autoOffsetReset: 'earliest',
    });
    try {
      await consumer.subscribe(['rf3']);
      const seen = new Set<string>();
      await until('30 records', async () => {
        for (const m of await consumer.poll(500)) seen.add(String(m.value));
        return seen.size === 30 ? true : undefined;
      });
      await consumer.commit();
    } finally {
      await consumer.close();
    }
  });

  test("FindCoordinator from every broker names the leader of the group's __consumer_offsets partition", async () => {
    const answers = new Set<number>();
    for (const b of cluster.brokers) {
      const conn = await BrokerConnection.open('127.0.0.1', b.port, 't');
      try {
        const r = (await conn.send(ApiKey.FindCoordinator, 1, { key: 'g-rf3', keyType: 0 })) as {
          errorCode: number;
          nodeId: number;
        };
        assert.equal(r.errorCode, ErrorCode.NONE);
        answers.add(r.nodeId);
      } finally {
        conn.close();
      }
    }
    assert.equal(answers.size, 1);
    const image = cluster.brokers[0]!.broker.image;
    const offsets = image.topics.get('__consumer_offsets')!;
    const [coordinator] = [...answers];
    assert.equal(coordinator, offsets.partitions[partitionForGroup('g-rf3', offsets.partitions.length)]!.leader);
    // Only the leader holds the group: another broker answers NOT_COORDINATOR.
    const other = cluster.brokers.find((b) => b.nodeId !== coordinator)!;
    const conn = await BrokerConnection.open('127.0.0.1', other.port, 't');
    try {
      const r = (await conn.send(ApiKey.OffsetFetch, 1, {
        groupId: 'g-rf3',
        topics: [{ name: 'rf3', partitionIndexes: [0] }],
      })) as { topics: Array<{ partitions: Array<{ errorCode: number }> }>; errorCode?: number };
      assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
    } finally {
      conn.close();
    }
  });

  test('idempotent producers get producer ids from controller-allocated blocks, unique across brokers', async () => {
    const ids = new Set<number>();
    for (const b of cluster.brokers) {
      const p = new Producer({ bootstrapServers: b.bootstrap, idempotent: true, acks: 'all', lingerMs: 0 });
      try {
        await p.send({ topic: 'rf3', messages: [{ key: 'k', value: `from ${b.nodeId}` }] });
        const { producerId } = p.producerIdentity;
        assert.ok(producerId >= 0);
        ids.add(producerId);
      } finally {
        await p.close();
      }
    }
    assert.equal(ids.size, 3, `producer ids ${[...ids].join(', ')}`);
    const blocks = cluster.brokers[0]!.broker.image.producerIds;
    assert.ok(blocks.nextProducerId >= 1000n, 'at least one block allocated through the controller');
  });

  test('Produce and Fetch to a replica that is not the leader: NOT_LEADER_OR_FOLLOWER', async () => {
    const admin = new Admin({ bootstrapServers: cluster.bootstrap });
    const [d] = await admin.describeTopics(['rf3']);
    await admin.close();
    const p = d!.partitions[0]!;
    const follower = cluster.brokers.find((b) => b.nodeId !== p.leader)!;
    const conn = await BrokerConnection.open('127.0.0.1', follower.port, 't');
    try {
      const res = (await conn.send(ApiKey.ListOffsets, 1, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: 'rf3', partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: -1n }] },
        ],
      })) as { topics: Array<{ partitions: Array<{ errorCode: number }> }> };
      assert.equal(res.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const produced = (await conn.send(ApiKey.Produce, 3, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          {
            name: 'rf3',
            partitionData: [
              { index: p.partition, records: buildBatch({ records: [{ key: null, value: Buffer.from('x') }] }) },
            ],
          },
        ],
      })) as { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> };
      assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const fetched = (await conn.send(ApiKey.Fetch, 4, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [
          { topic: 'rf3', partitions: [{ partition: p.partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
        ],
      })) as { responses: Array<{ partitions: Array<{ errorCode: number }> }> };
      assert.equal(fetched.responses[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      conn.close();
    }
  });

  test('session expiry: the broker is fenced, its leaderships move, it re-registers with a new epoch', async () => {
    const b = cluster.brokers[1]!;
    const parts = b.broker.clusterParts!;
    const epochBefore = parts.registration!.epoch!;
    const led = [...b.broker.image.topics.get('rf3')!.partitions].filter((p) => p.leader === 2);
    assert.ok(led.length > 0, 'broker 2 leads a partition of rf3');
    cluster.store.expireSession(parts.keeper.session.sessionId);
    const back = await until('broker 2 registered again', () => {
      const reg = b.broker.image.brokers.get(2);
      return reg && reg.epoch > epochBefore && !reg.fenced ? reg : undefined;
    });
    assert.ok(back.epoch > epochBefore);
    // Its leaderships moved while it was fenced; what it hosts follows the image again.
    const topic = b.broker.image.topics.get('rf3')!;
    for (const p of led) assert.notEqual(topic.partitions[p.partition]!.leader, 2);
    const replicas = (b.broker as unknown as { replicas: { get(t: string, p: number): { isLeader: boolean } } })
      .replicas;
    for (const p of topic.partitions) assert.equal(replicas.get('rf3', p.partition).isLeader, p.leader === 2);
    const c = new Admin({ bootstrapServers: b.bootstrap });
    try {
      assert.deepEqual((await c.describeCluster()).brokers.map((x) => x.nodeId).sort(), [1, 2, 3]);
    } finally {
      await c.close();
    }
  });

  test('a stopped broker hands its leaderships over first (controlled shutdown)', async () => {
    const admin = new Admin({ bootstrapServers: cluster.brokers[0]!.bootstrap });
    try {
      const before = (await admin.describeTopics(['rf3']))[0]!;
      const victim = 3;
      assert.ok(before.partitions.some((p) => p.leader === victim));
      await cluster.stopBroker(victim);
      // The image the broker had when it left (it stops following the log then) already shows the moves.
      const lastSeen = cluster.brokers[victim - 1]!.broker.image.topics.get('rf3')!;
      for (const p of lastSeen.partitions) assert.notEqual(p.leader, victim, JSON.stringify(p));
      const afterStop = await until('leaders moved off broker 3', async () => {
        const [d] = await admin.describeTopics(['rf3']);
        return d!.partitions.every((p) => p.leader !== victim && p.leader >= 0) ? d : undefined;
      });
      for (const p of afterStop.partitions) assert.ok(!p.isr.includes(victim), JSON.stringify(p));
      // Its session closed with it: fenced, no longer listed.
      await until('broker 3 gone from the broker list', async () => {
        const c = await admin.describeCluster();
        return c.brokers
          .map((b) => b.nodeId)
          .sort()
          .join() === '1,2'
          ? true
          : undefined;
      });
      const producer = new Producer({ bootstrapServers: cluster.brokers[0]!.bootstrap, lingerMs: 0 });
      await producer.send({ topic: 'rf3', messages: [{ value: 'after' }] });
      await producer.close();
    } finally {
      await admin.close();
    }
  });
});

test('tributary dev cluster: a local cluster from the command line, stopped by SIGTERM', {
  timeout: 60_000,
}, async () => {
  const proc = spawn(process.execPath, ['src/cli/bin.ts', 'dev', 'cluster', '--brokers', '2', '--port', '0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    const bootstrap = await until('the bootstrap line', () => /bootstrap servers: (\S+)/.exec(out)?.[1], 30_000);
    const admin = new Admin({ bootstrapServers: bootstrap });
    try {
      assert.deepEqual((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort(), [1, 2]);
    } finally {
      await admin.close();
    }
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  } finally {
    proc.kill('SIGKILL');
  }
});
