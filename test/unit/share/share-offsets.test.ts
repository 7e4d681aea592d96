// The share-group offset operations (coordinator/share/offsets.ts) over an in-memory share coordinator: describe with
// and without topics (unknown partitions, never-fetched ones, a share coordinator that cannot answer), alter (new state
// epoch, refused with members), delete. The summaries come as the persister gives them (summarize of the state).
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
import {
  DeliveryState,
  initialState,
  type PersistedShareState,
  summarize,
} from '../../../src/coordinator/share/state.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.ts';

function fake(state: 'Empty' | 'Stable' | 'Dead' = 'Empty') {
  const states = new Map<string, { key: SharePartitionKey; state: PersistedShareState }>();
  const k = (key: SharePartitionKey) => `${key.groupId}/${key.topicId}/${key.partition}`;
  const forgotten: string[] = [];
  /** Keys whose share coordinator answers this error. */
  const failing = new Map<string, number>();
  const deps: ShareOffsetsDeps = {
    topic: (name) => (name === 't' ? { id: 'T', partitions: 2 } : undefined),
    topics: () => [{ name: 't', id: 'T', partitions: 2 }],
    groupState: () => state,
    summaries: async (keys) =>
      keys.map((key) => {
        const code = failing.get(k(key));
        if (code !== undefined) return { errorCode: code, errorMessage: 'unavailable' };
        const s = states.get(k(key))?.state;
        return { errorCode: ErrorCode.NONE, errorMessage: null, summary: s && summarize(s) };
      }),
    initialize: async (key, stateEpoch, startOffset) => {
      const old = states.get(k(key));
      if (old && stateEpoch < old.state.stateEpoch) return ErrorCode.FENCED_STATE_EPOCH;
      states.set(k(key), { key, state: initialState(startOffset, stateEpoch) });
      return ErrorCode.NONE;
    },
    deleteState: async (key) => {
      states.delete(k(key));
      return ErrorCode.NONE;
    },
    forget: (key) => void forgotten.push(k(key)),
    highWatermark: (_t, p) => (p === 0 ? 10 : undefined),
  };
  return { deps, states, forgotten, failing };
}

test('lag: records from the start offset to the high watermark not acknowledged or archived', () => {
  const s: PersistedShareState = {
    ...initialState(2),
    batches: [
      { firstOffset: 2, lastOffset: 3, deliveryState: DeliveryState.ACKNOWLEDGED, deliveryCount: 1 },
      { firstOffset: 4, lastOffset: 4, deliveryState: DeliveryState.AVAILABLE, deliveryCount: 1 },
      { firstOffset: 5, lastOffset: 9, deliveryState: DeliveryState.ARCHIVED, deliveryCount: 5 },
    ],
  };
  assert.equal(summarize(s).deliveryCompleteCount, 7);
  assert.equal(shareLag(summarize(s), 10), 1);
  assert.equal(shareLag(summarize(initialState(10)), 10), 0);
  assert.equal(shareLag({ ...summarize(s), deliveryCompleteCount: -1 }, 10), -1);
});

test('describe: unknown group, all share-partitions, asked ones (unknown, never fetched, unreachable)', async () => {
  const { deps, failing } = fake('Dead');
  assert.equal((await describeShareOffsets(deps, 'g', null)).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  await deps.initialize({ groupId: 'g', topicId: 'T', partition: 0 }, 0, 3);
  const all = await describeShareOffsets(deps, 'g', null);
  assert.equal(all.errorCode, ErrorCode.NONE);
  assert.deepEqual(all.topics, [
    {
      topicName: 't',
      topicId: 'T',
      partitions: [{ partitionIndex: 0, startOffset: 3, leaderEpoch: 0, lag: 7, errorCode: 0, errorMessage: null }],
    },
  ]);
  failing.set('g/T/1', ErrorCode.COORDINATOR_NOT_AVAILABLE);
  await assert.rejects(describeShareOffsets(deps, 'g', null), (e) => e instanceof KafkaError && e.code === 15);
  const asked = await describeShareOffsets(Object.assign(deps, { groupState: () => 'Empty' as const }), 'g', [
    { topicName: 't', partitions: [1, 5] },
    { topicName: 'nope', partitions: [0] },
  ]);
  assert.deepEqual(
    asked.topics.flatMap((t) => t.partitions.map((p) => [t.topicName, p.partitionIndex, p.startOffset, p.errorCode])),
    [
      ['t', 1, -1, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      ['t', 5, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['nope', 0, -1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  failing.clear();
  const never = await describeShareOffsets(deps, 'g', [{ topicName: 't', partitions: [1] }]);
  assert.deepEqual(never.topics[0]!.partitions[0], {
    partitionIndex: 1,
    startOffset: -1,
    leaderEpoch: -1,
    lag: -1,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  });
});

test('alter: a new state epoch at the given offset, the leader forgets it; refused with members', async () => {
  const { deps, states, forgotten } = fake();
  await deps.initialize({ groupId: 'g', topicId: 'T', partition: 0 }, 0, 3);
  const r = await alterShareOffsets(deps, 'g', [
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
  assert.equal((await alterShareOffsets(busy.deps, 'g', [])).errorCode, ErrorCode.NON_EMPTY_GROUP);
});

test('delete: the topic state goes; unknown topic, unknown group, non-empty group', async () => {
  const { deps, states } = fake();
  await deps.initialize({ groupId: 'g', topicId: 'T', partition: 0 }, 0, 3);
  await deps.initialize({ groupId: 'g', topicId: 'T', partition: 1 }, 0, 3);
  await deps.initialize({ groupId: 'h', topicId: 'T', partition: 1 }, 0, 3);
  const r = await deleteShareOffsets(deps, 'g', ['t', 'nope']);
  assert.deepEqual(
    r.responses.map((t) => [t.topicName, t.errorCode]),
    [
      ['t', ErrorCode.NONE],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  assert.deepEqual([...states.keys()], ['h/T/1']);
  assert.equal((await deleteShareOffsets(fake('Dead').deps, 'x', ['t'])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal((await deleteShareOffsets(fake('Stable').deps, 'g', ['t'])).errorCode, ErrorCode.NON_EMPTY_GROUP);
});
