// The __share_group_state record formats, from Kafka 4.4's share-coordinator definitions as generated into
// src/protocol/generated/internal.ts: the key is an int16 record type (the definition's apiKey; 0: ShareSnapshot,
// 1: ShareUpdate) then the key (group id, topic id, partition); the value is an int16 version (0) then the value. A null
// value is a tombstone (the share-partition's state was deleted).
import { decode, encode } from '../../protocol/codec.ts';
import {
  type ShareSnapshotKey,
  ShareSnapshotKeySchema,
  type ShareSnapshotValue,
  ShareSnapshotValueSchema,
  type ShareUpdateKey,
  ShareUpdateKeySchema,
  type ShareUpdateValue,
  ShareUpdateValueSchema,
} from '../../protocol/generated/internal.ts';
import { Reader, Writer } from '../../protocol/io.ts';
import type { PersistedShareState, ShareStateUpdate, StateBatch } from './state.ts';

export const SHARE_STATE_TOPIC = '__share_group_state';

type WireBatch = ShareSnapshotValue['stateBatches'][number];

export interface SharePartitionKey {
  groupId: string;
  topicId: string;
  partition: number;
}

export type ShareRecord =
  | { type: 'snapshot'; key: SharePartitionKey; snapshotEpoch: number; state: PersistedShareState | null }
  | { type: 'update'; key: SharePartitionKey; snapshotEpoch: number; leaderEpoch: number; update: ShareStateUpdate };

const SNAPSHOT = ShareSnapshotKeySchema.apiKey;
const UPDATE = ShareUpdateKeySchema.apiKey;

function versioned(version: number, body: Writer): Buffer {
  const w = new Writer(8);
  w.int16(version);
  w.append(body);
  return w.toBuffer();
}

const toWire = (b: StateBatch): WireBatch => ({
  firstOffset: BigInt(b.firstOffset),
  lastOffset: BigInt(b.lastOffset),
  deliveryState: b.deliveryState,
  deliveryCount: b.deliveryCount,
});
const fromWire = (b: WireBatch): StateBatch => ({
  firstOffset: Number(b.firstOffset),
  lastOffset: Number(b.lastOffset),
  deliveryState: b.deliveryState,
  deliveryCount: b.deliveryCount,
});

/** A ShareSnapshot record (the whole state of a share-partition), or its tombstone when `state` is null. */
export function snapshotRecord(
  key: SharePartitionKey,
  snapshotEpoch: number,
  state: PersistedShareState | null,
  now: number,
): { key: Buffer; value: Buffer | null } {
  const k = versioned(SNAPSHOT, encode<ShareSnapshotKey>(ShareSnapshotKeySchema, 0, key));
  if (state === null) return { key: k, value: null };
  const value = versioned(
    0,
    encode<ShareSnapshotValue>(ShareSnapshotValueSchema, 0, {
      snapshotEpoch,
      stateEpoch: state.stateEpoch,
      leaderEpoch: state.leaderEpoch,
      startOffset: BigInt(state.startOffset),
      deliveryCompleteCount: -1,
      createTimestamp: BigInt(now),
      writeTimestamp: BigInt(now),
      stateBatches: state.batches.map(toWire),
    }),
  );
  return { key: k, value };
}

/** A ShareUpdate record: the batches that changed since the last record (and the new start offset, or -1). */
export function updateRecord(
  key: SharePartitionKey,
  snapshotEpoch: number,
  leaderEpoch: number,
  update: ShareStateUpdate,
): { key: Buffer; value: Buffer } {
  return {
    key: versioned(UPDATE, encode<ShareUpdateKey>(ShareUpdateKeySchema, 0, key)),
    value: versioned(
      0,
      encode<ShareUpdateValue>(ShareUpdateValueSchema, 0, {
        snapshotEpoch,
        leaderEpoch,
        startOffset: BigInt(update.startOffset),
        deliveryCompleteCount: -1,
        stateBatches: update.batches.map(toWire),
      }),
    ),
  };
}

export function decodeShareRecord(key: Buffer, value: Buffer | null): ShareRecord {
  const kr = new Reader(key);
  const type = kr.int16();
  if (type !== SNAPSHOT && type !== UPDATE) throw new Error(`unknown __share_group_state record type ${type}`);
  const k = decode<ShareSnapshotKey>(type === SNAPSHOT ? ShareSnapshotKeySchema : ShareUpdateKeySchema, 0, kr);
  const skey = { groupId: k.groupId, topicId: k.topicId, partition: k.partition };
  if (value === null) {
    // A tombstone of either key type deletes the share-partition's state.
    return { type: 'snapshot', key: skey, snapshotEpoch: -1, state: null };
  }
  const vr = new Reader(value);
  const version = vr.int16();
  if (version !== 0) throw new Error(`unknown __share_group_state value version ${version}`);
  if (type === SNAPSHOT) {
    const v = decode<ShareSnapshotValue>(ShareSnapshotValueSchema, 0, vr);
    return {
      type: 'snapshot',
      key: skey,
      snapshotEpoch: v.snapshotEpoch,
      state: {
        stateEpoch: v.stateEpoch,
        leaderEpoch: v.leaderEpoch,
        startOffset: Number(v.startOffset),
        batches: v.stateBatches.map(fromWire),
      },
    };
  }
  const v = decode<ShareUpdateValue>(ShareUpdateValueSchema, 0, vr);
  return {
    type: 'update',
    key: skey,
    snapshotEpoch: v.snapshotEpoch,
    leaderEpoch: v.leaderEpoch,
    update: { startOffset: Number(v.startOffset), batches: v.stateBatches.map(fromWire) },
  };
}
