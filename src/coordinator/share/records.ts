// The __share_group_state record formats (Kafka 4.4's internal/share-coordinator definitions): the key is an int16
// record type (0: ShareSnapshot, 1: ShareUpdate) then the key (group id, topic id, partition); the value is an int16
// version (0) then the value. A null value is a tombstone (the share-partition's state was deleted).
//
// The four schemas below are written here from those definitions because src/protocol/generated/internal.ts does
// not hold them yet (they come from the kafka-4.4 regeneration); once it does, import the generated ones instead.
import { decode, encode } from '../../protocol/codec.ts';
import { Reader, Writer } from '../../protocol/io.ts';
import type { FieldSchema, MessageSchema } from '../../protocol/schema.ts';
import type { PersistedShareState, ShareStateUpdate, StateBatch } from './state.ts';

export const SHARE_STATE_TOPIC = '__share_group_state';

const ALL: readonly [number, number] = [0, 32767];
const keyFields: readonly FieldSchema[] = [
  { n: 'groupId', t: 'string', v: [0, 0] },
  { n: 'topicId', t: 'uuid', v: [0, 0] },
  { n: 'partition', t: 'int32', v: [0, 0] },
];
const batchField: FieldSchema = {
  n: 'stateBatches',
  t: 'struct',
  v: ALL,
  a: 1,
  f: [
    { n: 'firstOffset', t: 'int64', v: ALL },
    { n: 'lastOffset', t: 'int64', v: ALL },
    { n: 'deliveryState', t: 'int8', v: ALL },
    { n: 'deliveryCount', t: 'int16', v: ALL },
  ],
};
const deliveryCompleteCount: FieldSchema = {
  n: 'deliveryCompleteCount',
  t: 'int32',
  v: ALL,
  tv: ALL,
  tag: 0,
  d: '-1',
};
const keySchema = (name: string): MessageSchema => ({
  name,
  type: 'data',
  apiKey: -1,
  listeners: [],
  valid: [0, 0],
  flexible: 32768,
  fields: keyFields,
});
const ShareSnapshotKeySchema = keySchema('ShareSnapshotKey');
const ShareUpdateKeySchema = keySchema('ShareUpdateKey');
const ShareSnapshotValueSchema: MessageSchema = {
  name: 'ShareSnapshotValue',
  type: 'data',
  apiKey: -1,
  listeners: [],
  valid: [0, 0],
  flexible: 0,
  fields: [
    { n: 'snapshotEpoch', t: 'int32', v: ALL },
    { n: 'stateEpoch', t: 'int32', v: ALL },
    { n: 'leaderEpoch', t: 'int32', v: ALL },
    { n: 'startOffset', t: 'int64', v: ALL },
    deliveryCompleteCount,
    { n: 'createTimestamp', t: 'int64', v: ALL },
    { n: 'writeTimestamp', t: 'int64', v: ALL },
    batchField,
  ],
};
const ShareUpdateValueSchema: MessageSchema = {
  name: 'ShareUpdateValue',
  type: 'data',
  apiKey: -1,
  listeners: [],
  valid: [0, 0],
  flexible: 0,
  fields: [
    { n: 'snapshotEpoch', t: 'int32', v: ALL },
    { n: 'leaderEpoch', t: 'int32', v: ALL },
    { n: 'startOffset', t: 'int64', v: ALL },
    deliveryCompleteCount,
    batchField,
  ],
};

interface WireKey {
  groupId: string;
  topicId: string;
  partition: number;
}
interface WireBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  deliveryState: number;
  deliveryCount: number;
}
interface WireSnapshot {
  snapshotEpoch: number;
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: bigint;
  deliveryCompleteCount: number;
  createTimestamp: bigint;
  writeTimestamp: bigint;
  stateBatches: WireBatch[];
}
interface WireUpdate {
  snapshotEpoch: number;
  leaderEpoch: number;
  startOffset: bigint;
  deliveryCompleteCount: number;
  stateBatches: WireBatch[];
}

export interface SharePartitionKey {
  groupId: string;
  topicId: string;
  partition: number;
}

export type ShareRecord =
  | { type: 'snapshot'; key: SharePartitionKey; snapshotEpoch: number; state: PersistedShareState | null }
  | { type: 'update'; key: SharePartitionKey; snapshotEpoch: number; leaderEpoch: number; update: ShareStateUpdate };

const SNAPSHOT = 0;
const UPDATE = 1;

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
  const k = versioned(SNAPSHOT, encode<WireKey>(ShareSnapshotKeySchema, 0, key));
  if (state === null) return { key: k, value: null };
  const value = versioned(
    0,
    encode<WireSnapshot>(ShareSnapshotValueSchema, 0, {
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
    key: versioned(UPDATE, encode<WireKey>(ShareUpdateKeySchema, 0, key)),
    value: versioned(
      0,
      encode<WireUpdate>(ShareUpdateValueSchema, 0, {
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
  const k = decode<WireKey>(type === SNAPSHOT ? ShareSnapshotKeySchema : ShareUpdateKeySchema, 0, kr);
  const skey = { groupId: k.groupId, topicId: k.topicId, partition: k.partition };
  if (value === null) {
    // A tombstone of either key type deletes the share-partition's state.
    return { type: 'snapshot', key: skey, snapshotEpoch: -1, state: null };
  }
  const vr = new Reader(value);
  const version = vr.int16();
  if (version !== 0) throw new Error(`unknown __share_group_state value version ${version}`);
  if (type === SNAPSHOT) {
    const v = decode<WireSnapshot>(ShareSnapshotValueSchema, 0, vr);
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
  const v = decode<WireUpdate>(ShareUpdateValueSchema, 0, vr);
  return {
    type: 'update',
    key: skey,
    snapshotEpoch: v.snapshotEpoch,
    leaderEpoch: v.leaderEpoch,
    update: { startOffset: Number(v.startOffset), batches: v.stateBatches.map(fromWire) },
  };
}
