// Admin APIs that real tools call (issue 11), answered as Kafka answers for a one-broker cluster: Kafka 4.4's own
// tools (kafka-topics.sh --describe over DescribeTopicPartitions with pagination, kafka-leader-election.sh,
// kafka-reassign-partitions.sh, kafka-metadata-quorum.sh, kafka-client-metrics.sh) against a broker process, and the
// cases the tools check client-side sent as raw requests. Also Metadata v1-v9 asking for the empty topic name.
// kafka-python 2.0.2's KafkaAdminClient has none of these calls, so Kafka's tools are the real client here.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  AlterPartitionReassignmentsResponse,
  AlterReplicaLogDirsResponse,
  CreateTopicsResponse,
  DescribeQuorumResponse,
  DescribeTopicPartitionsResponse,
  ElectLeadersResponse,
  ListConfigResourcesResponse,
  ListPartitionReassignmentsResponse,
  MetadataResponse,
} from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';

const API = {
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  DescribeQuorum: 55,
  ListConfigResources: 74,
};

describe('admin APIs real tools call', { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  let libs = '';
  const setup = sharedSetup(async () => {
    libs = ensureKafkaTools();
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } });
    const c = await BrokerConnection.open('127.0.0.1', broker.port);
    const res = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'alpha', numPartitions: 5, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'beta', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    for (const t of res.topics) assert.equal(t.errorCode, ErrorCode.NONE, `create ${t.name}`);
    return c;
  });
  after(async () => {
    setup.value()?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const tool = async (mainClass: string, ...args: string[]) => {
    await setup.get();
    return runKafkaTool(libs, mainClass, ['--bootstrap-server', broker!.bootstrap, ...args]);
  };

  test('kafka-topics.sh --describe (DescribeTopicPartitions) pages through every partition', async () => {
    // Two partitions per response: alpha takes three pages, beta two more; every partition shows up once (the tool
    // prints topics in its own order).
    const r = await tool(
      'org.apache.kafka.tools.TopicCommand',
      '--describe',
      '--exclude-internal',
      '--partition-size-limit-per-response',
      '2',
    );
    assert.equal(r.code, 0, describeRun('kafka-topics --describe', r));
    const rows = r.stdout.split('\n').filter((l) => /^\s+Topic: /.test(l));
    const seen = rows.map((l) =>
      l
        .match(/Topic: (\S+)\s+Partition: (\d+)\s+Leader: (\d+)/)!
        .slice(1)
        .join(':'),
    );
    const leader = rows[0]!.match(/Leader: (\d+)/)![1];
    assert.deepEqual(seen.sort(), [
      ...[0, 1, 2, 3, 4].map((p) => `alpha:${p}:${leader}`),
      ...[0, 1, 2].map((p) => `beta:${p}:${leader}`),
    ]);
    assert.match(r.stdout, /Topic: alpha\s+TopicId: \S+\s+PartitionCount: 5\s+ReplicationFactor: 1/);
    const one = await tool('org.apache.kafka.tools.TopicCommand', '--describe', '--topic', 'beta');
    assert.equal(one.code, 0, describeRun('kafka-topics --describe --topic beta', one));
    assert.equal(one.stdout.split('\n').filter((l) => /^\s+Topic: beta\s+Partition/.test(l)).length, 3);
  });

  test('DescribeTopicPartitions over the wire: cursor, limit, unknown and invalid names', async () => {
    const c = await setup.get();
    const page = await c.send<DescribeTopicPartitionsResponse>(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: 'beta' }, { name: 'alpha' }, { name: 'nope' }, { name: 'bad name!' }],
      responsePartitionLimit: 4,
      cursor: { topicName: 'alpha', partitionIndex: 3 },
    });
    // Sorted by name from the cursor: alpha 3-4, bad name!, beta 0-1, then the cursor stops at beta-2.
    assert.deepEqual(
      page.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      [
        ['alpha', ErrorCode.NONE, [3, 4]],
        ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION, []],
        ['beta', ErrorCode.NONE, [0, 1]],
      ],
    );
    assert.deepEqual(page.nextCursor, { topicName: 'beta', partitionIndex: 2 });
    const rest = await c.send<DescribeTopicPartitionsResponse>(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: 'beta' }, { name: 'nope' }],
      responsePartitionLimit: 100,
      cursor: page.nextCursor,
    });
    assert.deepEqual(
      rest.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      [
        ['beta', ErrorCode.NONE, [2]],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
      ],
    );
    assert.equal(rest.nextCursor, null);
    const bad = await c.send<DescribeTopicPartitionsResponse>(ApiKey.DescribeTopicPartitions, 0, {
      topics: [{ name: 'alpha' }],
      responsePartitionLimit: 10,
      cursor: { topicName: 'alpha', partitionIndex: -1 },
    });
    assert.equal(bad.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  });

  test('kafka-leader-election.sh: the preferred replica already leads (ELECTION_NOT_NEEDED)', async () => {
    const r = await tool(
      'org.apache.kafka.tools.LeaderElectionCommand',
      '--election-type',
      'preferred',
      '--topic',
      'alpha',
      '--partition',
      '1',
    );
    assert.equal(r.code, 0, describeRun('kafka-leader-election', r));
    assert.match(r.stdout, /Valid replica already elected for partitions alpha-1/);
    const c = await setup.get();
    for (const v of [0, 2]) {
      const res = await c.send<ElectLeadersResponse>(ApiKey.ElectLeaders, v, {
        electionType: 1,
        topicPartitions: [{ topic: 'alpha', partitions: [0, 9] }],
        timeoutMs: 5000,
      });
      const parts = res.replicaElectionResults[0]!.partitionResult;
      assert.equal(parts[0]!.errorCode, ErrorCode.ELECTION_NOT_NEEDED, `v${v}`);
      assert.equal(parts[1]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${v}`);
      assert.ok(parts[1]!.errorMessage);
    }
    const all = await c.send<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, {
      electionType: 0,
      topicPartitions: null,
      timeoutMs: 5000,
    });
    assert.deepEqual(all.replicaElectionResults, [], 'every partition led by its preferred replica: nothing listed');
  });

  test('kafka-reassign-partitions.sh: a reassignment to this broker completes; none is listed ongoing', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    await setup.get();
    const json = path.join(broker!.dataDir, 'reassign.json');
    fs.writeFileSync(
      json,
      JSON.stringify({ version: 1, partitions: [{ topic: 'beta', partition: 0, replicas: [1] }] }),
    );
    const exec = await tool(
      'org.apache.kafka.tools.reassign.ReassignPartitionsCommand',
      '--execute',
      '--reassignment-json-file',
      json,
    );
    assert.equal(exec.code, 0, describeRun('kafka-reassign-partitions --execute', exec));
    assert.match(exec.stdout, /Successfully started partition reassignment for beta-0/);
    const list = await tool('org.apache.kafka.tools.reassign.ReassignPartitionsCommand', '--list');
    assert.equal(list.code, 0, describeRun('kafka-reassign-partitions --list', list));
    assert.match(list.stdout, /No partition reassignments found/);
    // The tool refuses unknown brokers itself; the broker does too, with Kafka's error and a message.
    const c = await setup.get();
    const res = await c.send<AlterPartitionReassignmentsResponse>(API.AlterPartitionReassignments, 0, {
      timeoutMs: 5000,
      topics: [
        {
          name: 'beta',
          partitions: [
            { partitionIndex: 1, replicas: [2] },
            { partitionIndex: 2, replicas: null },
            { partitionIndex: 0, replicas: [] },
            { partitionIndex: 7, replicas: [1] },
          ],
        },
        { name: 'nope', partitions: [{ partitionIndex: 0, replicas: [1] }] },
      ],
    });
    assert.equal(res.errorCode, ErrorCode.NONE);
    const codes = res.responses.map((t) => t.partitions.map((p) => p.errorCode));
    assert.deepEqual(codes, [
      [
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      ],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    assert.match(res.responses[0]!.partitions[0]!.errorMessage!, /broker 2/);
    const listed = await c.send<ListPartitionReassignmentsResponse>(API.ListPartitionReassignments, 0, {
      timeoutMs: 5000,
      topics: [{ name: 'beta', partitionIndexes: [0, 1] }],
    });
    assert.equal(listed.errorCode, ErrorCode.NONE);
    assert.deepEqual(listed.topics, []);
  });

  test('kafka-metadata-quorum.sh: no KRaft quorum to describe, said plainly', async () => {
    const r = await tool('org.apache.kafka.tools.MetadataQuorumCommand', 'describe', '--status');
    assert.notEqual(r.code, 0, describeRun('kafka-metadata-quorum describe --status', r));
    assert.match(r.stdout + r.stderr, /UnsupportedVersionException: This cluster has no KRaft quorum/);
    const c = await setup.get();
    const res = await c.send<DescribeQuorumResponse>(API.DescribeQuorum, 2, {
      topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }],
    });
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(res.topics, []);
  });

  test('kafka-client-metrics.sh --list (ListConfigResources v0): no client-metrics resources', async () => {
    const r = await tool('org.apache.kafka.tools.ClientMetricsCommand', '--list');
    assert.equal(r.code, 0, describeRun('kafka-client-metrics --list', r));
    assert.equal(r.stdout.trim(), '');
    const c = await setup.get();
    const res = await c.send<ListConfigResourcesResponse>(API.ListConfigResources, 0, {});
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(res.configResources, []);
    const all = await c.send<ListConfigResourcesResponse>(API.ListConfigResources, 1, { resourceTypes: [] });
    assert.equal(all.errorCode, ErrorCode.NONE);
    assert.ok(
      all.configResources.some((r) => r.resourceType === 2 && r.resourceName === 'alpha'),
      'topic alpha',
    );
    assert.ok(
      all.configResources.some((r) => r.resourceType === 4 && r.resourceName === '1'),
      'broker 1',
    );
    const bad = await c.send<ListConfigResourcesResponse>(API.ListConfigResources, 1, { resourceTypes: [3] });
    assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
  });

  test('AlterReplicaLogDirs: same dir is done, unknown dir LOG_DIR_NOT_FOUND, unhosted REPLICA_NOT_AVAILABLE', async () => {
    const c = await setup.get();
    const res = await c.send<AlterReplicaLogDirsResponse>(ApiKey.AlterReplicaLogDirs, 2, {
      dirs: [
        { path: broker!.dataDir, topics: [{ name: 'alpha', partitions: [0, 42] }] },
        { path: '/no/such/dir', topics: [{ name: 'beta', partitions: [0] }] },
        { path: 'relative', topics: [{ name: 'beta', partitions: [1] }] },
      ],
    });
    const codes = Object.fromEntries(
      res.results.flatMap((t) => t.partitions.map((p) => [`${t.topicName}-${p.partitionIndex}`, p.errorCode])),
    );
    assert.deepEqual(codes, {
      'alpha-0': ErrorCode.NONE,
      'alpha-42': ErrorCode.REPLICA_NOT_AVAILABLE,
      'beta-0': ErrorCode.LOG_DIR_NOT_FOUND,
      'beta-1': ErrorCode.LOG_DIR_NOT_FOUND,
    });
  });

  test('Metadata v1-v12 asking for the empty topic name: INVALID_TOPIC_EXCEPTION, the connection stays open', async () => {
    const c = await setup.get();
    for (let v = 1; v <= 12; v++) {
      const res = await c.send<MetadataResponse>(ApiKey.Metadata, v, {
        topics: [
          { name: '', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
          { name: 'alpha', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' },
        ],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      const empty = res.topics.find((t) => t.name === '');
      assert.ok(empty, `v${v}: the empty name is answered`);
      assert.equal(empty.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `v${v}`);
      assert.equal(res.topics.find((t) => t.name === 'alpha')?.errorCode, ErrorCode.NONE, `v${v}`);
    }
    assert.ok(c.isOpen);
  });
});
