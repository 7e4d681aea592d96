// ACL checks of the admin and inter-broker APIs built after the security work, driven through their handlers with a
// stub context and the built-in authorizer: each denies with Kafka's error on Kafka's resource and operation, and
// lets the request through once the principal holds that ACL (DescribeQuorum, ListConfigResources,
// OffsetForLeaderEpoch, AlterReplicaLogDirs, DescribeLogDirs, ElectLeaders, partition reassignments,
// DescribeProducers, DescribeTransactions, ListTransactions, the share-state APIs, ConsumerGroupDescribe,
// DescribeCluster's authorized operations).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TxnState } from '../../../src/coordinator/transaction/state.ts';
import { MetadataImage, type TopicInfo } from '../../../src/metadata/image.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import {
  type Acl,
  AclOperation,
  AclPermission,
  CLUSTER_NAME,
  PatternType,
  ResourceType,
} from '../../../src/security/authorizer.ts';
import type { RequestContext } from '../../../src/server/handler.ts';
import alterPartitionReassignments from '../../../src/server/handlers/alter-partition-reassignments.ts';
import alterReplicaLogDirs from '../../../src/server/handlers/alter-replica-log-dirs.ts';
import consumerGroupDescribe from '../../../src/server/handlers/consumer-group-describe.ts';
import deleteShareGroupState from '../../../src/server/handlers/delete-share-group-state.ts';
import describeCluster from '../../../src/server/handlers/describe-cluster.ts';
import describeLogDirs from '../../../src/server/handlers/describe-log-dirs.ts';
import describeProducers from '../../../src/server/handlers/describe-producers.ts';
import describeQuorum from '../../../src/server/handlers/describe-quorum.ts';
import describeTransactions from '../../../src/server/handlers/describe-transactions.ts';
import electLeaders from '../../../src/server/handlers/elect-leaders.ts';
import initializeShareGroupState from '../../../src/server/handlers/initialize-share-group-state.ts';
import listConfigResources from '../../../src/server/handlers/list-config-resources.ts';
import listPartitionReassignments from '../../../src/server/handlers/list-partition-reassignments.ts';
import listTransactions from '../../../src/server/handlers/list-transactions.ts';
import metadata from '../../../src/server/handlers/metadata.ts';
import offsetForLeaderEpoch from '../../../src/server/handlers/offset-for-leader-epoch.ts';
import readShareGroupState from '../../../src/server/handlers/read-share-group-state.ts';
import readShareGroupStateSummary from '../../../src/server/handlers/read-share-group-state-summary.ts';
import writeShareGroupState from '../../../src/server/handlers/write-share-group-state.ts';

const BOB = 'User:bob';
const allow = (resourceType: number, resourceName: string, operation: number): Acl => ({
  resourceType,
  resourceName,
  patternType: PatternType.LITERAL,
  principal: BOB,
  host: '*',
  operation,
  permissionType: AclPermission.ALLOW,
});

const topic = (name: string): TopicInfo => ({
  name,
  id: `id-${name}`,
  configs: {},
  partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1] }],
});

function ctx(acls: Acl[], extra: Record<string, unknown> = {}, apiVersion = 0, authorizer = true): RequestContext {
  const topics = new Map([topic('a'), topic('b')].map((t) => [t.name, t]));
  const img = new MetadataImage({
    clusterId: 'c',
    offset: 0,
    brokers: new Map(),
    topics,
    topicsById: new Map([...topics.values()].map((t) => [t.id, t])),
    brokerConfigs: new Map(),
    producerIds: { nextProducerId: 0n, lastBlock: null },
    features: new Map(),
    acls: new Map(acls.map((a, i) => [`acl-${i}`, a])),
  });
  const settings: Record<string, unknown> = {
    'authorizer.class.name': authorizer ? 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' : '',
    'super.users': [],
    'allow.everyone.if.no.acl.found': false,
  };
  const broker = {
    nodeId: 1,
    metadata: () => img,
    config: { get: (k: string) => settings[k] ?? null, logDirs: ['/data/a'] },
    controller: { controllerId: () => 1 },
    replicas: { get: () => undefined, all: () => [] },
    log: { warn: () => undefined },
    clock: () => 0,
    ...extra,
  };
  return {
    apiVersion,
    broker,
    connection: { principal: BOB, remoteAddress: '127.0.0.1:40000' },
  } as unknown as RequestContext;
}

