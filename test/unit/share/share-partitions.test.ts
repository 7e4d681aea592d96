// The share-partition leader (SharePartitions) over a fake log partition and the share coordinator in memory:
// share session epochs, acknowledgements, and what happens when the share coordinator refuses a write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShareCoordinatorShard } from '../../../src/coordinator/share/coordinator.ts';
import { type ShareLogPartition, SharePartitions } from '../../../src/coordinator/share/fetch.ts';
import type { SharePersister } from '../../../src/coordinator/share/persister.ts';
import type { SharePartitionKey } from '../../../src/coordinator/share/records.ts';
import type { ShareStateUpdate } from '../../../src/coordinator/share/state.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { buildBatch } from '../../../src/records/index.ts';
import { createLogger } from '../../../src/util/log.ts';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

class MemoryPersister implements SharePersister {
  readonly shard = new ShareCoordinatorShard(5);
  failWrites = false;
  /** The next write is fenced, as when a newer leader of the partition wrote the state meanwhile. */
  fenceNext = false;
  /** Writes wait for this (a share coordinator on another broker that has not answered yet). */
  gate: Promise<void> | undefined;
  readonly writes: ShareStateUpdate[] = [];
  async read(key: SharePartitionKey) {
    return this.shard.read(key);
  }
  #apply(r: { errorCode: number; records: Array<{ key: Buffer; value: Buffer | null }> }): number {
    for (const rec of r.records) this.shard.replay(rec.key, rec.value);
    return r.errorCode;
  }
  async initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<number> {
    return this.#apply(this.shard.initialize(key, stateEpoch, startOffset, 0));
  }
  async write(
    key: SharePartitionKey,
    stateEpoch: number,
    leaderEpoch: number,
    update: ShareStateUpdate,
  ): Promise<number> {
    if (this.failWrites) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.fenceNext) {
      this.fenceNext = false;
      return ErrorCode.FENCED_LEADER_EPOCH;
    }
    this.writes.push(update);
    await this.gate;
    return this.#apply(this.shard.write(key, stateEpoch, leaderEpoch, update, 0));
  }
  async delete(key: SharePartitionKey): Promise<number> {
    return this.#apply({ errorCode: ErrorCode.NONE, records: this.shard.delete(key, 0) });
  }
}

function setup(records: number) {
  const log = Buffer.concat(
    Array.from({ length: records }, (_, i) =>
      buildBatch({ baseOffset: i, records: [{ key: null, value: Buffer.from(`r${i}`) }] }),
    ),
  );
  const part: ShareLogPartition = {
    leaderEpoch: 3,
    lastStableOffset: records,
    log: { highWatermark: records, logStartOffset: 0 },
    read: (offset) => {
      // Whole single-record batches from `offset` to the end.
      let pos = 0;
      for (let i = 0; i < offset; i++)
        pos += buildBatch({ baseOffset: i, records: [{ key: null, value: Buffer.from(`r${i}`) }] }).length;
      return { records: log.subarray(pos) };
    },
  };
  const persister = new MemoryPersister();
  let now = 0;
  const parts = new SharePartitions({
    config: { get: () => undefined },
    image: () => ({
      topicsById: new Map([[TOPIC_ID, { name: 't' }]]) as never,
      groupConfigs: new Map([['g', { 'share.auto.offset.reset': 'earliest', 'share.delivery.count.limit': '2' }]]),
    }),
    partition: (topic, p) => (topic === 't' && p === 0 ? part : undefined),
    persister,
    log: createLogger({ level: 'error' }),
    clock: () => now,
  });
  const fetch = (
    memberId: string,
    epoch: number,
    acks: Array<[number, number]> = [],
    partition = 0,
    limits: { maxRecords?: number; batchSize?: number; acknowledgeOnly?: boolean; connectionId?: number } = {},
  ) =>
    parts.fetch({
      groupId: 'g',
      memberId,
      shareSessionEpoch: epoch,
      topics: [
        {
          topicId: TOPIC_ID,
          partitions: [
            {
              partitionIndex: partition,
              acknowledgementBatches: acks.map(([o, type]) => ({ firstOffset: o, lastOffset: o, types: [type] })),
            },
          ],
        },
      ],
      forgotten: [],
      maxBytes: 1 << 20,
      maxRecords: limits.maxRecords ?? 500,
      batchSize: limits.batchSize ?? 500,
      acknowledgeOnly: limits.acknowledgeOnly ?? false,
      connectionId: limits.connectionId,
    });
  return { parts, persister, fetch, advance: (ms: number) => (now += ms) };
}

