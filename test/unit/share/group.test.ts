import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopicsView } from '../../../src/coordinator/group/consumer.ts';
import { assignShare, ShareGroups, type ShareHeartbeatRequest } from '../../../src/coordinator/share/group.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

/** A topic id (a UUID, as the stored records need) made of the name's first character. */
const idOf = (name: string) => Buffer.alloc(16, name.charCodeAt(0)).toString('base64url');

function topicsOf(parts: Record<string, number>): TopicsView {
  return {
    get: (n) => (parts[n] === undefined ? undefined : { id: idOf(n), numPartitions: parts[n]! }),
    names: () => Object.keys(parts),
  };
}

const config = { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5000, maxSize: 3 };
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

test('the share assignor spreads partitions, and shares them when members outnumber them', () => {
  const members = new Map(['a', 'b', 'c', 'd', 'e'].map((id) => [id, { subscribedTopicNames: ['t', 'u'] }]));
  const a = assignShare(members, topicsOf({ t: 1, u: 12 }));
  for (const id of members.keys()) {
    const t = a.get(id)!.find((x) => x.topicName === 't')!;
    assert.deepEqual(t.partitions, [0], `${id} shares t-0`);
  }
  const u = [...a.values()].flatMap((x) => x.find((y) => y.topicName === 'u')!.partitions).sort((x, y) => x - y);
  assert.deepEqual(
    u,
    Array.from({ length: 12 }, (_, i) => i),
    'u partitions each once',
  );
  assert.deepEqual(
    [...a.values()].map((x) => x.find((y) => y.topicName === 'u')!.partitions.length).sort(),
    [2, 2, 2, 3, 3],
  );
});

test('join, heartbeat, fenced epoch, leave', () => {
  let ids = 0;
  const sg = new ShareGroups(config, () => `m${++ids}`);
  const topics = topicsOf({ t: 2 });
  const j1 = sg.heartbeat(hb({}), topics, 0).response;
  assert.equal(j1.errorCode, ErrorCode.NONE);
  assert.equal(j1.memberId, 'm1');
  assert.equal(j1.memberEpoch, 1);
  assert.deepEqual(j1.assignment, [{ topicId: idOf('t'), partitions: [0, 1] }]);
  const j2 = sg.heartbeat(hb({ memberId: 'x' }), topics, 10).response;
  assert.equal(j2.memberEpoch, 2);
  assert.deepEqual(j2.assignment, [{ topicId: idOf('t'), partitions: [1] }]);
  // m1 heartbeats with its old epoch: accepted, and gets the new assignment.
  const h1 = sg.heartbeat(hb({ memberId: 'm1', memberEpoch: 1, subscribedTopicNames: null }), topics, 20).response;
  assert.equal(h1.memberEpoch, 2);
  assert.deepEqual(h1.assignment, [{ topicId: idOf('t'), partitions: [0] }]);
  const h2 = sg.heartbeat(hb({ memberId: 'm1', memberEpoch: 2, subscribedTopicNames: null }), topics, 30).response;
  assert.equal(h2.assignment, null, 'unchanged assignment is not resent');
  assert.equal(
    sg.heartbeat(hb({ memberId: 'm1', memberEpoch: 7, subscribedTopicNames: null }), topics, 30).response.errorCode,
    ErrorCode.FENCED_MEMBER_EPOCH,
  );
  assert.equal(
    sg.heartbeat(hb({ memberId: 'nope', memberEpoch: 2 }), topics, 30).response.errorCode,
    ErrorCode.UNKNOWN_MEMBER_ID,
  );
  const leave = sg.heartbeat(hb({ memberId: 'x', memberEpoch: -1 }), topics, 40);
  assert.equal(leave.response.memberEpoch, -1);
  assert.deepEqual(leave.fx.removed, [{ groupId: 'g', memberId: 'x' }]);
  assert.equal(sg.delete('g').errorCode, ErrorCode.NON_EMPTY_GROUP);
});

test('bad requests get INVALID_REQUEST, a full group GROUP_MAX_SIZE_REACHED', () => {
  const sg = new ShareGroups(config, () => 'id');
  const topics = topicsOf({ t: 1 });
  assert.equal(sg.heartbeat(hb({ groupId: '' }), topics, 0).response.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(sg.heartbeat(hb({ subscribedTopicNames: [] }), topics, 0).response.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(sg.heartbeat(hb({ memberEpoch: 3 }), topics, 0).response.errorCode, ErrorCode.INVALID_REQUEST);
  for (const id of ['a', 'b', 'c']) sg.heartbeat(hb({ memberId: id }), topics, 0);
  assert.equal(sg.heartbeat(hb({ memberId: 'd' }), topics, 0).response.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
});

test('a member whose session times out is removed, one that heartbeats is kept', () => {
  const sg = new ShareGroups(config, () => 'id');
  const topics = topicsOf({ t: 1 });
  const { fx } = sg.heartbeat(hb({ memberId: 'a' }), topics, 0);
  sg.heartbeat(hb({ memberId: 'b' }), topics, 0);
  const key = fx.timers[0]!.key;
  const beat = sg.heartbeat(hb({ memberId: 'a', memberEpoch: 1, subscribedTopicNames: null }), topics, 40_000);
  assert.equal(beat.response.memberEpoch, 2, 'a takes the epoch of b joining');
  const early = sg.onTimer(key, topics, 45_000);
  assert.deepEqual(early.removed, []);
  assert.deepEqual(early.timers, [{ key, at: 85_000 }]);
  assert.deepEqual(sg.onTimer(key, topics, 85_000).removed, [{ groupId: 'g', memberId: 'a' }]);
  assert.equal(sg.state('g'), 'Stable');
});

test('new partitions of a subscribed topic bump the epoch and reassign', () => {
  const sg = new ShareGroups(config, () => 'id');
  sg.heartbeat(hb({ memberId: 'a' }), topicsOf({ t: 1 }), 0);
  const r = sg.heartbeat(hb({ memberId: 'a', memberEpoch: 1, subscribedTopicNames: null }), topicsOf({ t: 3 }), 1);
  assert.equal(r.response.memberEpoch, 2);
  assert.deepEqual(r.response.assignment, [{ topicId: idOf('t'), partitions: [0, 1, 2] }]);
});

test('a group restored from its share-partition state is Empty at epoch 0; a member joining bumps the epoch', () => {
  const sg = new ShareGroups(config, () => 'm1');
  assert.equal(sg.state('g'), 'Dead');
  sg.restoreEmpty('g');
  assert.equal(sg.state('g'), 'Empty');
  assert.equal(sg.groups.get('g')!.groupEpoch, 0);
  const j = sg.heartbeat(hb({}), topicsOf({ t: 1 }), 0).response;
  assert.equal(j.memberEpoch, 1);
  sg.restoreEmpty('g');
  assert.equal(sg.state('g'), 'Stable', 'restoring an existing group changes nothing');
  assert.equal(sg.delete('g').errorCode, ErrorCode.NON_EMPTY_GROUP);
});
