import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ShareCoordinatorRecord, ShareCoordinatorShard } from '../../../src/coordinator/share/coordinator.ts';
import { decodeShareRecord, snapshotRecord, updateRecord } from '../../../src/coordinator/share/records.ts';
import { DeliveryState as S } from '../../../src/coordinator/share/state.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const key = { groupId: 'g', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partition: 3 };

test('ShareSnapshot and ShareUpdate records round-trip, with the record type first in the key', () => {
  const state = {
    stateEpoch: 2,
    leaderEpoch: 5,
    startOffset: 10,
    batches: [{ firstOffset: 10, lastOffset: 12, deliveryState: S.AVAILABLE, deliveryCount: 1 }],
  };
  const snap = snapshotRecord(key, 7, state, 1000);
  assert.equal(snap.key.readInt16BE(0), 0);
  assert.deepEqual(decodeShareRecord(snap.key, snap.value), { type: 'snapshot', key, snapshotEpoch: 7, state });
  const upd = updateRecord(key, 7, 5, { startOffset: -1, batches: state.batches });
  assert.equal(upd.key.readInt16BE(0), 1);
  assert.deepEqual(decodeShareRecord(upd.key, upd.value), {
    type: 'update',
    key,
    snapshotEpoch: 7,
    leaderEpoch: 5,
    update: { startOffset: -1, batches: state.batches },
  });
  assert.deepEqual(decodeShareRecord(snap.key, null), { type: 'snapshot', key, snapshotEpoch: -1, state: null });
});

test('the share coordinator initializes, writes updates, snapshots every N, fences old state epochs, deletes', () => {
  const log: ShareCoordinatorRecord[] = [];
  const shard = new ShareCoordinatorShard(3);
  const apply = (r: { errorCode: number; records: ShareCoordinatorRecord[] }) => {
    for (const rec of r.records) {
      log.push(rec);
      shard.replay(rec.key, rec.value);
    }
    return r.errorCode;
  };
  const batch = (first: number, last: number, st: number, n: number) => ({
    firstOffset: first,
    lastOffset: last,
    deliveryState: st,
    deliveryCount: n,
  });
  assert.equal(
    apply(shard.write(key, 0, 0, { startOffset: -1, batches: [] }, 0)),
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
  assert.equal(apply(shard.initialize(key, 1, 100, 0)), ErrorCode.NONE);
  assert.equal(apply(shard.write(key, 1, 0, { startOffset: -1, batches: [batch(100, 104, S.AVAILABLE, 1)] }, 1)), 0);
  assert.equal(apply(shard.write(key, 1, 0, { startOffset: 102, batches: [batch(103, 103, S.ARCHIVED, 1)] }, 2)), 0);
  assert.equal(apply(shard.write(key, 1, 0, { startOffset: -1, batches: [batch(104, 104, S.ACKNOWLEDGED, 1)] }, 3)), 0);
  assert.deepEqual(
    log.map((r) => r.key.readInt16BE(0)),
    [0, 1, 1, 0],
    'the third update became a snapshot',
  );
  const expected = {
    stateEpoch: 1,
    leaderEpoch: 0,
    startOffset: 102,
    batches: [batch(102, 102, S.AVAILABLE, 1), batch(103, 103, S.ARCHIVED, 1), batch(104, 104, S.ACKNOWLEDGED, 1)],
  };
  assert.deepEqual(shard.read(key), expected);
  // Replaying the log into a fresh shard gives the same state.
  const again = new ShareCoordinatorShard(3);
  for (const r of log) again.replay(r.key, r.value);
  assert.deepEqual(again.read(key), expected);
  assert.equal(shard.write(key, 0, 0, { startOffset: -1, batches: [] }, 4).errorCode, ErrorCode.FENCED_STATE_EPOCH);
  assert.equal(shard.initialize(key, 0, 5, 4).errorCode, ErrorCode.FENCED_STATE_EPOCH);
  for (const r of shard.delete(key, 5)) shard.replay(r.key, r.value);
  assert.equal(shard.read(key), undefined);
});

test('a ShareSnapshot record has the bytes of Kafka 4.4 share coordinator format', () => {
  const snap = snapshotRecord(key, 1, { stateEpoch: 0, leaderEpoch: 2, startOffset: 3, batches: [] }, 4);
  const uuid = Buffer.alloc(16);
  uuid[15] = 1;
  // Key: int16 type 0, then ShareSnapshotKey v0 (not flexible): string "g", uuid, int32 partition.
  assert.deepEqual(snap.key, Buffer.concat([Buffer.from([0, 0, 0, 1, 0x67]), uuid, Buffer.from([0, 0, 0, 3])]));
  // Value: int16 version 0, then ShareSnapshotValue v0 (flexible): epochs, offsets and timestamps, an empty compact
  // array of batches, no tagged fields (DeliveryCompleteCount at its default -1 is left out).
  const int32 = (n: number) => Buffer.from([0, 0, 0, n]);
  const int64 = (n: number) => Buffer.concat([Buffer.alloc(7), Buffer.from([n])]);
  assert.deepEqual(
    snap.value,
    Buffer.concat([
      Buffer.from([0, 0]),
      int32(1),
      int32(0),
      int32(2),
      int64(3),
      int64(4),
      int64(4),
      Buffer.from([1, 0]),
    ]),
  );
});