test('share sessions: open with 0, then consecutive epochs; a wrong epoch or no session is an error', async () => {
  const { fetch, parts } = setup(5);
  assert.equal((await fetch('m', 1)).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
  const first = await fetch('m', 0);
  assert.equal(first.errorCode, ErrorCode.NONE);
  assert.deepEqual(first.partitions[0]!.acquired, [{ firstOffset: 0, lastOffset: 4, deliveryCount: 1 }]);
  assert.equal(first.partitions[0]!.leaderEpoch, 3);
  assert.equal((await fetch('m', 2)).errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  const acked = await fetch('m', 1, [
    [0, 1],
    [1, 3],
  ]);
  assert.equal(acked.partitions[0]!.acknowledgeErrorCode, ErrorCode.NONE);
  const ack = await parts.acknowledge({
    groupId: 'g',
    memberId: 'm',
    shareSessionEpoch: -1,
    topics: [
      {
        topicId: TOPIC_ID,
        partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 2, lastOffset: 4, types: [2] }] }],
      },
    ],
  });
  assert.equal(ack.errorCode, ErrorCode.NONE);
  assert.equal((await fetch('m', 2)).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND, 'epoch -1 closed the session');
  assert.equal(
    (await parts.acknowledge({ groupId: 'g', memberId: 'x', shareSessionEpoch: 0, topics: [] })).errorCode,
    ErrorCode.INVALID_SHARE_SESSION_EPOCH,
  );
});

