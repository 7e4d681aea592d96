// The share-group offset admin operations (Kafka 4.4's DescribeShareGroupOffsets, AlterShareGroupOffsets and
// DeleteShareGroupOffsets; the Admin client's listShareGroupOffsets / alterShareGroupOffsets / deleteShareGroupOffsets
// and kafka-share-groups.sh --describe --offsets, --reset-offsets, --delete-offsets), run by the group coordinator.
// They read and change the persisted share-partition state through the persister, so the share coordinator may be
// any broker: summaries (ReadShareGroupStateSummary, one request per coordinator broker), initialize with a new state
// epoch (InitializeShareGroupState), delete (DeleteShareGroupState). Which share-partitions of a group have state is
// found by asking the summary of every partition of every topic (Kafka's group coordinator keeps that list in its
// ShareGroupStatePartitionMetadata records; Tributary does not keep it yet). A share-partition leader on this broker
// drops its in-memory share-partition, so the next fetch loads the new state; one on another broker is fenced by the
// state epoch (alter) or finds no state (delete) on its next write. Altering and deleting need an empty group.
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import type { SummaryResult } from './persister.ts';
import type { SharePartitionKey } from './records.ts';
import type { ShareStateSummary } from './state.ts';

export interface ShareOffsetsDeps {
  /** Topics by name: id and partition count (the metadata image). */
  topic(name: string): { id: string; partitions: number } | undefined;
  /** Every user topic (the share-partitions that may have state): name, id and partition count. */
  topics(): Array<{ name: string; id: string; partitions: number }>;
  /** 'Dead' when no member list exists for the group (never joined, or deleted), 'Empty', or 'Stable'. */
  groupState(groupId: string): 'Empty' | 'Stable' | 'Dead';
  /** Summaries of share-partitions of one group, in order (the persister: local or remote share coordinators). */
  summaries(keys: SharePartitionKey[]): Promise<SummaryResult[]>;
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<number>;
  deleteState(key: SharePartitionKey): Promise<number>;
  /** The share-partition leader on this broker forgets its in-memory share-partition. */
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

/** Records between the start offset and the high watermark whose delivery is not complete; -1 when unknown. */
export function shareLag(s: ShareStateSummary, highWatermark: number): number {
  if (s.deliveryCompleteCount < 0) return -1;
  return Math.max(0, highWatermark - s.startOffset - s.deliveryCompleteCount);
}

/** Every share-partition of `groupId` with persisted state, asked of the share coordinators. */
export async function statesOf(
  deps: ShareOffsetsDeps,
  groupId: string,
): Promise<Array<{ key: SharePartitionKey; topicName: string; summary: ShareStateSummary }>> {
  const keys: SharePartitionKey[] = [];
  const names: string[] = [];
  for (const t of deps.topics()) {
    for (let partition = 0; partition < t.partitions; partition++) {
      keys.push({ groupId, topicId: t.id, partition });
      names.push(t.name);
    }
  }
  if (keys.length === 0) return [];
  const results = await deps.summaries(keys);
  const out: Array<{ key: SharePartitionKey; topicName: string; summary: ShareStateSummary }> = [];
  results.forEach((r, i) => {
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? errorName(r.errorCode));
    if (r.summary) out.push({ key: keys[i]!, topicName: names[i]!, summary: r.summary });
  });
  return out;
}

/**
 * DescribeShareGroupOffsets of one group: the start offset, leader epoch and lag of each asked partition (`topics`
 * null: every share-partition with state). A partition never fetched by the group has start offset and lag -1. A
 * group without members is found when some share-partition of it has state. Throws KafkaError when a share
 * coordinator cannot be reached.
 */
