import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRecord, javaStringHashCode, partitionForGroup } from '../../../src/coordinator/group/records.ts';
import { GroupShard } from '../../../src/coordinator/group/shard.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { CONFIG, joinReq, newShard, replyOf, subscription, Timers } from './helpers.ts';

/** Joins one member through MEMBER_ID_REQUIRED and the initial delay; returns its member id. */
function joinFirst(shard: GroupShard, timers: Timers, now = 0, over = {}) {
  const fx1 = timers.add(shard.joinGroup(joinReq(over), 1, now));
  const r1 = replyOf(fx1, 1);
  assert.equal(r1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const fx2 = timers.add(shard.joinGroup(joinReq({ ...over, memberId: r1.memberId }), 2, now));
  assert.equal(replyOf(fx2, 2), undefined, 'waits for the initial rebalance delay');
  const fx3 = timers.fire(shard, now + CONFIG.initialRebalanceDelayMs);
  const r = replyOf(fx3, 2);
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r;
}

describe('classic group state machine', () => {
  test('KIP-394 member id, initial delay, leader sync makes the group Stable and writes its metadata', () => {
    const shard = newShard();
    const timers = new Timers();
    const j = joinFirst(shard, timers);
    assert.equal(j.generationId, 1);
    assert.equal(j.leader, j.memberId);
    assert.equal(j.protocolName, 'range');
    assert.equal(j.members.length, 1);
    assert.equal(shard.groups.get('g')!.state, 'CompletingRebalance');
    const fx = shard.syncGroup(
      {
        groupId: 'g',
        generationId: 1,
        memberId: j.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }],
      },
      3,
      200,
    );
    assert.equal(replyOf(fx, 3).assignment.toString(), 'A');
    assert.equal(shard.groups.get('g')!.state, 'Stable');
    assert.equal(fx.records.length, 1);
    const rec = decodeRecord(fx.records[0]!.key, fx.records[0]!.value);
    assert.equal(rec.type, 'group');
    assert.equal(shard.heartbeat('g', j.memberId, null, 1, 300), ErrorCode.NONE);
    assert.equal(shard.heartbeat('g', j.memberId, null, 0, 300), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(shard.heartbeat('g', 'nobody', null, 1, 300), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('a second member triggers a rebalance; heartbeats say REBALANCE_IN_PROGRESS until everyone rejoined', () => {
    const shard = newShard();
    const timers = new Timers();
    const a = joinFirst(shard, timers);
    shard.syncGroup(
      {
        groupId: 'g',
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      },
      3,
      0,
    );
    const b1 = replyOf(timers.add(shard.joinGroup(joinReq({ clientId: 'b' }), 10, 1000)), 10);
    assert.equal(b1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    timers.add(shard.joinGroup(joinReq({ memberId: b1.memberId }), 11, 1000));
    assert.equal(shard.groups.get('g')!.state, 'PreparingRebalance');
    assert.equal(shard.heartbeat('g', a.memberId, null, 1, 1100), ErrorCode.REBALANCE_IN_PROGRESS);
    const fx = timers.add(shard.joinGroup(joinReq({ memberId: a.memberId }), 12, 1200));
    assert.equal(replyOf(fx, 12).generationId, 2);
    assert.equal(replyOf(fx, 11).generationId, 2);
    assert.equal(replyOf(fx, 12).members.length, 2, 'the leader gets every member');
    assert.equal(replyOf(fx, 11).members.length, 0);
    // SyncGroup of a follower waits for the leader.
    const f = shard.syncGroup(
      {
        groupId: 'g',
        generationId: 2,
        memberId: b1.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      },
      13,
      1300,
    );
    assert.equal(f.replies.length, 0);
    const l = shard.syncGroup(
      {
        groupId: 'g',
        generationId: 2,
        memberId: a.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [{ memberId: b1.memberId, assignment: Buffer.from('B') }],
      },
      14,
      1300,
    );
    assert.equal(replyOf(l, 13).assignment.toString(), 'B');
    assert.equal(replyOf(l, 14).assignment.length, 0);
  });

  test('a member that stops heartbeating expires after its session timeout', () => {
    const shard = newShard();
    const timers = new Timers();
    const a = joinFirst(shard, timers);
    shard.syncGroup(
      {
        groupId: 'g',
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      },
      3,
      100,
    );
    assert.equal(shard.heartbeat('g', a.memberId, null, 1, 5000), ErrorCode.NONE);
    timers.fire(shard, 14_000);
    assert.equal(shard.groups.get('g')!.members.size, 1, 'heartbeat at 5000 keeps it alive until 15000');
    const fx = timers.fire(shard, 16_000);
    assert.equal(shard.groups.get('g')!.members.size, 0);
    assert.equal(shard.groups.get('g')!.state, 'Empty');
    assert.equal(fx.records.length, 1, 'the now empty group is stored');
  });

  test('static membership: rejoin without member id replaces the old id, which is then fenced', () => {
    const shard = newShard();
    const timers = new Timers();
    const fx = timers.add(shard.joinGroup(joinReq({ groupInstanceId: 'i1' }), 1, 0));
    assert.equal(replyOf(fx, 1), undefined, 'static members skip MEMBER_ID_REQUIRED');
    const j = replyOf(timers.fire(shard, 100), 1);
    shard.syncGroup(
      {
        groupId: 'g',
        generationId: 1,
        memberId: j.memberId,
        groupInstanceId: 'i1',
        protocolType: null,
        protocolName: null,
        assignments: [{ memberId: j.memberId, assignment: Buffer.from('X') }],
      },
      2,
      100,
    );
    const re = shard.joinGroup(joinReq({ groupInstanceId: 'i1' }), 3, 200);
    const r = replyOf(re, 3);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.notEqual(r.memberId, j.memberId);
    assert.equal(r.generationId, 1, 'same subscription: no rebalance');
    assert.equal(r.skipAssignment, true, 'it was the leader');
    assert.equal(shard.groups.get('g')!.state, 'Stable');
    assert.equal(shard.heartbeat('g', j.memberId, 'i1', 1, 300), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(shard.heartbeat('g', r.memberId, 'i1', 1, 300), ErrorCode.NONE);
    const leave = shard.leaveGroup(
      'g',
      [
        { memberId: '', groupInstanceId: 'i1' },
        { memberId: '', groupInstanceId: 'nope' },
      ],
      400,
    );
    assert.deepEqual(
      leave.members.map((m) => m.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
    );
    assert.equal(shard.groups.get('g')!.members.size, 0);
  });

  test('session timeout bounds, max group size, inconsistent protocols', () => {
    const shard = newShard({ maxSize: 1 });
    const timers = new Timers();
    assert.equal(
      replyOf(shard.joinGroup(joinReq({ sessionTimeoutMs: 10 }), 1, 0), 1).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    joinFirst(shard, timers);
    assert.equal(replyOf(shard.joinGroup(joinReq(), 5, 0), 5).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    const s2 = newShard();
    joinFirst(s2, new Timers());
    const bad = joinReq({ protocols: [{ name: 'other', metadata: Buffer.alloc(0) }] });
    assert.equal(replyOf(s2.joinGroup(bad, 9, 0), 9).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  test('offset commits: generation and member checks, simple consumers, replay rebuilds the same state', () => {
    const shard = newShard();
    const timers = new Timers();
    const p = [{ topic: 't', partition: 0, offset: 42, leaderEpoch: 0, metadata: 'm', expireTimestamp: -1 }];
    const simple = shard.commitOffsets(
      { groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, partitions: p },
      0,
    );
    assert.equal(simple.results[0]!.errorCode, ErrorCode.NONE);
    for (const r of simple.records) shard.replay(r.key, r.value, 0, true);
    assert.equal(shard.fetchOffsets('s', [{ topic: 't', partition: 0 }])[0]!.offset, 42);
    const a = joinFirst(shard, timers);
    const sync = shard.syncGroup(
      {
        groupId: 'g',
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [],
      },
      3,
      100,
    );
    const stale = shard.commitOffsets(
      { groupId: 'g', generationId: 0, memberId: a.memberId, groupInstanceId: null, partitions: p },
      200,
    );
    assert.equal(stale.results[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    const unknown = shard.commitOffsets(
      { groupId: 'g', generationId: 1, memberId: 'x', groupInstanceId: null, partitions: p },
      200,
    );
    assert.equal(unknown.results[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const asSimple = shard.commitOffsets(
      { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, partitions: p },
      200,
    );
    assert.equal(
      asSimple.results[0]!.errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
      'simple commits only for groups without members',
    );
    const ok = shard.commitOffsets(
      { groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, partitions: p },
      200,
    );
    assert.equal(ok.results[0]!.errorCode, ErrorCode.NONE);
    for (const r of ok.records) shard.replay(r.key, r.value, 200, true);
    // Replay everything into a fresh shard.
    const fresh = new GroupShard(0, CONFIG, () => 'x');
    for (const r of [...simple.records, ...sync.records, ...ok.records]) fresh.replay(r.key, r.value, 300);
    assert.equal(fresh.groups.get('g')!.state, 'Stable');
    assert.equal(fresh.groups.get('g')!.generationId, 1);
    assert.deepEqual(fresh.fetchOffsets('g', null), shard.fetchOffsets('g', null));
    assert.equal(fresh.fetchOffsets('s', null)[0]!.offset, 42);
    // DeleteGroups refuses a group with members, OffsetDelete a subscribed topic.
    assert.equal(shard.deleteGroup('g', 400).errorCode, ErrorCode.NON_EMPTY_GROUP);
    const od = shard.deleteOffsets('g', [{ topic: 't', partition: 0 }]);
    assert.equal(od.results[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    const del = shard.deleteGroup('s', 400);
    assert.equal(del.errorCode, ErrorCode.NONE);
    for (const r of del.records) fresh.replay(r.key, r.value, 500);
    assert.equal(fresh.fetchOffsets('s', null).length, 0, 'tombstones delete');
  });

  test('offsets of an empty group expire after offsets.retention', () => {
    const shard = newShard();
    const p = [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '', expireTimestamp: -1 }];
    const c = shard.commitOffsets(
      { groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, partitions: p },
      0,
    );
    for (const r of c.records) shard.replay(r.key, r.value, 0, true);
    assert.equal(shard.expireOffsets(CONFIG.offsetsRetentionMs - 1).length, 0);
    const exp = shard.expireOffsets(CONFIG.offsetsRetentionMs + 1);
    assert.equal(exp.length, 2, 'the offset and the group metadata are tombstoned');
    shard.applyExpiry(exp, CONFIG.offsetsRetentionMs + 1);
    assert.equal(shard.groups.has('s'), false);
    assert.equal(shard.fetchOffsets('s', null).length, 0);
  });

  test('TxnOffsetCommit v0-v2 (no member id, no generation) is accepted while the group has members', () => {
    const shard = newShard();
    const timers = new Timers();
    const a = joinFirst(shard, timers);
    const p = [{ topic: 't', partition: 0, offset: 7, leaderEpoch: -1, metadata: '', expireTimestamp: -1 }];
    const commit = (over: { generationId: number; memberId: string; transactional: boolean }) =>
      shard.commitOffsets({ groupId: 'g', groupInstanceId: null, partitions: p, ...over }, 150).results[0]!.errorCode;
    // CompletingRebalance: a plain commit would be REBALANCE_IN_PROGRESS; a transactional one does not wait.
    assert.equal(commit({ generationId: -1, memberId: '', transactional: true }), ErrorCode.NONE);
    assert.equal(commit({ generationId: -1, memberId: '', transactional: false }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(commit({ generationId: 1, memberId: a.memberId, transactional: true }), ErrorCode.NONE);
    assert.equal(
      commit({ generationId: 1, memberId: a.memberId, transactional: false }),
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    // v3+ naming a member is checked as Kafka does.
    assert.equal(commit({ generationId: 1, memberId: 'x', transactional: true }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(commit({ generationId: 0, memberId: a.memberId, transactional: true }), ErrorCode.ILLEGAL_GENERATION);
    // No group: a generation is ILLEGAL_GENERATION, none creates a simple group.
    assert.equal(
      shard.commitOffsets(
        { groupId: 'none', generationId: 2, memberId: 'm', groupInstanceId: null, partitions: p, transactional: true },
        0,
      ).results[0]!.errorCode,
      ErrorCode.ILLEGAL_GENERATION,
    );
  });

  test('a member id handed out with MEMBER_ID_REQUIRED stays valid after another member completed a generation', () => {
    const shard = newShard();
    const timers = new Timers();
    // b asks for a member id while a's first generation is forming, then is slow to come back.
    const fxb = timers.add(shard.joinGroup(joinReq({ clientId: 'b' }), 10, 0));
    const b = replyOf(fxb, 10);
    assert.equal(b.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const fast = { rebalanceTimeoutMs: 5_000 };
    const r1 = replyOf(timers.add(shard.joinGroup(joinReq(fast), 1, 0)), 1);
    timers.add(shard.joinGroup(joinReq({ ...fast, memberId: r1.memberId }), 2, 0));
    // The rebalance waits for the pending b; its deadline passes before b's session does: a's generation completes.
    const done = timers.fire(shard, 6_000);
    const a = replyOf(done, 2);
    assert.equal(a.errorCode, ErrorCode.NONE);
    const g = shard.groups.get('g')!;
    assert.ok(g.generationId >= 1);
    assert.ok(g.members.has(a.memberId));
    assert.ok(!g.members.has(b.memberId));
    assert.ok(g.pending.has(b.memberId), 'still pending until its session timer');
    // b rejoins with its id before its session timeout: accepted, and a rebalance starts for it.
    const fx = timers.add(shard.joinGroup(joinReq({ clientId: 'b', memberId: b.memberId }), 11, 6_500));
    assert.notEqual(replyOf(fx, 11)?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.ok(g.members.has(b.memberId));
    assert.equal(g.state, 'PreparingRebalance');
    // Without rejoining in time, a pending id expires.
    const fxc = timers.add(shard.joinGroup(joinReq({ clientId: 'c' }), 12, 9_500));
    const c = replyOf(fxc, 12);
    timers.fire(shard, 9_500 + 10_000);
    assert.ok(!g.pending.has(c.memberId));
    const late = timers.add(shard.joinGroup(joinReq({ clientId: 'c', memberId: c.memberId }), 13, 20_000));
    assert.equal(replyOf(late, 13).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('group id hashing follows Kafka (Utils.abs maps Integer.MIN_VALUE to 0)', () => {
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(javaStringHashCode('my-group'), -1906497762);
    assert.equal(partitionForGroup('my-group', 50), 12);
    assert.equal(partitionForGroup('a', 50), 97 % 50);
    assert.ok(subscription(['x']).length > 0);
  });
});
