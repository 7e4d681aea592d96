// Share groups' stored state with real clients (Kafka's KafkaShareConsumer, test/integration/java/ShareClient.java,
// and kafka-share-groups.sh). First: a share group is stored in __consumer_offsets (ShareGroupMetadata and the other
// share-group records), so after its broker restarts kafka-share-groups.sh --list (ListGroups) shows it at once, with
// the epoch it had (not restored as Empty at epoch 0 on first describe). Second, in a three-broker cluster: the
// share-partition leader L of a topic is not the group's coordinator G; a consumer reads all 40 records (L caches the
// share-partition, its start offset at 40) and stops, kafka-share-groups.sh --reset-offsets --to-earliest runs at G
// (a new state epoch at the share coordinator, which L is not told of), and a new consumer gets all 40 again: L
// dropped its cached copy when the group's last share session there ended with its connection (Kafka's onGroupEmpty).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Producer, type RunningCluster, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  CreateTopicsResponse,
  DescribeConfigsResponse,
  FindCoordinatorResponse,
  IncrementalAlterConfigsResponse,
  ListGroupsResponse,
  MetadataResponse,
  ShareGroupHeartbeatResponse,
} from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure, REPO_ROOT, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, runProcess } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';

const SOURCE = path.join(REPO_ROOT, 'test', 'integration', 'java', 'ShareClient.java');
const TOOL = 'org.apache.kafka.tools.consumer.group.ShareGroupCommand';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Java KafkaShareConsumer reading until all 40 records of `topic` came once (ShareClient.java's drain). */
async function drain(libs: string, bootstrap: string, topic: string, group: string): Promise<Array<[number, number]>> {
  const r = await runProcess('java', ['-cp', `${libs}/*`, SOURCE, bootstrap, 'drain', topic, group], {
    timeoutMs: 180_000,
  });
  assert.equal(r.code, 0, describeRun('java drain', r));
  const line = /^RESULT (.*)$/m.exec(r.stdout);
  assert.ok(line, describeRun('java drain printed no RESULT', r));
  return (JSON.parse(line[1]!) as { deliveries: Array<[number, number]> }).deliveries;
}

/** share.auto.offset.reset=earliest for the group (a GROUP config resource), and 40 records produced to `topic`. */
async function prepare(conn: BrokerConnection, bootstrap: string, topic: string, group: string): Promise<void> {
  const cfg = await conn.send<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
    resources: [
      {
        resourceType: 32,
        resourceName: group,
        configs: [{ name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest' }],
      },
    ],
    validateOnly: false,
  });
  assert.equal(cfg.responses[0]!.errorCode, ErrorCode.NONE, cfg.responses[0]!.errorMessage ?? '');
  const producer = new Producer({ bootstrapServers: bootstrap, acks: -1 });
  try {
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: `r${i}` })) });
  } finally {
    await producer.close();
  }
}

const ALL = Array.from({ length: 40 }, (_, i) => i);
const offsetsOf = (d: Array<[number, number]>) => d.map(([o]) => o).sort((a, b) => a - b);

