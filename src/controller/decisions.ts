// The controller's decisions: a pure function of the metadata image and one event, returning the metadata records
// to append and the answer for whoever asked. No I/O, no clock, no randomness (ids and placement offsets come in
// the event), so the same image and event always give the same records. controller.ts feeds it from the
// coordination store and writes what it returns.

import { validateTopicName } from '../metadata/controller.ts';
import { BOOTSTRAP_FEATURE_LEVELS } from '../metadata/features.ts';
import type { BrokerEndpoint, MetadataImage, PartitionInfo } from '../metadata/image.ts';
import { ConfigResourceType, type MetadataRecord, NO_LEADER, record, securityProtocolId } from '../metadata/records.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { AssignmentError, assignReplicas } from './assignment.ts';
import { Changes, forEachPartition } from './changes.ts';
import { cancelReassignment, completeReassignment, type ReplicaState, startReassignment } from './reassignment.ts';

export interface TopicToCreate {
  readonly name: string;
  /** Drawn by the caller (a random UUID). */
  readonly topicId: string;
  /** -1: the default. */
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** Explicit replica lists by partition index, or null. */
  readonly assignments: readonly (readonly number[])[] | null;
  readonly configs: Readonly<Record<string, string>>;
}

export type ControllerEvent =
  | {
      readonly type: 'brokerRegistered';
      readonly brokerId: number;
      /** The czxid of the broker's registration node: a new one each registration. */
      readonly epoch: bigint;
      readonly incarnationId: string;
      readonly endpoints: readonly BrokerEndpoint[];
      readonly rack: string | null;
      /** The broker epoch its log dirs' clean-shutdown markers name (KIP-966), -1 when any dir has none: a new
       * incarnation whose previous epoch is not the registration's it replaces shut down uncleanly. Absent: -1. */
      readonly previousBrokerEpoch?: bigint;
    }
  | { readonly type: 'brokerGone'; readonly brokerId: number; readonly epoch: bigint }
  | { readonly type: 'controlledShutdown'; readonly brokerId: number; readonly epoch: bigint }
  | {
      readonly type: 'createTopics';
      readonly topics: readonly TopicToCreate[];
      /** Placement offsets (Kafka draws them at random per topic). */
      readonly startIndex: number;
      readonly replicaShift: number;
    }
  | {
      readonly type: 'createPartitions';
      readonly topic: string;
      readonly count: number;
      readonly assignments: readonly (readonly number[])[] | null;
      readonly startIndex: number;
      readonly replicaShift: number;
    }
  | {
      readonly type: 'electLeaders';
      /** ElectLeaders' election type: the preferred replica, or (unclean) any live replica when no ISR member is. */
      readonly electionType: 'preferred' | 'unclean';
      /** null: every partition (and only those needing an election are answered for, as Kafka). */
      readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }> | null;
    }
  | {
      /** AlterPartitionReassignments: a target replica list, or null to cancel the ongoing reassignment. */
      readonly type: 'alterReassignments';
      readonly partitions: ReadonlyArray<{
        readonly topic: string;
        readonly partition: number;
        readonly replicas: readonly number[] | null;
      }>;
    }
  | {
      /** auto.leader.rebalance.enable's periodic check (leader.imbalance.check.interval.seconds). */
      readonly type: 'rebalanceLeaders';
      /** leader.imbalance.per.broker.percentage. */
      readonly imbalancePercentage: number;
    }
  | {
      readonly type: 'allocateProducerIds';
      readonly brokerId: number;
      readonly brokerEpoch: bigint;
      readonly blockSize: number;
    }
  | {
      /** AlterPartition (56) from a partition leader: its proposed ISR. */
      readonly type: 'alterPartition';
      readonly brokerId: number;
      readonly brokerEpoch: bigint;
      readonly topicId: string;
      readonly partition: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly newIsr: readonly number[];
    }
  | {
      /** A broker's replicas whose log dir failed (it keeps running on its other log dirs): they stop leading and
       * leave the ISR, as Kafka's controller treats a broker's offline replicas. */
      readonly type: 'offlineReplicas';
      readonly brokerId: number;
      readonly brokerEpoch: bigint;
      readonly replicas: ReadonlyArray<{ readonly topicId: string; readonly partition: number }>;
    };

