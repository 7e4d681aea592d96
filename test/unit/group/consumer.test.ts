// Consumer-protocol (KIP-848) groups in GroupShard: joins, epochs, reconciliation, fencing, static members,
// regex subscriptions, metadata changes, offsets with member epochs, persistence and replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerHeartbeatRequest, TopicMeta, TopicsView } from '../../../src/coordinator/group/consumer.ts';
import { rangeAssign, uniformAssign } from '../../../src/coordinator/group/consumer.ts';
import type { Effects, GroupShard } from '../../../src/coordinator/group/shard.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { joinReq, newShard, replyOf } from './helpers.ts';

class Topics implements TopicsView {
  readonly map = new Map<string, TopicMeta>();
  set(name: string, numPartitions: number, id = `id-${name}`): this {
    this.map.set(name, { id: Buffer.from(id.padEnd(16, '_').slice(0, 16)).toString('base64url'), numPartitions });
    return this;
  }
  get(name: string) {
    return this.map.get(name);
  }
  names() {
    return this.map.keys();
  }
  id(name: string): string {
    return this.map.get(name)!.id;
  }
}

function hb(over: Partial<ConsumerHeartbeatRequest>): ConsumerHeartbeatRequest {
  return {
    groupId: 'g',
    memberId: '',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    ...over,
  };
}

/** Drives one member: the next heartbeat reports what the last answer assigned (a fully cooperative client). */
class Member {
  id: string;
  epoch = 0;
  owned: Array<{ topicId: string; partitions: number[] }> = [];
  readonly shard: GroupShard;
  readonly topics: Topics;
  readonly over: Partial<ConsumerHeartbeatRequest>;
  constructor(shard: GroupShard, topics: Topics, id: string, over: Partial<ConsumerHeartbeatRequest> = {}) {
    this.shard = shard;
    this.topics = topics;
    this.id = id;
    this.over = over;
  }
  beat(now: number, extra: Partial<ConsumerHeartbeatRequest> = {}) {
    const r = this.shard.consumerHeartbeat(
      hb({
        memberId: this.id,
        memberEpoch: this.epoch,
        topicPartitions: this.epoch === 0 ? [] : this.owned,
        ...this.over,
        ...extra,
      }),
      this.topics,
      now,
    );
    if (r.response.errorCode === ErrorCode.NONE) {
      this.epoch = r.response.memberEpoch;
      if (r.response.assignment) this.owned = r.response.assignment;
    }
    return r;
  }
  count(): number {
    return this.owned.reduce((n, t) => n + t.partitions.length, 0);
  }
}

function replay(from: GroupShard, records: Effects['records'][]): GroupShard {
  const s = newShard();
  for (const rs of records) for (const r of rs) s.replay(r.key, r.value, 0);
  s.loaded(0);
  void from;
  return s;
}

test('a single member joins, gets every partition at epoch 1', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 4);
  const a = new Member(shard, topics, 'a');
  const r = a.beat(0);
  assert.equal(r.response.errorCode, ErrorCode.NONE);
  assert.equal(r.response.memberEpoch, 1);
  assert.equal(r.response.heartbeatIntervalMs, 5000);
  assert.deepEqual(r.response.assignment, [{ topicId: topics.id('t'), partitions: [0, 1, 2, 3] }]);
  assert.equal(shard.consumer.state(shard.consumer.groups.get('g')!), 'Stable');
  // A plain heartbeat afterwards carries no assignment.
  const again = a.beat(100, { topicPartitions: null });
  assert.equal(again.response.assignment, null);
  assert.equal(again.response.memberEpoch, 1);
});

test('v0-style join without member id gets one generated', () => {
  const shard = newShard();
  const r = shard.consumerHeartbeat(hb({}), new Topics().set('t', 1), 0);
  assert.equal(r.response.errorCode, ErrorCode.NONE);
  assert.ok(r.response.memberId && r.response.memberId.length > 0);
});