describe('share groups: stored group state and offset resets, with real clients', { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  let cluster: RunningCluster | undefined;
  afterEach((t) => printLogsOnFailure(t, broker));
  after(async () => {
    await broker?.stop();
    await cluster?.stop();
  });

  test('a restarted broker lists its share group (ListGroups) at once, with the group epoch it had', async () => {
    const libs = ensureKafkaTools();
    broker = await startBrokerProcess();
    const conn = await BrokerConnection.open('127.0.0.1', broker.port, 'share-state');
    const [topic, group] = ['stored', 'stored-group'];
    try {
      const created = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
      await prepare(conn, broker.bootstrap, topic, group);
    } finally {
      conn.close();
    }
    assert.deepEqual(offsetsOf(await drain(libs, broker.bootstrap, topic, group)), ALL);
    const tool = (...args: string[]) => runKafkaTool(libs, TOOL, ['--bootstrap-server', broker!.bootstrap, ...args]);
    // The consumer joined (epoch 1) and left (epoch 2): Empty at epoch 2.
    const state = async () => {
      const d = await tool('--describe', '--group', group, '--state', '--verbose');
      assert.equal(d.code, 0, describeRun('describe --state', d));
      // GROUP COORDINATOR (ID) STATE GROUP-EPOCH ASSIGNMENT-EPOCH #MEMBERS
      const m = new RegExp(`${group}\\s+\\S+\\s+\\(\\d+\\)\\s+(\\w+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`).exec(d.stdout);
      assert.ok(m, d.stdout);
      return { state: m[1], groupEpoch: Number(m[2]), assignmentEpoch: Number(m[3]), members: Number(m[4]) };
    };
    const before = await state();
    assert.equal(before.state, 'Empty');
    assert.ok(before.groupEpoch >= 2, `group epoch ${before.groupEpoch}`);

    await broker.restart();
    // Listed first thing (nothing described it since the restart): ListGroups shows the stored group, type share.
    const listed = await tool('--list');
    assert.equal(listed.code, 0, describeRun('--list', listed));
    assert.match(listed.stdout, new RegExp(`^${group}$`, 'm'), listed.stdout);
    const c2 = await BrokerConnection.open('127.0.0.1', broker.port, 'share-state');
    try {
      const list = await c2.send<ListGroupsResponse>(ApiKey.ListGroups, 5, {
        statesFilter: [],
        typesFilter: ['share'],
      });
      assert.deepEqual(
        list.groups.map((g) => [g.groupId, g.groupType, g.groupState, g.protocolType]),
        [[group, 'share', 'Empty', 'share']],
      );
      assert.deepEqual(await state(), before, 'the same epochs after the restart');
      // A member joining the stored group takes the epoch after the stored one.
      const joined = await c2.send<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, {
        groupId: group,
        memberId: 'afterRestartMember0000A',
        memberEpoch: 0,
        rackId: null,
        subscribedTopicNames: [topic],
      });
      assert.equal(joined.errorCode, ErrorCode.NONE, joined.errorMessage ?? '');
      assert.equal(joined.memberEpoch, before.groupEpoch + 1);
    } finally {
      c2.close();
    }
    // Kafka's own reader of __consumer_offsets share-group records (kafka-console-consumer.sh with its
    // ShareGroupMessageFormatter) decodes what was stored: the epochs, and topic-partition 0 in the group's
    // ShareGroupStatePartitionMetadata (the heartbeat's assignment was asked of the share coordinator: it has state
    // since the first consumer read it).
    type Printed = {
      key: { type: number; data: { groupId: string } };
      value: { data: Record<string, unknown> } | null;
    };
    const stored = await until(
      'topic-partition 0 in ShareGroupStatePartitionMetadata',
      async () => {
        const r = await runKafkaTool(libs, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
          '--bootstrap-server',
          broker!.bootstrap,
          '--topic',
          '__consumer_offsets',
          '--from-beginning',
          '--timeout-ms',
          '4000',
          '--formatter',
          'org.apache.kafka.tools.consumer.ShareGroupMessageFormatter',
        ]);
        const records = r.stdout
          .replace(/\}\s*\{"key"/g, '}\n{"key"')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Printed)
          .filter((x) => x.key.data.groupId === group);
        const last = (type: number) => records.filter((x) => x.key.type === type).at(-1)?.value?.data;
        const partitions = last(15) as
          | { initializedTopics: Array<{ topicName: string; partitions: number[] }> }
          | undefined;
        const initialized = partitions?.initializedTopics.find((t) => t.topicName === topic)?.partitions;
        return initialized?.includes(0)
          ? { epoch: last(11)?.epoch, assignmentEpoch: last(12)?.assignmentEpoch }
          : undefined;
      },
      60_000,
    );
    assert.deepEqual(stored, { epoch: before.groupEpoch + 1, assignmentEpoch: before.groupEpoch + 1 });
  });

  test('after --reset-offsets at the group coordinator, the share-partition leader that cached the partition redelivers from the new offset', async () => {
    const libs = ensureKafkaTools();
    cluster = await startCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      config: {
        'offsets.topic.num.partitions': '6',
        'offsets.topic.replication.factor': '3',
        'share.coordinator.state.topic.num.partitions': '1',
        'share.coordinator.state.topic.replication.factor': '3',
      },
    });
    const c = cluster;
    const conns = new Map<number, BrokerConnection>();
    const conn = async (id: number) => {
      let x = conns.get(id);
      if (!x?.isOpen) {
        x = await BrokerConnection.open('127.0.0.1', c.brokers[id - 1]!.port, 'share-state');
        conns.set(id, x);
      }
      return x;
    };
    try {
      const group = 'reset-group';
      const G = await until('the group coordinator', async () => {
        const f = await (await conn(1)).send<FindCoordinatorResponse>(ApiKey.FindCoordinator, 6, {
          keyType: 0,
          coordinatorKeys: [group],
        });
        const x = f.coordinators[0]!;
        return x.errorCode === ErrorCode.NONE && x.nodeId > 0 ? x.nodeId : undefined;
      });
      // The topic's leader L is another broker than G: G's reset cannot touch L's cached share-partition.
      const L = [1, 2, 3].find((n) => n !== G)!;
      const topic = 'reset-topic';
      const created = await (await conn(L)).send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: [
          {
            name: topic,
            numPartitions: -1,
            replicationFactor: -1,
            configs: [],
            assignments: [{ partitionIndex: 0, brokerIds: [L, ...[1, 2, 3].filter((n) => n !== L)] }],
          },
        ],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE, created.topics[0]!.errorMessage ?? '');
      await until('the topic led by L', async () => {
        const m = await (await conn(G)).send<MetadataResponse>(ApiKey.Metadata, 12, {
          topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        });
        return m.topics[0]?.partitions[0]?.leaderId === L ? true : undefined;
      });
      const bootstrap = c.brokers[G - 1]!.bootstrap;
      await prepare(await conn(G), bootstrap, topic, group);
      // L initializes the share-partition at share.auto.offset.reset: wait until its metadata has the group config.
      await until('the group config at L', async () => {
        const d = await (await conn(L)).send<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
          resources: [{ resourceType: 32, resourceName: group, configurationKeys: ['share.auto.offset.reset'] }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        return d.results[0]?.configs.find((x) => x.name === 'share.auto.offset.reset')?.value === 'earliest'
          ? true
          : undefined;
      });

      const first = await drain(libs, bootstrap, topic, group);
      assert.deepEqual(offsetsOf(first), ALL);
      const tool = (...args: string[]) => runKafkaTool(libs, TOOL, ['--bootstrap-server', bootstrap, ...args]);
      const reset = await tool('--reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--execute');
      assert.equal(reset.code, 0, describeRun('reset --execute', reset));
      const described = await tool('--describe', '--group', group, '--offsets');
      assert.match(described.stdout, new RegExp(`${group}\\s+${topic}\\s+0\\s+0\\s+40\\b`), described.stdout);

      // Every record again, from the new start offset, each a first delivery of the new state.
      const second = await drain(libs, bootstrap, topic, group);
      assert.deepEqual(offsetsOf(second), ALL);
      for (const [o, n] of second) assert.equal(n, 1, `offset ${o} delivered with count ${n}`);
    } finally {
      for (const x of conns.values()) x.close();
    }
  });
});
