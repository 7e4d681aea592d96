// Classic-protocol group membership for one __consumer_offsets partition (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup and their timers), as a pure state machine: every operation takes the current time and returns Effects.
// The shard (shard.ts) owns one ClassicGroups next to its consumer-protocol groups (consumer.ts) and its committed
// offsets (offsets.ts), and does the checks that span both protocols before calling in here.
//
// States: Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead once deleted.
import { ErrorCode } from '../../protocol/errors.ts';
import { assert } from '../../util/assert.ts';
import { type CoordinatorRecord, type GroupValue, groupRecord, subscribedTopics } from './records.ts';
import type { GroupDescription } from './shard.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** The group settings classic membership uses (a subset of the shard's GroupConfig). */
export interface ClassicConfig {
  initialRebalanceDelayMs: number;
  maxSize: number;
}

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  lastHeartbeat: number;
  /** Reply token of a JoinGroup waiting for the rebalance to complete. */
  awaitingJoin: number | null;
  joinVersion: number;
  awaitingSync: number | null;
  isNew: boolean;
}

export interface ClassicGroup {
  groupId: string;
  state: GroupState;
  stateTimestamp: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  /** Instance id → member id of static members. */
  staticMembers: Map<string, string>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined: id → expiry time. */
  pending: Map<string, number>;
  /** Members that got the JoinGroup answer of this generation but have not synced yet. */
  pendingSync: Set<string>;
  /** When the current PreparingRebalance phase completes (join timer), and whether it is the initial delay. */
  joinDeadline: number;
  initialDelayUntil: number;
  rebalanceDeadline: number;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Protocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  clientId: string;
  clientHost: string;
  /** KIP-394: JoinGroup v4+ must first get a member id (MEMBER_ID_REQUIRED) and rejoin with it. */
  requireKnownMemberId: boolean;
  version: number;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** Replies are delivered to the waiter registered under `token`; the reply value type depends on the request. */
export interface Reply {
  token: number;
  response: JoinResult | SyncResult;
}

export interface Effects {
  records: CoordinatorRecord[];
  replies: Reply[];
  /** Timers to (re)arm: `key` fires at `at` by calling onTimer(key). Arming a key replaces its earlier time. */
  timers: Array<{ key: string; at: number }>;
}

const EMPTY_BUF = Buffer.alloc(0);

export function emptyEffects(): Effects {
  return { records: [], replies: [], timers: [] };
}

/** A JoinGroup answer carrying only an error (also the shard's checks before a group exists). */
export function joinError(errorCode: number, memberId = ''): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUF };
}

const timerKey = (...parts: Array<string | number>): string => JSON.stringify(parts);

export class ClassicGroups {
  readonly groups = new Map<string, ClassicGroup>();
  private readonly config: ClassicConfig;
  private readonly newId: () => string;

  constructor(config: ClassicConfig, newId: () => string) {
    this.config = config;
    this.newId = newId;
  }

