// The __consumer_offsets record formats: an int16 key version then the key, an int16 value version then the value
// (a null value is a tombstone). Key version 0/1: committed offset, 2: classic group metadata, 3-8: consumer-protocol
// (KIP-848) group metadata, partition metadata, member metadata, target assignment (metadata, member), current
// member assignment.
import { decode, type Encodable, encode } from '../../protocol/codec.ts';
import {
  type ConsumerGroupCurrentMemberAssignmentKey,
  ConsumerGroupCurrentMemberAssignmentKeySchema,
  type ConsumerGroupCurrentMemberAssignmentValue,
  ConsumerGroupCurrentMemberAssignmentValueSchema,
  type ConsumerGroupMemberMetadataKey,
  ConsumerGroupMemberMetadataKeySchema,
  type ConsumerGroupMemberMetadataValue,
  ConsumerGroupMemberMetadataValueSchema,
  type ConsumerGroupMetadataKey,
  ConsumerGroupMetadataKeySchema,
  type ConsumerGroupMetadataValue,
  ConsumerGroupMetadataValueSchema,
  type ConsumerGroupPartitionMetadataKey,
  ConsumerGroupPartitionMetadataKeySchema,
  type ConsumerGroupPartitionMetadataValue,
  ConsumerGroupPartitionMetadataValueSchema,
  type ConsumerGroupTargetAssignmentMemberKey,
  ConsumerGroupTargetAssignmentMemberKeySchema,
  type ConsumerGroupTargetAssignmentMemberValue,
  ConsumerGroupTargetAssignmentMemberValueSchema,
  type ConsumerGroupTargetAssignmentMetadataKey,
  ConsumerGroupTargetAssignmentMetadataKeySchema,
  type ConsumerGroupTargetAssignmentMetadataValue,
  ConsumerGroupTargetAssignmentMetadataValueSchema,
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
  | ConsumerRecordDecoded
  | { type: 'other'; keyVersion: number };

/** topic id → partitions, as stored in the consumer-group records. */
export type TopicPartitionsList = Array<{ topicId: string; partitions: number[] }>;

/** Records of consumer-protocol (KIP-848) groups, key versions 3-8 (value null = tombstone). */
export type ConsumerRecordDecoded =
  | { type: 'cg-metadata'; group: string; value: { epoch: number } | null }
  | { type: 'cg-partition-metadata'; group: string; value: ConsumerGroupPartitionMetadataValue | null }
  | { type: 'cg-member'; group: string; memberId: string; value: ConsumerGroupMemberMetadataValue | null }
  | { type: 'cg-target-metadata'; group: string; value: { assignmentEpoch: number } | null }
  | { type: 'cg-target-member'; group: string; memberId: string; value: TopicPartitionsList | null }
  | {
      type: 'cg-current';
      group: string;
      memberId: string;
      value: ConsumerGroupCurrentMemberAssignmentValue | null;
    };

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
  if (keyVersion >= 3 && keyVersion <= 8) return decodeConsumerRecord(keyVersion, kr, value);
  return { type: 'other', keyVersion };
}

function keyed(version: number, body: Writer, value: Writer | null): CoordinatorRecord {
  return { key: versioned(version, body), value: value === null ? null : versioned(0, value) };
}

export function cgMetadataRecord(group: string, epoch: number | null): CoordinatorRecord {
  return keyed(
    3,
    encode<ConsumerGroupMetadataKey>(ConsumerGroupMetadataKeySchema, 3, { groupId: group }),
    epoch === null ? null : encode<ConsumerGroupMetadataValue>(ConsumerGroupMetadataValueSchema, 0, { epoch }),
  );
}

export function cgPartitionMetadataRecord(
  group: string,
  topics: Array<{ topicId: string; topicName: string; numPartitions: number }> | null,
): CoordinatorRecord {
  return keyed(
    4,
    encode<ConsumerGroupPartitionMetadataKey>(ConsumerGroupPartitionMetadataKeySchema, 4, { groupId: group }),
    topics === null
      ? null
      : encode<ConsumerGroupPartitionMetadataValue>(ConsumerGroupPartitionMetadataValueSchema, 0, {
          topics: topics.map((t) => ({ ...t, partitionMetadata: [] })),
        }),
  );
}

export function cgMemberRecord(
  group: string,
  memberId: string,
  v: ConsumerGroupMemberMetadataValue | null,
): CoordinatorRecord {
  return keyed(
    5,
    encode<ConsumerGroupMemberMetadataKey>(ConsumerGroupMemberMetadataKeySchema, 5, { groupId: group, memberId }),
    v === null ? null : encode<ConsumerGroupMemberMetadataValue>(ConsumerGroupMemberMetadataValueSchema, 0, v),
  );
}

