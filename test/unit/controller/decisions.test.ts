// The controller's pure decisions (image + event → records) and Kafka's replica placement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignReplicas, rackAlternated } from '../../../src/controller/assignment.ts';
import { type ControllerEvent, decide } from '../../../src/controller/decisions.ts';
import { completeReassignment } from '../../../src/controller/reassignment.ts';
import { imageRecords } from '../../../src/controller/store-log.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { type MetadataRecord, record } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const settings = { defaultPartitions: 1, defaultReplicationFactor: 3, uncleanLeaderElection: false };
const ELR_FEATURE = 'eligible.leader.replicas.version';
const id = (n: number) => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(n, 12);
  return b.toString('base64url');
};

class Cluster {
  image = MetadataImage.empty('c');
  readonly elr: boolean;
  /** `elr`: keep eligible.leader.replicas.version at the new cluster's 1 (default: set it to 0, as before ELR). */
  constructor(opts: { elr?: boolean } = {}) {
    this.elr = opts.elr ?? false;
  }
  run(e: ControllerEvent, s = settings) {
    const d = decide(this.image, e, s);
    for (const r of d.records) this.image = this.image.apply(r, this.image.offset + 1);
    return d;
  }
  register(brokerId: number, epoch: bigint, rack: string | null = null, more: Partial<ControllerEvent> = {}) {
    const d = this.run({
      type: 'brokerRegistered',
      brokerId,
      epoch,
      incarnationId: id(brokerId),
      endpoints: [],
      rack,
      ...more,
    } as ControllerEvent);
    if (!this.elr && this.image.features.has(ELR_FEATURE))
      this.image = this.image.apply(
        record('FeatureLevelRecord', { name: ELR_FEATURE, featureLevel: 0 }),
        this.image.offset + 1,
      );
    return d;
  }
  topic(name: string, assignments: number[][], configs: Record<string, string> = {}) {
    return this.run({
      type: 'createTopics',
      topics: [
        {
          name,
          topicId: id(100 + this.image.topics.size),
          numPartitions: -1,
          replicationFactor: -1,
          assignments,
          configs,
        },
      ],
      startIndex: 0,
      replicaShift: 0,
    });
  }
  p(topic: string, i = 0) {
    const p = this.image.partition(topic, i)!;
    return { leader: p.leader, isr: p.isr, epoch: p.leaderEpoch };
  }
}

const types = (rs: MetadataRecord[]) => rs.map((r) => r.type);

test("replica placement matches Kafka's AdminUtils (rack-unaware and rack-aware)", () => {
  const five = [0, 1, 2, 3, 4].map((id) => ({ id, rack: null }));
  assert.deepEqual(assignReplicas(five, 10, 3, { startIndex: 0, replicaShift: 0 }), [
    [0, 1, 2],
    [1, 2, 3],
    [2, 3, 4],
    [3, 4, 0],
    [4, 0, 1],
    [0, 2, 3],
    [1, 3, 4],
    [2, 4, 0],
    [3, 0, 1],
    [4, 1, 2],
  ]);
  const racks = ['rack1', 'rack3', 'rack3', 'rack2', 'rack2', 'rack1'].map((rack, id) => ({ id, rack }));
  assert.deepEqual(
    rackAlternated(racks).map((b) => b.id),
    [0, 3, 1, 5, 4, 2],
  );
  assert.deepEqual(assignReplicas(racks, 7, 3, { startIndex: 0, replicaShift: 0 }), [
    [0, 3, 1],
    [3, 1, 5],
    [1, 5, 4],
    [5, 4, 2],
    [4, 2, 0],
    [2, 0, 3],
    [0, 4, 2],
  ]);
  assert.throws(
    () =>
      assignReplicas(
        [
          { id: 0, rack: 'a' },
          { id: 1, rack: null },
        ],
        1,
        1,
        { startIndex: 0, replicaShift: 0 },
      ),
    /rack/,
  );
  assert.throws(() => assignReplicas(five, 1, 6, { startIndex: 0, replicaShift: 0 }), /larger than available/);
});