  /** Applies a stored group metadata record (on load): the group as it was, its members back as of `now`. */
  replay(groupId: string, v: GroupValue | null, now: number): void {
    if (v === null) {
      this.groups.delete(groupId);
      return;
    }
    const g = this.newGroup(groupId, now);
    g.protocolType = v.protocolType === '' && v.members.length === 0 ? null : v.protocolType;
    g.generationId = v.generation;
    g.protocolName = v.protocol;
    g.leaderId = v.leader;
    g.stateTimestamp = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : now;
    for (const m of v.members) {
      g.members.set(m.memberId, {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeout,
        rebalanceTimeoutMs: m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
        protocolType: v.protocolType,
        protocols: [{ name: v.protocol ?? '', metadata: m.subscription }],
        assignment: m.assignment,
        lastHeartbeat: now,
        awaitingJoin: null,
        joinVersion: 0,
        awaitingSync: null,
        isNew: false,
      });
      if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    this.groups.set(groupId, g);
  }

  /** After loading: heartbeat timers for every loaded member (they get a full session to show up). */
  loaded(now: number, fx: Effects): void {
    for (const g of this.groups.values())
      for (const m of g.members.values()) {
        m.lastHeartbeat = now;
        fx.timers.push({ key: timerKey('hb', g.groupId, m.memberId), at: now + m.sessionTimeoutMs });
      }
  }

  newGroup(groupId: string, now: number): ClassicGroup {
    return {
      groupId,
      state: 'Empty',
      stateTimestamp: now,
      generationId: 0,
      protocolType: null,
      protocolName: null,
      leaderId: null,
      members: new Map(),
      staticMembers: new Map(),
      pending: new Map(),
      pendingSync: new Set(),
      joinDeadline: 0,
      initialDelayUntil: 0,
      rebalanceDeadline: 0,
    };
  }

  transition(g: ClassicGroup, to: GroupState, now: number): void {
    const legal: Record<GroupState, GroupState[]> = {
      Empty: ['PreparingRebalance'],
      PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty', 'Dead'],
      CompletingRebalance: ['Stable', 'PreparingRebalance', 'Dead'],
      Stable: ['PreparingRebalance', 'Dead'],
      Dead: ['Dead'],
    };
    // Any state may die (deletion, offset expiry); other moves follow Kafka's transition table.
    assert(to === 'Dead' || legal[g.state].includes(to), `group ${g.groupId}: illegal transition ${g.state} → ${to}`);
    g.state = to;
    g.stateTimestamp = now;
  }

  // ---- JoinGroup ------------------------------------------------------------------------------------------------

  /** JoinGroup, once the shard has checked the group id, the session timeout and the consumer-protocol side. */
  join(req: JoinRequest, token: number, now: number, fx: Effects): void {
    const reply = (r: JoinResult) => fx.replies.push({ token, response: r });
    let g = this.groups.get(req.groupId);
    if (!g || g.state === 'Dead') {
      if (req.memberId !== '') {
        reply(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
        return;
      }
      g = this.newGroup(req.groupId, now);
      this.groups.set(req.groupId, g);
    }
    if (!this.supportsProtocols(g, req.protocolType, req.protocols)) {
      reply(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
      return;
    }
    const isKnown = req.memberId !== '' && (g.members.has(req.memberId) || g.pending.has(req.memberId));
    const isStaticRejoin =
      req.memberId === '' && req.groupInstanceId !== null && g.staticMembers.has(req.groupInstanceId);
    if (!isKnown && !isStaticRejoin && g.members.size >= this.config.maxSize) {
      reply(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, req.memberId));
      return;
    }
    if (req.memberId === '') this.joinUnknownMember(g, req, token, now, fx);
    else this.joinKnownMember(g, req, token, now, fx);
  }

  private supportsProtocols(g: ClassicGroup, protocolType: string, protocols: Protocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (g.members.size === 0) return true;
    if (g.protocolType !== protocolType) return false;
    const names = new Set(protocols.map((p) => p.name));
    return this.candidateProtocols(g).some((c) => names.has(c));
  }

  /** Protocols every current member supports. */
  private candidateProtocols(g: ClassicGroup): string[] {
    let common: string[] | null = null;
    for (const m of g.members.values()) {
      const names = m.protocols.map((p) => p.name);
      common = common === null ? names : common.filter((n) => names.includes(n));
    }
    return common ?? [];
  }

  private selectProtocol(g: ClassicGroup): string {
    const candidates = this.candidateProtocols(g);
    assert(candidates.length > 0, `group ${g.groupId} has no common protocol`);
    const votes = new Map<string, number>();
    for (const m of g.members.values()) {
      const pick = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(pick, (votes.get(pick) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  private joinUnknownMember(g: ClassicGroup, req: JoinRequest, token: number, now: number, fx: Effects): void {
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${this.newId()}`;
    if (req.groupInstanceId !== null) {
      const oldId = g.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined) {
        this.replaceStaticMember(g, oldId, newMemberId, req, token, now, fx);
        return;
      }
      this.addMemberAndRebalance(g, newMemberId, req, token, now, fx);
      return;
    }
    if (req.requireKnownMemberId) {
      g.pending.set(newMemberId, now + req.sessionTimeoutMs);
      fx.timers.push({ key: timerKey('pending', g.groupId, newMemberId), at: now + req.sessionTimeoutMs });
      fx.replies.push({ token, response: joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId) });
      return;
    }
    this.addMemberAndRebalance(g, newMemberId, req, token, now, fx);
  }

  /** KIP-345: a static member rejoining without a member id takes over its instance's membership. */
  private replaceStaticMember(
    g: ClassicGroup,
    oldId: string,
    newId: string,
    req: JoinRequest,
    token: number,
    now: number,
    fx: Effects,
  ): void {
    const old = g.members.get(oldId);
    assert(old, `static member ${req.groupInstanceId} maps to missing member ${oldId}`);
    if (old.awaitingJoin !== null)
      fx.replies.push({ token: old.awaitingJoin, response: joinError(ErrorCode.FENCED_INSTANCE_ID, oldId) });
    if (old.awaitingSync !== null)
      fx.replies.push({ token: old.awaitingSync, response: syncError(ErrorCode.FENCED_INSTANCE_ID) });
    const protocolsChanged = !sameProtocols(old.protocols, req.protocols);
    g.members.delete(oldId);
    const member: Member = {
      ...old,
      memberId: newId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: req.protocols,
      awaitingJoin: null,
      awaitingSync: null,
      lastHeartbeat: now,
      joinVersion: req.version,
    };
    g.members.set(newId, member);
    g.staticMembers.set(req.groupInstanceId!, newId);
    if (g.leaderId === oldId) g.leaderId = newId;
    if (g.pendingSync.delete(oldId)) g.pendingSync.add(newId);
    fx.timers.push({ key: timerKey('hb', g.groupId, newId), at: now + member.sessionTimeoutMs });
    if (g.state === 'Stable' && !protocolsChanged) {
      // Same subscription: no rebalance. The group's stored metadata names the new member id.
      fx.records.push(groupRecord(g.groupId, this.groupValue(g)));
      const isLeader = g.leaderId === newId;
      fx.replies.push({
        token,
        response: {
          errorCode: ErrorCode.NONE,
          generationId: g.generationId,
          protocolType: g.protocolType,
          protocolName: g.protocolName,
          leader: g.leaderId ?? '',
          skipAssignment: isLeader,
          memberId: newId,
          members: isLeader ? this.memberList(g) : [],
        },
      });
      return;
    }
    member.awaitingJoin = token;
    if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g, now, fx);
    else this.prepareRebalance(g, now, fx);
  }

  private joinKnownMember(g: ClassicGroup, req: JoinRequest, token: number, now: number, fx: Effects): void {
    if (g.pending.has(req.memberId)) {
      g.pending.delete(req.memberId);
      this.addMemberAndRebalance(g, req.memberId, req, token, now, fx);
      return;
    }
    const fenced = this.checkStatic(g, req.memberId, req.groupInstanceId);
    if (fenced !== ErrorCode.NONE) {
      fx.replies.push({ token, response: joinError(fenced, req.memberId) });
      return;
    }
    const m = g.members.get(req.memberId);
    if (!m || g.state === 'Empty' || g.state === 'Dead') {
      fx.replies.push({ token, response: joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId) });
      return;
    }
    const changed = !sameProtocols(m.protocols, req.protocols);
    if (g.state === 'PreparingRebalance') {
      this.updateMemberAndRebalance(g, m, req, token, now, fx);
    } else if (g.state === 'CompletingRebalance') {
      if (changed) this.updateMemberAndRebalance(g, m, req, token, now, fx);
      else fx.replies.push({ token, response: this.joinResponse(g, m.memberId) });
    } else {
      // Stable: the leader rejoining (to re-assign) or a changed subscription starts a rebalance.
      if (changed || g.leaderId === m.memberId) this.updateMemberAndRebalance(g, m, req, token, now, fx);
      else fx.replies.push({ token, response: this.joinResponse(g, m.memberId) });
    }
  }

  /** FENCED_INSTANCE_ID when `instanceId` belongs to another member id; UNKNOWN_MEMBER_ID when the instance is unknown. */
  checkStatic(g: ClassicGroup, memberId: string, instanceId: string | null): number {
    if (instanceId === null) return ErrorCode.NONE;
    const owner = g.staticMembers.get(instanceId);
    if (owner === undefined) return g.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    return owner === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID;
  }

  private addMemberAndRebalance(
    g: ClassicGroup,
    memberId: string,
    req: JoinRequest,
    token: number,
    now: number,
    fx: Effects,
  ): void {
    const m: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY_BUF,
      lastHeartbeat: now,
      awaitingJoin: token,
      joinVersion: req.version,
      awaitingSync: null,
      isNew: true,
    };
    if (g.members.size === 0) g.protocolType = req.protocolType;
    g.members.set(memberId, m);
    g.leaderId ??= memberId;
    if (req.groupInstanceId !== null) g.staticMembers.set(req.groupInstanceId, memberId);
    fx.timers.push({ key: timerKey('hb', g.groupId, memberId), at: now + m.sessionTimeoutMs });
    if (g.state === 'PreparingRebalance') {
      // A new member during the initial delay extends it (up to the rebalance timeout), as Kafka's InitialDelayedJoin.
      if (g.initialDelayUntil > 0 && now < g.rebalanceDeadline) {
        g.initialDelayUntil = Math.min(now + this.config.initialRebalanceDelayMs, g.rebalanceDeadline);
        g.joinDeadline = g.initialDelayUntil;
        fx.timers.push({ key: timerKey('join', g.groupId), at: g.joinDeadline });
      }
      this.tryCompleteJoin(g, now, fx);
    } else this.prepareRebalance(g, now, fx);
  }

  private updateMemberAndRebalance(
    g: ClassicGroup,
    m: Member,
    req: JoinRequest,
    token: number,
    now: number,
    fx: Effects,
  ): void {
    if (m.awaitingJoin !== null && m.awaitingJoin !== token)
      fx.replies.push({ token: m.awaitingJoin, response: joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId) });
    m.protocols = req.protocols;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.awaitingJoin = token;
    m.joinVersion = req.version;
    m.lastHeartbeat = now;
    if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g, now, fx);
    else this.prepareRebalance(g, now, fx);
  }

  private prepareRebalance(g: ClassicGroup, now: number, fx: Effects): void {
    if (g.state === 'CompletingRebalance') {
      for (const m of g.members.values()) {
        m.assignment = EMPTY_BUF;
        if (m.awaitingSync !== null) {
          fx.replies.push({ token: m.awaitingSync, response: syncError(ErrorCode.REBALANCE_IN_PROGRESS) });
          m.awaitingSync = null;
        }
      }
    }
    g.pendingSync.clear();
    const rebalanceTimeout = Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    if (g.state === 'Empty') {
      const delay = this.config.initialRebalanceDelayMs;
      g.rebalanceDeadline = now + Math.max(rebalanceTimeout, delay);
      g.initialDelayUntil = now + Math.min(delay, rebalanceTimeout);
      g.joinDeadline = g.initialDelayUntil;
    } else {
      g.initialDelayUntil = 0;
      g.rebalanceDeadline = now + rebalanceTimeout;
      g.joinDeadline = g.rebalanceDeadline;
    }
    this.transition(g, 'PreparingRebalance', now);
    fx.timers.push({ key: timerKey('join', g.groupId), at: g.joinDeadline });
    this.tryCompleteJoin(g, now, fx);
  }

  private tryCompleteJoin(g: ClassicGroup, now: number, fx: Effects): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.initialDelayUntil > 0 && now < g.initialDelayUntil) return;
    const allJoined = [...g.members.values()].every((m) => m.awaitingJoin !== null) && g.pending.size === 0;
    if (allJoined || now >= g.joinDeadline) this.completeJoin(g, now, fx);
  }

  private completeJoin(g: ClassicGroup, now: number, fx: Effects): void {
    g.initialDelayUntil = 0;
    for (const m of [...g.members.values()]) if (m.awaitingJoin === null) this.removeMember(g, m);
    // Pending members (given an id with MEMBER_ID_REQUIRED) stay until they join or their session timer expires, as
    // in Kafka: one that rejoins after this generation completed is added and starts the next rebalance.
    g.generationId++;
    if (g.members.size === 0) {
      g.protocolName = null;
      g.protocolType = g.protocolType ?? null;
      g.leaderId = null;
      this.transition(g, 'Empty', now);
      fx.records.push(groupRecord(g.groupId, this.groupValue(g)));
      return;
    }
    if (g.leaderId === null || !g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value!;
    g.protocolName = this.selectProtocol(g);
    this.transition(g, 'CompletingRebalance', now);
    let maxRebalance = 0;
    for (const m of g.members.values()) {
      fx.replies.push({ token: m.awaitingJoin!, response: this.joinResponse(g, m.memberId) });
      m.awaitingJoin = null;
      m.isNew = false;
      m.lastHeartbeat = now;
      g.pendingSync.add(m.memberId);
      fx.timers.push({ key: timerKey('hb', g.groupId, m.memberId), at: now + m.sessionTimeoutMs });
      maxRebalance = Math.max(maxRebalance, m.rebalanceTimeoutMs);
    }
    fx.timers.push({ key: timerKey('sync', g.groupId, g.generationId), at: now + maxRebalance });
  }

  private joinResponse(g: ClassicGroup, memberId: string): JoinResult {
    const isLeader = g.leaderId === memberId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: isLeader ? this.memberList(g) : [],
    };
  }

  private memberList(g: ClassicGroup): JoinResult['members'] {
    return [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY_BUF,
    }));
  }

  private removeMember(g: ClassicGroup, m: Member): void {
    g.members.delete(m.memberId);
    g.pendingSync.delete(m.memberId);
    if (m.groupInstanceId !== null && g.staticMembers.get(m.groupInstanceId) === m.memberId)
      g.staticMembers.delete(m.groupInstanceId);
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
  }

  /** A member leaves or expires: answer its waiting requests and rebalance the others. */
  private memberGone(g: ClassicGroup, m: Member, now: number, fx: Effects): void {
    if (m.awaitingJoin !== null)
      fx.replies.push({ token: m.awaitingJoin, response: joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId) });
    if (m.awaitingSync !== null)
      fx.replies.push({ token: m.awaitingSync, response: syncError(ErrorCode.UNKNOWN_MEMBER_ID) });
    this.removeMember(g, m);
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.prepareRebalance(g, now, fx);
    else if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g, now, fx);
  }

  // ---- SyncGroup ------------------------------------------------------------------------------------------------

  syncGroup(req: SyncRequest, token: number, now: number): Effects {
    const fx = emptyEffects();
    const reply = (r: SyncResult): Effects => {
      fx.replies.push({ token, response: r });
      return fx;
    };
    const g = this.groups.get(req.groupId);
    if (!g || g.state === 'Dead' || !g.members.has(req.memberId)) {
      reply(syncError(g?.state === 'Dead' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_MEMBER_ID));
      return fx;
    }
    const fenced = this.checkStatic(g, req.memberId, req.groupInstanceId);
    if (fenced !== ErrorCode.NONE) return reply(syncError(fenced));
    if (req.generationId !== g.generationId) return reply(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (req.protocolType !== null && req.protocolType !== g.protocolType) ||
      (req.protocolName !== null && req.protocolName !== g.protocolName)
    )
      return reply(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const m = g.members.get(req.memberId)!;
    m.lastHeartbeat = now;
    if (g.state === 'Empty') return reply(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (g.state === 'PreparingRebalance') return reply(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (g.state === 'Stable') {
      g.pendingSync.delete(m.memberId);
      return reply({
        errorCode: ErrorCode.NONE,
        protocolType: g.protocolType,
        protocolName: g.protocolName,
        assignment: m.assignment,
      });
    }
    // CompletingRebalance: wait for the leader's assignment.
    if (m.awaitingSync !== null && m.awaitingSync !== token)
      fx.replies.push({ token: m.awaitingSync, response: syncError(ErrorCode.REBALANCE_IN_PROGRESS) });
    m.awaitingSync = token;
    g.pendingSync.delete(m.memberId);
    if (g.leaderId === m.memberId) {
      const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
      for (const member of g.members.values()) member.assignment = given.get(member.memberId) ?? EMPTY_BUF;
      fx.records.push(groupRecord(g.groupId, this.groupValue(g)));
      this.transition(g, 'Stable', now);
      for (const member of g.members.values()) {
        if (member.awaitingSync === null) continue;
        fx.replies.push({
          token: member.awaitingSync,
          response: {
            errorCode: ErrorCode.NONE,
            protocolType: g.protocolType,
            protocolName: g.protocolName,
            assignment: member.assignment,
          },
        });
        member.awaitingSync = null;
      }
    }
    return fx;
  }

  // ---- Heartbeat / LeaveGroup -----------------------------------------------------------------------------------

  heartbeat(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    now: number,
  ): number {
    const g = this.groups.get(groupId);
    if (!g || g.state === 'Dead') return g ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_MEMBER_ID;
    const fenced = this.checkStatic(g, memberId, groupInstanceId);
    if (fenced !== ErrorCode.NONE) return fenced;
    const m = g.members.get(memberId);
    if (!m || g.state === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    m.lastHeartbeat = now;
    return g.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leaveGroup(
    groupId: string,
    leaving: Array<{ memberId: string; groupInstanceId: string | null }>,
    now: number,
  ): {
    fx: Effects;
    errorCode: number;
    members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
  } {
    const fx = emptyEffects();
    const g = this.groups.get(groupId);
    if (!g || g.state === 'Dead')
      return {
        fx,
        errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
        members: leaving.map((l) => ({ ...l, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })),
      };
    const members = leaving.map((l) => {
      let memberId = l.memberId;
      if (l.groupInstanceId !== null) {
        const owner = g.staticMembers.get(l.groupInstanceId);
        if (owner === undefined) return { ...l, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
        if (memberId !== '' && memberId !== owner) return { ...l, errorCode: ErrorCode.FENCED_INSTANCE_ID };
        memberId = owner;
      }
      if (g.pending.delete(memberId)) {
        this.tryCompleteJoin(g, now, fx);
        return { ...l, errorCode: ErrorCode.NONE };
      }
      const m = g.members.get(memberId);
      if (!m) return { ...l, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      this.memberGone(g, m, now, fx);
      return { ...l, memberId, errorCode: ErrorCode.NONE };
    });
    return { fx, errorCode: ErrorCode.NONE, members };
  }

  // ---- timers ---------------------------------------------------------------------------------------------------

  onTimer(key: string, now: number): Effects {
    const fx = emptyEffects();
    const [kind, groupId, arg] = JSON.parse(key) as [string, string, string | number | undefined];
    const g = this.groups.get(groupId);
    if (!g) return fx;
    if (kind === 'hb') {
      const m = g.members.get(arg as string);
      if (!m) return fx;
      const deadline = m.lastHeartbeat + m.sessionTimeoutMs;
      if (m.awaitingJoin !== null || m.awaitingSync !== null) {
        // Waiting members are kept alive; the join/sync timers bound how long.
        fx.timers.push({ key, at: now + m.sessionTimeoutMs });
      } else if (now < deadline) {
        fx.timers.push({ key, at: deadline });
      } else {
        this.memberGone(g, m, now, fx);
      }
    } else if (kind === 'pending') {
      const at = g.pending.get(arg as string);
      if (at !== undefined && now >= at) {
        g.pending.delete(arg as string);
        this.tryCompleteJoin(g, now, fx);
      }
    } else if (kind === 'join') {
      if (g.state !== 'PreparingRebalance') return fx;
      if (now < g.joinDeadline) fx.timers.push({ key, at: g.joinDeadline });
      else if (g.initialDelayUntil > 0 && now >= g.initialDelayUntil && now < g.rebalanceDeadline) {
        // Initial delay over: from now on the usual rule applies (complete when everyone joined or at the deadline).
        g.initialDelayUntil = 0;
        const allJoined = [...g.members.values()].every((m) => m.awaitingJoin !== null) && g.pending.size === 0;
        if (allJoined) this.completeJoin(g, now, fx);
        else {
          g.joinDeadline = g.rebalanceDeadline;
          fx.timers.push({ key, at: g.joinDeadline });
        }
      } else this.completeJoin(g, now, fx);
    } else if (kind === 'sync') {
      if (g.state !== 'CompletingRebalance' || g.generationId !== arg || g.pendingSync.size === 0) return fx;
      // Members that never synced within the rebalance timeout are removed; the rest rebalance again.
      for (const id of [...g.pendingSync]) {
        const m = g.members.get(id);
        if (m) this.removeMember(g, m);
      }
      this.prepareRebalance(g, now, fx);
    }
    return fx;
  }

  subscribedTopics(g: ClassicGroup): Set<string> {
    const out = new Set<string>();
    for (const m of g.members.values()) {
      const p = m.protocols.find((x) => x.name === g.protocolName) ?? m.protocols[0];
      for (const t of (p && subscribedTopics(p.metadata)) ?? []) out.add(t);
    }
    return out;
  }

  /** DescribeGroups view: protocol metadata and assignments only once Stable. */
  describe(g: ClassicGroup): GroupDescription {
    const stable = g.state === 'Stable';
    return {
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType ?? '',
      protocolName: stable ? (g.protocolName ?? '') : '',
      generationId: g.generationId,
      leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY_BUF) : EMPTY_BUF,
        assignment: stable ? m.assignment : EMPTY_BUF,
      })),
    };
  }

  groupValue(g: ClassicGroup): GroupValue {
    return {
      protocolType: g.protocolType ?? '',
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: g.stateTimestamp,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY_BUF,
        assignment: m.assignment,
      })),
    };
  }
}

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}
