// A share-partition leader's failover in a three-broker ZooKeeper cluster (test/helpers/zk-cluster.ts), with
// librdkafka's share consumer (confluent-kafka's ShareConsumer, librdkafka 2.16+; test/integration/py/
// share_failover.py). The topic partition and its __share_group_state partition are led by different brokers (checked
// in the metadata), so the share-partition leader reads, initializes and writes the state through the share-state
// APIs sent to the other broker. A consumer ACCEPTs some records, holds the next ones unacknowledged and dies; the
// share-partition leader is killed with SIGKILL; on the new leader a second consumer gets every record that was not
// accepted (the held ones as a second delivery) and none of the accepted ones. A missing client is a failure.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin, Producer } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { CreateTopicsResponse, ReadShareGroupStateResponse } from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure } from '../helpers/broker.ts';
import { describeRun, PY_DIR, runProcess } from '../helpers/clients.ts';
import { currentLibrdkafka } from '../helpers/current-librdkafka.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const SCRIPT = path.join(PY_DIR, 'share_failover.py');
const TOPIC = 'share-failover';
const GROUP = 'failover-group';
const RECORDS = 40;

let started: ZooKeeperCluster | undefined;
after(() => stopZooKeeperCluster(started));

async function leaders(bootstrap: string, topic: string): Promise<number> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return (await admin.describeTopics([topic]))[0]?.partitions[0]?.leader ?? -1;
  } catch {
    return -1;
  } finally {
    await admin.close();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('share-partition leader failover with the state on another broker', { timeout: 180_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('acknowledged records stay acknowledged, in-flight ones come back on the new leader', async () => {
    const py = await currentLibrdkafka();
    started = await startZooKeeperCluster({
      zookeeperNodes: 1,
      brokers: 3,
      sessionTimeoutMs: 2000,
      overrides: {
        'offsets.topic.num.partitions': '1',
        'offsets.topic.replication.factor': '3',
        'share.coordinator.state.topic.num.partitions': '1',
        'share.coordinator.state.topic.replication.factor': '3',
        'auto.leader.rebalance.enable': 'false',
        'group.share.min.session.timeout.ms': '1000',
        'group.share.session.timeout.ms': '6000',
        'group.share.heartbeat.interval.ms': '1000',
        'group.share.min.heartbeat.interval.ms': '500',
      },
      onProgress: (c) => {
        started = c;
      },
    });
    const brokers = started.brokers;
    const broker = (id: number) => brokers[id - 1] as BrokerHandle;

    // A share-state request creates __share_group_state (one partition, RF 3); find its leader S.
    const first = await BrokerConnection.open('127.0.0.1', broker(1).port, 'share-failover');
    let stateLeader: number;
    try {
      await first.send<ReadShareGroupStateResponse>(ApiKey.ReadShareGroupState, 0, {
        groupId: GROUP,
        topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ partition: 0, leaderEpoch: -1 }] }],
      });
      stateLeader = await until('a __share_group_state leader', async () => {
        const l = await leaders(broker(1).bootstrap, '__share_group_state');
        return l > 0 ? l : undefined;
      });
      // The topic's partition led by L != S, with S last in the replicas so the next leader is the third broker.
      const [l, x] = [1, 2, 3].filter((n) => n !== stateLeader) as [number, number];
      const created = await first.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: [
          {
            name: TOPIC,
            numPartitions: -1,
            replicationFactor: -1,
            configs: [{ name: 'min.insync.replicas', value: '2' }],
            assignments: [{ partitionIndex: 0, brokerIds: [l, x, stateLeader] }],
          },
        ],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE, created.topics[0]!.errorMessage ?? '');
    } finally {
      first.close();
    }
    const leader = await until('the topic led', async () => {
      const l = await leaders(broker(stateLeader).bootstrap, TOPIC);
      return l > 0 ? l : undefined;
    });
    assert.notEqual(leader, stateLeader, 'the partition and its share-state partition have different leaders');
    const survivor = broker(stateLeader).bootstrap;

    // Batches of 5: a share fetch acquires whole stored batches (batch-optimized, as Kafka's brokers do), so a poll
    // of 10 takes two batches and leaves the rest for the next poll.
    const producer = new Producer({ bootstrapServers: survivor, acks: -1 });
    try {
      for (let i = 0; i < RECORDS; i += 5) {
        await producer.send({
          topic: TOPIC,
          messages: Array.from({ length: 5 }, (_, j) => ({ value: `r${i + j}` })),
        });
      }
    } finally {
      await producer.close();
    }

    // A consumer accepts at least 10 records, holds the next poll's records unacknowledged, and dies.
    const hold = await runProcess(py.python, [SCRIPT, survivor, 'hold', TOPIC, GROUP, '10'], {
      env: py.env,
      timeoutMs: 60_000,
    });
    assert.equal(hold.code, 0, describeRun('share_failover.py hold', hold));
    const held = JSON.parse(/^RESULT (.*)$/m.exec(hold.stdout)![1]!) as { accepted: number[]; held: number[] };
    assert.ok(held.accepted.length >= 10 && held.held.length > 0, JSON.stringify(held));

    // kill -9 of the share-partition leader; another replica takes over the partition (the state stays on S).
    await broker(leader).kill9();
    const next = await until('a new leader', async () => {
      const l = await leaders(survivor, TOPIC);
      return l > 0 && l !== leader ? l : undefined;
    });
    assert.notEqual(next, leader);

    const drain = await runProcess(py.python, [SCRIPT, survivor, 'drain', TOPIC, GROUP, '4'], {
      env: py.env,
      timeoutMs: 90_000,
    });
    assert.equal(drain.code, 0, describeRun('share_failover.py drain', drain));
    const { deliveries } = JSON.parse(/^RESULT (.*)$/m.exec(drain.stdout)![1]!) as { deliveries: number[][] };
    const got = new Map(deliveries.map(([offset, count]) => [offset!, count!]));
    const accepted = new Set(held.accepted);
    for (const o of accepted) assert.ok(!got.has(o), `accepted record ${o} was delivered again`);
    for (const o of held.held) assert.ok((got.get(o) ?? 0) >= 2, `held record ${o}: delivery ${got.get(o)}`);
    const expected = Array.from({ length: RECORDS }, (_, i) => i).filter((o) => !accepted.has(o));
    assert.deepEqual(
      [...got.keys()].sort((a, b) => a - b),
      expected,
      'every record not accepted before the failover is delivered after it',
    );
  });
});