test('registration: registered fenced then unfenced; the same registration again is a no-op', () => {
  const c = new Cluster({ elr: true });
  // The first registration of a new cluster also finalizes the bootstrap feature levels (as Kafka 4.4).
  assert.deepEqual(types(c.register(1, 10n).records), [
    'FeatureLevelRecord',
    'FeatureLevelRecord',
    'FeatureLevelRecord',
    'FeatureLevelRecord',
    'RegisterBrokerRecord',
    'UnfenceBrokerRecord',
  ]);
  assert.equal(c.image.features.get('transaction.version'), 2);
  assert.equal(c.image.features.get('group.version'), 1);
  assert.equal(c.image.features.get('share.version'), 1);
  assert.equal(c.image.features.get(ELR_FEATURE), 1, 'ELR on in a new cluster, as Kafka 4.1+');
  assert.deepEqual(types(c.register(2, 20n).records), ['RegisterBrokerRecord', 'UnfenceBrokerRecord']);
  assert.equal(c.image.brokers.get(1)?.fenced, false);
  assert.deepEqual(c.register(1, 10n).records, []);
  assert.deepEqual(c.register(1, 9n).records, [], 'a stale registration event');
});

test('a broker gone: fenced, leaderships move to the next ISR member, leader -1 with the ISR kept when none', () => {
  const c = new Cluster();
  for (const b of [1, 2, 3]) c.register(b, BigInt(b * 10));
  c.topic('a', [[1, 2, 3]]);
  c.topic('solo', [[1]]);
  c.topic('follower', [[2, 1]]);
  const d = c.run({ type: 'brokerGone', brokerId: 1, epoch: 10n });
  assert.equal(d.records[0]!.type, 'FenceBrokerRecord');
  assert.deepEqual(c.p('a'), { leader: 2, isr: [2, 3], epoch: 1 });
  assert.deepEqual(c.p('solo'), { leader: -1, isr: [1], epoch: 1 });
  assert.deepEqual(c.p('follower'), { leader: 2, isr: [2], epoch: 0 });
  assert.deepEqual(c.run({ type: 'brokerGone', brokerId: 1, epoch: 10n }).records, [], 'already fenced');
  // It comes back with a new registration: leader of what only it had.
  c.register(1, 40n);
  assert.deepEqual(c.p('solo'), { leader: 1, isr: [1], epoch: 2 });
  assert.deepEqual(c.p('a'), { leader: 2, isr: [2, 3], epoch: 1 }, 'back outside the ISR (replication re-adds it)');
});

test('a bounced broker (new registration while the old one stands) is fenced first, then registered', () => {
  const c = new Cluster();
  for (const b of [1, 2]) c.register(b, BigInt(b * 10));
  c.topic('a', [[1, 2]]);
  const d = c.register(1, 50n);
  assert.deepEqual(types(d.records), [
    'FenceBrokerRecord',
    'PartitionChangeRecord',
    'RegisterBrokerRecord',
    'UnfenceBrokerRecord',
  ]);
  assert.deepEqual(c.p('a'), { leader: 2, isr: [2], epoch: 1 });
  assert.equal(c.image.brokers.get(1)?.epoch, 50n);
});

test('unclean election: only when enabled (cluster or topic), the replica leads an ISR of itself', () => {
  const c = new Cluster();
  for (const b of [1, 2]) c.register(b, BigInt(b * 10));
  c.topic('clean', [[1, 2]]);
  c.topic('dirty', [[1, 2]], { 'unclean.leader.election.enable': 'true' });
  c.run({ type: 'brokerGone', brokerId: 2, epoch: 20n }); // ISRs shrink to [1]
  c.register(2, 30n);
  c.run({ type: 'brokerGone', brokerId: 1, epoch: 10n });
  assert.deepEqual(c.p('clean'), { leader: -1, isr: [1], epoch: 1 });
  assert.deepEqual(c.p('dirty'), { leader: 2, isr: [2], epoch: 1 });
});

test('controlled shutdown moves leaderships first and reports what it could not move', () => {
  const c = new Cluster();
  for (const b of [1, 2, 3]) c.register(b, BigInt(b * 10));
  c.topic('a', [[1, 2, 3]]);
  c.topic('solo', [[1]]);
  const d = c.run({ type: 'controlledShutdown', brokerId: 1, epoch: 10n });
  assert.equal(d.remainingLeaders, 1);
  assert.deepEqual(c.p('a'), { leader: 2, isr: [2, 3], epoch: 1 });
  assert.deepEqual(c.p('solo'), { leader: 1, isr: [1], epoch: 0 });
  assert.equal(c.image.brokers.get(1)?.inControlledShutdown, true);
  // New topics avoid it.
  c.run({
    type: 'createTopics',
    topics: [{ name: 'new', topicId: id(999), numPartitions: 4, replicationFactor: 2, assignments: null, configs: {} }],
    startIndex: 0,
    replicaShift: 0,
  });
  for (const p of c.image.topics.get('new')!.partitions) assert.ok(!p.replicas.includes(1));
});