export interface ControllerSettings {
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  /** unclean.leader.election.enable of the cluster (a topic config overrides it). */
  readonly uncleanLeaderElection: boolean;
  /** min.insync.replicas of the controller's broker config (default 1): the ELR's bound when neither the topic nor
   * the cluster-wide dynamic config sets it. */
  readonly minInsyncReplicas?: number;
}

export interface ItemResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface ElectionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface Decision {
  readonly records: MetadataRecord[];
  /** createTopics / createPartitions: one per item asked for. */
  readonly results?: ItemResult[];
  /** electLeaders: one per partition answered for; rebalanceLeaders: the partitions moved. */
  readonly elections?: ElectionResult[];
  /** alterReassignments: one per partition asked for. */
  readonly reassignments?: ElectionResult[];
  /** controlledShutdown: leaderships the broker still holds after these records. */
  readonly remainingLeaders?: number;
  /** allocateProducerIds: the block handed out. */
  readonly producerIds?: { readonly firstProducerId: bigint; readonly size: number };
  /** allocateProducerIds with a stale broker epoch. */
  readonly errorCode?: number;
}

export function decide(image: MetadataImage, event: ControllerEvent, settings: ControllerSettings): Decision {
  switch (event.type) {
    case 'brokerRegistered':
      return brokerRegistered(image, event, settings);
    case 'brokerGone': {
      const c = new Changes(image, settings);
      fence(image, c, event.brokerId, event.epoch);
      return { records: c.records };
    }
    case 'controlledShutdown':
      return controlledShutdown(image, event, settings);
    case 'createTopics':
      return createTopics(image, event, settings);
    case 'createPartitions':
      return createPartitions(image, event, settings);
    case 'electLeaders':
      return electLeaders(image, event, settings);
    case 'rebalanceLeaders':
      return rebalanceLeaders(image, event, settings);
    case 'alterReassignments':
      return alterReassignments(image, event, settings);
    case 'alterPartition':
      return alterPartition(image, event, settings);
    case 'offlineReplicas':
      return offlineReplicas(image, event, settings);
    case 'allocateProducerIds': {
      const b = image.brokers.get(event.brokerId);
      if (!b || b.epoch !== event.brokerEpoch || b.fenced)
        return { records: [], errorCode: ErrorCode.STALE_BROKER_EPOCH };
      const first = image.producerIds.nextProducerId;
      return {
        records: [
          record('ProducerIdsRecord', {
            brokerId: event.brokerId,
            brokerEpoch: event.brokerEpoch,
            nextProducerId: first + BigInt(event.blockSize),
          }),
        ],
        producerIds: { firstProducerId: first, size: event.blockSize },
      };
    }
  }
}

/** Fences the registration `epoch` of `brokerId` (if it is the current, unfenced one) and moves its leaderships. */
function fence(image: MetadataImage, c: Changes, brokerId: number, epoch: bigint): void {
  const b = c.broker(brokerId);
  if (!b || b.epoch !== epoch || b.fenced) return;
  c.records.push(record('FenceBrokerRecord', { id: brokerId, epoch }));
  c.setBroker({ ...b, fenced: true, inControlledShutdown: false });
  forEachPartition(image, (name, id, p) => c.moveAway(name, id, p, brokerId, false));
}

/**
 * AlterPartition as Kafka's controller checks it: the asking broker's registration must be current
 * (STALE_BROKER_EPOCH), it must be the leader of the same leader epoch (FENCED_LEADER_EPOCH) with the same partition
 * epoch (INVALID_UPDATE_VERSION: the leader acts on an old ISR), the new ISR must hold the leader and only usable
 * replicas (INVALID_REQUEST, INELIGIBLE_REPLICA). A valid change becomes a PartitionChangeRecord with the ISR (the
 * image bumps the partition epoch); the same ISR again writes nothing and is answered as committed.
 */
