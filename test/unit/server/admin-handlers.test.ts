// The one-broker admin handlers driven directly with a stub context, for the branches a one-broker process cannot
// reach: a second log dir (AlterReplicaLogDirs refuses the move), several registered brokers (reassignment to
// another broker, a preferred replica that does not lead), DescribeTopicPartitions listing everything in pages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BrokerInfo, MetadataImage, type TopicInfo } from '../../../src/metadata/image.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type { RequestContext } from '../../../src/server/handler.ts';
import alterPartitionReassignments from '../../../src/server/handlers/alter-partition-reassignments.ts';
import alterReplicaLogDirs from '../../../src/server/handlers/alter-replica-log-dirs.ts';
import describeTopicPartitions from '../../../src/server/handlers/describe-topic-partitions.ts';
import electLeaders from '../../../src/server/handlers/elect-leaders.ts';
import type { BrokerServices } from '../../../src/server/services.ts';

function image(brokerIds: number[], topics: Array<{ name: string; leaders: number[]; replicas?: number[][] }>) {
  const brokers = new Map<number, BrokerInfo>(
    brokerIds.map((id) => [
      id,
      {
        nodeId: id,
        epoch: 1n,
        incarnationId: '',
        endpoints: [],
        rack: null,
        fenced: false,
        inControlledShutdown: false,
      },
    ]),
  );
  const byName = new Map<string, TopicInfo>();
  for (const t of topics) {
    byName.set(t.name, {
      name: t.name,
      id: `id-${t.name}`,
      configs: {},
      partitions: t.leaders.map((leader, partition) => ({
        partition,
        leader,
        leaderEpoch: 0,
        partitionEpoch: 0,
        replicas: t.replicas?.[partition] ?? [leader],
        isr: t.replicas?.[partition] ?? [leader],
      })),
    });
  }
  return new MetadataImage({
    clusterId: 'c',
    offset: 0,
    brokers,
    topics: byName,
    topicsById: new Map([...byName.values()].map((t) => [t.id, t])),
    brokerConfigs: new Map(),
    producerIds: { nextProducerId: 0n, lastBlock: null },
    features: new Map(),
  });
}

function ctx(img: MetadataImage, extra: Partial<BrokerServices> = {}, apiVersion = 0): RequestContext {
  const warnings: unknown[] = [];
  const broker = {
    nodeId: 1,
    metadata: () => img,
    controller: {},
    log: { warn: (...a: unknown[]) => warnings.push(a) },
    ...extra,
  } as unknown as BrokerServices;
  return { apiVersion, broker } as unknown as RequestContext;
}

const call = async (
  h: { handle: (c: RequestContext, r: never) => unknown },
  c: RequestContext,
  req: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: handler results are Encodable unions; tests read plain fields
): Promise<any> => await h.handle(c, req as never);

test('AlterReplicaLogDirs: a move to another configured log dir is refused and nothing moves', async () => {
  const img = image([1], [{ name: 't', leaders: [1, 1] }]);
  const parts = new Map([['t-0', { log: { dir: '/data/a/t-0' } }]]);
  const c = ctx(img, {
    config: { logDirs: ['/data/a', '/data/b/'], get: () => null } as unknown as BrokerServices['config'],
    replicas: { get: (t: string, p: number) => parts.get(`${t}-${p}`) } as unknown as BrokerServices['replicas'],
  });
  const res = await call(alterReplicaLogDirs, c, {
    dirs: [
      { path: '/data/b', topics: [{ name: 't', partitions: [0, 1] }] },
      { path: '/data/a/', topics: [{ name: 't', partitions: [0] }] },
    ],
  });
  assert.deepEqual(res.results, [
    {
      topicName: 't',
      partitions: [
        { partitionIndex: 0, errorCode: ErrorCode.UNSUPPORTED_VERSION },
        { partitionIndex: 1, errorCode: ErrorCode.REPLICA_NOT_AVAILABLE },
        { partitionIndex: 0, errorCode: ErrorCode.NONE },
      ],
    },
  ]);
});

test('AlterPartitionReassignments with several brokers: valid targets that move replicas are refused with a reason', async () => {
  const img = image([1, 2], [{ name: 't', leaders: [1] }]);
  const res = await call(alterPartitionReassignments, ctx(img), {
    timeoutMs: 1000,
    topics: [
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, replicas: [2] },
          { partitionIndex: 0, replicas: [1, 1] },
          { partitionIndex: 0, replicas: [1] },
        ],
      },
    ],
  });
  const [move, dup, same] = res.responses[0].partitions;
  assert.equal(move.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.match(move.errorMessage, /needs replication/);
  assert.equal(dup.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.match(dup.errorMessage, /more than once/);
  assert.equal(same.errorCode, ErrorCode.NONE);
});