const call = async (
  h: { handle: (c: RequestContext, r: never) => unknown },
  c: RequestContext,
  req: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: handler results are Encodable unions; tests read plain fields
): Promise<any> => await h.handle(c, req as never);

const cluster = (op: number) => allow(ResourceType.CLUSTER, CLUSTER_NAME, op);

describe('ACLs on the newer APIs', () => {
  it('DescribeQuorum needs DESCRIBE on the cluster', async () => {
    const denied = await call(describeQuorum, ctx([]), { topics: [] });
    assert.equal(denied.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const allowed = await call(describeQuorum, ctx([cluster(AclOperation.DESCRIBE)]), { topics: [] });
    assert.equal(allowed.errorCode, ErrorCode.UNSUPPORTED_VERSION); // past the check: there is no quorum here
  });

  it('ListConfigResources needs DESCRIBE_CONFIGS on the cluster (ALTER_CONFIGS implies it)', async () => {
    const req = { resourceTypes: [2] };
    assert.equal(
      (await call(listConfigResources, ctx([], {}, 1), req)).errorCode,
      ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    );
    assert.equal(
      (await call(listConfigResources, ctx([cluster(AclOperation.DESCRIBE)], {}, 1), req)).errorCode,
      ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    );
    const ok = await call(listConfigResources, ctx([cluster(AclOperation.ALTER_CONFIGS)], {}, 1), req);
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      ok.configResources.map((r: { resourceName: string }) => r.resourceName),
      ['a', 'b'],
    );
  });

  it('OffsetForLeaderEpoch: CLUSTER_ACTION, else DESCRIBE per topic', async () => {
    const req = {
      replicaId: -1,
      topics: ['a', 'b'].map((t) => ({
        topic: t,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }],
      })),
    };
    const codes = async (acls: Acl[]) =>
      (await call(offsetForLeaderEpoch, ctx(acls), req)).topics.map(
        (t: { partitions: { errorCode: number }[] }) => t.partitions[0]!.errorCode,
      );
    // Not hosted here: past the check the answer is NOT_LEADER_OR_FOLLOWER.
    assert.deepEqual(await codes([allow(ResourceType.TOPIC, 'a', AclOperation.READ)]), [
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    ]);
    assert.deepEqual(await codes([cluster(AclOperation.CLUSTER_ACTION)]), [
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
      ErrorCode.NOT_LEADER_OR_FOLLOWER,
    ]);
  });

  it('AlterReplicaLogDirs needs ALTER, DescribeLogDirs DESCRIBE on the cluster', async () => {
    const req = { dirs: [{ path: '/data/a', topics: [{ name: 'a', partitions: [0] }] }] };
    const denied = await call(alterReplicaLogDirs, ctx([]), req);
    assert.equal(denied.results[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const allowed = await call(alterReplicaLogDirs, ctx([cluster(AclOperation.ALTER)]), req);
    assert.equal(allowed.results[0].partitions[0].errorCode, ErrorCode.REPLICA_NOT_AVAILABLE);

    // (ALTER implies DESCRIBE; CLUSTER_ACTION does not.)
    const logDirs = await call(describeLogDirs, ctx([cluster(AclOperation.CLUSTER_ACTION)]), { topics: null });
    assert.equal(logDirs.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(logDirs.results, []);
    const ok = await call(describeLogDirs, ctx([cluster(AclOperation.DESCRIBE)]), { topics: null });
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.equal(ok.results.length, 1);
  });

  it('ElectLeaders and AlterPartitionReassignments need ALTER, ListPartitionReassignments DESCRIBE', async () => {
    const elect = await call(electLeaders, ctx([], {}, 1), {
      electionType: 0,
      topicPartitions: [{ topic: 'a', partitions: [0] }],
      timeoutMs: 1000,
    });
    assert.equal(elect.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.equal(elect.replicaElectionResults[0].partitionResult[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const elected = await call(electLeaders, ctx([cluster(AclOperation.ALTER)], {}, 1), {
      electionType: 0,
      topicPartitions: [{ topic: 'a', partitions: [0] }],
      timeoutMs: 1000,
    });
    assert.equal(elected.errorCode, ErrorCode.NONE);

    const reassign = { timeoutMs: 1000, topics: [{ name: 'a', partitions: [{ partitionIndex: 0, replicas: null }] }] };
    const denied = await call(alterPartitionReassignments, ctx([cluster(AclOperation.DESCRIBE)]), reassign);
    assert.equal(denied.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.equal(denied.responses[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const allowed = await call(alterPartitionReassignments, ctx([cluster(AclOperation.ALTER)]), reassign);
    assert.equal(allowed.responses[0].partitions[0].errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);

    const list = { timeoutMs: 1000, topics: null };
    assert.equal(
      (await call(listPartitionReassignments, ctx([]), list)).errorCode,
      ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    );
    assert.equal(
      (await call(listPartitionReassignments, ctx([cluster(AclOperation.ALTER)]), list)).errorCode,
      ErrorCode.NONE,
    );
  });

  it('DescribeProducers needs READ on the topic', async () => {
    const req = {
      topics: [
        { name: 'a', partitionIndexes: [0] },
        { name: 'b', partitionIndexes: [0] },
      ],
    };
    const res = await call(describeProducers, ctx([allow(ResourceType.TOPIC, 'a', AclOperation.READ)]), req);
    assert.deepEqual(
      res.topics.map((t: { partitions: { errorCode: number }[] }) => t.partitions[0]!.errorCode),
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    );
  });

  it('DescribeTransactions / ListTransactions: DESCRIBE on the transactional id; topics one may not describe are hidden', async () => {
    const meta = (transactionalId: string) => ({
      transactionalId,
      state: TxnState.Ongoing,
      txnTimeoutMs: 60000,
      txnStartTimestamp: 0,
      producerId: 7,
      producerEpoch: 0,
      partitions: [
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 0 },
      ],
    });
    const transactions = { describe: (id: string) => meta(id), list: () => [meta('t1'), meta('t2')] };
    const acls = [
      allow(ResourceType.TRANSACTIONAL_ID, 't1', AclOperation.WRITE), // WRITE implies DESCRIBE
      allow(ResourceType.TOPIC, 'a', AclOperation.DESCRIBE),
    ];
    const d = await call(describeTransactions, ctx(acls, { transactions }), { transactionalIds: ['t1', 't2'] });
    assert.equal(d.transactionStates[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(d.transactionStates[0].topics, [{ topic: 'a', partitions: [0] }]);
    assert.equal(d.transactionStates[1].errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const l = await call(listTransactions, ctx(acls, { transactions }), {
      stateFilters: [],
      producerIdFilters: [],
      durationFilter: -1n,
      transactionalIdPattern: null,
    });
    assert.deepEqual(
      l.transactionStates.map((s: { transactionalId: string }) => s.transactionalId),
      ['t1'],
    );
  });

  it('the share-state APIs need CLUSTER_ACTION on the cluster', async () => {
    const calls: string[] = [];
    const shares = {
      initialize: () => {
        calls.push('initialize');
        return ErrorCode.NONE;
      },
      read: () => {
        calls.push('read');
        return undefined;
      },
      write: () => {
        calls.push('write');
        return ErrorCode.NONE;
      },
      deleteState: () => calls.push('delete'),
    };
    const topics = (p: object) => [{ topicId: 'id-a', partitions: [{ partition: 0, ...p }] }];
    const reqs: Array<[{ handle: (c: RequestContext, r: never) => unknown }, object]> = [
      [initializeShareGroupState, { groupId: 'g', topics: topics({ stateEpoch: 1, startOffset: 0n }) }],
      [readShareGroupState, { groupId: 'g', topics: topics({ leaderEpoch: 0 }) }],
      [readShareGroupStateSummary, { groupId: 'g', topics: topics({ leaderEpoch: 0 }) }],
      [
        writeShareGroupState,
        { groupId: 'g', topics: topics({ stateEpoch: 1, leaderEpoch: 0, startOffset: 0n, stateBatches: [] }) },
      ],
      [deleteShareGroupState, { groupId: 'g', topics: topics({}) }],
    ];
    for (const [h, req] of reqs) {
      const denied = await call(h, ctx([allow(ResourceType.GROUP, 'g', AclOperation.ALL)], { shares }), req);
      assert.equal(denied.results[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    assert.deepEqual(calls, []);
    for (const [h, req] of reqs) {
      const res = await call(h, ctx([cluster(AclOperation.CLUSTER_ACTION)], { shares }), req);
      assert.notEqual(res.results[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    assert.equal(calls.length, 5);
  });

  it('ConsumerGroupDescribe: DESCRIBE on the group and on every assigned topic; authorized operations', async () => {
    const group = {
      groupEpoch: 1,
      assignmentEpoch: 1,
      members: new Map([
        [
          'm1',
          {
            memberId: 'm1',
            instanceId: null,
            rackId: null,
            memberEpoch: 1,
            clientId: 'c',
            clientHost: '/127.0.0.1',
            subscribedTopicNames: ['a', 'b'],
            subscribedTopicRegex: null,
            assigned: new Map([['id-a', new Set([0])]]),
          },
        ],
      ]),
      target: new Map([['m1', new Map([['id-b', new Set([0])]])]]),
    };
    const groups = { consumerGroup: () => ({ group, state: 'Stable', assignor: 'uniform' }) };
    const req = { groupIds: ['g'], includeAuthorizedOperations: true };
    const describeGroup = allow(ResourceType.GROUP, 'g', AclOperation.DESCRIBE);
    const topicA = allow(ResourceType.TOPIC, 'a', AclOperation.DESCRIBE);
    const topicB = allow(ResourceType.TOPIC, 'b', AclOperation.DESCRIBE);
    const code = async (acls: Acl[]) => (await call(consumerGroupDescribe, ctx(acls, { groups }), req)).groups[0];
    assert.equal((await code([topicA, topicB])).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const partial = await code([describeGroup, topicA]);
    assert.equal(partial.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.deepEqual(partial.members, []);
    const ok = await code([describeGroup, topicA, topicB, allow(ResourceType.GROUP, 'g', AclOperation.READ)]);
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.equal(ok.authorizedOperations, (1 << AclOperation.READ) | (1 << AclOperation.DESCRIBE));
  });

  it('DescribeCluster: no ACL needed; the cluster operations when asked (0 without DESCRIBE, all without an authorizer)', async () => {
    const req = { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: false };
    assert.equal((await call(describeCluster, ctx([]), req)).clusterAuthorizedOperations, 0);
    const some = await call(describeCluster, ctx([cluster(AclOperation.DESCRIBE), cluster(AclOperation.ALTER)]), req);
    assert.equal(some.errorCode, ErrorCode.NONE);
    assert.equal(some.clusterAuthorizedOperations, (1 << AclOperation.DESCRIBE) | (1 << AclOperation.ALTER));
    const open = await call(describeCluster, ctx([], {}, 0, false), req);
    const clusterOps = [
      AclOperation.CREATE,
      AclOperation.CLUSTER_ACTION,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
      AclOperation.IDEMPOTENT_WRITE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE,
    ];
    assert.equal(
      open.clusterAuthorizedOperations,
      clusterOps.reduce((b, op) => b | (1 << op), 0),
    );
    assert.equal(
      (await call(describeCluster, ctx([]), { ...req, includeClusterAuthorizedOperations: false }))
        .clusterAuthorizedOperations,
      -2147483648,
    );
  });

  it('Metadata v8+: topic and cluster authorized operations when asked', async () => {
    const acls = [
      allow(ResourceType.TOPIC, 'a', AclOperation.READ),
      allow(ResourceType.TOPIC, 'b', AclOperation.ALTER_CONFIGS),
      cluster(AclOperation.DESCRIBE),
    ];
    const c = ctx(acls, {}, 10);
    (c.broker.config as unknown as { autoCreateTopicsEnable: boolean }).autoCreateTopicsEnable = false;
    const req = {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: true,
      includeTopicAuthorizedOperations: true,
    };
    const res = await call(metadata, c, req);
    const ops = Object.fromEntries(
      res.topics.map((t: { name: string; topicAuthorizedOperations: number }) => [t.name, t.topicAuthorizedOperations]),
    );
    // READ implies DESCRIBE; b's ALTER_CONFIGS implies DESCRIBE_CONFIGS but not DESCRIBE, so b is not listed.
    assert.deepEqual(ops, { a: (1 << AclOperation.READ) | (1 << AclOperation.DESCRIBE) });
    assert.equal(res.clusterAuthorizedOperations, 1 << AclOperation.DESCRIBE);
    const plain = await call(metadata, c, {
      ...req,
      includeTopicAuthorizedOperations: false,
      includeClusterAuthorizedOperations: false,
    });
    assert.equal(plain.topics[0].topicAuthorizedOperations, -2147483648);
    assert.equal(plain.clusterAuthorizedOperations, -2147483648);
  });
});
