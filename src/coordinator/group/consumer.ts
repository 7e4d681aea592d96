// Consumer-protocol (KIP-848) groups for one __consumer_offsets partition, as a pure state machine like shard.ts:
// ConsumerGroupHeartbeat takes the request, the current topics and the time, and returns records to append, the
// response and timers to arm.
//
// Epochs: the group epoch is bumped by every membership, subscription or subscribed-metadata change; when it moves
// past the assignment epoch the server-side assignor computes a new target assignment (assignment epoch = group
// epoch). Each member then reconciles towards its target one heartbeat at a time: first it is told to revoke what
// it must give up (state UNREVOKED_PARTITIONS, epoch unchanged), once its heartbeat shows them released it moves
// to the target epoch and gets the new partitions that no other member still owns (UNRELEASED_PARTITIONS until
// every one is free). So a partition is never in two members' assignments (assigned or pending revocation) at once.
//
// The data model is consumer-model.ts, one member's reconciliation reconciliation.ts, the stored records and
// their replay consumer-records.ts.
import { ErrorCode } from '../../protocol/errors.ts';
import { assert } from '../../util/assert.ts';
import {
  ASSIGNORS,
  cloneAssignment,
  count,
  fromList,
  has,
  pairs,
  sameAssignment,
  type TopicMeta,
  toList,
  uniformAssign,
} from './assignment.ts';
import { commitCheck } from './assignment-epochs.ts';
import {
  type ConsumerConfig,
  type ConsumerEffects,
  type ConsumerGroup,
  type ConsumerGroupState,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResponse,
  type ConsumerMember,
  LEAVE_EPOCH,
  MemberState,
  newConsumerGroup,
  newConsumerMember,
  STATIC_LEAVE_EPOCH,
  type TopicsView,
} from './consumer-model.ts';
import { currentValue, memberValue, replayConsumerRecord } from './consumer-records.ts';
import { reconcile } from './reconciliation.ts';
import {
  type ConsumerRecordDecoded,
  type CoordinatorRecord,
  cgCurrentRecord,
  cgMemberRecord,
  cgMetadataRecord,
  cgPartitionMetadataRecord,
  cgTargetMemberRecord,
  cgTargetMetadataRecord,
} from './records.ts';

export type { Assignment, AssignorInput, TopicMeta } from './assignment.ts';
export { fromList, rangeAssign, toList, uniformAssign } from './assignment.ts';
export type {
  ConsumerConfig,
  ConsumerEffects,
  ConsumerGroup,
  ConsumerGroupState,
  ConsumerHeartbeatRequest,
  ConsumerHeartbeatResponse,
  ConsumerMember,
  TopicsView,
} from './consumer-model.ts';
export { LEAVE_EPOCH, MemberState, STATIC_LEAVE_EPOCH } from './consumer-model.ts';

const timerKey = (...parts: Array<string | number>): string => JSON.stringify(parts);

/** A subscription regex in RE2/J syntax, matched against whole topic names with JS RegExp semantics. */
export function compileRegex(re: string): RegExp | null {
  try {
    return new RegExp(`^(?:${re})$`, 'u');
  } catch {
    return null;
  }
}

// ---- the manager ------------------------------------------------------------------------------------------------

export class ConsumerGroups {
  readonly groups = new Map<string, ConsumerGroup>();
  private readonly config: ConsumerConfig;
  private readonly newId: () => string;
  private readonly regexCache = new Map<string, RegExp | null>();

  constructor(config: ConsumerConfig, newId: () => string) {
    this.config = config;
    this.newId = newId;
  }

  private sessionTimeoutMs(groupId: string): number {
    return this.config.groupConfig?.(groupId).sessionTimeoutMs ?? this.config.sessionTimeoutMs;
  }

  private heartbeatIntervalMs(groupId: string): number {
    return this.config.groupConfig?.(groupId).heartbeatIntervalMs ?? this.config.heartbeatIntervalMs;
  }

