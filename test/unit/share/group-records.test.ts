// Share groups stored in __consumer_offsets: every change ShareGroups makes comes with the records that persist it, and
// replaying those records (what a coordinator does when it loads the partition after a restart or failover) gives the
// same groups back: epochs, members, targets, current assignments, the share-partitions with state; a deleted group's
// tombstones leave nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { TopicsView } from '../../../src/coordinator/group/consumer.ts';
import { type ShareGroup, ShareGroups, type ShareHeartbeatRequest } from '../../../src/coordinator/share/group.ts';
import {
  decodeShareGroupRecord,
  isShareGroupKey,
  type StoredRecord,
} from '../../../src/coordinator/share/group-records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const idOf = (name: string) => Buffer.alloc(16, name.charCodeAt(0)).toString('base64url');
const nameOf = (id: string) => ['t', 'u', 'v'].find((n) => idOf(n) === id);
const config = { sessionTimeoutMs: 1000, heartbeatIntervalMs: 100, maxSize: 10 };

function topicsOf(parts: Record<string, number>): TopicsView {
  return {
    get: (n) => (parts[n] === undefined ? undefined : { id: idOf(n), numPartitions: parts[n]! }),
    names: () => Object.keys(parts),
  };
}

const hb = (over: Partial<ShareHeartbeatRequest>): ShareHeartbeatRequest => ({
  groupId: 'g',
  memberId: '',
  memberEpoch: 0,
  rackId: null,
  subscribedTopicNames: ['t'],
  clientId: 'c',
  clientHost: '/127.0.0.1',
  ...over,
});

