// The versions Kafka 4.4 added, served with their semantics: raw requests at the new version (and the one before,
// where the answer differs) through BrokerConnection against one broker process.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  ApiVersionsResponse,
  ConsumerGroupDescribeResponse,
  CreateTopicsResponse,
  DeleteGroupsResponse,
  DescribeClusterResponse,
  DescribeGroupsResponse,
  DescribeLogDirsResponse,
  FetchResponse,
  ListOffsetsResponse,
  ListTransactionsResponse,
  MetadataResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';

describe('Kafka 4.4 versions', { timeout: 120_000 }, () => {
  let broker: BrokerHandle | undefined;
  let conn: BrokerConnection | undefined;
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess();
    conn = await BrokerConnection.open('127.0.0.1', broker.port);
    const created = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: 't44', numPartitions: 1, replicationFactor: 1 }],
    });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    return conn;
  });
  after(async () => {
    conn?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('ApiVersions v5: the cluster and node the client meant, else REBOOTSTRAP_REQUIRED', async () => {
    const c = await setup.get();
    const ok = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 5, {
      clientSoftwareName: 't',
      clientSoftwareVersion: '1',
    });
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.ok(ok.apiKeys.some((k) => k.apiKey === ApiKey.ApiVersions && k.maxVersion === 5));
    const meta = await c.send<MetadataResponse>(ApiKey.Metadata, 13, { topics: [] });
    assert.equal(meta.errorCode, ErrorCode.NONE, 'Metadata v13 top-level error code');
    const right = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 5, {
      clientSoftwareName: 't',
      clientSoftwareVersion: '1',
      clusterId: meta.clusterId,
      nodeId: meta.brokers[0]!.nodeId,
    });
    assert.equal(right.errorCode, ErrorCode.NONE);
    for (const wrong of [
      { clusterId: 'another-cluster', nodeId: -1 },
      { clusterId: meta.clusterId, nodeId: meta.brokers[0]!.nodeId + 7 },
    ]) {
      const r = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 5, {
        clientSoftwareName: 't',
        clientSoftwareVersion: '1',
        ...wrong,
      });
      assert.equal(r.errorCode, ErrorCode.REBOOTSTRAP_REQUIRED, JSON.stringify(wrong));
    }
    // v4 has no such fields: the same client is served.
    const v4 = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 4, {
      clientSoftwareName: 't',
      clientSoftwareVersion: '1',
    });
    assert.equal(v4.errorCode, ErrorCode.NONE);
  });

  test('DescribeGroups v6: an unknown group is GROUP_ID_NOT_FOUND with a message; v5 still Dead without error', async () => {
    const c = await setup.get();
    const v6 = await c.send<DescribeGroupsResponse>(ApiKey.DescribeGroups, 6, { groups: ['nope'] });
    assert.equal(v6.groups[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match(v6.groups[0]!.errorMessage ?? '', /nope/);
    const v5 = await c.send<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: ['nope'] });
    assert.equal(v5.groups[0]!.errorCode, ErrorCode.NONE);
    assert.equal(v5.groups[0]!.groupState, 'Dead');
  });

  test('DeleteGroups v3: a failed group carries an error message', async () => {
    const c = await setup.get();
    const r = await c.send<DeleteGroupsResponse>(ApiKey.DeleteGroups, 3, { groupsNames: ['nope', ''] });
    assert.equal(r.results[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match(r.results[0]!.errorMessage ?? '', /nope/);
    assert.equal(r.results[1]!.errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.ok(r.results[1]!.errorMessage);
  });

  test('DescribeCluster v2: brokers with IsFenced, fenced ones only when asked', async () => {
    const c = await setup.get();
    for (const includeFencedBrokers of [false, true]) {
      const r = await c.send<DescribeClusterResponse>(ApiKey.DescribeCluster, 2, {
        endpointType: 1,
        includeFencedBrokers,
      });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.brokers.length, 1);
      assert.equal(r.brokers[0]!.isFenced, false);
    }
  });

  test('ListTransactions v2: an id pattern must compile (INVALID_REGULAR_EXPRESSION)', async () => {
    const c = await setup.get();
    const bad = await c.send<ListTransactionsResponse>(ApiKey.ListTransactions, 2, {
      stateFilters: [],
      producerIdFilters: [],
      transactionalIdPattern: '(unclosed',
    });
    assert.equal(bad.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
    const none = await c.send<ListTransactionsResponse>(ApiKey.ListTransactions, 2, {
      stateFilters: [],
      producerIdFilters: [],
      transactionalIdPattern: 'app-.*',
    });
    assert.equal(none.errorCode, ErrorCode.NONE);
    assert.deepEqual(none.transactionStates, []);
  });

  test('ConsumerGroupDescribe v1 and DescribeLogDirs v5 answer', async () => {
    const c = await setup.get();
    const g = await c.send<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['nope'] });
    assert.equal(g.groups[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const d = await c.send<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 5, { topics: null });
    assert.equal(d.errorCode, ErrorCode.NONE);
    assert.ok(d.results.length >= 1);
    assert.equal(d.results[0]!.isCordoned, false);
    assert.ok(d.results[0]!.topics.some((t) => t.name === 't44'));
  });

  test('ListOffsets v11: tiered-storage points are -1 (no remote storage), refused below their versions', async () => {
    const c = await setup.get();
    const ask = async (v: number, timestamp: bigint) => {
      const r = await c.send<ListOffsetsResponse>(ApiKey.ListOffsets, v, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 't44', partitions: [{ partitionIndex: 0, timestamp }] }],
        timeoutMs: 1000,
      });
      return r.topics[0]!.partitions[0]!;
    };
    for (const [v, ts] of [
      [11, -6n],
      [11, -5n],
      [9, -5n],
    ] as const) {
      const p = await ask(v, ts);
      assert.equal(p.errorCode, ErrorCode.NONE, `v${v} ${ts}`);
      assert.equal(p.offset, -1n);
    }
    assert.equal((await ask(10, -6n)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal((await ask(11, -7n)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal((await ask(11, -1n)).offset, 0n, 'latest of an empty partition');
  });

  test('Fetch v18 reads like v17', async () => {
    const c = await setup.get();
    const meta = await c.send<MetadataResponse>(ApiKey.Metadata, 13, { topics: [{ name: 't44' }] });
    const topicId = meta.topics[0]!.topicId;
    const r = await c.send<FetchResponse>(ApiKey.Fetch, 18, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
    });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(r.responses[0]!.partitions[0]!.highWatermark, 0n);
  });

  test('OffsetCommit and OffsetFetch v10 name topics by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const c = await setup.get();
    const meta = await c.send<MetadataResponse>(ApiKey.Metadata, 13, { topics: [{ name: 't44' }] });
    const topicId = meta.topics[0]!.topicId;
    const unknownId = Buffer.alloc(16, 7).toString('base64url');
    const commit = await c.send<OffsetCommitResponse>(ApiKey.OffsetCommit, 10, {
      groupId: 'g44',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          topicId,
          partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: 'm' }],
        },
        { topicId: unknownId, partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
      ],
    });
    assert.deepEqual(
      commit.topics.map((t) => [t.topicId, t.partitions.map((p) => p.errorCode)]),
      [
        [topicId, [ErrorCode.NONE]],
        [unknownId, [ErrorCode.UNKNOWN_TOPIC_ID]],
      ],
    );
    const byId = await c.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 10, {
      groups: [
        {
          groupId: 'g44',
          memberId: null,
          memberEpoch: -1,
          topics: [
            { topicId, partitionIndexes: [0] },
            { topicId: unknownId, partitionIndexes: [0] },
          ],
        },
      ],
      requireStable: false,
    });
    const g = byId.groups[0]!;
    assert.equal(g.errorCode, ErrorCode.NONE);
    const known = g.topics.find((t) => t.topicId === topicId)!;
    assert.equal(known.partitions[0]!.committedOffset, 3n);
    assert.equal(known.partitions[0]!.metadata, 'm');
    assert.equal(g.topics.find((t) => t.topicId === unknownId)!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    // All topics: ids; and the same offset read by name at v9.
    const all = await c.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 10, {
      groups: [{ groupId: 'g44', memberId: null, memberEpoch: -1, topics: null }],
    });
    assert.deepEqual(
      all.groups[0]!.topics.map((t) => [t.topicId, t.partitions[0]!.committedOffset]),
      [[topicId, 3n]],
    );
    const v9 = await c.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 9, {
      groups: [{ groupId: 'g44', memberId: null, memberEpoch: -1, topics: [{ name: 't44', partitionIndexes: [0] }] }],
    });
    assert.equal(v9.groups[0]!.topics[0]!.name, 't44');
    assert.equal(v9.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 3n);
  });
});
