// Share groups in a three-broker cluster (startCluster, in this process): only a data partition's leader is its
// share-partition leader (a follower answers NOT_LEADER_OR_FOLLOWER), and only the leader of a __share_group_state
// partition is its share coordinator. A share-partition whose leader also leads its state partition works end to end
// (state written to an RF 3 __share_group_state); one whose state partition is led by another broker reaches that
// share coordinator with the share-state APIs (the persister in src/coordinator/share/persister.ts). The second part
// runs kafka-share-groups.sh against broker processes (below).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Producer, type RunningCluster, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  CreateTopicsResponse,
  FindCoordinatorResponse,
  MetadataResponse,
  ReadShareGroupStateResponse,
  ShareFetchRequest,
  ShareFetchResponse,
  ShareGroupHeartbeatResponse,
} from '../../src/protocol/generated/messages.ts';
import { printLogsOnFailure } from '../helpers/broker.ts';
import { describeRun } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
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

// The group coordinator's share-group admin against share-partition state held by another broker, in a three-broker
// ZooKeeper cluster of broker processes: Kafka 4.4's kafka-share-groups.sh reaches the group coordinator G (the
// leader of the group's __consumer_offsets partition), which reads the state with ReadShareGroupStateSummary and
// changes it with Initialize/DeleteShareGroupState sent to the share coordinator S (the leader of the single
// __share_group_state partition); G != S is checked with FindCoordinator and the metadata. Then G restarts: the share
// group, stored in __consumer_offsets (RF 3), is loaded by the partition's new leader and listed and described Empty
// with its epochs, and deleting it deletes the state on S.
describe('kafka-share-groups.sh through a group coordinator that is not the share coordinator', {
  timeout: 300_000,
}, () => {
  let zk: ZooKeeperCluster | undefined;
  after(() => stopZooKeeperCluster(zk));
  afterEach((t) => {
    for (const b of zk?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('describe, reset and delete offsets, then describe and delete the group after its coordinator restarts', async () => {
    const libs = ensureKafkaTools();
    zk = await startZooKeeperCluster({
      zookeeperNodes: 1,
      brokers: 3,
      sessionTimeoutMs: 2000,
      overrides: {
        'offsets.topic.num.partitions': '6',
        'offsets.topic.replication.factor': '3',
        'share.coordinator.state.topic.num.partitions': '1',
        'share.coordinator.state.topic.replication.factor': '3',
        'auto.leader.rebalance.enable': 'false',
      },
      onProgress: (c) => {
        zk = c;
      },
    });
    const brokers = zk.brokers;
    const broker = (id: number) => brokers[id - 1]!;
    const open = new Map<number, BrokerConnection>();
    const conn = async (id: number) => {
      let c = open.get(id);
      if (!c?.isOpen) {
        c = await BrokerConnection.open('127.0.0.1', broker(id).port, 'share-admin');
        open.set(id, c);
      }
      return c;
    };
    try {
      const md = async (topics: string[]) =>
        await (await conn(1)).send<MetadataResponse>(ApiKey.Metadata, 12, {
          topics: topics.map((name) => ({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name })),
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        });
      // A share-state request creates __share_group_state (one partition, RF 3); its leader S is every key's
      // share coordinator.
      await (await conn(1)).send<ReadShareGroupStateResponse>(ApiKey.ReadShareGroupState, 0, {
        groupId: 'x',
        topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ partition: 0, leaderEpoch: -1 }] }],
      });
      const S = await until('a __share_group_state leader', async () => {
        const l = (await md(['__share_group_state'])).topics[0]?.partitions[0]?.leaderId ?? -1;
        return l > 0 ? l : undefined;
      });
      // Two topics led by L != S.
      const L = [1, 2, 3].find((n) => n !== S)!;
      const rest = [1, 2, 3].filter((n) => n !== L);
      const created = await (await conn(L)).send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: ['tool', 'tool2'].map((name) => ({
          name,
          numPartitions: -1,
          replicationFactor: -1,
          configs: [],
          assignments: [{ partitionIndex: 0, brokerIds: [L, ...rest] }],
        })),
        timeoutMs: 30_000,
        validateOnly: false,
      });
      for (const t of created.topics) assert.equal(t.errorCode, ErrorCode.NONE, t.errorMessage ?? t.name);
      const ids = await until('both topics led by L', async () => {
        const m = await md(['tool', 'tool2']);
        const ok = m.topics.every((t) => t.partitions[0]?.leaderId === L);
        return ok ? new Map(m.topics.map((t) => [t.name!, t.topicId])) : undefined;
      });
      // A group whose group coordinator G is not S (FindCoordinator GROUP and SHARE, v6 as Kafka's clients ask).
      const [group, G] = await until('a group coordinated away from the share coordinator', async () => {
        for (let i = 0; i < 40; i++) {
          const g = `tool-group-${i}`;
          const f = await (await conn(1)).send<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, {
            keyType: 0,
            coordinatorKeys: [g],
          });
          const c = f.coordinators[0]!;
          if (c.errorCode !== ErrorCode.NONE) return undefined; // __consumer_offsets is being created
          if (c.nodeId !== S) return [g, c.nodeId] as const;
        }
        throw new Error('every group candidate is coordinated by the share coordinator');
      });
      const share = await (await conn(G)).send<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, {
        keyType: 2,
        coordinatorKeys: [`${group}:${ids.get('tool')}:0`, `${group}:${ids.get('tool2')}:0`],
      });
      assert.deepEqual(
        share.coordinators.map((c) => c.nodeId),
        [S, S],
      );
      assert.notEqual(G, S, 'the group coordinator is not the share coordinator of the group share-partitions');
      assert.notEqual(
        (await md(['__share_group_state'])).topics[0]!.partitions[0]!.leaderId,
        G,
        'G does not lead __share_group_state',
      );

      // A member joins at G, acquires the 9 records at L, accepts tool's 0-3 (tool2's three stay in flight), leaves.
      const memberId = 'toolMember0000000000AA';
      const hb = (memberEpoch: number) =>
        conn(G).then((c) =>
          c.send<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, {
            groupId: group,
            memberId,
            memberEpoch,
            rackId: null,
            subscribedTopicNames: memberEpoch === 0 ? ['tool', 'tool2'] : null,
          }),
        );
      // Membership lives at the group coordinator: any other broker answers NOT_COORDINATOR (the member goes to G).
      const other = [1, 2, 3].find((id) => id !== G)!;
      const elsewhere = await (await conn(other)).send<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, {
        groupId: group,
        memberId,
        memberEpoch: 0,
        rackId: null,
        subscribedTopicNames: ['tool', 'tool2'],
      });
      assert.equal(elsewhere.errorCode, ErrorCode.NOT_COORDINATOR, elsewhere.errorMessage ?? '');
      const joined = await hb(0);
      assert.equal(joined.errorCode, ErrorCode.NONE, joined.errorMessage ?? '');
      // One share session at L: epoch 0 opens it with both partitions, each next request takes the next epoch.
      let epoch = 0;
      type Acks = ShareFetchRequest['topics'][number]['partitions'][number]['acknowledgementBatches'];
      const fetch = async (acks: Acks) => {
        const e = epoch++;
        const topics =
          e === 0
            ? ['tool', 'tool2'].map((t) => ({
                topicId: ids.get(t)!,
                partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }],
              }))
            : acks.length > 0
              ? [{ topicId: ids.get('tool')!, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }]
              : [];
        const r = await (await conn(L)).send<ShareFetchResponse>(ApiKey.ShareFetch, 2, {
          groupId: group,
          memberId,
          shareSessionEpoch: e,
          maxWaitMs: e === 0 ? 0 : 1000,
          minBytes: 1,
          maxBytes: 1 << 20,
          maxRecords: 100,
          batchSize: 100,
          shareAcquireMode: 0,
          isRenewAck: false,
          topics,
          forgottenTopicsData: [],
        });
        assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
        return r;
      };
      // The share-partitions start at the end (share.auto.offset.reset latest): open the session, then produce.
      const opened = await fetch([]);
      for (const p of opened.responses.flatMap((t) => t.partitions)) assert.equal(p.errorCode, ErrorCode.NONE);
      const producer = new Producer({ bootstrapServers: broker(L).bootstrap, acks: -1 });
      try {
        await producer.send({ topic: 'tool', messages: [0, 1, 2, 3, 4, 5].map((i) => ({ value: `t${i}` })) });
        await producer.send({ topic: 'tool2', messages: [0, 1, 2].map((i) => ({ value: `u${i}` })) });
      } finally {
        await producer.close();
      }

      const acquired: Array<[string, number, number]> = [];
      await until('nine records acquired', async () => {
        const r = await fetch([]);
        for (const t of r.responses) {
          for (const p of t.partitions) {
            assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? '');
            for (const a of p.acquiredRecords) acquired.push([t.topicId, Number(a.firstOffset), Number(a.lastOffset)]);
          }
        }
        return acquired.reduce((n, [, f, l]) => n + l - f + 1, 0) >= 9 ? true : undefined;
      });
      const byTopic = (id: string) => acquired.filter(([t]) => t === id).map(([, f, l]) => [f, l]);
      assert.deepEqual(byTopic(ids.get('tool')!), [[0, 5]]);
      assert.deepEqual(byTopic(ids.get('tool2')!), [[0, 2]]);
      const acked = await fetch([{ firstOffset: 0n, lastOffset: 3n, acknowledgeTypes: [1] }]);
      const ackCode = acked.responses.find((t) => t.topicId === ids.get('tool'))?.partitions[0]?.acknowledgeErrorCode;
      assert.equal(ackCode, ErrorCode.NONE);
      const left = await hb(-1);
      assert.equal(left.errorCode, ErrorCode.NONE, left.errorMessage ?? '');

      const tool = (...args: string[]) =>
        runKafkaTool(libs, 'org.apache.kafka.tools.consumer.group.ShareGroupCommand', [
          '--bootstrap-server',
          broker(G).bootstrap,
          ...args,
        ]);
      const describeUntil = async (what: RegExp) => {
        let last = '';
        for (let i = 0; i < 5; i++) {
          const d = await tool('--describe', '--group', group, '--offsets');
          assert.equal(d.code, 0, describeRun('describe --offsets', d));
          if (what.test(d.stdout)) return d.stdout;
          last = d.stdout;
          await new Promise((r) => setTimeout(r, 500));
        }
        assert.fail(`describe --offsets never matched ${what}:\n${last}`);
      };
      // GROUP TOPIC PARTITION START-OFFSET LAG: tool starts at 4 with 2 to go, tool2 at 0 with 3.
      const first = await describeUntil(new RegExp(`${group}\\s+tool\\s+0\\s+4\\s+2\\b`));
      assert.match(first, new RegExp(`${group}\\s+tool2\\s+0\\s+0\\s+3\\b`));

      const reset = await tool('--reset-offsets', '--group', group, '--topic', 'tool', '--to-earliest', '--execute');
      assert.equal(reset.code, 0, describeRun('reset --execute', reset));
      await describeUntil(new RegExp(`${group}\\s+tool\\s+0\\s+0\\s+6\\b`));
      const readAtS = async (topic: string) =>
        (
          await (
            await conn(S)
          ).send<ReadShareGroupStateResponse>(ApiKey.ReadShareGroupState, 0, {
            groupId: group,
            topics: [{ topicId: ids.get(topic)!, partitions: [{ partition: 0, leaderEpoch: -1 }] }],
          })
        ).results[0]!.partitions[0]!;
      const afterReset = await readAtS('tool');
      assert.deepEqual([afterReset.errorCode, afterReset.stateEpoch, Number(afterReset.startOffset)], [0, 1, 0]);

      const del = await tool('--delete-offsets', '--group', group, '--topic', 'tool2');
      assert.equal(del.code, 0, describeRun('delete-offsets', del));
      assert.match(del.stdout, /tool2\s+Successful/, del.stdout);
      assert.equal((await readAtS('tool2')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const remaining = await describeUntil(new RegExp(`${group}\\s+tool\\s+0\\s+0\\s+6\\b`));
      assert.doesNotMatch(remaining, /tool2/);

      // G restarts: the group's __consumer_offsets partition moves to another broker, which loads the stored group:
      // listed (before anything describes it) and described Empty with its epochs (joined 1, left 2), members 0.
      open.get(G)?.close();
      open.delete(G);
      await broker(G).restart();
      await until(
        'the group listed after the restart',
        async () => {
          const l = await tool('--list');
          return l.code === 0 && new RegExp(`^${group}$`, 'm').test(l.stdout) ? true : undefined;
        },
        90_000,
      );
      const state = await until(
        'the group described after the restart',
        async () => {
          const d = await tool('--describe', '--group', group, '--state', '--verbose');
          return d.code === 0 && /Empty/.test(d.stdout) ? d.stdout : undefined;
        },
        90_000,
      );
      // GROUP COORDINATOR (ID) STATE GROUP-EPOCH ASSIGNMENT-EPOCH #MEMBERS
      assert.match(state, new RegExp(`${group}\\s+\\S+\\s+\\(\\d+\\)\\s+Empty\\s+2\\s+2\\s+0\\b`), state);
      await describeUntil(new RegExp(`${group}\\s+tool\\s+0\\s+0\\s+6\\b`));
      const gone = await tool('--delete', '--group', group);
      assert.equal(gone.code, 0, describeRun('delete', gone));
      assert.match(gone.stdout, /successful/i, gone.stdout);
      assert.equal((await readAtS('tool')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      for (const c of open.values()) c.close();
    }
  });
});