  state(g: ConsumerGroup): ConsumerGroupState {
    if (g.members.size === 0) return 'Empty';
    if (g.groupEpoch > g.assignmentEpoch) return 'Assigning';
    for (const m of g.members.values())
      if (m.memberEpoch !== g.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    return 'Stable';
  }

  private regex(re: string): RegExp | null {
    if (!this.regexCache.has(re)) this.regexCache.set(re, compileRegex(re));
    return this.regexCache.get(re)!;
  }

  /** The existing topics a member subscribes to, resolved against `known` names (its regex matched against them). */
  private memberTopics(m: ConsumerMember, known: Iterable<string>, exists: (n: string) => boolean): Set<string> {
    const out = new Set<string>(m.subscribedTopicNames.filter(exists));
    if (m.subscribedTopicRegex !== null) {
      const re = this.regex(m.subscribedTopicRegex);
      if (re) for (const n of known) if (re.test(n)) out.add(n);
    }
    return out;
  }

  // ---- ConsumerGroupHeartbeat -----------------------------------------------------------------------------------

  /**
   * `classicGroupState` tells whether the id is taken by a classic group: 'none', 'empty' (it may be converted; the
   * caller drops it when the returned `convertedClassic` is true) or 'active'.
   */
  heartbeat(
    req: ConsumerHeartbeatRequest,
    topics: TopicsView,
    classicGroupState: 'none' | 'empty' | 'active',
    now: number,
  ): { fx: ConsumerEffects; response: ConsumerHeartbeatResponse; convertedClassic: boolean } {
    const fx: ConsumerEffects = { records: [], timers: [] };
    let convertedClassic = false;
    const fail = (errorCode: number, errorMessage: string | null = null) => ({
      fx,
      convertedClassic,
      response: {
        errorCode,
        errorMessage,
        memberId: null,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      },
    });
    // Request validation, as Kafka's.
    if (req.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.');
    if (req.rackId !== null && req.rackId === '') return fail(ErrorCode.INVALID_REQUEST, 'RackId can not be empty.');
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1)
        return fail(ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0)
        return fail(ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null)
        return fail(
          ErrorCode.INVALID_REQUEST,
          'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.',
        );
    } else if (req.memberId === '') return fail(ErrorCode.INVALID_REQUEST, 'MemberId can not be empty.');
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && req.instanceId === null)
      return fail(ErrorCode.INVALID_REQUEST, 'InstanceId can not be null if MemberEpoch is -2');
    if (req.memberEpoch < STATIC_LEAVE_EPOCH) return fail(ErrorCode.INVALID_REQUEST, 'Invalid MemberEpoch.');
    if (req.serverAssignor !== null && !this.config.assignors.includes(req.serverAssignor))
      return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported.`);
    if (req.subscribedTopicRegex !== null && this.regex(req.subscribedTopicRegex) === null)
      return fail(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex ${req.subscribedTopicRegex} is invalid.`);

    let g = this.groups.get(req.groupId);
    if (!g) {
      if (classicGroupState === 'active')
        return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
      if (req.memberEpoch !== 0) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no such member.`);
      g = newConsumerGroup(req.groupId, now);
      convertedClassic = classicGroupState === 'empty';
      this.groups.set(req.groupId, g);
    }

    // Leaving.
    if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) {
      let memberId = req.memberId;
      if (req.instanceId !== null) {
        const owner = g.staticMembers.get(req.instanceId);
        if (owner === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance ${req.instanceId} is unknown.`);
        if (owner !== memberId)
          return fail(ErrorCode.FENCED_INSTANCE_ID, `Instance ${req.instanceId} is owned by another member.`);
      }
      const m = g.members.get(memberId);
      if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is unknown.`);
      if (req.memberEpoch === STATIC_LEAVE_EPOCH) {
        // The static member will come back: it keeps its assignment until then (or its session expires).
        m.previousMemberEpoch = m.memberEpoch;
        m.memberEpoch = STATIC_LEAVE_EPOCH;
        fx.records.push(cgCurrentRecord(g.groupId, m.memberId, currentValue(m)));
        fx.timers.push({ key: timerKey('cgs', g.groupId, m.memberId), at: now + this.sessionTimeoutMs(g.groupId) });
      } else {
        memberId = m.memberId;
        this.removeMember(g, m, now, fx);
      }
      return {
        fx,
        convertedClassic,
        response: {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          memberId,
          memberEpoch: req.memberEpoch,
          heartbeatIntervalMs: 0,
          assignment: null,
        },
      };
    }

    // Find or create the member.
    let m: ConsumerMember | undefined;
    let bump = false;
    if (req.memberEpoch === 0) {
      const memberId = req.memberId !== '' ? req.memberId : this.newId();
      m = g.members.get(memberId);
      if (req.instanceId !== null) {
        const ownerId = g.staticMembers.get(req.instanceId);
        const owner = ownerId !== undefined ? g.members.get(ownerId) : undefined;
        if (owner && owner.memberId !== memberId) {
          if (owner.memberEpoch !== STATIC_LEAVE_EPOCH)
            return fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Instance ${req.instanceId} is still in use by ${ownerId}.`);
          // The static member is back under a new member id: it takes over the old one's assignment and epoch.
          m = newConsumerMember(memberId, req);
          m.subscribedTopicNames = owner.subscribedTopicNames;
          m.subscribedTopicRegex = owner.subscribedTopicRegex;
          m.serverAssignor = owner.serverAssignor;
          m.memberEpoch = owner.previousMemberEpoch;
          m.previousMemberEpoch = owner.previousMemberEpoch;
          m.state = owner.state;
          m.assigned = cloneAssignment(owner.assigned);
          m.pendingRevocation = cloneAssignment(owner.pendingRevocation);
          m.assignmentEpochs = new Map(owner.assignmentEpochs);
          const target = g.target.get(owner.memberId);
          this.removeMember(g, owner, now, fx, false);
          g.members.set(memberId, m);
          g.staticMembers.set(req.instanceId, memberId);
          if (target) {
            g.target.set(memberId, target);
            fx.records.push(cgTargetMemberRecord(g.groupId, memberId, toList(target)));
          }
          fx.records.push(cgMemberRecord(g.groupId, memberId, memberValue(m)));
          fx.records.push(cgCurrentRecord(g.groupId, memberId, currentValue(m)));
        }
      }
      if (!m) {
        if (g.members.size >= this.config.maxSize)
          return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The group has reached its maximum size.`);
        m = newConsumerMember(memberId, req);
        g.members.set(memberId, m);
        if (req.instanceId !== null) g.staticMembers.set(req.instanceId, memberId);
        bump = true;
      }
    } else {
      m = g.members.get(req.memberId);
      if (!m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of the group.`);
      if (req.instanceId !== null && g.staticMembers.get(req.instanceId) !== m.memberId)
        return fail(ErrorCode.FENCED_INSTANCE_ID, `Instance ${req.instanceId} is owned by another member.`);
      // Epoch checks: a larger epoch is never valid; a smaller one only when the member lost our last answer.
      const owned = req.topicPartitions === null ? null : fromList(req.topicPartitions);
      if (req.memberEpoch > m.memberEpoch)
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is fenced (${m.memberEpoch}).`);
      if (req.memberEpoch < m.memberEpoch) {
        const lost =
          req.memberEpoch === m.previousMemberEpoch &&
          owned !== null &&
          [...pairs(owned)].every(([t, p]) => has(m!.assigned, t, p));
        if (!lost)
          return fail(
            ErrorCode.FENCED_MEMBER_EPOCH,
            `The member epoch ${req.memberEpoch} is fenced (${m.memberEpoch}).`,
          );
      }
    }

    // Member metadata updates.
    let changed = bump;
    if (req.instanceId !== null && m.instanceId !== req.instanceId) {
      m.instanceId = req.instanceId;
      changed = true;
    }
    if (req.rackId !== null && m.rackId !== req.rackId) {
      m.rackId = req.rackId;
      changed = true;
    }
    if (req.rebalanceTimeoutMs !== -1 && m.rebalanceTimeoutMs !== req.rebalanceTimeoutMs) {
      m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      changed = true;
    }
    if (m.clientId !== req.clientId || m.clientHost !== req.clientHost) {
      m.clientId = req.clientId;
      m.clientHost = req.clientHost;
      changed = true;
    }
    if (req.subscribedTopicNames !== null) {
      const names = [...new Set(req.subscribedTopicNames)].sort();
      if (names.join('\0') !== m.subscribedTopicNames.join('\0') || m.subscribedTopicNames.length !== names.length) {
        m.subscribedTopicNames = names;
        changed = bump = true;
      }
    }
    if (req.subscribedTopicRegex !== null) {
      const re = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
      if (re !== m.subscribedTopicRegex) {
        m.subscribedTopicRegex = re;
        changed = bump = true;
      }
    }
    if (req.serverAssignor !== null && req.serverAssignor !== m.serverAssignor) {
      m.serverAssignor = req.serverAssignor;
      changed = bump = true;
    }
    if (changed) fx.records.push(cgMemberRecord(g.groupId, m.memberId, memberValue(m)));

    // Subscribed topics metadata (new partitions, deleted or created topics) as of now.
    if (this.refreshSubscribed(g, topics, fx)) bump = true;
    if (bump) {
      g.groupEpoch++;
      g.stateTimestamp = now;
      fx.records.push(cgMetadataRecord(g.groupId, g.groupEpoch));
    }
    if (g.groupEpoch > g.assignmentEpoch) this.computeTarget(g, fx);

    // Reconcile this member towards its target.
    const before = cloneAssignment(m.assigned);
    const beforeEpoch = m.memberEpoch;
    const beforeState = m.state;
    const beforePending = count(m.pendingRevocation);
    reconcile(g, m, req.topicPartitions === null ? null : fromList(req.topicPartitions));
    const assignmentChanged = !sameAssignment(before, m.assigned);
    if (
      assignmentChanged ||
      beforeEpoch !== m.memberEpoch ||
      beforeState !== m.state ||
      beforePending !== count(m.pendingRevocation)
    ) {
      fx.records.push(cgCurrentRecord(g.groupId, m.memberId, currentValue(m)));
      if (m.state === MemberState.UNREVOKED_PARTITIONS && beforeState !== MemberState.UNREVOKED_PARTITIONS)
        fx.timers.push({
          key: timerKey('cgr', g.groupId, m.memberId, m.memberEpoch),
          at: now + Math.max(0, m.rebalanceTimeoutMs),
        });
    }
    fx.timers.push({ key: timerKey('cgs', g.groupId, m.memberId), at: now + this.sessionTimeoutMs(g.groupId) });
    this.lastSeen.set(`${g.groupId}\0${m.memberId}`, now);
    const sendAssignment = req.memberEpoch === 0 || req.topicPartitions !== null || assignmentChanged;
    return {
      fx,
      convertedClassic,
      response: {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId: m.memberId,
        memberEpoch: m.memberEpoch,
        heartbeatIntervalMs: this.heartbeatIntervalMs(g.groupId),
        assignment: sendAssignment ? toList(m.assigned) : null,
      },
    };
  }

  /** Last heartbeat per "group\0member" (not persisted: a loaded member gets a full session). */
  readonly lastSeen = new Map<string, number>();

  /** Recomputes the subscribed topics' metadata; records and returns true when it changed. */
  private refreshSubscribed(g: ConsumerGroup, topics: TopicsView, fx: ConsumerEffects): boolean {
    const next = new Map<string, TopicMeta>();
    const exists = (n: string) => topics.get(n) !== undefined;
    for (const m of g.members.values())
      for (const name of this.memberTopics(m, m.subscribedTopicRegex !== null ? topics.names() : [], exists)) {
        const t = topics.get(name);
        if (t) next.set(name, { id: t.id, numPartitions: t.numPartitions });
      }
    let same = next.size === g.subscribed.size;
    if (same)
      for (const [n, t] of next) {
        const o = g.subscribed.get(n);
        if (!o || o.id !== t.id || o.numPartitions !== t.numPartitions) {
          same = false;
          break;
        }
      }
    if (same) return false;
    g.subscribed = next;
    fx.records.push(
      cgPartitionMetadataRecord(
        g.groupId,
        [...next].map(([topicName, t]) => ({ topicId: t.id, topicName, numPartitions: t.numPartitions })),
      ),
    );
    return true;
  }

  /** The group's assignor: the one most members ask for, else the default (first configured). */
  assignorOf(g: ConsumerGroup): string {
    const votes = new Map<string, number>();
    for (const m of g.members.values())
      if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best = this.config.assignors[0] ?? 'uniform';
    let n = 0;
    for (const [a, c] of votes) if (c > n || (c === n && a < best)) [best, n] = [a, c];
    return best;
  }

  private computeTarget(g: ConsumerGroup, fx: ConsumerEffects): void {
    const members = new Map<string, Set<string>>();
    const known = [...g.subscribed.keys()];
    for (const m of g.members.values())
      members.set(
        m.memberId,
        this.memberTopics(m, known, (n) => g.subscribed.has(n)),
      );
    const assign = ASSIGNORS[this.assignorOf(g)] ?? uniformAssign;
    const next = assign({ members, topics: g.subscribed, previous: g.target });
    for (const [memberId, a] of next) {
      const prev = g.target.get(memberId);
      if (!prev || !sameAssignment(prev, a)) fx.records.push(cgTargetMemberRecord(g.groupId, memberId, toList(a)));
    }
    g.target = next;
    g.assignmentEpoch = g.groupEpoch;
    fx.records.push(cgTargetMetadataRecord(g.groupId, g.assignmentEpoch));
  }

  /** Removes a member (left, session expired, fenced): tombstones; frees its partitions; bumps the group epoch. */
  removeMember(g: ConsumerGroup, m: ConsumerMember, now: number, fx: ConsumerEffects, bump = true): void {
    fx.records.push(cgCurrentRecord(g.groupId, m.memberId, null));
    fx.records.push(cgTargetMemberRecord(g.groupId, m.memberId, null));
    fx.records.push(cgMemberRecord(g.groupId, m.memberId, null));
    g.members.delete(m.memberId);
    g.target.delete(m.memberId);
    this.lastSeen.delete(`${g.groupId}\0${m.memberId}`);
    if (m.instanceId !== null && g.staticMembers.get(m.instanceId) === m.memberId) g.staticMembers.delete(m.instanceId);
    if (!bump) return;
    // Topics nobody subscribes to any more drop out of the subscribed metadata.
    const stillSubscribed = new Set<string>();
    const known = [...g.subscribed.keys()];
    for (const o of g.members.values())
      for (const n of this.memberTopics(o, known, (x) => g.subscribed.has(x))) stillSubscribed.add(n);
    if (stillSubscribed.size !== g.subscribed.size) {
      g.subscribed = new Map([...g.subscribed].filter(([n]) => stillSubscribed.has(n)));
      fx.records.push(
        cgPartitionMetadataRecord(
          g.groupId,
          [...g.subscribed].map(([topicName, t]) => ({ topicId: t.id, topicName, numPartitions: t.numPartitions })),
        ),
      );
    }
    g.groupEpoch++;
    g.stateTimestamp = now;
    fx.records.push(cgMetadataRecord(g.groupId, g.groupEpoch));
    if (g.members.size > 0) this.computeTarget(g, fx);
    else {
      g.assignmentEpoch = g.groupEpoch;
      fx.records.push(cgTargetMetadataRecord(g.groupId, g.assignmentEpoch));
    }
  }

  // ---- timers -------------------------------------------------------------------------------------------------

  /** Session expiry ('cgs') and revocation timeout ('cgr'). */
  onTimer(key: string, now: number): ConsumerEffects {
    const fx: ConsumerEffects = { records: [], timers: [] };
    const [kind, groupId, memberId, epoch] = JSON.parse(key) as [string, string, string, number | undefined];
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return fx;
    if (kind === 'cgs') {
      const last = this.lastSeen.get(`${groupId}\0${memberId}`) ?? 0;
      const deadline = last + this.sessionTimeoutMs(groupId);
      if (now < deadline) fx.timers.push({ key, at: deadline });
      else this.removeMember(g, m, now, fx);
    } else if (kind === 'cgr') {
      if (m.state === MemberState.UNREVOKED_PARTITIONS && m.memberEpoch === epoch) this.removeMember(g, m, now, fx);
    }
    return fx;
  }

  /** After loading: every loaded member gets a full session to show up. */
  loaded(now: number): ConsumerEffects {
    const fx: ConsumerEffects = { records: [], timers: [] };
    for (const g of this.groups.values())
      for (const m of g.members.values()) {
        this.lastSeen.set(`${g.groupId}\0${m.memberId}`, now);
        fx.timers.push({ key: timerKey('cgs', g.groupId, m.memberId), at: now + this.sessionTimeoutMs(g.groupId) });
      }
    return fx;
  }

  // ---- offsets --------------------------------------------------------------------------------------------------

  /** OffsetCommit / OffsetFetch member checks for a consumer group (v9+ carry the member epoch). */
  validateMember(
    g: ConsumerGroup,
    memberId: string,
    memberEpoch: number,
    forCommit: boolean,
    transactional = false,
    instanceId: string | null = null,
  ): number {
    if (forCommit) {
      // Kafka: a commit without a member epoch is one from outside group management (admin tools, manual
      // assignment, a consumer committing before it joined), accepted while the group has no members; a
      // transactional one naming no member at all (TxnOffsetCommit v0-v2) is accepted always.
      if (memberEpoch < 0 && g.members.size === 0) return ErrorCode.NONE;
      if (transactional && memberEpoch < 0 && memberId === '' && instanceId === null) return ErrorCode.NONE;
    } else if (memberId === '') return ErrorCode.NONE;
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  /**
   * OffsetCommit / TxnOffsetCommit member checks with KIP-1251's relaxed epoch rule: an error for the whole request,
   * or a per-partition check by topic name (null when every partition may be committed).
   */
  validateCommit(
    g: ConsumerGroup,
    memberId: string,
    memberEpoch: number,
    transactional: boolean,
    instanceId: string | null,
  ): { errorCode: number; partitionOk: ((topic: string, partition: number) => boolean) | null } {
    const code = this.validateMember(g, memberId, memberEpoch, true, transactional, instanceId);
    const m = g.members.get(memberId);
    if (code !== ErrorCode.STALE_MEMBER_EPOCH || !m) return { errorCode: code, partitionOk: null };
    const check = commitCheck(m, memberEpoch);
    const ok = check.partitionOk;
    if (ok === null) return { errorCode: check.errorCode, partitionOk: null };
    return {
      errorCode: check.errorCode,
      partitionOk: (topic, partition) => ok(g.subscribed.get(topic)?.id, partition),
    };
  }

  /** Every topic name some member subscribes to (by name or matching regex among the known topics). */
  subscribedTopicNames(g: ConsumerGroup): Set<string> {
    const out = new Set<string>(g.subscribed.keys());
    for (const m of g.members.values()) for (const n of m.subscribedTopicNames) out.add(n);
    return out;
  }

  /** Tombstones for the whole group's consumer records. */
  tombstones(g: ConsumerGroup): CoordinatorRecord[] {
    const out: CoordinatorRecord[] = [];
    for (const m of g.members.values()) {
      out.push(cgCurrentRecord(g.groupId, m.memberId, null));
      out.push(cgTargetMemberRecord(g.groupId, m.memberId, null));
      out.push(cgMemberRecord(g.groupId, m.memberId, null));
    }
    out.push(cgTargetMetadataRecord(g.groupId, null));
    out.push(cgPartitionMetadataRecord(g.groupId, null));
    out.push(cgMetadataRecord(g.groupId, null));
    return out;
  }

  // ---- records (consumer-records.ts) ----------------------------------------------------------------------------

  newGroup(groupId: string, now: number): ConsumerGroup {
    return newConsumerGroup(groupId, now);
  }

  /** Applies one stored consumer-group record (load). */
  replay(r: ConsumerRecordDecoded, now: number): void {
    replayConsumerRecord(this.groups, r, now);
  }

  /** Sanity after load: members without metadata (torn history) are dropped. */
  assertConsistent(): void {
    for (const g of this.groups.values()) {
      const seen = new Map<string, string>();
      for (const m of g.members.values())
        for (const [t, p] of [...pairs(m.assigned), ...pairs(m.pendingRevocation)]) {
          const k = `${t}:${p}`;
          assert(!seen.has(k), `group ${g.groupId}: partition ${k} owned by ${seen.get(k)} and ${m.memberId}`);
          seen.set(k, m.memberId);
        }
    }
  }
}
