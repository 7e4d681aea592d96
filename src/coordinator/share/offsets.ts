// The share-group offset admin operations (Kafka 4.4's DescribeShareGroupOffsets, AlterShareGroupOffsets and
// DeleteShareGroupOffsets; the Admin client's listShareGroupOffsets / alterShareGroupOffsets / deleteShareGroupOffsets
// and kafka-share-groups.sh --describe --offsets, --reset-offsets, --delete-offsets). They read and change the
// persisted share-partition state through the share coordinator (read, initialize with a new state epoch, delete), and
// make the share-partition leader drop its in-memory share-partition, so the next fetch loads the new state (a leader
// still holding the old one is fenced by the state epoch anyway). Altering and deleting need an empty group, as Kafka.
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import type { SharePartitionKey } from './records.ts';
import { DeliveryState, type PersistedShareState } from './state.ts';

export interface ShareOffsetsDeps {
  /** Topics by name: id and partition count (the metadata image). */
  topic(name: string): { id: string; partitions: number } | undefined;
  /** A topic's name by id. */
  topicName(id: string): string | undefined;
  /** 'Dead' when no member list exists for the group (never joined, or deleted), 'Empty', or 'Stable'. */
  groupState(groupId: string): 'Empty' | 'Stable' | 'Dead';
  statesOf(groupId: string): Array<{ key: SharePartitionKey; state: PersistedShareState }>;
  read(key: SharePartitionKey): PersistedShareState | undefined;
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): number;
  deleteState(key: SharePartitionKey): void;
  /** The share-partition leader forgets its in-memory share-partition. */
  forget(key: SharePartitionKey): void;
  /** The high watermark of a partition hosted here, else undefined (the lag is then unknown, -1). */
  highWatermark(topic: string, partition: number): number | undefined;
}

export interface DescribedShareOffsets {
  errorCode: number;
  errorMessage: string | null;
  topics: Array<{
    topicName: string;
    topicId: string;
    partitions: Array<{
      partitionIndex: number;
      startOffset: number;
      leaderEpoch: number;
      lag: number;
      errorCode: number;
      errorMessage: string | null;
    }>;
  }>;
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const UNKNOWN = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;

/** Records between the start offset and the high watermark not yet acknowledged or archived. */
export function shareLag(state: PersistedShareState, highWatermark: number): number {
  let done = 0;
  for (const b of state.batches) {
    if (b.deliveryState !== DeliveryState.ACKNOWLEDGED && b.deliveryState !== DeliveryState.ARCHIVED) continue;
    const first = Math.max(b.firstOffset, state.startOffset);
    const last = Math.min(b.lastOffset, highWatermark - 1);
    if (last >= first) done += last - first + 1;
  }
  return Math.max(0, highWatermark - state.startOffset - done);
}

function groupExists(deps: ShareOffsetsDeps, groupId: string): boolean {
  return deps.groupState(groupId) !== 'Dead' || deps.statesOf(groupId).length > 0;
}

/**
 * DescribeShareGroupOffsets of one group: the start offset, leader epoch and lag of each asked partition (`topics`
 * null: every share-partition with state). A partition never fetched by the group has start offset and lag -1.
 */
export function describeShareOffsets(
  deps: ShareOffsetsDeps,
  groupId: string,
  topics: Array<{ topicName: string; partitions: number[] }> | null,
): DescribedShareOffsets {
  if (!groupExists(deps, groupId)) {
    return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, topics: [] };
  }
  let wanted = topics;
  if (wanted === null) {
    const byTopic = new Map<string, number[]>();
    for (const { key } of deps.statesOf(groupId)) {
      const name = deps.topicName(key.topicId);
      if (name === undefined) continue;
      byTopic.set(name, [...(byTopic.get(name) ?? []), key.partition]);
    }
    wanted = [...byTopic]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topicName, partitions]) => ({ topicName, partitions: partitions.sort((a, b) => a - b) }));
  }
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: wanted.map((t) => {
      const info = deps.topic(t.topicName);
      return {
        topicName: t.topicName,
        topicId: info?.id ?? ZERO_UUID,
        partitions: t.partitions.map((partitionIndex) => {
          if (!info || partitionIndex < 0 || partitionIndex >= info.partitions) {
            return {
              partitionIndex,
              startOffset: -1,
              leaderEpoch: -1,
              lag: -1,
              errorCode: UNKNOWN,
              errorMessage: errorName(UNKNOWN),
            };
          }
          const state = deps.read({ groupId, topicId: info.id, partition: partitionIndex });
          const hw = deps.highWatermark(t.topicName, partitionIndex);
          return {
            partitionIndex,
            startOffset: state?.startOffset ?? -1,
            leaderEpoch: state?.leaderEpoch ?? -1,
            lag: state && hw !== undefined ? shareLag(state, hw) : -1,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
          };
        }),
      };
    }),
  };
}