test('a second member: the first revokes before the second gets the partitions', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 6);
  const a = new Member(shard, topics, 'a');
  const b = new Member(shard, topics, 'b');
  a.beat(0);
  assert.equal(a.count(), 6);
  const rb = b.beat(10);
  assert.equal(rb.response.memberEpoch, 2);
  // b's target partitions are still owned by a: b gets none yet.
  assert.equal(b.count(), 0);
  // a is told to revoke 3 (keeps 3, epoch unchanged until it confirms).
  const ra = a.beat(20, { topicPartitions: a.owned });
  assert.equal(ra.response.memberEpoch, 1);
  assert.equal(a.count(), 3);
  // Next heartbeat confirms the revocation: a moves to epoch 2.
  assert.equal(a.beat(30).response.memberEpoch, 2);
  b.beat(40);
  assert.equal(b.count(), 3);
  const all = [...a.owned, ...b.owned].flatMap((t) => t.partitions).sort();
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5]);
  assert.equal(shard.consumer.state(shard.consumer.groups.get('g')!), 'Stable');
});

test('epochs: a larger epoch is fenced; an unknown member is UNKNOWN_MEMBER_ID; leave with -1', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 2);
  const a = new Member(shard, topics, 'a');
  a.beat(0);
  assert.equal(a.beat(1, { memberEpoch: 5 }).response.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  assert.equal(a.beat(1, { memberId: 'zz', memberEpoch: 1 }).response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const leave = a.beat(2, { memberEpoch: -1 });
  assert.equal(leave.response.errorCode, ErrorCode.NONE);
  assert.equal(leave.response.memberEpoch, -1);
  assert.equal(shard.consumer.groups.get('g')!.members.size, 0);
  assert.equal(shard.consumer.state(shard.consumer.groups.get('g')!), 'Empty');
});

test('a smaller epoch is accepted only when the member lost the last answer (previous epoch, owned ⊆ assigned)', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 4);
  const a = new Member(shard, topics, 'a');
  a.beat(0); // epoch 1, all 4
  topics.set('t', 6); // more partitions: epoch 2 on the next heartbeat
  const r = a.beat(10);
  assert.equal(r.response.memberEpoch, 2);
  // The answer was lost: the client retries with epoch 1 and its old partitions.
  const retry = shard.consumerHeartbeat(
    hb({ memberId: 'a', memberEpoch: 1, topicPartitions: [{ topicId: topics.id('t'), partitions: [0, 1, 2, 3] }] }),
    topics,
    20,
  );
  assert.equal(retry.response.errorCode, ErrorCode.NONE);
  assert.equal(retry.response.memberEpoch, 2);
  assert.equal(retry.response.assignment![0]!.partitions.length, 6);
  const stale = shard.consumerHeartbeat(hb({ memberId: 'a', memberEpoch: 0 + 1, topicPartitions: null }), topics, 30);
  assert.equal(stale.response.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
});

test('session timeout removes the member and its partitions go to the others', () => {
  const shard = newShard({ consumer: { sessionTimeoutMs: 1000 } });
  const topics = new Topics().set('t', 4);
  const a = new Member(shard, topics, 'a');
  const b = new Member(shard, topics, 'b');
  a.beat(0);
  b.beat(0);
  a.beat(10);
  a.beat(20);
  b.beat(30);
  assert.equal(a.count() + b.count(), 4);
  // b stops heartbeating.
  for (let t = 100; t <= 900; t += 400) a.beat(t);
  const fx = shard.onTimer(JSON.stringify(['cgs', 'g', 'b']), 1100);
  assert.ok(fx.records.length > 0);
  assert.equal(shard.consumer.groups.get('g')!.members.has('b'), false);
  a.beat(1200);
  assert.equal(a.count(), 4);
});