export function cgTargetMetadataRecord(group: string, assignmentEpoch: number | null): CoordinatorRecord {
  return keyed(
    6,
    encode<ConsumerGroupTargetAssignmentMetadataKey>(ConsumerGroupTargetAssignmentMetadataKeySchema, 6, {
      groupId: group,
    }),
    assignmentEpoch === null
      ? null
      : encode<ConsumerGroupTargetAssignmentMetadataValue>(ConsumerGroupTargetAssignmentMetadataValueSchema, 0, {
          assignmentEpoch,
        }),
  );
}

export function cgTargetMemberRecord(
  group: string,
  memberId: string,
  topicPartitions: TopicPartitionsList | null,
): CoordinatorRecord {
  return keyed(
    7,
    encode<ConsumerGroupTargetAssignmentMemberKey>(ConsumerGroupTargetAssignmentMemberKeySchema, 7, {
      groupId: group,
      memberId,
    }),
    topicPartitions === null
      ? null
      : encode<ConsumerGroupTargetAssignmentMemberValue>(ConsumerGroupTargetAssignmentMemberValueSchema, 0, {
          topicPartitions,
        }),
  );
}

export function cgCurrentRecord(
  group: string,
  memberId: string,
  // Encodable: fields Kafka added since (tagged AssignmentEpochs) may be left at their defaults.
  v: Encodable<ConsumerGroupCurrentMemberAssignmentValue> | null,
): CoordinatorRecord {
  return keyed(
    8,
    encode<ConsumerGroupCurrentMemberAssignmentKey>(ConsumerGroupCurrentMemberAssignmentKeySchema, 8, {
      groupId: group,
      memberId,
    }),
    v === null
      ? null
      : encode<ConsumerGroupCurrentMemberAssignmentValue>(ConsumerGroupCurrentMemberAssignmentValueSchema, 0, v),
  );
}

function decodeConsumerRecord(keyVersion: number, kr: Reader, value: Buffer | null): ConsumerRecordDecoded {
  const val = <T>(schema: Parameters<typeof decode>[0]): T | null => {
    if (value === null) return null;
    const vr = new Reader(value);
    vr.int16();
    return decode<T>(schema, 0, vr);
  };
  switch (keyVersion) {
    case 3: {
      const k = decode<ConsumerGroupMetadataKey>(ConsumerGroupMetadataKeySchema, 3, kr);
      return { type: 'cg-metadata', group: k.groupId, value: val(ConsumerGroupMetadataValueSchema) };
    }
    case 4: {
      const k = decode<ConsumerGroupPartitionMetadataKey>(ConsumerGroupPartitionMetadataKeySchema, 4, kr);
      return { type: 'cg-partition-metadata', group: k.groupId, value: val(ConsumerGroupPartitionMetadataValueSchema) };
    }
    case 5: {
      const k = decode<ConsumerGroupMemberMetadataKey>(ConsumerGroupMemberMetadataKeySchema, 5, kr);
      return {
        type: 'cg-member',
        group: k.groupId,
        memberId: k.memberId,
        value: val(ConsumerGroupMemberMetadataValueSchema),
      };
    }
    case 6: {
      const k = decode<ConsumerGroupTargetAssignmentMetadataKey>(ConsumerGroupTargetAssignmentMetadataKeySchema, 6, kr);
      return {
        type: 'cg-target-metadata',
        group: k.groupId,
        value: val(ConsumerGroupTargetAssignmentMetadataValueSchema),
      };
    }
    case 7: {
      const k = decode<ConsumerGroupTargetAssignmentMemberKey>(ConsumerGroupTargetAssignmentMemberKeySchema, 7, kr);
      const v = val<ConsumerGroupTargetAssignmentMemberValue>(ConsumerGroupTargetAssignmentMemberValueSchema);
      return { type: 'cg-target-member', group: k.groupId, memberId: k.memberId, value: v?.topicPartitions ?? null };
    }
    default: {
      const k = decode<ConsumerGroupCurrentMemberAssignmentKey>(ConsumerGroupCurrentMemberAssignmentKeySchema, 8, kr);
      return {
        type: 'cg-current',
        group: k.groupId,
        memberId: k.memberId,
        value: val(ConsumerGroupCurrentMemberAssignmentValueSchema),
      };
    }
  }
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