function alterPartition(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'alterPartition' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const b = image.brokers.get(e.brokerId);
  if (!b || b.epoch !== e.brokerEpoch || b.fenced) return { records: [], errorCode: ErrorCode.STALE_BROKER_EPOCH };
  const t = image.topicsById.get(e.topicId);
  const p = t?.partitions.find((x) => x.partition === e.partition);
  if (t === undefined || p === undefined) return { records: [], errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (p.leaderEpoch !== e.leaderEpoch || p.leader !== e.brokerId)
    return { records: [], errorCode: ErrorCode.FENCED_LEADER_EPOCH };
  if (p.partitionEpoch !== e.partitionEpoch) return { records: [], errorCode: ErrorCode.INVALID_UPDATE_VERSION };
  const isr = [...new Set(e.newIsr)];
  if (!isr.includes(e.brokerId) || isr.length !== e.newIsr.length)
    return { records: [], errorCode: ErrorCode.INVALID_REQUEST };
  for (const r of isr) {
    if (!p.replicas.includes(r) || (!p.isr.includes(r) && !c.usable(r)))
      return { records: [], errorCode: ErrorCode.INELIGIBLE_REPLICA };
  }
  // An ongoing reassignment completes once every target replica is in the ISR (the removed ones then go).
  const done =
    (p.addingReplicas?.length ?? 0) + (p.removingReplicas?.length ?? 0) > 0
      ? completeReassignment(
          {
            replicas: p.replicas,
            isr,
            leader: p.leader,
            adding: p.addingReplicas ?? [],
            removing: p.removingReplicas ?? [],
          },
          (id) => c.usable(id),
        )
      : null;
  if (done !== null) c.reassign(t.id, p, done);
  else c.change(t.id, p, c.compute(t.id, p, isr, 'none'));
  return { records: c.records, errorCode: ErrorCode.NONE };
}

/**
 * A broker reports replicas whose log is offline (a failed log dir of a broker with several; Kafka's broker reports
 * its offline dirs and the controller finds the replicas in them). Each such replica leaves the ISR and, where it
 * leads, leadership moves to another live ISR member (or, with none, unclean election if the topic allows it, else
 * no leader), exactly as for a broker that is gone, but for those partitions only. The registration must be
 * current (STALE_BROKER_EPOCH); partitions the broker no longer hosts are skipped.
 */
function offlineReplicas(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'offlineReplicas' }>,
  settings: ControllerSettings,
): Decision {
  const b = image.brokers.get(e.brokerId);
  if (!b || b.epoch !== e.brokerEpoch || b.fenced) return { records: [], errorCode: ErrorCode.STALE_BROKER_EPOCH };
  const c = new Changes(image, settings);
  for (const r of e.replicas) {
    const t = image.topicsById.get(r.topicId);
    const p = t?.partitions[r.partition];
    if (t === undefined || p === undefined || !p.replicas.includes(e.brokerId)) continue;
    c.moveAway(t.name, t.id, p, e.brokerId, false);
  }
  return { records: c.records, errorCode: ErrorCode.NONE };
}

function brokerRegistered(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'brokerRegistered' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const existing = image.brokers.get(e.brokerId);
  if (existing && existing.epoch >= e.epoch) return { records: [] }; // this registration, or a stale event
  // A broker back with a new registration while its old one still stands (it bounced within a session timeout,
  // KAFKA-7235): the old registration is gone as far as leadership goes.
  if (existing) fence(image, c, e.brokerId, existing.epoch);
  // A new incarnation (a restart, not a new session of the same process) that did not shut down cleanly after its
  // last registration may have lost records it had acknowledged: it leaves every ISR and ELR (Kafka's
  // handleBrokerUncleanShutdown). Only with ELR on: without it the broker is at most the last member of an ISR,
  // which keeps it either way.
  if (
    existing &&
    c.elrEnabled &&
    existing.incarnationId !== e.incarnationId &&
    (e.previousBrokerEpoch ?? -1n) !== existing.epoch
  )
    forEachPartition(image, (name, id, p) => c.removeUncleanShutdown(name, id, p, e.brokerId));
  // The first record of a brand-new cluster's metadata log: the bootstrap feature levels (transaction.version 2,
  // group.version 1), as a new Kafka 4.4 cluster starts with them and as the single-node controller does.
  if (image.offset === -1)
    for (const [name, featureLevel] of BOOTSTRAP_FEATURE_LEVELS)
      c.records.push(record('FeatureLevelRecord', { name, featureLevel }));
  c.records.push(
    record('RegisterBrokerRecord', {
      brokerId: e.brokerId,
      brokerEpoch: e.epoch,
      incarnationId: e.incarnationId,
      endPoints: e.endpoints.map((x) => ({
        name: x.name,
        host: x.host,
        port: x.port,
        securityProtocol: securityProtocolId(x.securityProtocol),
      })),
      rack: e.rack,
      fenced: true,
    }),
    record('UnfenceBrokerRecord', { id: e.brokerId, epoch: e.epoch }),
  );
  c.setBroker({
    nodeId: e.brokerId,
    epoch: e.epoch,
    incarnationId: e.incarnationId,
    endpoints: e.endpoints,
    rack: e.rack,
    fenced: false,
    inControlledShutdown: false,
  });
  forEachPartition(image, (_name, id, p) => c.electIfLeaderless(id, p));
  return { records: c.records };
}

