// The data model of consumer-protocol (KIP-848) groups: groups, members, the heartbeat request and response, and
// Kafka's member states. consumer.ts is the state machine over it, reconciliation.ts moves one member towards its
// target assignment, consumer-records.ts maps it to and from the stored records.
import type { Assignment, TopicMeta } from './assignment.ts';
import type { AssignmentEpochs } from './assignment-epochs.ts';
import type { CoordinatorRecord, TopicPartitionsList } from './records.ts';

/** Kafka's MemberState byte values (ConsumerGroupCurrentMemberAssignmentValue.State). */
export const MemberState = { UNREVOKED_PARTITIONS: 0, UNRELEASED_PARTITIONS: 1, STABLE: 2 } as const;

export const LEAVE_EPOCH = -1;
export const STATIC_LEAVE_EPOCH = -2;

/** What the shard may know of the cluster's topics (from the metadata image). */
export interface TopicsView {
  get(name: string): TopicMeta | undefined;
  /** Non-internal topic names, for regex subscriptions. */
  names(): Iterable<string>;
}

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  rebalanceTimeoutMs: number;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
  /** KIP-1251: the epoch at which each owned partition (assigned or pending revocation) was assigned to it. */
  assignmentEpochs: AssignmentEpochs;
}

export interface ConsumerGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ConsumerMember>;
  staticMembers: Map<string, string>;
  target: Map<string, Assignment>;
  /** Subscribed topics as last seen: name → id and partition count. */
  subscribed: Map<string, TopicMeta>;
  stateTimestamp: number;
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export interface ConsumerHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: TopicPartitionsList | null;
  clientId: string;
  clientHost: string;
}

export interface ConsumerHeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicPartitionsList | null;
}

export interface ConsumerConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  /** Server-side assignors, the first one is the default. */
  assignors: string[];
  /** A group's own session timeout / heartbeat interval (GROUP config resources), overriding the two above. */
  groupConfig?: (groupId: string) => { sessionTimeoutMs?: number; heartbeatIntervalMs?: number };
}

export interface ConsumerEffects {
  records: CoordinatorRecord[];
  timers: Array<{ key: string; at: number }>;
}

export function newConsumerGroup(groupId: string, now: number): ConsumerGroup {
  return {
    groupId,
    groupEpoch: 0,
    assignmentEpoch: 0,
    members: new Map(),
    staticMembers: new Map(),
    target: new Map(),
    subscribed: new Map(),
    stateTimestamp: now,
  };
}

export function newConsumerMember(
  memberId: string,
  req: Pick<ConsumerHeartbeatRequest, 'instanceId' | 'rackId' | 'clientId' | 'clientHost' | 'rebalanceTimeoutMs'>,
): ConsumerMember {
  return {
    memberId,
    instanceId: req.instanceId,
    rackId: req.rackId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.STABLE,
    assigned: new Map(),
    pendingRevocation: new Map(),
    assignmentEpochs: new Map(),
  };
}
