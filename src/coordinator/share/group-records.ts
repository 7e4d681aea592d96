// Share groups as stored in __consumer_offsets (Kafka 4.4's group-coordinator records, key type = the definition's
// apiKey): ShareGroupMemberMetadata (10: a member's rack, client and subscriptions), ShareGroupMetadata (11: the group
// epoch and the hash of its subscribed topics' metadata), ShareGroupTargetAssignmentMetadata (12: the assignment
// epoch), ShareGroupTargetAssignmentMember (13: a member's target), ShareGroupCurrentMemberAssignment (14: a member's
// epochs and partitions), ShareGroupStatePartitionMetadata (15: which topic-partitions have share-partition state
// initialized, being initialized, or being deleted). A null value is a tombstone. Kafka 4.4 writes all six.
import { decode, type Encodable, encode } from '../../protocol/codec.ts';
import {
  type ShareGroupCurrentMemberAssignmentKey,
  ShareGroupCurrentMemberAssignmentKeySchema,
  type ShareGroupCurrentMemberAssignmentValue,
  ShareGroupCurrentMemberAssignmentValueSchema,
  type ShareGroupMemberMetadataKey,
  ShareGroupMemberMetadataKeySchema,
  type ShareGroupMemberMetadataValue,
  ShareGroupMemberMetadataValueSchema,
  type ShareGroupMetadataKey,
  ShareGroupMetadataKeySchema,
  type ShareGroupMetadataValue,
  ShareGroupMetadataValueSchema,
  type ShareGroupStatePartitionMetadataKey,
  ShareGroupStatePartitionMetadataKeySchema,
  type ShareGroupStatePartitionMetadataValue,
  ShareGroupStatePartitionMetadataValueSchema,
  type ShareGroupTargetAssignmentMemberKey,
  ShareGroupTargetAssignmentMemberKeySchema,
  type ShareGroupTargetAssignmentMemberValue,
  ShareGroupTargetAssignmentMemberValueSchema,
  type ShareGroupTargetAssignmentMetadataKey,
  ShareGroupTargetAssignmentMetadataKeySchema,
  type ShareGroupTargetAssignmentMetadataValue,
  ShareGroupTargetAssignmentMetadataValueSchema,
} from '../../protocol/generated/internal.ts';
import { Reader, Writer } from '../../protocol/io.ts';
import type { MessageSchema } from '../../protocol/schema.ts';

export interface StoredRecord {
  key: Buffer;
  value: Buffer | null;
}

const MEMBER = ShareGroupMemberMetadataKeySchema.apiKey; // 10
const METADATA = ShareGroupMetadataKeySchema.apiKey; // 11
const TARGET_METADATA = ShareGroupTargetAssignmentMetadataKeySchema.apiKey; // 12
const TARGET_MEMBER = ShareGroupTargetAssignmentMemberKeySchema.apiKey; // 13
const CURRENT = ShareGroupCurrentMemberAssignmentKeySchema.apiKey; // 14
const STATE_PARTITIONS = ShareGroupStatePartitionMetadataKeySchema.apiKey; // 15

/** Whether a __consumer_offsets key (its int16 type) is a share group's record. */
export function isShareGroupKey(key: Buffer): boolean {
  if (key.length < 2) return false;
  const t = key.readInt16BE(0);
  return t >= MEMBER && t <= STATE_PARTITIONS;
}

export type TopicPartitions = Array<{ topicId: string; partitions: number[] }>;

/** Share-partition state of a group: topics with initialized partitions, and topics whose state is being deleted. */
export interface StatePartitions {
  initializing: Array<{ topicId: string; topicName: string; partitions: number[] }>;
  initialized: Array<{ topicId: string; topicName: string; partitions: number[] }>;
  deleting: Array<{ topicId: string; topicName: string }>;
}

export type ShareGroupRecord =
  | { type: 'member'; groupId: string; memberId: string; value: ShareGroupMemberMetadataValue | null }
  | { type: 'metadata'; groupId: string; value: { epoch: number; metadataHash: bigint } | null }
  | { type: 'target-metadata'; groupId: string; value: { assignmentEpoch: number } | null }
  | { type: 'target-member'; groupId: string; memberId: string; value: TopicPartitions | null }
  | {
      type: 'current';
      groupId: string;
      memberId: string;
      value: {
        memberEpoch: number;
        previousMemberEpoch: number;
        state: number;
        assignedPartitions: TopicPartitions;
      } | null;
    }
  | { type: 'state-partitions'; groupId: string; value: StatePartitions | null };

function versioned(version: number, body: Writer): Buffer {
  const w = new Writer(8);
  w.int16(version);
  w.append(body);
  return w.toBuffer();
}

function record<K, V>(
  type: number,
  keySchema: MessageSchema,
  key: Encodable<K>,
  valueSchema: MessageSchema,
  value: Encodable<V> | null,
): StoredRecord {
  return {
    key: versioned(type, encode<K>(keySchema, type, key)),
    value: value === null ? null : versioned(0, encode<V>(valueSchema, 0, value)),
  };
}

export function memberRecord(
  groupId: string,
  memberId: string,
  v: { rackId: string | null; clientId: string; clientHost: string; subscribedTopicNames: string[] } | null,
): StoredRecord {
  return record<ShareGroupMemberMetadataKey, ShareGroupMemberMetadataValue>(
    MEMBER,
    ShareGroupMemberMetadataKeySchema,
    { groupId, memberId },
    ShareGroupMemberMetadataValueSchema,
    v,
  );
}