test('create topics and partitions: validation errors as Kafka answers them', () => {
  const c = new Cluster();
  for (const b of [1, 2]) c.register(b, BigInt(b * 10));
  const r = c.run({
    type: 'createTopics',
    topics: [
      {
        name: 'ok',
        topicId: id(1),
        numPartitions: 2,
        replicationFactor: 2,
        assignments: null,
        configs: { 'retention.ms': '5' },
      },
      { name: 'toomany', topicId: id(2), numPartitions: 1, replicationFactor: 3, assignments: null, configs: {} },
      { name: 'bad name', topicId: id(3), numPartitions: 1, replicationFactor: 1, assignments: null, configs: {} },
      { name: 'unknown', topicId: id(4), numPartitions: -1, replicationFactor: -1, assignments: [[7]], configs: {} },
    ],
    startIndex: 0,
    replicaShift: 0,
  });
  assert.deepEqual(
    r.results!.map((x) => x.errorCode),
    [
      ErrorCode.NONE,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    ],
  );
  assert.equal(c.image.topics.get('ok')?.configs['retention.ms'], '5');
  assert.equal(c.topic('ok', [[1]]).results![0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  const grow = (count: number, assignments: number[][] | null = null) =>
    c.run({ type: 'createPartitions', topic: 'ok', count, assignments, startIndex: 0, replicaShift: 0 }).results![0]!;
  assert.equal(grow(2).errorCode, ErrorCode.INVALID_PARTITIONS);
  assert.equal(grow(3, [[1]]).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(grow(4).errorCode, ErrorCode.NONE);
  assert.equal(c.image.topics.get('ok')?.partitions.length, 4);
  assert.equal(grow(5, [[2, 1]]).errorCode, ErrorCode.NONE);
  assert.deepEqual(c.image.partition('ok', 4)?.replicas, [2, 1]);
});

test('preferred leader election and producer id blocks', () => {
  const c = new Cluster();
  for (const b of [1, 2]) c.register(b, BigInt(b * 10));
  c.topic('a', [[1, 2]]);
  c.run({ type: 'brokerGone', brokerId: 1, epoch: 10n });
  c.register(1, 30n);
  const notInIsr = c.run({
    type: 'electLeaders',
    electionType: 'preferred',
    partitions: [{ topic: 'a', partition: 0 }],
  });
  assert.equal(notInIsr.elections![0]!.errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  assert.deepEqual(notInIsr.records, []);
  // Replication (next issue) puts it back in the ISR; here a PartitionChangeRecord stands in for that.
  const t = c.image.topics.get('a')!;
  c.image = c.image.apply(
    {
      type: 'PartitionChangeRecord',
      version: 0,
      data: { ...structuredClone(blankChange), topicId: t.id, partitionId: 0, isr: [2, 1] },
    },
    c.image.offset + 1,
  );
  const d = c.run({ type: 'electLeaders', electionType: 'preferred', partitions: null });
  assert.deepEqual(d.elections, [{ topic: 'a', partition: 0, errorCode: ErrorCode.NONE, errorMessage: null }]);
  assert.deepEqual(c.p('a'), { leader: 1, isr: [2, 1], epoch: 2 });
  // Asked again: nothing to do; for every partition (null) such partitions are left out of the answer.
  const again = c.run({ type: 'electLeaders', electionType: 'preferred', partitions: [{ topic: 'a', partition: 0 }] });
  assert.equal(again.elections![0]!.errorCode, ErrorCode.ELECTION_NOT_NEEDED);
  assert.deepEqual(c.run({ type: 'electLeaders', electionType: 'preferred', partitions: null }).elections, []);
  const a = c.run({ type: 'allocateProducerIds', brokerId: 1, brokerEpoch: 30n, blockSize: 1000 });
  const b = c.run({ type: 'allocateProducerIds', brokerId: 2, brokerEpoch: 20n, blockSize: 1000 });
  assert.deepEqual(
    [a.producerIds, b.producerIds],
    [
      { firstProducerId: 0n, size: 1000 },
      { firstProducerId: 1000n, size: 1000 },
    ],
  );
  assert.equal(
    c.run({ type: 'allocateProducerIds', brokerId: 1, brokerEpoch: 10n, blockSize: 1 }).errorCode,
    ErrorCode.STALE_BROKER_EPOCH,
  );
});

const blankChange = {
  partitionId: 0,
  topicId: '',
  isr: null,
  leader: -2,
  replicas: null,
  removingReplicas: null,
  addingReplicas: null,
  leaderRecoveryState: -1,
  directories: null,
  eligibleLeaderReplicas: null,
  lastKnownElr: null,
};

/** Puts `isr` in place of the partition's ISR, as the leader's AlterPartition would once followers catch up. */
function setIsr(c: Cluster, topic: string, partition: number, isr: number[]) {
  c.image = c.image.apply(
    {
      type: 'PartitionChangeRecord',
      version: 0,
      data: { ...structuredClone(blankChange), topicId: c.image.topics.get(topic)!.id, partitionId: partition, isr },
    },
    c.image.offset + 1,
  );
}

test('unclean election: an ISR member first, else any live replica; none live is ELIGIBLE_LEADERS_NOT_AVAILABLE', () => {
  const c = new Cluster();
  for (const b of [1, 2, 3]) c.register(b, BigInt(b * 10));
  c.topic('u', [[1, 2, 3]]);
  c.topic('v', [[3, 2]]);
  c.run({ type: 'brokerGone', brokerId: 1, epoch: 10n });
  c.run({ type: 'brokerGone', brokerId: 2, epoch: 20n });
  c.run({ type: 'brokerGone', brokerId: 3, epoch: 30n });
  // Every broker gone: the ISR keeps its last member (3 for u and v), no leader.
  assert.deepEqual(c.p('u'), { leader: -1, isr: [3], epoch: 3 });
  c.register(1, 40n); // back without the data the ISR had: automatic elections leave u leaderless
  assert.equal(c.p('u').leader, -1);
  const at = (topic: string) => [{ topic, partition: 0 }];
  const none = c.run({ type: 'electLeaders', electionType: 'unclean', partitions: at('v') });
  assert.equal(none.elections![0]!.errorCode, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
  const pref = c.run({ type: 'electLeaders', electionType: 'preferred', partitions: at('u') });
  assert.equal(pref.elections![0]!.errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  const u = c.run({ type: 'electLeaders', electionType: 'unclean', partitions: at('u') });
  assert.equal(u.elections![0]!.errorCode, ErrorCode.NONE);
  assert.deepEqual(c.p('u'), { leader: 1, isr: [1], epoch: 4 });
  const led = c.run({ type: 'electLeaders', electionType: 'unclean', partitions: at('u') });
  assert.equal(led.elections![0]!.errorCode, ErrorCode.ELECTION_NOT_NEEDED);
  // An unknown topic or partition is named in the answer.
  const unknown = c.run({
    type: 'electLeaders',
    electionType: 'unclean',
    partitions: [
      { topic: 'nope', partition: 0 },
      { topic: 'u', partition: 7 },
    ],
  }).elections!;
  assert.deepEqual(
    unknown.map((e) => [e.errorCode, e.errorMessage]),
    [
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'No such topic as nope'],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'No such partition as u-7'],
    ],
  );
  // Unclean with a live ISR member elects it (clean).
  c.register(3, 50n);
  c.register(2, 60n);
  c.run({ type: 'brokerGone', brokerId: 3, epoch: 50n });
  assert.equal(c.p('v').leader, -1);
  setIsr(c, 'v', 0, [2, 3]);
  c.run({ type: 'electLeaders', electionType: 'unclean', partitions: at('v') });
  assert.deepEqual(c.p('v').leader, 2);
  assert.deepEqual(c.p('v').isr, [2, 3]);
});

test('auto leader rebalance: only brokers above leader.imbalance.per.broker.percentage get leadership back', () => {
  const c = new Cluster();
  for (const b of [1, 2, 3]) c.register(b, BigInt(b * 10));
  // Broker 1 is preferred for 10 partitions, broker 2 for 1.
  c.topic('r', [...Array.from({ length: 10 }, () => [1, 2, 3]), [2, 1, 3]]);
  c.run({ type: 'controlledShutdown', brokerId: 1, epoch: 10n });
  c.run({ type: 'brokerGone', brokerId: 1, epoch: 10n });
  c.register(1, 40n);
  const leaders = () => c.image.topics.get('r')!.partitions.map((p) => p.leader);
  assert.ok(leaders().every((l) => l !== 1));
  // Not back in the ISR yet: nothing can move.
  assert.deepEqual(c.run({ type: 'rebalanceLeaders', imbalancePercentage: 10 }).records, []);
  // Back in the ISR of 9 of its 10 partitions.
  for (let i = 0; i < 9; i++) setIsr(c, 'r', i, [2, 3, 1]);
  const d = c.run({ type: 'rebalanceLeaders', imbalancePercentage: 10 });
  assert.equal(d.elections!.length, 9);
  assert.deepEqual(leaders().slice(0, 10), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  // 1 of 10 (10%) not led by its preferred replica is within 10%: left alone, and so is broker 2 (leads its one).
  assert.deepEqual(c.run({ type: 'rebalanceLeaders', imbalancePercentage: 10 }).records, []);
  setIsr(c, 'r', 9, [2, 3, 1]);
  assert.deepEqual(c.run({ type: 'rebalanceLeaders', imbalancePercentage: 10 }).records, []);
  assert.equal(c.run({ type: 'rebalanceLeaders', imbalancePercentage: 5 }).elections!.length, 1);
  assert.deepEqual(leaders(), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  // A partition being reassigned is left alone: its first replica is the target's.
  c.register(4, 70n);
  c.run({ type: 'alterReassignments', partitions: [{ topic: 'r', partition: 10, replicas: [3, 2, 4] }] });
  assert.deepEqual(c.image.partition('r', 10)?.replicas, [3, 2, 4, 1]);
  assert.deepEqual(c.run({ type: 'rebalanceLeaders', imbalancePercentage: 0 }).records, []);
});

test('reassignment: adding = target − original, removing once the target is in the ISR; cancel reverts', () => {
  const c = new Cluster();
  for (const b of [1, 2, 3, 4, 5]) c.register(b, BigInt(b * 10));
  c.topic('m', [[1, 2, 3]]);
  const alter = (replicas: number[] | null, topic = 'm', partition = 0) =>
    c.run({ type: 'alterReassignments', partitions: [{ topic, partition, replicas }] }).reassignments![0]!;
  const state = () => {
    const p = c.image.partition('m', 0)!;
    return {
      replicas: p.replicas,
      isr: p.isr,
      leader: p.leader,
      adding: p.addingReplicas ?? [],
      removing: p.removingReplicas ?? [],
    };
  };
  assert.equal(alter(null).errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  assert.equal(alter([1, 9]).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(alter([1, 1]).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(alter([]).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.equal(alter([1], 'm', 3).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(alter([1], 'nope').errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  assert.equal(alter([2, 3, 4]).errorCode, ErrorCode.NONE);
  assert.deepEqual(state(), { replicas: [2, 3, 4, 1], isr: [1, 2, 3], leader: 1, adding: [4], removing: [1] });
  // Broker 4 cannot be in the ISR before it caught up: the reassignment stays ongoing. Once it is, it completes,
  // and leadership leaves the removed replica 1.
  assert.equal(
    completeReassignment(state(), () => true),
    null,
  );
  assert.deepEqual(
    completeReassignment({ ...state(), isr: [1, 2, 3, 4] }, () => true),
    {
      replicas: [2, 3, 4],
      isr: [2, 3, 4],
      leader: 2,
      adding: [],
      removing: [],
    },
  );
  // Replaced by another target: relative to the original replicas [1, 2, 3].
  assert.equal(alter([1, 2, 5]).errorCode, ErrorCode.NONE);
  assert.deepEqual(state(), { replicas: [1, 2, 5, 3], isr: [1, 2, 3], leader: 1, adding: [5], removing: [3] });
  // Cancelled: back to the original replicas, nothing adding or removing.
  assert.equal(alter(null).errorCode, ErrorCode.NONE);
  assert.deepEqual(state(), { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, adding: [], removing: [] });
  // Only removing, with the rest in the ISR: completes at once; leadership moves if its broker goes.
  assert.equal(alter([3, 2]).errorCode, ErrorCode.NONE);
  assert.deepEqual(state(), { replicas: [3, 2], isr: [2, 3], leader: 3, adding: [], removing: [] });
  // A snapshot of the image keeps an ongoing reassignment (PartitionRecord's adding/removing replicas).
  alter([3, 2, 4]);
  let copy = MetadataImage.empty('c');
  for (const r of imageRecords(c.image)) copy = copy.apply(r, copy.offset + 1);
  const p = copy.partition('m', 0)!;
  assert.deepEqual([p.replicas, p.addingReplicas, p.removingReplicas], [[3, 2, 4], [4], undefined]);
});