function controlledShutdown(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'controlledShutdown' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const b = image.brokers.get(e.brokerId);
  if (!b || b.epoch !== e.epoch || b.fenced) return { records: [], remainingLeaders: 0 };
  if (!b.inControlledShutdown)
    c.records.push(
      record('BrokerRegistrationChangeRecord', { brokerId: e.brokerId, brokerEpoch: e.epoch, inControlledShutdown: 1 }),
    );
  c.setBroker({ ...b, inControlledShutdown: true });
  let remaining = 0;
  forEachPartition(image, (name, id, p) => {
    c.moveAway(name, id, p, e.brokerId, true);
    if (c.current(id, p).leader === e.brokerId) remaining++;
  });
  return { records: c.records, remainingLeaders: remaining };
}

function ok(name: string): ItemResult {
  return { name, errorCode: ErrorCode.NONE, errorMessage: null };
}
function fail(name: string, errorCode: number, errorMessage: string): ItemResult {
  return { name, errorCode, errorMessage };
}

/** Checks explicit replica lists; returns an error message or null. */
function checkAssignments(
  image: MetadataImage,
  c: Changes,
  lists: readonly (readonly number[])[],
  firstPartition: number,
  rf: number | null,
): string | null {
  for (const [i, list] of lists.entries()) {
    const p = firstPartition + i;
    if (list.length === 0 || new Set(list).size !== list.length) return `Invalid replica list for partition ${p}`;
    if (rf !== null && list.length !== rf) return 'Inconsistent replication factor between partitions';
    const unknown = list.find((b) => !image.brokers.has(b));
    if (unknown !== undefined) return `Unknown broker ${unknown} in replica assignment`;
    if (!list.some((b) => c.usable(b)))
      return `All brokers specified in the partition assignment for partition ${p} are fenced or in controlled shutdown.`;
  }
  return null;
}

function partitionRecords(c: Changes, topicId: string, first: number, lists: readonly (readonly number[])[]) {
  for (const [i, replicas] of lists.entries()) {
    const isr = replicas.filter((r) => c.usable(r));
    c.records.push(
      record('PartitionRecord', {
        topicId,
        partitionId: first + i,
        replicas: replicas.slice(),
        isr,
        leader: isr[0]!,
        leaderEpoch: 0,
        partitionEpoch: 0,
      }),
    );
  }
}

function placementBrokers(image: MetadataImage, c: Changes) {
  return [...image.brokers.values()].filter((b) => c.usable(b.nodeId)).map((b) => ({ id: b.nodeId, rack: b.rack }));
}

