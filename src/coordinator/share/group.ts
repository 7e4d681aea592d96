// Share groups' membership (KIP-932), pure logic: ShareGroupHeartbeat joins (epoch 0), heartbeats and leaves (-1)
// members; a change of members, subscriptions or subscribed topics' partitions bumps the group epoch and recomputes
// the target assignment with the share assignor; each member takes its target (and the new epoch) on its next
// heartbeat, at once (share groups never revoke: a partition may be read by many members, and a record's lock belongs
// to a member, not to an assignment). A member may heartbeat with its current or its previous epoch (the answer that
// moved it may have been lost); any other epoch is fenced. A member whose
// session times out is removed; the caller then releases its acquired records on every share-partition.
//
// Membership lives in memory only: after a coordinator moves, members get UNKNOWN_MEMBER_ID and rejoin (the state
// that matters, share-partition state, is persisted by the share coordinator).
import { ErrorCode } from '../../protocol/errors.ts';
import { assert } from '../../util/assert.ts';
import type { TopicsView } from '../group/consumer.ts';

export interface ShareGroupsConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  /** Per-group overrides (share.session.timeout.ms, share.heartbeat.interval.ms group configs). */
  groupConfig?: (groupId: string) => { sessionTimeoutMs?: number; heartbeatIntervalMs?: number };
}

export interface TopicAssignment {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  assignment: TopicAssignment[];
  lastSeen: number;
}

export interface ShareGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ShareMember>;
  /** `name:id:partitions` of every subscribed topic, as of the last assignment. */
  topicsSignature: string;
  /** The target assignment of the assignment epoch: each member takes its own when it next heartbeats. */
  target: Map<string, TopicAssignment[]>;
}

export interface ShareHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** null when unchanged since the member last got it. */
  assignment: Array<{ topicId: string; partitions: number[] }> | null;
}

export interface ShareGroupEffects {
  timers: Array<{ key: string; at: number }>;
  /** Members removed (left or timed out): their acquired records are to be released. */
  removed: Array<{ groupId: string; memberId: string }>;
}

const SESSION_TIMER = 'share-session';

export class ShareGroups {
  readonly groups = new Map<string, ShareGroup>();
  readonly #config: ShareGroupsConfig;
  readonly #newId: () => string;

  constructor(config: ShareGroupsConfig, newId: () => string) {
    this.#config = config;
    this.#newId = newId;
  }

