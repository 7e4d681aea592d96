// Share groups' membership (KIP-932), pure logic: ShareGroupHeartbeat joins (epoch 0), heartbeats and leaves (-1)
// members; a change of members, subscriptions or subscribed topics' partitions bumps the group epoch and recomputes
// the target assignment with the share assignor; each member takes its target (and the new epoch) on its next
// heartbeat, at once (share groups never revoke: a partition may be read by many members, and a record's lock belongs
// to a member, not to an assignment). A member may heartbeat with its current or its previous epoch (the answer that
// moved it may have been lost); any other epoch is fenced. A member whose
// session times out is removed; the caller then releases its acquired records on every share-partition.
//
// Every change comes with the records that persist it in __consumer_offsets (group-records.ts), as Kafka 4.4's group
// coordinator writes them: the group epoch and metadata hash, each member's metadata, target and current assignment,
// the assignment epoch, tombstones when a member goes; the runtime appends them through the group coordinator, and
// replay (share-group-replay.ts) rebuilds the groups when a coordinator loads the partition (after a restart or a
// failover members keep their epochs and get a full session to come back). Each group also keeps which
// topic-partitions have share-partition state (ShareGroupStatePartitionMetadata).
import { createHash } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.ts';
import { assert } from '../../util/assert.ts';
import type { TopicsView } from '../group/consumer.ts';
import {
  currentRecord,
  memberRecord,
  metadataRecord,
  type ShareGroupRecord,
  type StatePartitions,
  type StoredRecord,
  statePartitionsRecord,
  targetMemberRecord,
  targetMetadataRecord,
} from './group-records.ts';

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
  /** Hash of `name:id:partitions` of every subscribed topic as of the last assignment (0 when none): a change of it
   * reassigns. Persisted as ShareGroupMetadata's MetadataHash. */
  metadataHash: bigint;
  /** The target assignment of the assignment epoch: each member takes its own when it next heartbeats. */
  target: Map<string, TopicAssignment[]>;
  /** Topic-partitions with share-partition state, by topic id (ShareGroupStatePartitionMetadata). */
  initialized: Map<string, { topicName: string; partitions: Set<number> }>;
  /** Topics whose share-partition state is being deleted, by topic id. */
  deleting: Map<string, string>;
}

export function newShareGroup(groupId: string): ShareGroup {
  return {
    groupId,
    groupEpoch: 0,
    assignmentEpoch: 0,
    members: new Map(),
    metadataHash: 0n,
    target: new Map(),
    initialized: new Map(),
    deleting: new Map(),
  };
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
  /** What persists the change in __consumer_offsets (group-records.ts), in order. */
  records: StoredRecord[];
}