export async function describeShareOffsets(
  deps: ShareOffsetsDeps,
  groupId: string,
  topics: Array<{ topicName: string; partitions: number[] }> | null,
): Promise<DescribedShareOffsets> {
  const notFound = { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, topics: [] };
  const all = topics === null || deps.groupState(groupId) === 'Dead' ? await statesOf(deps, groupId) : null;
  if (deps.groupState(groupId) === 'Dead' && all?.length === 0) return notFound;
  let wanted = topics;
  if (wanted === null) {
    const byTopic = new Map<string, number[]>();
    for (const { key, topicName } of all ?? [])
      byTopic.set(topicName, [...(byTopic.get(topicName) ?? []), key.partition]);
    wanted = [...byTopic]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([topicName, partitions]) => ({ topicName, partitions: partitions.sort((a, b) => a - b) }));
  }
  // The summaries of every asked partition that exists, in one round (one request per share coordinator).
  const keys: SharePartitionKey[] = [];
  for (const t of wanted) {
    const info = deps.topic(t.topicName);
    if (!info) continue;
    for (const partition of t.partitions) {
      if (partition >= 0 && partition < info.partitions) keys.push({ groupId, topicId: info.id, partition });
    }
  }
  const results = keys.length === 0 ? [] : await deps.summaries(keys);
  const byKey = new Map(keys.map((k, i) => [`${k.topicId}:${k.partition}`, results[i]!]));
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: wanted.map((t) => {
      const info = deps.topic(t.topicName);
      return {
        topicName: t.topicName,
        topicId: info?.id ?? ZERO_UUID,
        partitions: t.partitions.map((partitionIndex) => {
          const r = info && byKey.get(`${info.id}:${partitionIndex}`);
          const blank = { partitionIndex, startOffset: -1, leaderEpoch: -1, lag: -1 };
          if (!r) return { ...blank, errorCode: UNKNOWN, errorMessage: errorName(UNKNOWN) };
          if (r.errorCode !== ErrorCode.NONE) {
            return { ...blank, errorCode: r.errorCode, errorMessage: r.errorMessage ?? errorName(r.errorCode) };
          }
          const s = r.summary;
          const hw = deps.highWatermark(t.topicName, partitionIndex);
          return {
            partitionIndex,
            startOffset: s?.startOffset ?? -1,
            leaderEpoch: s?.leaderEpoch ?? -1,
            lag: s && hw !== undefined ? shareLag(s, hw) : -1,
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
export async function alterShareOffsets(
  deps: ShareOffsetsDeps,
  groupId: string,
  topics: Array<{ topicName: string; partitions: Array<{ partitionIndex: number; startOffset: number }> }>,
): Promise<AlteredShareOffsets> {
  if (deps.groupState(groupId) === 'Stable') {
    const errorMessage = `The share group ${groupId} has active members: its offsets cannot be altered.`;
    return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage, responses: [] };
  }
  const responses: AlteredShareOffsets['responses'] = [];
  for (const t of topics) {
    const info = deps.topic(t.topicName);
    const partitions: AlteredShareOffsets['responses'][number]['partitions'] = [];
    for (const { partitionIndex, startOffset } of t.partitions) {
      const fail = (code: number, message = errorName(code)) => ({
        partitionIndex,
        errorCode: code,
        errorMessage: message,
      });
      if (!info || partitionIndex < 0 || partitionIndex >= info.partitions) {
        partitions.push(fail(UNKNOWN));
        continue;
      }
      if (startOffset < 0) {
        partitions.push(fail(ErrorCode.INVALID_REQUEST, `The start offset ${startOffset} is negative.`));
        continue;
      }
      const key = { groupId, topicId: info.id, partition: partitionIndex };
      const [current] = await deps.summaries([key]);
      if (current!.errorCode !== ErrorCode.NONE) {
        partitions.push(fail(current!.errorCode, current!.errorMessage ?? errorName(current!.errorCode)));
        continue;
      }
      deps.forget(key);
      const code = await deps.initialize(key, current!.summary ? current!.summary.stateEpoch + 1 : 0, startOffset);
      partitions.push(code === ErrorCode.NONE ? { partitionIndex, errorCode: code, errorMessage: null } : fail(code));
    }
    responses.push({ topicName: t.topicName, topicId: info?.id ?? ZERO_UUID, partitions });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, responses };
}

export interface DeletedShareOffsets {
  errorCode: number;
  errorMessage: string | null;
  responses: Array<{ topicName: string; topicId: string; errorCode: number; errorMessage: string | null }>;
}

/** DeleteShareGroupOffsets: the group's share-partition state of each topic goes (the next fetch starts afresh). */
export async function deleteShareOffsets(
  deps: ShareOffsetsDeps,
  groupId: string,
  topicNames: string[],
): Promise<DeletedShareOffsets> {
  if (deps.groupState(groupId) === 'Stable') {
    const errorMessage = `The share group ${groupId} has active members: its offsets cannot be deleted.`;
    return { errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage, responses: [] };
  }
  const states = await statesOf(deps, groupId);
  if (deps.groupState(groupId) === 'Dead' && states.length === 0) {
    return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, responses: [] };
  }
  const responses: DeletedShareOffsets['responses'] = [];
  for (const topicName of topicNames) {
    const info = deps.topic(topicName);
    if (!info) {
      responses.push({ topicName, topicId: ZERO_UUID, errorCode: UNKNOWN, errorMessage: errorName(UNKNOWN) });
      continue;
    }
    let errorCode: number = ErrorCode.NONE;
    for (const { key } of states) {
      if (key.topicId !== info.id) continue;
      deps.forget(key);
      const code = await deps.deleteState(key);
      if (code !== ErrorCode.NONE) errorCode = code;
    }
    const errorMessage = errorCode === ErrorCode.NONE ? null : errorName(errorCode);
    responses.push({ topicName, topicId: info.id, errorCode, errorMessage });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, responses };
}
