// The share-group offset operations (coordinator/share/offsets.ts) over an in-memory share coordinator: describe with
// and without topics (unknown partitions, never-fetched ones), alter (new state epoch, refused with members), delete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alterShareOffsets,
  deleteShareOffsets,
  describeShareOffsets,
  type ShareOffsetsDeps,
  shareLag,
} from '../../../src/coordinator/share/offsets.ts';
import type { SharePartitionKey } from '../../../src/coordinator/share/records.ts';
import { DeliveryState, initialState, type PersistedShareState } from '../../../src/coordinator/share/state.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

function fake(state: 'Empty' | 'Stable' | 'Dead' = 'Empty') {
  const states = new Map<string, { key: SharePartitionKey; state: PersistedShareState }>();
  const k = (key: SharePartitionKey) => `${key.groupId}/${key.topicId}/${key.partition}`;
  const forgotten: string[] = [];
  const deps: ShareOffsetsDeps = {
    topic: (name) => (name === 't' ? { id: 'T', partitions: 2 } : undefined),
    topicName: (id) => (id === 'T' ? 't' : undefined),
    groupState: () => state,
    statesOf: (g) => [...states.values()].filter((s) => s.key.groupId === g),
    read: (key) => states.get(k(key))?.state,
    initialize: (key, stateEpoch, startOffset) => {
      const old = states.get(k(key));
      if (old && stateEpoch < old.state.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
      states.set(k(key), { key, state: initialState(startOffset, stateEpoch) });
      return ErrorCode.NONE;
    },
    deleteState: (key) => void states.delete(k(key)),
    forget: (key) => void forgotten.push(k(key)),
    highWatermark: (_t, p) => (p === 0 ? 10 : undefined),
  };
  return { deps, states, forgotten };
}

test('lag: records from the start offset to the high watermark not acknowledged or archived', () => {
  const s: PersistedShareState = {
    ...initialState(2),
    batches: [
      { firstOffset: 2, lastOffset: 3, deliveryState: DeliveryState.ACKNOWLEDGED, deliveryCount: 1 },
      { firstOffset: 4, lastOffset: 4, deliveryState: DeliveryState.AVAILABLE, deliveryCount: 1 },
      { firstOffset: 5, lastOffset: 12, deliveryState: DeliveryState.ARCHIVED, deliveryCount: 5 },
    ],
  };
  assert.equal(shareLag(s, 10), 1);
  assert.equal(shareLag(initialState(10), 10), 0);
});

test('describe: unknown group, all share-partitions, asked ones (unknown, never fetched)', () => {
  const { deps } = fake('Dead');
  assert.equal(describeShareOffsets(deps, 'g', null).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  deps.initialize({ groupId: 'g', topicId: 'T', partition: 0 }, 0, 3);
  const all = describeShareOffsets(deps, 'g', null);
  assert.equal(all.errorCode, ErrorCode.NONE);
  assert.deepEqual(all.topics, [
    {
      topicName: 't',
      topicId: 'T',
      partitions: [{ partitionIndex: 0, startOffset: 3, leaderEpoch: 0, lag: 7, errorCode: 0, errorMessage: null }],
    },
  ]);
  const asked = describeShareOffsets(deps, 'g', [
    { topicName: 't', partitions: [1, 5] },
    { topicName: 'nope', partitions: [0] },
  ]);
  assert.deepEqual(
    asked.topics.flatMap((t) => t.partitions.map((p) => [t.topicName, p.partitionIndex, p.startOffset, p.errorCode])),
    [
      ['t', 1, -1, ErrorCode.NONE],
      ['t', 5, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['nope', 0, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
});

test('alter: a new state epoch at the given offset, the leader forgets it; refused with members', () => {
  const { deps, states, forgotten } = fake();
  deps.initialize({ groupId: 'g', topicId: 'T', partition: 0 }, 0, 3);
  const r = alterShareOffsets(deps, 'g', [
    {
      topicName: 't',
      partitions: [
        { partitionIndex: 0, startOffset: 1 },
        { partitionIndex: 9, startOffset: 1 },
        { partitionIndex: 1, startOffset: -1 },
      ],
    },
  ]);
  assert.deepEqual(
    r.responses[0]!.partitions.map((p) => p.errorCode),
    [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST],
  );
  assert.deepEqual(states.get('g/T/0')!.state, initialState(1, 1));
  assert.deepEqual(forgotten, ['g/T/0']);
  const busy = fake('Stable');
  assert.equal(alterShareOffsets(busy.deps, 'g', []).errorCode, ErrorCode.NON_EMPTY_GROUP);
});

test('delete: the topic state goes; unknown topic, unknown group, non-empty group', () => {
  const { deps, states } = fake();
  deps.initialize({ groupId: 'g', topicId: 'T', partition: 0 }, 0, 3);
  deps.initialize({ groupId: 'g', topicId: 'T', partition: 1 }, 0, 3);
  deps.initialize({ groupId: 'h', topicId: 'T', partition: 1 }, 0, 3);
  const r = deleteShareOffsets(deps, 'g', ['t', 'nope']);
  assert.deepEqual(
    r.responses.map((t) => [t.topicName, t.errorCode]),
    [
      ['t', ErrorCode.NONE],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  assert.deepEqual([...states.keys()], ['h/T/1']);
  assert.equal(deleteShareOffsets(fake('Dead').deps, 'x', ['t']).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(deleteShareOffsets(fake('Stable').deps, 'g', ['t']).errorCode, ErrorCode.NON_EMPTY_GROUP);
});