test('unknown partitions and records not held answer per-partition errors', async () => {
  const { fetch } = setup(3);
  const r = await fetch('m', 0, [], 7);
  assert.equal(r.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await fetch('n', 0);
  const other = await fetch('n', 1, [[0, 1]]);
  assert.equal(other.partitions[0]!.acknowledgeErrorCode, ErrorCode.NONE);
  await fetch('m', 1);
  const notMine = await fetch('m', 2, [[1, 1]]);
  assert.equal(notMine.partitions[0]!.acknowledgeErrorCode, ErrorCode.INVALID_RECORD_STATE);
});

test('when the share coordinator refuses the acquisition write, no record is handed out', async () => {
  const { fetch, persister, advance } = setup(3);
  await fetch('m', 0, [], 0); // initializes and acquires 0..2
  advance(60_000); // locks expire (30 s default)
  persister.failWrites = true;
  const r = await fetch('m', 1);
  assert.equal(r.partitions[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.deepEqual(r.partitions[0]!.acquired, []);
  assert.equal(r.partitions[0]!.records, null);
  // The refused change is written with the next one, not lost. The refused acquisition still counted as a delivery
  // (conservative: the limit may be reached with one delivery fewer, never exceeded), so at the limit of 2 the
  // expired records are archived and the start offset moves past them.
  persister.failWrites = false;
  advance(60_000);
  const again = await fetch('m', 2);
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.deepEqual(again.partitions[0]?.acquired ?? [], []);
  assert.equal((await persister.read({ groupId: 'g', topicId: TOPIC_ID, partition: 0 }))?.startOffset, 3);
});

test('a member removed from the group has its records released to others', async () => {
  const { fetch, parts } = setup(2);
  await fetch('m', 0);
  await fetch('n', 0);
  parts.releaseMembers([{ groupId: 'g', memberId: 'm' }]);
  const r = await fetch('n', 1);
  assert.deepEqual(r.partitions[0]!.acquired, [{ firstOffset: 0, lastOffset: 1, deliveryCount: 2 }]);
  assert.equal(
    (await fetch('m', 1)).errorCode,
    ErrorCode.SHARE_SESSION_NOT_FOUND,
    "the removed member's session is gone",
  );
});

test('MaxRecords bounds a fetch and BatchSize cuts the acquired ranges', async () => {
  const { fetch, parts } = setup(10);
  const first = await fetch('m', 0, [], 0, { maxRecords: 7, batchSize: 3 });
  assert.deepEqual(first.partitions[0]!.acquired, [
    { firstOffset: 0, lastOffset: 2, deliveryCount: 1 },
    { firstOffset: 3, lastOffset: 5, deliveryCount: 1 },
    { firstOffset: 6, lastOffset: 6, deliveryCount: 1 },
  ]);
  const rest = await fetch('m', 1, [], 0, { maxRecords: 7, batchSize: 3 });
  assert.deepEqual(rest.partitions[0]!.acquired, [{ firstOffset: 7, lastOffset: 9, deliveryCount: 1 }]);
  assert.equal(parts.lockDurationMs('g'), 30_000);
});

test('RENEW keeps records acquired past their first lock deadline; an acknowledge-only fetch acquires nothing', async () => {
  const { fetch, advance } = setup(2);
  await fetch('m', 0, [], 0, { maxRecords: 2 });
  advance(20_000);
  const renewed = await fetch('m', 1, [[0, 4]], 0, { acknowledgeOnly: true });
  assert.equal(renewed.partitions[0]!.acknowledgeErrorCode, ErrorCode.NONE);
  assert.deepEqual(renewed.partitions[0]!.acquired, []);
  advance(20_000); // 40 s after acquisition: offset 1's lock (30 s) expired, offset 0's renewed one (until 50 s) holds
  const other = await fetch('n', 0);
  assert.deepEqual(other.partitions[0]!.acquired, [{ firstOffset: 1, lastOffset: 1, deliveryCount: 2 }]);
  const accepted = await fetch('m', 2, [[0, 1]]);
  assert.equal(accepted.partitions[0]!.acknowledgeErrorCode, ErrorCode.NONE, 'still held by m, so m may accept it');
});

test('an answer waits for its state write; concurrent changes are written in order', async () => {
  const { fetch, persister } = setup(4);
  await fetch('m', 0, [], 0, { maxRecords: 2 }); // acquires 0..1
  let open = () => {};
  persister.gate = new Promise((resolve) => {
    open = resolve;
  });
  persister.writes.length = 0;
  let answered = false;
  const acked = fetch('m', 1, [[0, 1]], 0, { acknowledgeOnly: true }).then((r) => {
    answered = true;
    return r;
  });
  const other = fetch('n', 0, [], 0, { maxRecords: 2 }); // acquires 2..3
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(answered, false, 'no answer before the share coordinator has the acknowledgement');
  assert.equal(persister.writes.length, 1, 'the second change waits for the first write');
  open();
  assert.equal((await acked).partitions[0]!.acknowledgeErrorCode, ErrorCode.NONE);
  assert.deepEqual((await other).partitions[0]!.acquired, [{ firstOffset: 2, lastOffset: 3, deliveryCount: 1 }]);
  assert.deepEqual(
    persister.writes.map((u) => [u.startOffset, u.batches.map((b) => [b.firstOffset, b.lastOffset, b.deliveryState])]),
    [
      [1, []], // offset 0 accepted: the start offset moves past it
      [-1, [[2, 3, 0]]], // 2..3 acquired (persisted as AVAILABLE with their delivery count)
    ],
  );
});

test('writes carry the leader epoch; a fenced write drops the in-memory copy, loaded again from the state', async () => {
  const { fetch, persister } = setup(3);
  await fetch('m', 0, [], 0, { maxRecords: 1 }); // acquires 0, persisted
  const key = { groupId: 'g', topicId: TOPIC_ID, partition: 0 };
  assert.equal((await persister.read(key))?.leaderEpoch, 3, "the data partition's leader epoch");
  persister.fenceNext = true;
  const fenced = await fetch('m', 1, [], 0, { maxRecords: 1 }); // would acquire 1
  assert.equal(fenced.partitions[0]!.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.deepEqual(fenced.partitions[0]!.acquired, []);
  // Loaded again from the persisted state: 0 is in flight there (AVAILABLE, delivered once), 1 never was.
  const again = await fetch('n', 0, [], 0, { maxRecords: 2 });
  assert.deepEqual(again.partitions[0]!.acquired, [
    { firstOffset: 0, lastOffset: 0, deliveryCount: 2 },
    { firstOffset: 1, lastOffset: 1, deliveryCount: 1 },
  ]);
});

test('a closed connection ends its share sessions and releases their records', async () => {
  const { fetch, parts } = setup(3);
  const on = (connectionId: number) => ({ connectionId });
  assert.deepEqual((await fetch('a', 0, [], 0, on(7))).partitions[0]!.acquired, [
    { firstOffset: 0, lastOffset: 2, deliveryCount: 1 },
  ]);
  assert.equal((await fetch('b', 0, [], 0, on(8))).partitions[0]!.acquired.length, 0, 'all held by a');
  parts.connectionClosed(7);
  assert.equal((await fetch('a', 1, [], 0, on(7))).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
  assert.deepEqual((await fetch('b', 1, [], 0, on(8))).partitions[0]!.acquired, [
    { firstOffset: 0, lastOffset: 2, deliveryCount: 2 },
  ]);
});

test('a group with no share session left on the leader drops its cached share-partitions: a reset is seen', async () => {
  const { fetch, parts, persister } = setup(5);
  const on = (connectionId: number) => ({ connectionId });
  const key = { groupId: 'g', topicId: TOPIC_ID, partition: 0 };
  assert.equal((await fetch('a', 0, [], 0, on(7))).partitions[0]!.acquired.length, 1);
  const all: Array<[number, number]> = [0, 1, 2, 3, 4].map((o) => [o, 1]);
  assert.equal((await fetch('a', 1, all, 0, on(7))).partitions[0]!.acknowledgeErrorCode, ErrorCode.NONE);
  assert.equal((await fetch('a', -1, [], 0, on(7))).errorCode, ErrorCode.NONE, 'a closes its session');
  // The group coordinator (on another broker) resets the offsets to 0: a new state epoch the leader is not told of.
  const stateEpoch = persister.shard.read(key)!.stateEpoch;
  assert.equal(await persister.initialize(key, stateEpoch + 1, 0), ErrorCode.NONE);
  // The cached copy has nothing to hand out, so it writes nothing and is never fenced: b, on another connection,
  // keeps the group's share sessions here alive and sees nothing.
  assert.deepEqual((await fetch('b', 0, [], 0, on(8))).partitions[0]!.acquired, []);
  parts.connectionClosed(7);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await fetch('b', 1, [], 0, on(8))).partitions[0]!.acquired, [], 'b still has a session here');
  // Once the group's last connection closed, its next fetch loads the reset state.
  parts.connectionClosed(8);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await fetch('c', 0, [], 0, on(9))).partitions[0]!.acquired, [
    { firstOffset: 0, lastOffset: 4, deliveryCount: 1 },
  ]);
});