  #sessionMs(groupId: string): number {
    return this.#config.groupConfig?.(groupId).sessionTimeoutMs ?? this.#config.sessionTimeoutMs;
  }

  #intervalMs(groupId: string): number {
    return this.#config.groupConfig?.(groupId).heartbeatIntervalMs ?? this.#config.heartbeatIntervalMs;
  }

  heartbeat(
    req: ShareHeartbeatRequest,
    topics: TopicsView,
    now: number,
  ): { response: ShareHeartbeatResponse; fx: ShareGroupEffects } {
    const fx: ShareGroupEffects = { timers: [], removed: [] };
    const fail = (errorCode: number, errorMessage: string) => ({
      response: { errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null },
      fx,
    });
    if (req.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.');
    if (req.memberEpoch < -1) return fail(ErrorCode.INVALID_REQUEST, `MemberEpoch ${req.memberEpoch} is invalid.`);
    if (req.memberEpoch !== 0 && req.memberId === '') {
      return fail(ErrorCode.INVALID_REQUEST, 'MemberId can not be empty.');
    }
    if (req.memberEpoch === 0 && (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0)) {
      return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in first request.');
    }
    let group = this.groups.get(req.groupId);
    const existing = group?.members.get(req.memberId);

    if (req.memberEpoch === -1) {
      if (!group || !existing) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not in the group.`);
      this.#remove(group, req.memberId, topics, fx);
      return {
        response: {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          memberId: req.memberId,
          memberEpoch: -1,
          heartbeatIntervalMs: 0,
          assignment: null,
        },
        fx,
      };
    }
    if (req.memberEpoch > 0) {
      if (!group || !existing) {
        return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      }
      if (req.memberEpoch !== existing.memberEpoch && req.memberEpoch !== existing.previousMemberEpoch) {
        return fail(
          ErrorCode.FENCED_MEMBER_EPOCH,
          `The share group member has a different epoch (${req.memberEpoch}) than the coordinator's (${existing.memberEpoch}).`,
        );
      }
    }
    if (!group) {
      group = {
        groupId: req.groupId,
        groupEpoch: 0,
        assignmentEpoch: 0,
        members: new Map(),
        topicsSignature: '',
        target: new Map(),
      };
      this.groups.set(req.groupId, group);
    }
    let member = existing;
    let changed = false;
    if (!member) {
      if (group.members.size >= this.#config.maxSize) {
        if (group.members.size === 0) this.groups.delete(group.groupId);
        return fail(
          ErrorCode.GROUP_MAX_SIZE_REACHED,
          `The share group has reached its maximum size ${this.#config.maxSize}.`,
        );
      }
      member = {
        memberId: req.memberId === '' ? this.#newId() : req.memberId,
        memberEpoch: 0,
        previousMemberEpoch: 0,
        rackId: req.rackId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        subscribedTopicNames: [],
        assignment: [],
        lastSeen: now,
      };
      group.members.set(member.memberId, member);
      changed = true;
    }
    member.lastSeen = now;
    member.rackId = req.rackId ?? member.rackId;
    if (req.subscribedTopicNames !== null) {
      const subs = [...new Set(req.subscribedTopicNames)].sort();
      if (subs.join('\0') !== member.subscribedTopicNames.join('\0')) {
        member.subscribedTopicNames = subs;
        changed = true;
      }
    }
    if (this.#topicsSignature(group, topics) !== group.topicsSignature) changed = true;
    if (changed) this.#reassign(group, topics);
    if (member.memberEpoch !== group.assignmentEpoch) {
      // The member takes its target assignment at once (nothing to revoke in a share group).
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
      member.assignment = group.target.get(member.memberId) ?? [];
    }
    const fullRequest = req.memberEpoch === 0 || req.subscribedTopicNames !== null;
    const sendAssignment = fullRequest || member.memberEpoch !== req.memberEpoch;
    fx.timers.push({ key: sessionKey(group.groupId, member.memberId), at: now + this.#sessionMs(group.groupId) });
    return {
      response: {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId: member.memberId,
        memberEpoch: member.memberEpoch,
        heartbeatIntervalMs: this.#intervalMs(group.groupId),
        assignment: sendAssignment
          ? member.assignment.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] }))
          : null,
      },
      fx,
    };
  }

  /** A session timer fired: removes the member unless it heartbeated since. */
  onTimer(key: string, topics: TopicsView, now: number): ShareGroupEffects {
    const fx: ShareGroupEffects = { timers: [], removed: [] };
    const parsed = parseSessionKey(key);
    if (!parsed) return fx;
    const group = this.groups.get(parsed.groupId);
    const member = group?.members.get(parsed.memberId);
    if (!group || !member) return fx;
    const due = member.lastSeen + this.#sessionMs(group.groupId);
    if (due > now) {
      fx.timers.push({ key, at: due });
      return fx;
    }
    this.#remove(group, member.memberId, topics, fx);
    return fx;
  }

  /** Empty (no member), Stable, or Dead (unknown). */
  state(groupId: string): 'Empty' | 'Stable' | 'Dead' {
    const g = this.groups.get(groupId);
    if (!g) return 'Dead';
    return g.members.size === 0 ? 'Empty' : 'Stable';
  }

  /** Adds an Empty group at epoch 0, unless the group exists: a share group known by its persisted state only. */
  restoreEmpty(groupId: string): void {
    if (this.groups.has(groupId)) return;
    this.groups.set(groupId, {
      groupId,
      groupEpoch: 0,
      assignmentEpoch: 0,
      members: new Map(),
      topicsSignature: '',
      target: new Map(),
    });
  }

  /** Deletes an empty group: GROUP_ID_NOT_FOUND when unknown, NON_EMPTY_GROUP with members. */
  delete(groupId: string): number {
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  #remove(group: ShareGroup, memberId: string, topics: TopicsView, fx: ShareGroupEffects): void {
    group.members.delete(memberId);
    fx.removed.push({ groupId: group.groupId, memberId });
    this.#reassign(group, topics);
  }

  #topicsSignature(group: ShareGroup, topics: TopicsView): string {
    const names = new Set<string>();
    for (const m of group.members.values()) for (const t of m.subscribedTopicNames) names.add(t);
    const parts: string[] = [];
    for (const n of [...names].sort()) {
      const t = topics.get(n);
      if (t) parts.push(`${n}:${t.id}:${t.numPartitions}`);
    }
    return parts.join(',');
  }

  /** Bumps the group epoch and computes the new target assignment; members take theirs on their next heartbeat. */
  #reassign(group: ShareGroup, topics: TopicsView): void {
    group.groupEpoch++;
    group.topicsSignature = this.#topicsSignature(group, topics);
    group.target = assignShare(group.members, topics);
    group.assignmentEpoch = group.groupEpoch;
  }
}

/**
 * The share assignor: for each topic, its subscribers (by member id) and its partitions are dealt round-robin over
 * max(members, partitions) turns, so every partition has at least one member and every subscriber at least one
 * partition; with more members than partitions, members share partitions (that is what share groups are for).
 */
export function assignShare(
  members: Map<string, { subscribedTopicNames: string[] }>,
  topics: TopicsView,
): Map<string, TopicAssignment[]> {
  const out = new Map<string, TopicAssignment[]>();
  const byTopic = new Map<string, string[]>();
  for (const [id, m] of members) {
    out.set(id, []);
    for (const t of m.subscribedTopicNames) {
      const list = byTopic.get(t) ?? [];
      list.push(id);
      byTopic.set(t, list);
    }
  }
  for (const name of [...byTopic.keys()].sort()) {
    const meta = topics.get(name);
    if (!meta || meta.numPartitions === 0) continue;
    const subs = byTopic.get(name)!.sort();
    const n = meta.numPartitions;
    const got = new Map<string, Set<number>>();
    for (let i = 0; i < Math.max(subs.length, n); i++) {
      const m = subs[i % subs.length]!;
      const set = got.get(m) ?? new Set<number>();
      set.add(i % n);
      got.set(m, set);
    }
    for (const [m, parts] of got) {
      out.get(m)!.push({ topicId: meta.id, topicName: name, partitions: [...parts].sort((a, b) => a - b) });
    }
  }
  for (const id of out.keys()) assert(members.has(id), `share assignment for unknown member ${id}`);
  return out;
}

export function sessionKey(groupId: string, memberId: string): string {
  return `${SESSION_TIMER}\0${groupId}\0${memberId}`;
}

function parseSessionKey(key: string): { groupId: string; memberId: string } | undefined {
  const parts = key.split('\0');
  if (parts.length !== 3 || parts[0] !== SESSION_TIMER) return undefined;
  return { groupId: parts[1]!, memberId: parts[2]! };
}