test('ElectLeaders: a preferred replica that does not lead cannot be elected without replication', async () => {
  const img = image(
    [1, 2],
    [
      {
        name: 't',
        leaders: [2, 1],
        replicas: [
          [1, 2],
          [1, 2],
        ],
      },
    ],
  );
  const one = await call(electLeaders, ctx(img, {}, 2), {
    electionType: 0,
    topicPartitions: [{ topic: 't', partitions: [0, 1] }],
    timeoutMs: 1000,
  });
  assert.deepEqual(
    one.replicaElectionResults[0].partitionResult.map((r: { errorCode: number }) => r.errorCode),
    [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, ErrorCode.ELECTION_NOT_NEEDED],
  );
  const all = await call(electLeaders, ctx(img, {}, 2), { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
  assert.deepEqual(
    all.replicaElectionResults.map((t: { partitionResult: Array<{ partitionId: number }> }) =>
      t.partitionResult.map((p) => p.partitionId),
    ),
    [[0]],
    'all partitions: those needing no election are left out',
  );
  const bad = await call(electLeaders, ctx(img, {}, 2), { electionType: 7, topicPartitions: null, timeoutMs: 1000 });
  assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
});

test("ElectLeaders in a cluster: the controller's answers, grouped by topic in the request's order", async () => {
  const asked: unknown[] = [];
  const controller = {
    electLeaders: (type: string, partitions: unknown) => {
      asked.push([type, partitions]);
      return Promise.resolve([
        { topic: 'b', partition: 0, errorCode: ErrorCode.NONE, errorMessage: null },
        { topic: 'a', partition: 1, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'none' },
        { topic: 'a', partition: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'led' },
      ]);
    },
  } as unknown as BrokerServices['controller'];
  const res = await call(electLeaders, ctx(image([1], []), { controller }, 1), {
    electionType: 1,
    topicPartitions: [
      { topic: 'a', partitions: [1, 0] },
      { topic: 'b', partitions: [0] },
    ],
    timeoutMs: 1000,
  });
  assert.deepEqual(asked, [
    [
      'unclean',
      [
        { topic: 'a', partition: 1 },
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 0 },
      ],
    ],
  ]);
  assert.deepEqual(
    res.replicaElectionResults.map((t: { topic: string; partitionResult: Array<{ partitionId: number }> }) => [
      t.topic,
      t.partitionResult.map((p) => p.partitionId),
    ]),
    [
      ['a', [1, 0]],
      ['b', [0]],
    ],
  );
});

test('DescribeTopicPartitions of every topic: pages follow the cursor until every partition was listed once', async () => {
  const img = image(
    [1],
    [
      { name: 'b', leaders: [1, 1, 1] },
      { name: 'a', leaders: [1, 1] },
      { name: 'c', leaders: [1] },
    ],
  );
  const seen: string[] = [];
  let cursor: { topicName: string; partitionIndex: number } | null = null;
  for (let pages = 0; pages < 10; pages++) {
    const res = await call(describeTopicPartitions, ctx(img), { topics: [], responsePartitionLimit: 2, cursor });
    for (const t of res.topics) for (const p of t.partitions) seen.push(`${t.name}-${p.partitionIndex}`);
    cursor = res.nextCursor;
    if (cursor === null) break;
  }
  assert.deepEqual(seen, ['a-0', 'a-1', 'b-0', 'b-1', 'b-2', 'c-0']);
  const elsewhere = await call(describeTopicPartitions, ctx(img), {
    topics: [{ name: 'a' }],
    responsePartitionLimit: 10,
    cursor: { topicName: 'b', partitionIndex: 0 },
  });
  assert.deepEqual(
    elsewhere.topics.map((t: { name: string; errorCode: number }) => [t.name, t.errorCode]),
    [['a', ErrorCode.INVALID_REQUEST]],
    'the cursor topic must be one of those asked for',
  );
  // A full page stops before the next topic, even one that does not exist, as Kafka does.
  const full = await call(describeTopicPartitions, ctx(img), {
    topics: [{ name: 'a' }, { name: 'aa' }],
    responsePartitionLimit: 2,
    cursor: null,
  });
  assert.deepEqual(full.nextCursor, { topicName: 'aa', partitionIndex: 0 });
  const zero = await call(describeTopicPartitions, ctx(img), { topics: [], responsePartitionLimit: 0, cursor: null });
  assert.equal(
    zero.topics.reduce((n: number, t: { partitions: unknown[] }) => n + t.partitions.length, 0),
    1,
  );
});

test('DescribeTopicPartitions answers the eligible leader replicas and the last known leader (KIP-966)', async () => {
  const base = image([1, 2, 3], [{ name: 'e', leaders: [-1], replicas: [[1, 2, 3]] }]);
  const t = base.topics.get('e')!;
  const p = { ...t.partitions[0]!, isr: [], elr: [1, 2], lastKnownElr: [1] };
  const img = new MetadataImage({
    ...base,
    topics: new Map([['e', { ...t, partitions: [p] }]]),
    topicsById: new Map([[t.id, { ...t, partitions: [p] }]]),
  });
  const res = await call(describeTopicPartitions, ctx(img), {
    topics: [{ name: 'e' }],
    responsePartitionLimit: 10,
    cursor: null,
  });
  const out = res.topics[0].partitions[0];
  assert.deepEqual([out.leaderId, out.isrNodes, out.eligibleLeaderReplicas, out.lastKnownElr], [-1, [], [1, 2], [1]]);
});