export function metadataRecord(groupId: string, v: { epoch: number; metadataHash: bigint } | null): StoredRecord {
  return record<ShareGroupMetadataKey, ShareGroupMetadataValue>(
    METADATA,
    ShareGroupMetadataKeySchema,
    { groupId },
    ShareGroupMetadataValueSchema,
    v,
  );
}

export function targetMetadataRecord(groupId: string, assignmentEpoch: number | null, now = 0): StoredRecord {
  return record<ShareGroupTargetAssignmentMetadataKey, ShareGroupTargetAssignmentMetadataValue>(
    TARGET_METADATA,
    ShareGroupTargetAssignmentMetadataKeySchema,
    { groupId },
    ShareGroupTargetAssignmentMetadataValueSchema,
    assignmentEpoch === null ? null : { assignmentEpoch, assignmentTimestamp: BigInt(now) },
  );
}

export function targetMemberRecord(groupId: string, memberId: string, v: TopicPartitions | null): StoredRecord {
  return record<ShareGroupTargetAssignmentMemberKey, ShareGroupTargetAssignmentMemberValue>(
    TARGET_MEMBER,
    ShareGroupTargetAssignmentMemberKeySchema,
    { groupId, memberId },
    ShareGroupTargetAssignmentMemberValueSchema,
    v === null ? null : { topicPartitions: v },
  );
}

export function currentRecord(
  groupId: string,
  memberId: string,
  v: { memberEpoch: number; previousMemberEpoch: number; assignedPartitions: TopicPartitions } | null,
): StoredRecord {
  // State 0 is Kafka's MemberState.STABLE: a share member takes its target at once (nothing to revoke).
  return record<ShareGroupCurrentMemberAssignmentKey, ShareGroupCurrentMemberAssignmentValue>(
    CURRENT,
    ShareGroupCurrentMemberAssignmentKeySchema,
    { groupId, memberId },
    ShareGroupCurrentMemberAssignmentValueSchema,
    v === null ? null : { ...v, state: 0 },
  );
}

export function statePartitionsRecord(groupId: string, v: StatePartitions | null): StoredRecord {
  return record<ShareGroupStatePartitionMetadataKey, ShareGroupStatePartitionMetadataValue>(
    STATE_PARTITIONS,
    ShareGroupStatePartitionMetadataKeySchema,
    { groupId },
    ShareGroupStatePartitionMetadataValueSchema,
    v === null
      ? null
      : { initializingTopics: v.initializing, initializedTopics: v.initialized, deletingTopics: v.deleting },
  );
}

/** Decodes a share group's record (isShareGroupKey must hold). Throws on bytes that do not decode. */
export function decodeShareGroupRecord(key: Buffer, value: Buffer | null): ShareGroupRecord {
  const kr = new Reader(key);
  const type = kr.int16();
  const val = <T>(schema: MessageSchema): T | null => {
    if (value === null) return null;
    const vr = new Reader(value);
    vr.int16();
    return decode<T>(schema, 0, vr);
  };
  switch (type) {
    case MEMBER: {
      const k = decode<ShareGroupMemberMetadataKey>(ShareGroupMemberMetadataKeySchema, type, kr);
      const v = val<ShareGroupMemberMetadataValue>(ShareGroupMemberMetadataValueSchema);
      return { type: 'member', groupId: k.groupId, memberId: k.memberId, value: v };
    }
    case METADATA: {
      const k = decode<ShareGroupMetadataKey>(ShareGroupMetadataKeySchema, type, kr);
      const v = val<ShareGroupMetadataValue>(ShareGroupMetadataValueSchema);
      return { type: 'metadata', groupId: k.groupId, value: v && { epoch: v.epoch, metadataHash: v.metadataHash } };
    }
    case TARGET_METADATA: {
      const k = decode<ShareGroupTargetAssignmentMetadataKey>(ShareGroupTargetAssignmentMetadataKeySchema, type, kr);
      const v = val<ShareGroupTargetAssignmentMetadataValue>(ShareGroupTargetAssignmentMetadataValueSchema);
      return { type: 'target-metadata', groupId: k.groupId, value: v && { assignmentEpoch: v.assignmentEpoch } };
    }
    case TARGET_MEMBER: {
      const k = decode<ShareGroupTargetAssignmentMemberKey>(ShareGroupTargetAssignmentMemberKeySchema, type, kr);
      const v = val<ShareGroupTargetAssignmentMemberValue>(ShareGroupTargetAssignmentMemberValueSchema);
      return { type: 'target-member', groupId: k.groupId, memberId: k.memberId, value: v?.topicPartitions ?? null };
    }
    case CURRENT: {
      const k = decode<ShareGroupCurrentMemberAssignmentKey>(ShareGroupCurrentMemberAssignmentKeySchema, type, kr);
      const v = val<ShareGroupCurrentMemberAssignmentValue>(ShareGroupCurrentMemberAssignmentValueSchema);
      return { type: 'current', groupId: k.groupId, memberId: k.memberId, value: v };
    }
    case STATE_PARTITIONS: {
      const k = decode<ShareGroupStatePartitionMetadataKey>(ShareGroupStatePartitionMetadataKeySchema, type, kr);
      const v = val<ShareGroupStatePartitionMetadataValue>(ShareGroupStatePartitionMetadataValueSchema);
      return {
        type: 'state-partitions',
        groupId: k.groupId,
        value: v && {
          initializing: v.initializingTopics,
          initialized: v.initializedTopics,
          deleting: v.deletingTopics,
        },
      };
    }
    default:
      throw new Error(`record type ${type} is not a share group record`);
  }
}