export interface AlteredShareOffsets {
  errorCode: number;
  errorMessage: string | null;
  responses: Array<{
    topicName: string;
    topicId: string;
    partitions: Array<{ partitionIndex: number; errorCode: number; errorMessage: string | null }>;
  }>;
}

/** AlterShareGroupOffsets: each share-partition starts again at the given offset (new state epoch, no in-flight). */
export function alterShareOffsets(
  deps: ShareOffsetsDeps,
  groupId: string,
  topics: Array<{ topicName: string; partitions: Array<{ partitionIndex: number; startOffset: number }> }>,
): AlteredShareOffsets {
  if (deps.groupState(groupId) === 'Stable') {
    const errorMessage = `The share group ${groupId} has active members: its offsets cannot be altered.`;
    return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage, responses: [] };
  }
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    responses: topics.map((t) => {
      const info = deps.topic(t.topicName);
      return {
        topicName: t.topicName,
        topicId: info?.id ?? ZERO_UUID,
        partitions: t.partitions.map(({ partitionIndex, startOffset }) => {
          const fail = (code: number, message = errorName(code)) => ({
            partitionIndex,
            errorCode: code,
            errorMessage: message,
          });
          if (!info || partitionIndex < 0 || partitionIndex >= info.partitions) return fail(UNKNOWN);
          if (startOffset < 0) {
            return fail(ErrorCode.INVALID_REQUEST, `The start offset ${startOffset} is negative.`);
          }
          const key = { groupId, topicId: info.id, partition: partitionIndex };
          const current = deps.read(key);
          deps.forget(key);
          const code = deps.initialize(key, current ? current.stateEpoch + 1 : 0, startOffset);
          return code === ErrorCode.NONE ? { partitionIndex, errorCode: code, errorMessage: null } : fail(code);
        }),
      };
    }),
  };
}

export interface DeletedShareOffsets {
  errorCode: number;
  errorMessage: string | null;
  responses: Array<{ topicName: string; topicId: string; errorCode: number; errorMessage: string | null }>;
}

/** DeleteShareGroupOffsets: the group's share-partition state of each topic goes (the next fetch starts afresh). */
export function deleteShareOffsets(deps: ShareOffsetsDeps, groupId: string, topicNames: string[]): DeletedShareOffsets {
  if (!groupExists(deps, groupId)) {
    return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, responses: [] };
  }
  if (deps.groupState(groupId) === 'Stable') {
    const errorMessage = `The share group ${groupId} has active members: its offsets cannot be deleted.`;
    return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage, responses: [] };
  }
  const states = deps.statesOf(groupId);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    responses: topicNames.map((topicName) => {
      const info = deps.topic(topicName);
      if (!info) return { topicName, topicId: ZERO_UUID, errorCode: UNKNOWN, errorMessage: errorName(UNKNOWN) };
      for (const { key } of states) {
        if (key.topicId !== info.id) continue;
        deps.forget(key);
        deps.deleteState(key);
      }
      return { topicName, topicId: info.id, errorCode: ErrorCode.NONE, errorMessage: null };
    }),
  };
}
