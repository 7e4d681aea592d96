// Share groups in a three-broker cluster (startCluster, in this process): only a data partition's leader is its
// share-partition leader (a follower answers NOT_LEADER_OR_FOLLOWER), and only the leader of a __share_group_state
// partition is its share coordinator. A share-partition whose leader also leads its state partition works end to end
// (state written to an RF 3 __share_group_state); one whose state partition is led by another broker reaches that
// share coordinator with the share-state APIs (the persister in src/coordinator/share/persister.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Producer, type RunningCluster, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  CreateTopicsResponse,
  FindCoordinatorResponse,
  MetadataResponse,
  ReadShareGroupStateResponse,
  ShareFetchResponse,
} from '../../src/protocol/generated/messages.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('share groups in a cluster', { timeout: 120_000 }, () => {
  let cluster: RunningCluster;
  const conns = new Map<number, BrokerConnection>();
  before(async () => {
    cluster = await startCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      config: {
        'share.coordinator.state.topic.num.partitions': '1',
        'share.coordinator.state.topic.replication.factor': '3',
      },
    });
    for (const b of cluster.brokers) conns.set(b.nodeId, await BrokerConnection.open('127.0.0.1', b.port, 'share'));
  });
  after(async () => {
    for (const c of conns.values()) c.close();
    await cluster?.stop();
  });

  const conn = (nodeId: number) => conns.get(nodeId)!;
  const metadata = async (topics: string[]) =>
    await conn(1).send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: topics.map((name) => ({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
  const shareFetch = (nodeId: number, topicId: string, member: string, epoch: number) =>
    conn(nodeId).send<ShareFetchResponse>(ApiKey.ShareFetch, 2, {
      groupId: 'cluster-group',
      memberId: member,
      shareSessionEpoch: epoch,
      maxWaitMs: epoch === 0 ? 0 : 2000,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: 100,
      batchSize: 100,
      shareAcquireMode: 0,
      isRenewAck: false,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }],
      forgottenTopicsData: [],
    });

  test('share-partition leaders and share coordinators are leaders only', async () => {
    // Any share-state request makes the broker create __share_group_state (one partition, RF 3).
    const read = await conn(1).send<ReadShareGroupStateResponse>(ApiKey.ReadShareGroupState, 0, {
      groupId: 'cluster-group',
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ partition: 0, leaderEpoch: -1 }] }],
    });
    assert.ok(read.results.length === 1);
    const stateLeader = await until('a __share_group_state leader', async () => {
      const t = (await metadata(['__share_group_state'])).topics[0]!;
      const leader = t.partitions[0]?.leaderId ?? -1;
      return t.errorCode === ErrorCode.NONE && leader >= 0 ? leader : undefined;
    });
    const others = [1, 2, 3].filter((n) => n !== stateLeader);
    const created = await conn(stateLeader).send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'here', numPartitions: -1, replicationFactor: -1, configs: [], assignments: [] },
        { name: 'away', numPartitions: -1, replicationFactor: -1, configs: [], assignments: [] },
      ].map((t, i) => ({
        ...t,
        assignments: [
          { partitionIndex: 0, brokerIds: i === 0 ? [stateLeader, ...others] : [others[0]!, stateLeader, others[1]!] },
        ],
      })),
      timeoutMs: 30_000,
      validateOnly: false,
    });
    for (const t of created.topics) assert.equal(t.errorCode, ErrorCode.NONE, t.errorMessage ?? t.name);
    const ids = await until('both topics led', async () => {
      const md = await metadata(['here', 'away']);
      const ok = md.topics.every((t) => t.partitions[0] && t.partitions[0].leaderId >= 0);
      return ok ? new Map(md.topics.map((t) => [t.name!, t.topicId])) : undefined;
    });
    const here = ids.get('here')!;
    const away = ids.get('away')!;

    // A follower of 'here' is no share-partition leader.
    const follower = await shareFetch(others[0]!, here, 'm-follower', 0);
    assert.equal(follower.errorCode, ErrorCode.NONE);
    assert.equal(follower.responses[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);

    // 'here' is led by the state partition's leader: initialized (at the end: no records yet), then records come.
    const open = await shareFetch(stateLeader, here, 'm-here', 0);
    assert.equal(open.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const producer = new Producer({ bootstrapServers: cluster.bootstrap });
    try {
      await producer.send({ topic: 'here', messages: [1, 2, 3, 4, 5].map((i) => ({ value: `v${i}` })) });
    } finally {
      await producer.close();
    }
    const got = await shareFetch(stateLeader, here, 'm-here', 1);
    const p = got.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? '');
    assert.deepEqual(
      p.acquiredRecords.map((a) => [Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount]),
      [[0, 4, 1]],
    );

    // 'away' is led by a broker that does not lead its state partition: its share-partition leader reads,
    // initializes and writes the state through ReadShareGroupState / InitializeShareGroupState /
    // WriteShareGroupState sent to the state partition's leader.
    const awayLeader = (await metadata(['away'])).topics[0]!.partitions[0]!.leaderId;
    assert.notEqual(awayLeader, stateLeader, 'the data partition and its state partition have different leaders');
    // FindCoordinator key type SHARE (v6, as brokers ask it) names the state partition's leader.
    const found = await conn(awayLeader).send<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, {
      keyType: 2,
      coordinatorKeys: [`cluster-group:${away}:0`, 'no-topic-id'],
    });
    assert.deepEqual(
      found.coordinators.map((c) => [c.errorCode, c.nodeId]),
      [
        [ErrorCode.NONE, stateLeader],
        [ErrorCode.INVALID_REQUEST, -1],
      ],
    );
    const opened = await shareFetch(awayLeader, away, 'm-away', 0);
    assert.equal(opened.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const producer2 = new Producer({ bootstrapServers: cluster.bootstrap });
    try {
      await producer2.send({ topic: 'away', messages: [1, 2, 3].map((i) => ({ value: `a${i}` })) });
    } finally {
      await producer2.close();
    }
    const fetched = await shareFetch(awayLeader, away, 'm-away', 1);
    const q = fetched.responses[0]!.partitions[0]!;
    assert.equal(q.errorCode, ErrorCode.NONE, q.errorMessage ?? '');
    assert.deepEqual(
      q.acquiredRecords.map((a) => [Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount]),
      [[0, 2, 1]],
    );
    // The acquisition is in the share coordinator's state (on the other broker): as Kafka persists it, batch 0-2 is
    // AVAILABLE (0) with delivery count 1, so a new leader delivers it again as a second delivery.
    const state = await conn(stateLeader).send<ReadShareGroupStateResponse>(ApiKey.ReadShareGroupState, 0, {
      groupId: 'cluster-group',
      topics: [{ topicId: away, partitions: [{ partition: 0, leaderEpoch: -1 }] }],
    });
    const sp = state.results[0]!.partitions[0]!;
    assert.equal(sp.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      sp.stateBatches.map((b) => [Number(b.firstOffset), Number(b.lastOffset), b.deliveryState, b.deliveryCount]),
      [[0, 2, 0, 1]],
    );
  });
});
