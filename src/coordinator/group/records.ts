// The __consumer_offsets record formats: an int16 key version then the key, an int16 value version then the value
// (a null value is a tombstone). Key version 0/1: committed offset, 2: classic group metadata.
import { decode, encode } from '../../protocol/codec.ts';
import {
  type GroupMetadataKey,
  GroupMetadataKeySchema,
  type GroupMetadataValue,
  GroupMetadataValueSchema,
  type OffsetCommitKey,
  OffsetCommitKeySchema,
  type OffsetCommitValue,
  OffsetCommitValueSchema,
} from '../../protocol/generated/internal.ts';
import { Reader, Writer } from '../../protocol/io.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** One record for __consumer_offsets: `value` null is a tombstone. */
export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

export interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number;
}

export interface GroupMemberValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMemberValue[];
}

export type DecodedRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetValue | null }
  | { type: 'group'; group: string; value: GroupValue | null }
  | { type: 'other'; keyVersion: number };

const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

function versioned(version: number, body: Writer): Buffer {
  const w = new Writer(8);
  w.int16(version);
  w.append(body);
  return w.toBuffer();
}

export function offsetKey(group: string, topic: string, partition: number): Buffer {
  return versioned(1, encode<OffsetCommitKey>(OffsetCommitKeySchema, 1, { group, topic, partition }));
}

export function groupKey(group: string): Buffer {
  return versioned(2, encode<GroupMetadataKey>(GroupMetadataKeySchema, 2, { group }));
}

export function offsetRecord(
  group: string,
  topic: string,
  partition: number,
  v: OffsetValue | null,
): CoordinatorRecord {
  const key = offsetKey(group, topic, partition);
  if (v === null) return { key, value: null };
  // Version 1 is the only one carrying an explicit expire timestamp (old clients' retention time).
  const version = v.expireTimestamp >= 0 ? 1 : OFFSET_VALUE_VERSION;
  return {
    key,
    value: versioned(
      version,
      encode<OffsetCommitValue>(OffsetCommitValueSchema, version, {
        offset: BigInt(v.offset),
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: BigInt(v.commitTimestamp),
        expireTimestamp: BigInt(v.expireTimestamp),
      }),
    ),
  };
}

export function groupRecord(group: string, v: GroupValue | null): CoordinatorRecord {
  const key = groupKey(group);
  if (v === null) return { key, value: null };
  return {
    key,
    value: versioned(
      GROUP_VALUE_VERSION,
      encode<GroupMetadataValue>(GroupMetadataValueSchema, GROUP_VALUE_VERSION, {
        protocolType: v.protocolType,
        generation: v.generation,
        protocol: v.protocol,
        leader: v.leader,
        currentStateTimestamp: BigInt(v.currentStateTimestamp),
        members: v.members,
      }),
    ),
  };
}

/** Decodes a stored record; keys of other record types (consumer-protocol groups, share groups) are reported as 'other'. */
export function decodeRecord(key: Buffer, value: Buffer | null): DecodedRecord {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decode<OffsetCommitKey>(OffsetCommitKeySchema, keyVersion, kr);
    if (value === null) return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    const vr = new Reader(value);
    const vv = vr.int16();
    const d = decode<OffsetCommitValue>(OffsetCommitValueSchema, Math.min(vv, 4), vr);
    return {
      type: 'offset',
      group: k.group,
      topic: k.topic,
      partition: k.partition,
      value: {
        offset: Number(d.offset),
        leaderEpoch: d.leaderEpoch,
        metadata: d.metadata,
        commitTimestamp: Number(d.commitTimestamp),
        expireTimestamp: Number(d.expireTimestamp),
      },
    };
  }
  if (keyVersion === 2) {
    const k = decode<GroupMetadataKey>(GroupMetadataKeySchema, 2, kr);
    if (value === null) return { type: 'group', group: k.group, value: null };
    const vr = new Reader(value);
    const vv = vr.int16();
    const d = decode<GroupMetadataValue>(GroupMetadataValueSchema, Math.min(vv, 4), vr);
    return {
      type: 'group',
      group: k.group,
      value: {
        protocolType: d.protocolType,
        generation: d.generation,
        protocol: d.protocol,
        leader: d.leader,
        currentStateTimestamp: Number(d.currentStateTimestamp),
        members: d.members.map((m) => ({ ...m })),
      },
    };
  }
  return { type: 'other', keyVersion };
}

/** Kafka's String.hashCode over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 (not to itself, as Math.abs would in Java). */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The __consumer_offsets partition that coordinates `groupId`. */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}

/** The topics named by a ConsumerProtocolSubscription (any version: the topic list comes first). */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    r.int16();
    const n = r.int32();
    if (n < 0 || n > 100_000) return null;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = r.int16();
      topics.push(r.utf8(len));
    }
    return topics;
  } catch {
    return null;
  }
}