function createTopics(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'createTopics' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const t of e.topics) (seen.has(t.name) ? duplicates : seen).add(t.name);
  const results = e.topics.map((t): ItemResult => {
    if (duplicates.has(t.name)) return fail(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
    const bad = validateTopicName(t.name);
    if (bad) return fail(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (image.topics.has(t.name))
      return fail(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
    let lists: readonly (readonly number[])[];
    if (t.assignments) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1)
        return fail(
          t.name,
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      const err = checkAssignments(image, c, t.assignments, 0, t.assignments[0]?.length ?? null);
      if (err || t.assignments.length === 0)
        return fail(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, err ?? 'No partitions');
      lists = t.assignments;
    } else {
      const n = t.numPartitions === -1 ? settings.defaultPartitions : t.numPartitions;
      const rf = t.replicationFactor === -1 ? settings.defaultReplicationFactor : t.replicationFactor;
      if (n <= 0) return fail(t.name, ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
      if (rf <= 0)
        return fail(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
      const brokers = placementBrokers(image, c);
      if (rf > brokers.length)
        return fail(
          t.name,
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers.length} broker(s) are registered.`,
        );
      try {
        lists = assignReplicas(brokers, n, rf, { startIndex: e.startIndex, replicaShift: e.replicaShift });
      } catch (err) {
        if (!(err instanceof AssignmentError)) throw err;
        return fail(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, err.message);
      }
    }
    c.records.push(record('TopicRecord', { name: t.name, topicId: t.topicId }));
    for (const [name, value] of Object.entries(t.configs))
      c.records.push(
        record('ConfigRecord', { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value }),
      );
    partitionRecords(c, t.topicId, 0, lists);
    return ok(t.name);
  });
  return { records: c.records, results };
}

function createPartitions(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'createPartitions' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const t = image.topics.get(e.topic);
  const done = (r: ItemResult): Decision => ({ records: c.records, results: [r] });
  if (!t) return done(fail(e.topic, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${e.topic}' does not exist.`));
  const current = t.partitions.length;
  if (e.count <= current)
    return done(
      fail(
        e.topic,
        ErrorCode.INVALID_PARTITIONS,
        e.count === current
          ? `Topic already has ${current} partition(s).`
          : `The topic ${e.topic} currently has ${current} partition(s); ${e.count} would not be an increase.`,
      ),
    );
  const rf = t.partitions[0]?.replicas.length ?? 1;
  let lists: readonly (readonly number[])[];
  if (e.assignments) {
    if (e.assignments.length !== e.count - current)
      return done(
        fail(
          e.topic,
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Increasing the number of partitions by ${e.count - current} but ${e.assignments.length} assignments provided.`,
        ),
      );
    const err = checkAssignments(image, c, e.assignments, current, rf);
    if (err) return done(fail(e.topic, ErrorCode.INVALID_REPLICA_ASSIGNMENT, err));
    lists = e.assignments;
  } else {
    try {
      lists = assignReplicas(placementBrokers(image, c), e.count - current, rf, {
        startIndex: e.startIndex,
        replicaShift: e.replicaShift,
        firstPartitionId: current,
      });
    } catch (err) {
      if (!(err instanceof AssignmentError)) throw err;
      return done(fail(e.topic, ErrorCode.INVALID_REPLICATION_FACTOR, err.message));
    }
  }
  partitionRecords(c, t.id, current, lists);
  return done(ok(e.topic));
}

/**
 * One partition's election, as Kafka's controller: PREFERRED moves leadership to the first replica when it is a
 * live ISR member (or, leaderless, to any live ISR member); UNCLEAN elects a leaderless partition's first live ISR
 * member (with an empty ISR: a live ELR member, then the last known leader), or failing that any live replica (whatever the ISR had that it lacks is lost: an explicit admin request
 * does this whatever unclean.leader.election.enable says, which governs only automatic elections).
 */
function electOne(c: Changes, topic: string, topicId: string, p: PartitionInfo, type: 'preferred' | 'unclean') {
  const tp = `${topic}-${p.partition}`;
  const cur = c.current(topicId, p);
  const preferred = p.replicas[0]!;
  if (type === 'preferred' ? cur.leader === preferred : cur.leader !== NO_LEADER)
    return {
      errorCode: ErrorCode.ELECTION_NOT_NEEDED,
      errorMessage:
        type === 'preferred'
          ? `Leader election not needed for ${tp}: the preferred replica ${preferred} leads it.`
          : `Leader election not needed for ${tp}: it has leader ${cur.leader}.`,
    };
  // From the ISR; with it empty (ELR on), from the ELR or the last known leader; UNCLEAN then any live replica.
  const next = c.compute(topicId, p, cur.isr, type);
  if (next.leader === NO_LEADER || next.leader === cur.leader)
    return type === 'preferred'
      ? {
          errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
          errorMessage: `The preferred leader ${preferred} of ${tp} is not available: it is not an in-sync replica on a live broker (ISR ${JSON.stringify(cur.isr)}).`,
        }
      : {
          errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
          errorMessage: `No replica of ${tp} (replicas ${JSON.stringify(p.replicas)}) is on a live broker: no leader can be elected.`,
        };
  c.change(topicId, p, next);
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

function electLeaders(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'electLeaders' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const elections: ElectionResult[] = [];
  if (e.partitions === null)
    forEachPartition(image, (topic, id, p) => {
      const r = electOne(c, topic, id, p, e.electionType);
      if (r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) elections.push({ topic, partition: p.partition, ...r });
    });
  else
    for (const { topic, partition } of e.partitions) {
      const t = image.topics.get(topic);
      const p = t?.partitions[partition];
      if (!t)
        elections.push({
          topic,
          partition,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `No such topic as ${topic}`,
        });
      else if (!p)
        elections.push({
          topic,
          partition,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `No such partition as ${topic}-${partition}`,
        });
      else elections.push({ topic, partition, ...electOne(c, t.name, t.id, p, e.electionType) });
    }
  return { records: c.records, elections };
}

/**
 * auto.leader.rebalance.enable: for each broker, the share of the partitions it is the preferred replica of that
 * another broker leads; above leader.imbalance.per.broker.percentage, those whose preferred replica is a live ISR
 * member get it back as leader (as Kafka's ZooKeeper-mode controller).
 */
function rebalanceLeaders(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'rebalanceLeaders' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const preferredOf = new Map<number, number>();
  const notLed = new Map<number, Array<{ topic: string; topicId: string; p: PartitionInfo }>>();
  forEachPartition(image, (topic, topicId, p) => {
    const preferred = p.replicas[0];
    if (preferred === undefined) return;
    preferredOf.set(preferred, (preferredOf.get(preferred) ?? 0) + 1);
    // A partition being reassigned is left alone (its preferred replica is the target's first), as in Kafka.
    if (p.leader === preferred || (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0) return;
    let list = notLed.get(preferred);
    if (!list) {
      list = [];
      notLed.set(preferred, list);
    }
    list.push({ topic, topicId, p });
  });
  const elections: ElectionResult[] = [];
  for (const [broker, list] of [...notLed].sort((a, b) => a[0] - b[0])) {
    if (!c.usable(broker)) continue;
    if ((list.length * 100) / preferredOf.get(broker)! <= e.imbalancePercentage) continue;
    for (const { topic, topicId, p } of list)
      if (p.isr.includes(broker)) {
        c.change(topicId, p, c.compute(topicId, p, c.current(topicId, p).isr, 'preferred'));
        elections.push({ topic, partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: null });
      }
  }
  return { records: c.records, elections };
}

/** Kafka's checks of a reassignment's target; null when it is acceptable. */
export function checkTargetReplicas(image: MetadataImage, replicas: readonly number[]): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const seen = new Set<number>();
  for (const r of replicas) {
    if (seen.has(r)) return `The manual partition assignment includes the broker ${r} more than once.`;
    seen.add(r);
    if (!image.brokers.has(r))
      return `The manual partition assignment includes broker ${r}, but no such broker is registered.`;
  }
  return null;
}

function alterReassignments(
  image: MetadataImage,
  e: Extract<ControllerEvent, { type: 'alterReassignments' }>,
  settings: ControllerSettings,
): Decision {
  const c = new Changes(image, settings);
  const usable = (id: number) => c.usable(id);
  const reassignments = e.partitions.map(({ topic, partition, replicas }): ElectionResult => {
    const answer = (errorCode: number, errorMessage: string | null) => ({ topic, partition, errorCode, errorMessage });
    const t = image.topics.get(topic);
    const p = t?.partitions[partition];
    if (!t || !p) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topic}-${partition}`);
    const cur = c.current(t.id, p);
    const state: ReplicaState = {
      replicas: p.replicas,
      isr: cur.isr,
      leader: cur.leader,
      adding: p.addingReplicas ?? [],
      removing: p.removingReplicas ?? [],
    };
    if (replicas === null) {
      if (state.adding.length === 0 && state.removing.length === 0)
        return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No ongoing reassignment for ${topic}-${partition}.`);
      c.reassign(t.id, p, cancelReassignment(state, usable));
      return answer(ErrorCode.NONE, null);
    }
    const bad = checkTargetReplicas(image, replicas);
    if (bad !== null) return answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, bad);
    c.reassign(t.id, p, startReassignment(state, replicas, usable));
    return answer(ErrorCode.NONE, null);
  });
  return { records: c.records, reassignments };
}