const SESSION_TIMER = 'share-session';
const noEffects = (): ShareGroupEffects => ({ timers: [], removed: [], records: [] });

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

  heartbeatIntervalMs(groupId: string): number {
    return this.#intervalMs(groupId);
  }

  #intervalMs(groupId: string): number {
    return this.#config.groupConfig?.(groupId).heartbeatIntervalMs ?? this.#config.heartbeatIntervalMs;
  }

  heartbeat(
    req: ShareHeartbeatRequest,
    topics: TopicsView,
    now: number,
  ): { response: ShareHeartbeatResponse; fx: ShareGroupEffects } {
    const fx = noEffects();
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
      this.#remove(group, req.memberId, topics, fx, now);
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
      group = newShareGroup(req.groupId);
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
    let metadataChanged = changed;
    if ((req.rackId ?? member.rackId) !== member.rackId) {
      member.rackId = req.rackId;
      metadataChanged = true;
    }
    if (req.clientId !== member.clientId || req.clientHost !== member.clientHost) {
      member.clientId = req.clientId;
      member.clientHost = req.clientHost;
      metadataChanged = true;
    }
    if (req.subscribedTopicNames !== null) {
      const subs = [...new Set(req.subscribedTopicNames)].sort();
      if (subs.join('\0') !== member.subscribedTopicNames.join('\0')) {
        member.subscribedTopicNames = subs;
        changed = true;
        metadataChanged = true;
      }
    }
    if (metadataChanged) fx.records.push(memberRecord(group.groupId, member.memberId, memberValue(member)));
    if (metadataHash(this.#topicsSignature(group, topics)) !== group.metadataHash) changed = true;
    if (changed) this.#reassign(group, topics, fx, now);
    if (member.memberEpoch !== group.assignmentEpoch) {
      // The member takes its target assignment at once (nothing to revoke in a share group).
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
      member.assignment = group.target.get(member.memberId) ?? [];
      fx.records.push(currentRecord(group.groupId, member.memberId, currentValue(member)));
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
    const fx = noEffects();
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
    this.#remove(group, member.memberId, topics, fx, now);
    return fx;
  }

  /** Empty (no member), Stable, or Dead (unknown). */
  state(groupId: string): 'Empty' | 'Stable' | 'Dead' {
    const g = this.groups.get(groupId);
    if (!g) return 'Dead';
    return g.members.size === 0 ? 'Empty' : 'Stable';
  }

  // ---- loading (a coordinator replays its __consumer_offsets partition) --------------------------------------------

  /** Applies one stored record (last value per key wins; the group's metadata tombstone deletes the group). */
  replay(r: ShareGroupRecord, nameOf: (topicId: string) => string | undefined): void {
    if (r.type === 'metadata' && r.value === null) {
      this.groups.delete(r.groupId);
      return;
    }
    let g = this.groups.get(r.groupId);
    if (!g) {
      if (r.value === null) return;
      g = newShareGroup(r.groupId);
      this.groups.set(r.groupId, g);
    }
    const named = (tps: Array<{ topicId: string; partitions: number[] }>): TopicAssignment[] =>
      tps.map((t) => ({
        topicId: t.topicId,
        topicName: nameOf(t.topicId) ?? t.topicId,
        partitions: [...t.partitions],
      }));
    const member = (id: string): ShareMember => {
      let m = g!.members.get(id);
      if (!m) {
        m = {
          memberId: id,
          memberEpoch: 0,
          previousMemberEpoch: 0,
          rackId: null,
          clientId: '',
          clientHost: '',
          subscribedTopicNames: [],
          assignment: [],
          lastSeen: 0,
        };
        g!.members.set(id, m);
      }
      return m;
    };
    switch (r.type) {
      case 'metadata':
        g.groupEpoch = r.value!.epoch;
        g.metadataHash = r.value!.metadataHash;
        break;
      case 'target-metadata':
        g.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
        break;
      case 'target-member':
        if (r.value === null) g.target.delete(r.memberId);
        else g.target.set(r.memberId, named(r.value));
        break;
      case 'member':
        if (r.value === null) g.members.delete(r.memberId);
        else Object.assign(member(r.memberId), memberValue({ ...member(r.memberId), ...r.value }));
        break;
      case 'current': {
        if (r.value === null) {
          const m = g.members.get(r.memberId);
          if (m) m.assignment = [];
          break;
        }
        const m = member(r.memberId);
        m.memberEpoch = r.value.memberEpoch;
        m.previousMemberEpoch = r.value.previousMemberEpoch;
        m.assignment = named(r.value.assignedPartitions);
        break;
      }
      case 'state-partitions':
        g.initialized = new Map();
        g.deleting = new Map();
        for (const t of [...(r.value?.initializing ?? []), ...(r.value?.initialized ?? [])]) {
          const e = g.initialized.get(t.topicId) ?? { topicName: t.topicName, partitions: new Set<number>() };
          for (const p of t.partitions) e.partitions.add(p);
          g.initialized.set(t.topicId, e);
        }
        for (const t of r.value?.deleting ?? []) g.deleting.set(t.topicId, t.topicName);
        break;
    }
  }

  /** After loading: every loaded member gets a full session from now to heartbeat (Kafka's onLoaded). */
  loaded(groupIds: Iterable<string>, now: number): ShareGroupEffects {
    const fx = noEffects();
    for (const id of groupIds) {
      const g = this.groups.get(id);
      if (!g) continue;
      for (const m of g.members.values()) {
        assert(m.memberEpoch <= g.groupEpoch, `share member ${m.memberId} of ${id} is ahead of its group's epoch`);
        m.lastSeen = now;
        fx.timers.push({ key: sessionKey(id, m.memberId), at: now + this.#sessionMs(id) });
      }
    }
    return fx;
  }

  /** Drops the groups `which` selects (their coordinator partition moved away or is loaded again). */
  unload(which: (groupId: string) => boolean): void {
    for (const id of [...this.groups.keys()]) if (which(id)) this.groups.delete(id);
  }

  /**
   * Adds an Empty group at epoch 0, unless the group exists: a share group known by its persisted share-partition
   * state only (written before share groups were stored in __consumer_offsets). Returns the records that store it.
   */
  restoreEmpty(groupId: string): StoredRecord[] {
    if (this.groups.has(groupId)) return [];
    this.groups.set(groupId, newShareGroup(groupId));
    return [metadataRecord(groupId, { epoch: 0, metadataHash: 0n })];
  }

  /**
   * Deletes an empty group: GROUP_ID_NOT_FOUND when unknown, NON_EMPTY_GROUP with members; else its tombstones, in
   * Kafka's order (members' assignments, target, members, share-partition list, then the group's metadata).
   */
  delete(groupId: string): { errorCode: number; records: StoredRecord[] } {
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, records: [] };
    if (g.members.size > 0) return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
    this.groups.delete(groupId);
    const records = [...g.target.keys()].map((m) => targetMemberRecord(groupId, m, null));
    records.push(
      targetMetadataRecord(groupId, null),
      statePartitionsRecord(groupId, null),
      metadataRecord(groupId, null),
    );
    return { errorCode: ErrorCode.NONE, records };
  }

  /**
   * Notes that these share-partitions of the group have state (initialized by a share-partition leader or by
   * AlterShareGroupOffsets): the ShareGroupStatePartitionMetadata record when that adds any, else nothing.
   */
  markInitialized(
    groupId: string,
    parts: Array<{ topicId: string; topicName: string; partition: number }>,
  ): StoredRecord[] {
    const g = this.groups.get(groupId);
    if (!g) return [];
    let changed = false;
    for (const p of parts) {
      let t = g.initialized.get(p.topicId);
      if (!t) {
        t = { topicName: p.topicName, partitions: new Set() };
        g.initialized.set(p.topicId, t);
      }
      if (t.partitions.has(p.partition)) continue;
      t.partitions.add(p.partition);
      changed = true;
      g.deleting.delete(p.topicId);
    }
    return changed ? [statePartitionsRecord(groupId, statePartitionsOf(g))] : [];
  }

  /** DeleteShareGroupOffsets: the topics' state is being deleted (`done` false), or is gone (`done` true). */
  markDeleting(groupId: string, topics: Array<{ topicId: string; topicName: string }>, done: boolean): StoredRecord[] {
    const g = this.groups.get(groupId);
    if (!g || topics.length === 0) return [];
    for (const t of topics) {
      g.initialized.delete(t.topicId);
      if (done) g.deleting.delete(t.topicId);
      else g.deleting.set(t.topicId, t.topicName);
    }
    return [statePartitionsRecord(groupId, statePartitionsOf(g))];
  }

  #remove(group: ShareGroup, memberId: string, topics: TopicsView, fx: ShareGroupEffects, now: number): void {
    group.members.delete(memberId);
    fx.removed.push({ groupId: group.groupId, memberId });
    fx.records.push(
      currentRecord(group.groupId, memberId, null),
      targetMemberRecord(group.groupId, memberId, null),
      memberRecord(group.groupId, memberId, null),
    );
    group.target.delete(memberId);
    this.#reassign(group, topics, fx, now);
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

  /**
   * Bumps the group epoch and computes the new target assignment (records: the epoch, each member's changed target,
   * the assignment epoch); members take theirs on their next heartbeat.
   */
  #reassign(group: ShareGroup, topics: TopicsView, fx: ShareGroupEffects, now: number): void {
    group.groupEpoch++;
    group.metadataHash = metadataHash(this.#topicsSignature(group, topics));
    fx.records.push(metadataRecord(group.groupId, { epoch: group.groupEpoch, metadataHash: group.metadataHash }));
    const target = assignShare(group.members, topics);
    for (const [memberId, a] of target) {
      const old = group.target.get(memberId);
      if (old && sameAssignment(old, a)) continue;
      fx.records.push(targetMemberRecord(group.groupId, memberId, wireAssignment(a)));
    }
    group.target = target;
    group.assignmentEpoch = group.groupEpoch;
    fx.records.push(targetMetadataRecord(group.groupId, group.assignmentEpoch, now));
  }
}

/** The hash of a group's subscribed topics' metadata (0 without any), as a signed int64. */
export function metadataHash(signature: string): bigint {
  if (signature === '') return 0n;
  return createHash('sha256').update(signature).digest().readBigInt64BE(0);
}

export function wireAssignment(a: TopicAssignment[]): Array<{ topicId: string; partitions: number[] }> {
  return a.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] }));
}

function sameAssignment(a: TopicAssignment[], b: TopicAssignment[]): boolean {
  const s = (x: TopicAssignment[]) =>
    x
      .map((t) => `${t.topicId}:${t.partitions.join(',')}`)
      .sort()
      .join(';');
  return s(a) === s(b);
}

export function memberValue(m: ShareMember) {
  return {
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: [...m.subscribedTopicNames],
  };
}

export function currentValue(m: ShareMember) {
  return {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    assignedPartitions: wireAssignment(m.assignment),
  };
}

export function statePartitionsOf(g: ShareGroup): StatePartitions {
  const byId = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  return {
    initializing: [],
    initialized: [...g.initialized]
      .filter(([, t]) => t.partitions.size > 0)
      .sort(byId)
      .map(([topicId, t]) => ({
        topicId,
        topicName: t.topicName,
        partitions: [...t.partitions].sort((a, b) => a - b),
      })),
    deleting: [...g.deleting].sort(byId).map(([topicId, topicName]) => ({ topicId, topicName })),
  };
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