/** What a group is, without the liveness clock (lastSeen is not stored: a loaded member gets a new session). */
function view(g: ShareGroup | undefined) {
  if (!g) return undefined;
  return {
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    metadataHash: g.metadataHash,
    members: [...g.members.values()]
      .map(({ lastSeen: _, ...m }) => m)
      .sort((a, b) => (a.memberId < b.memberId ? -1 : 1)),
    target: [...g.target].sort(([a], [b]) => (a < b ? -1 : 1)),
    initialized: [...g.initialized]
      .map(([id, t]) => [id, t.topicName, [...t.partitions].sort((a, b) => a - b)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
    deleting: [...g.deleting].sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

/** A coordinator loading the stored records: last value per key wins, in log order. */
function replayed(log: StoredRecord[]): ShareGroups {
  const sg = new ShareGroups(config, () => 'unused');
  for (const r of log) {
    assert.ok(isShareGroupKey(r.key));
    sg.replay(decodeShareGroupRecord(r.key, r.value), nameOf);
  }
  return sg;
}

test('join, rejoin, leave and session expiry: replaying the stored records gives the same group', () => {
  let ids = 0;
  const sg = new ShareGroups(config, () => `m${++ids}`);
  const log: StoredRecord[] = [];
  const run = (fx: { records: StoredRecord[] }) => log.push(...fx.records);
  const topics = topicsOf({ t: 3, u: 1 });
  const a = sg.heartbeat(hb({ subscribedTopicNames: ['t', 'u'] }), topics, 0);
  run(a.fx);
  const b = sg.heartbeat(hb({ rackId: 'r1' }), topics, 1);
  run(b.fx);
  run(sg.heartbeat(hb({ memberId: 'm1', memberEpoch: 1, subscribedTopicNames: null }), topics, 2).fx);
  // A topic grows: the epoch is bumped and the targets change.
  run(sg.heartbeat(hb({ memberId: 'm2', memberEpoch: 2, subscribedTopicNames: null }), topicsOf({ t: 4, u: 1 }), 3).fx);
  const c = sg.heartbeat(hb({ clientId: 'other' }), topicsOf({ t: 4, u: 1 }), 4);
  run(c.fx);
  run(sg.heartbeat(hb({ memberId: 'm3', memberEpoch: -1 }), topicsOf({ t: 4, u: 1 }), 5).fx);
  run(sg.onTimer(b.fx.timers[0]!.key, topicsOf({ t: 4, u: 1 }), 5000));
  const g = sg.groups.get('g')!;
  assert.equal(g.members.size, 1, 'm2 timed out, m3 left');
  assert.ok(g.groupEpoch >= 5);
  assert.deepEqual(view(replayed(log).groups.get('g')), view(g));

  // Loaded members get a full session from the load on.
  const loaded = replayed(log);
  const fx = loaded.loaded(['g'], 10_000);
  assert.deepEqual(
    fx.timers.map((t) => t.at),
    [11_000],
  );
  // A loaded member heartbeats with its stored epoch and is not fenced.
  const m1 = loaded.groups.get('g')!.members.get('m1')!;
  const again = loaded.heartbeat(
    hb({ memberId: 'm1', memberEpoch: m1.memberEpoch, subscribedTopicNames: null }),
    topicsOf({ t: 4, u: 1 }),
    10_001,
  );
  assert.equal(again.response.errorCode, ErrorCode.NONE);
  assert.equal(again.response.memberEpoch, g.groupEpoch);
});

test('share-partitions with state, deleting topics and the group tombstones replay', () => {
  const sg = new ShareGroups(config, () => 'm1');
  const log: StoredRecord[] = [];
  log.push(...sg.heartbeat(hb({}), topicsOf({ t: 2 }), 0).fx.records);
  log.push(...sg.markInitialized('g', [{ topicId: idOf('t'), topicName: 't', partition: 1 }]));
  log.push(...sg.markInitialized('g', [{ topicId: idOf('u'), topicName: 'u', partition: 0 }]));
  assert.deepEqual(sg.markInitialized('g', [{ topicId: idOf('t'), topicName: 't', partition: 1 }]), [], 'no news');
  log.push(...sg.markDeleting('g', [{ topicId: idOf('u'), topicName: 'u' }], false));
  assert.deepEqual(view(replayed(log).groups.get('g')), view(sg.groups.get('g')));
  assert.deepEqual([...replayed(log).groups.get('g')!.deleting], [[idOf('u'), 'u']]);
  log.push(...sg.markDeleting('g', [{ topicId: idOf('u'), topicName: 'u' }], true));
  log.push(...sg.heartbeat(hb({ memberId: 'm1', memberEpoch: -1 }), topicsOf({ t: 2 }), 1).fx.records);
  const empty = replayed(log).groups.get('g')!;
  assert.deepEqual(view(empty), view(sg.groups.get('g')));
  assert.equal(empty.members.size, 0);
  assert.equal(empty.groupEpoch, 2, 'the epoch survives the group being empty');
  const del = sg.delete('g');
  assert.equal(del.errorCode, ErrorCode.NONE);
  log.push(...del.records);
  assert.equal(replayed(log).groups.size, 0, 'tombstones delete the group');
  // The metadata tombstone comes last, as Kafka writes it.
  assert.equal(decodeShareGroupRecord(log.at(-1)!.key, log.at(-1)!.value).type, 'metadata');
});

test('property: any sequence of heartbeats, leaves, expiries and topic changes replays to the live groups', () => {
  const op = fc.oneof(
    fc.record({
      k: fc.constant('join' as const),
      m: fc.integer({ min: 0, max: 4 }),
      subs: fc.subarray(['t', 'u', 'v'], { minLength: 1 }),
    }),
    fc.record({ k: fc.constant('beat' as const), m: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ k: fc.constant('leave' as const), m: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ k: fc.constant('expire' as const), m: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ k: fc.constant('grow' as const), t: fc.constantFrom('t', 'u', 'v') }),
    fc.record({
      k: fc.constant('state' as const),
      t: fc.constantFrom('t', 'u', 'v'),
      p: fc.integer({ min: 0, max: 3 }),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const sg = new ShareGroups(config, () => 'never');
      const parts: Record<string, number> = { t: 1, u: 2, v: 3 };
      const log: StoredRecord[] = [];
      let now = 0;
      for (const o of ops) {
        now += 10;
        const id = `member${'m' in o ? o.m : 0}`.padEnd(22, 'x');
        const member = sg.groups.get('g')?.members.get(id);
        if (o.k === 'join') {
          log.push(
            ...sg.heartbeat(hb({ memberId: id, subscribedTopicNames: o.subs }), topicsOf(parts), now).fx.records,
          );
        } else if (o.k === 'beat' && member) {
          const r = sg.heartbeat(
            hb({ memberId: id, memberEpoch: member.memberEpoch, subscribedTopicNames: null }),
            topicsOf(parts),
            now,
          );
          log.push(...r.fx.records);
        } else if (o.k === 'leave' && member) {
          log.push(...sg.heartbeat(hb({ memberId: id, memberEpoch: -1 }), topicsOf(parts), now).fx.records);
        } else if (o.k === 'expire' && member) {
          now += 5000;
          log.push(...sg.onTimer(`share-session\0g\0${id}`, topicsOf(parts), now).records);
        } else if (o.k === 'grow') {
          parts[o.t]! += 1;
        } else if (o.k === 'state') {
          log.push(...sg.markInitialized('g', [{ topicId: idOf(o.t), topicName: o.t, partition: o.p }]));
        }
      }
      assert.deepEqual(view(replayed(log).groups.get('g')), view(sg.groups.get('g')));
    }),
    { seed: 932, numRuns: 200 },
  );
});