test('static members: -2 keeps the assignment; rejoin with a new member id takes it over; a duplicate instance is UNRELEASED_INSTANCE_ID', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 4);
  const a = new Member(shard, topics, 'a1', { instanceId: 'ia' });
  const b = new Member(shard, topics, 'b', {});
  a.beat(0);
  b.beat(1);
  a.beat(2);
  a.beat(3);
  b.beat(4);
  const before = a.owned;
  const epochBefore = shard.consumer.groups.get('g')!.groupEpoch;
  // A second process with the same instance id while a1 is active.
  const dup = shard.consumerHeartbeat(hb({ memberId: 'a2', instanceId: 'ia' }), topics, 5);
  assert.equal(dup.response.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  const leave = a.beat(6, { memberEpoch: -2 });
  assert.equal(leave.response.memberEpoch, -2);
  const back = shard.consumerHeartbeat(hb({ memberId: 'a2', instanceId: 'ia' }), topics, 7);
  assert.equal(back.response.errorCode, ErrorCode.NONE);
  assert.deepEqual(back.response.assignment, before);
  assert.equal(shard.consumer.groups.get('g')!.groupEpoch, epochBefore, 'no rebalance for a static rejoin');
  assert.equal(shard.consumer.groups.get('g')!.members.has('a1'), false);
  // The old member id is fenced.
  const old = shard.consumerHeartbeat(
    hb({ memberId: 'a1', memberEpoch: 3, instanceId: 'ia', topicPartitions: null }),
    topics,
    8,
  );
  assert.equal(old.response.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('regex subscriptions follow topics created later; deleted topics leave the assignment', () => {
  const shard = newShard();
  const topics = new Topics().set('orders-1', 2).set('other', 2);
  const a = new Member(shard, topics, 'a', { subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*' });
  a.beat(0, { subscribedTopicNames: null });
  assert.deepEqual(a.owned, [{ topicId: topics.id('orders-1'), partitions: [0, 1] }]);
  topics.set('orders-2', 3);
  a.beat(10, { subscribedTopicRegex: null });
  assert.equal(a.count(), 5);
  topics.map.delete('orders-1');
  a.beat(20, { subscribedTopicRegex: null });
  a.beat(30, { subscribedTopicRegex: null });
  assert.deepEqual(a.owned, [{ topicId: topics.id('orders-2'), partitions: [0, 1, 2] }]);
  const bad = shard.consumerHeartbeat(hb({ memberId: 'x', subscribedTopicRegex: '(' }), topics, 40);
  assert.equal(bad.response.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
});

test('validation: unknown assignor, empty group id, join without rebalance timeout', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 1);
  assert.equal(
    shard.consumerHeartbeat(hb({ memberId: 'a', serverAssignor: 'sticky' }), topics, 0).response.errorCode,
    ErrorCode.UNSUPPORTED_ASSIGNOR,
  );
  assert.equal(shard.consumerHeartbeat(hb({ groupId: '' }), topics, 0).response.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(
    shard.consumerHeartbeat(hb({ memberId: 'a', rebalanceTimeoutMs: -1 }), topics, 0).response.errorCode,
    ErrorCode.INVALID_REQUEST,
  );
});

test('classic and consumer groups coexist: JoinGroup on a consumer group is INCONSISTENT_GROUP_PROTOCOL and vice versa', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 1);
  new Member(shard, topics, 'a').beat(0);
  const fx = shard.joinGroup(joinReq({ groupId: 'g' }), 1, 0);
  assert.equal(replyOf(fx, 1).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  shard.joinGroup(joinReq({ groupId: 'classic', requireKnownMemberId: false }), 2, 0);
  const r = shard.consumerHeartbeat(hb({ groupId: 'classic', memberId: 'x' }), topics, 0);
  assert.equal(r.response.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const types = new Map(shard.list().map((g) => [g.groupId, g.type]));
  assert.equal(types.get('g'), 'consumer');
  assert.equal(types.get('classic'), 'classic');
});

test('offset commits of consumer groups use the member epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID)', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 1);
  const a = new Member(shard, topics, 'a');
  a.beat(0);
  const commit = (memberId: string, generationId: number, apiVersion = 9) =>
    shard.commitOffsets(
      {
        groupId: 'g',
        generationId,
        memberId,
        groupInstanceId: null,
        apiVersion,
        partitions: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: '', expireTimestamp: -1 }],
      },
      0,
    ).results[0]!.errorCode;
  assert.equal(commit('a', 1), ErrorCode.NONE);
  assert.equal(commit('a', 0), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(commit('nope', 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(commit('a', 1, 8), ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(shard.groups.has('g'), false, 'no classic group appears for the consumer group');
  assert.equal(shard.validateFetchMember('g', 'a', 0), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(shard.validateFetchMember('g', 'a', 1), ErrorCode.NONE);
});

test('the group is replayed from its records: members, epochs, assignments, target', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 4);
  const log: Effects['records'][] = [];
  const a = new Member(shard, topics, 'a', { instanceId: 'ia' });
  const b = new Member(shard, topics, 'b');
  log.push(a.beat(0).fx.records, b.beat(1).fx.records, a.beat(2).fx.records, a.beat(3).fx.records);
  log.push(b.beat(4).fx.records);
  const g = shard.consumer.groups.get('g')!;
  const copy = replay(shard, log).consumer.groups.get('g')!;
  assert.equal(copy.groupEpoch, g.groupEpoch);
  assert.equal(copy.assignmentEpoch, g.assignmentEpoch);
  assert.deepEqual([...copy.members.keys()].sort(), ['a', 'b']);
  for (const id of ['a', 'b']) {
    assert.deepEqual(copy.members.get(id)!.assigned, g.members.get(id)!.assigned);
    assert.equal(copy.members.get(id)!.memberEpoch, g.members.get(id)!.memberEpoch);
    assert.deepEqual(copy.target.get(id), g.target.get(id));
  }
  assert.equal(copy.staticMembers.get('ia'), 'a');
  assert.deepEqual(copy.subscribed, g.subscribed);
  // Leaving is replayed too.
  log.push(b.beat(5, { memberEpoch: -1 }).fx.records);
  assert.deepEqual([...replay(shard, log).consumer.groups.get('g')!.members.keys()], ['a']);
});

test('assignors: range gives contiguous ranges; uniform is balanced and sticky', () => {
  const topics = new Map([
    ['x', { id: 'X', numPartitions: 5 }],
    ['y', { id: 'Y', numPartitions: 2 }],
  ]);
  const members = new Map([
    ['m1', new Set(['x', 'y'])],
    ['m2', new Set(['x', 'y'])],
  ]);
  const r = rangeAssign({ members, topics, previous: new Map() });
  assert.deepEqual([...r.get('m1')!.get('X')!], [0, 1, 2]);
  assert.deepEqual([...r.get('m2')!.get('X')!], [3, 4]);
  const u1 = uniformAssign({ members, topics, previous: new Map() });
  const size = (a: Map<string, Set<number>>) => [...a.values()].reduce((n, s) => n + s.size, 0);
  assert.ok(Math.abs(size(u1.get('m1')!) - size(u1.get('m2')!)) <= 1);
  members.set('m3', new Set(['x', 'y']));
  const u2 = uniformAssign({ members, topics, previous: u1 });
  for (const m of ['m1', 'm2', 'm3']) assert.ok(size(u2.get(m)!) >= 2 && size(u2.get(m)!) <= 3);
  // Sticky: what m1 keeps was m1's before.
  for (const [t, ps] of u2.get('m1')!) for (const p of ps) assert.ok(u1.get('m1')!.get(t)?.has(p));
});

test('commits from outside group management: no group or no members accept epoch -1 with a member id (KIP-848 assign())', () => {
  const shard = newShard();
  const topics = new Topics().set('t', 1);
  const commit = (groupId: string, memberId: string, generationId: number, transactional = false) =>
    shard.commitOffsets(
      {
        groupId,
        generationId,
        memberId,
        groupInstanceId: null,
        apiVersion: transactional ? undefined : 9,
        transactional,
        partitions: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: '', expireTimestamp: -1 }],
      },
      0,
    ).results[0]!.errorCode;
  // No group at all: a librdkafka consumer-protocol client with assign() sends its own member id and epoch -1.
  assert.equal(commit('manual', 'client-generated-id', -1), ErrorCode.NONE);
  assert.equal(commit('missing', 'm', 3), ErrorCode.GROUP_ID_NOT_FOUND, 'v9+: a generation of no group');
  // A consumer group with members: -1 from a non-member is UNKNOWN_MEMBER_ID (Kafka), transactional v0-v2 is fine.
  const a = new Member(shard, topics, 'a');
  a.beat(0);
  assert.equal(commit('g', 'other', -1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(commit('g', '', -1, true), ErrorCode.NONE);
  assert.equal(commit('g', 'a', a.epoch, true), ErrorCode.NONE);
  // The group left empty: -1 commits are accepted again, with or without a member id.
  a.beat(10, { memberEpoch: -1 });
  assert.equal(commit('g', 'after-leave', -1), ErrorCode.NONE);
});
