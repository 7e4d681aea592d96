// KIP-1251 assignment epochs of consumer (KIP-848) group members: each partition a member owns (assigned or pending
// revocation) carries the member epoch at which it was assigned to the member. They relax the offset commit check:
// a member whose epoch was bumped while one of its commits was in flight (the commit still carries the previous
// epoch) may commit partitions it already owned at that epoch. Persisted as the tagged AssignmentEpochs field of
// ConsumerGroupCurrentMemberAssignmentValue (one epoch per partition, aligned with Partitions).
import { ErrorCode } from '../../protocol/errors.ts';
import { type Assignment, pairs } from './assignment.ts';
import type { TopicPartitionsList } from './records.ts';

/** "topicId:partition" → the member epoch at which the partition was assigned to the member. */
export type AssignmentEpochs = Map<string, number>;

export const epochKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;

/** What a member owns, for its assignment epochs. */
interface Owner {
  memberEpoch: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
  assignmentEpochs: AssignmentEpochs;
}

/**
 * Brings the epochs in line with what the member owns after a reconciliation step: partitions it no longer owns
 * lose theirs, partitions without one (new ones) get the member's current epoch.
 */
export function updateAssignmentEpochs(m: Owner): void {
  const owned = new Set<string>();
  for (const a of [m.assigned, m.pendingRevocation])
    for (const [t, p] of pairs(a)) {
      const k = epochKey(t, p);
      owned.add(k);
      if (!m.assignmentEpochs.has(k)) m.assignmentEpochs.set(k, m.memberEpoch);
    }
  for (const k of m.assignmentEpochs.keys()) if (!owned.has(k)) m.assignmentEpochs.delete(k);
}

/** The record form: each topic's partitions with their epochs, aligned. */
export function withEpochs(
  list: TopicPartitionsList,
  epochs: AssignmentEpochs,
): Array<{ topicId: string; partitions: number[]; assignmentEpochs: number[] }> {
  return list.map(({ topicId, partitions }) => ({
    topicId,
    partitions,
    assignmentEpochs: partitions.map((p) => epochs.get(epochKey(topicId, p)) ?? 0),
  }));
}

/**
 * Epochs read back from a record. A record written before KIP-1251 (or by a broker without it) has none: those
 * partitions get the member epoch, which keeps the strict rule (only the current epoch commits them).
 */
export function readEpochs(
  lists: Array<Array<{ topicId: string; partitions: number[]; assignmentEpochs?: number[] | null }>>,
  memberEpoch: number,
): AssignmentEpochs {
  const out: AssignmentEpochs = new Map();
  const fallback = Math.max(memberEpoch, 0);
  for (const list of lists)
    for (const { topicId, partitions, assignmentEpochs } of list) {
      const aligned = assignmentEpochs != null && assignmentEpochs.length === partitions.length;
      partitions.forEach((p, i) => {
        out.set(epochKey(topicId, p), aligned ? assignmentEpochs[i]! : fallback);
      });
    }
  return out;
}

/**
 * The commit rule for a known member: its current epoch commits anything (as before KIP-1251); a later epoch never;
 * an earlier (non-negative) one only the partitions the member owns now and that were assigned to it at or before
 * that epoch. Returns an error for the whole request, or a per-partition check (null: every partition is fine).
 */
export function commitCheck(
  m: Owner,
  commitEpoch: number,
): { errorCode: number; partitionOk: ((topicId: string | undefined, partition: number) => boolean) | null } {
  if (commitEpoch === m.memberEpoch) return { errorCode: ErrorCode.NONE, partitionOk: null };
  if (commitEpoch > m.memberEpoch || commitEpoch < 0)
    return { errorCode: ErrorCode.STALE_MEMBER_EPOCH, partitionOk: null };
  return {
    errorCode: ErrorCode.NONE,
    partitionOk: (topicId, partition) => {
      if (topicId === undefined) return false;
      const e = m.assignmentEpochs.get(epochKey(topicId, partition));
      return e !== undefined && e <= commitEpoch;
    },
  };
}
