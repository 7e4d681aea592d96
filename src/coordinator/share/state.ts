// Persisted share-partition state (KIP-932), shaped as Kafka's share coordinator keeps it on __share_group_state:
// a snapshot (ShareSnapshotValue: start offset + state batches) and updates (ShareUpdateValue: a new start offset or
// -1, and the state batches that changed). Batches are offset ranges with one delivery state and one delivery count;
// a later batch overwrites what an earlier one said about the same offsets, and offsets below the start offset are
// forgotten. `combine` folds an update into a snapshot; replaying a partition of the topic is a fold of its records.
import { assert } from '../../util/assert.ts';

/** Delivery states. ACQUIRED exists only in memory: it is persisted as AVAILABLE with the delivery counted. */
export const DeliveryState = { AVAILABLE: 0, ACQUIRED: 1, ACKNOWLEDGED: 2, ARCHIVED: 4 } as const;
export type DeliveryStateCode = (typeof DeliveryState)[keyof typeof DeliveryState];

export interface StateBatch {
  firstOffset: number;
  /** Inclusive. */
  lastOffset: number;
  /** AVAILABLE, ACKNOWLEDGED or ARCHIVED (never ACQUIRED on disk). */
  deliveryState: number;
  deliveryCount: number;
}

export interface PersistedShareState {
  /** Fences writers of an older incarnation of the share-partition (bumped by Initialize/Alter/Delete). */
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: number;
  /** Sorted by offset, not overlapping, all at or above startOffset. */
  batches: StateBatch[];
}

export interface ShareStateUpdate {
  /** The new start offset, or -1 when it did not move. */
  startOffset: number;
  batches: StateBatch[];
}

/** The state of a share-partition whose start offset was just set (Initialize, or alter offsets). */
export function initialState(startOffset: number, stateEpoch = 0, leaderEpoch = 0): PersistedShareState {
  return { stateEpoch, leaderEpoch, startOffset, batches: [] };
}

/** Folds `update` into `state` (which is not modified): overlapping batches are overwritten by the update's,
 * adjacent batches with the same state and count merge, and everything below the start offset goes. */
export function combine(state: PersistedShareState, update: ShareStateUpdate): PersistedShareState {
  const startOffset = update.startOffset >= 0 ? Math.max(update.startOffset, state.startOffset) : state.startOffset;
  let batches = state.batches;
  for (const b of update.batches) batches = overwrite(batches, b);
  const out: StateBatch[] = [];
  for (const b of batches) {
    if (b.lastOffset < startOffset) continue;
    const first = Math.max(b.firstOffset, startOffset);
    const prev = out[out.length - 1];
    if (
      prev &&
      prev.lastOffset + 1 === first &&
      prev.deliveryState === b.deliveryState &&
      prev.deliveryCount === b.deliveryCount
    ) {
      prev.lastOffset = b.lastOffset;
    } else {
      out.push({ ...b, firstOffset: first });
    }
  }
  for (let i = 1; i < out.length; i++) {
    assert(out[i]!.firstOffset > out[i - 1]!.lastOffset, 'combined share state batches overlap');
  }
  return { stateEpoch: state.stateEpoch, leaderEpoch: state.leaderEpoch, startOffset, batches: out };
}

/** `batches` (sorted, disjoint) with `b` written over them. */
function overwrite(batches: StateBatch[], b: StateBatch): StateBatch[] {
  assert(b.firstOffset <= b.lastOffset, `share state batch ${b.firstOffset}-${b.lastOffset} is empty`);
  assert(b.deliveryState !== DeliveryState.ACQUIRED, 'ACQUIRED is never persisted');
  const out: StateBatch[] = [];
  let placed = false;
  for (const x of batches) {
    if (x.lastOffset < b.firstOffset) {
      out.push(x);
      continue;
    }
    if (x.firstOffset > b.lastOffset) {
      if (!placed) out.push({ ...b });
      placed = true;
      out.push(x);
      continue;
    }
    // x overlaps b: keep the parts of x outside b.
    if (x.firstOffset < b.firstOffset) out.push({ ...x, lastOffset: b.firstOffset - 1 });
    if (!placed) out.push({ ...b });
    placed = true;
    if (x.lastOffset > b.lastOffset) out.push({ ...x, firstOffset: b.lastOffset + 1 });
  }
  if (!placed) out.push({ ...b });
  return out;
}

/** What ReadShareGroupStateSummary answers of a share-partition's state (no batches). */
export interface ShareStateSummary {
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: number;
  /** Offsets at or above the start offset whose delivery is complete (ACKNOWLEDGED or ARCHIVED). */
  deliveryCompleteCount: number;
}

export function summarize(state: PersistedShareState): ShareStateSummary {
  let done = 0;
  for (const b of state.batches) {
    if (b.deliveryState !== DeliveryState.ACKNOWLEDGED && b.deliveryState !== DeliveryState.ARCHIVED) continue;
    const first = Math.max(b.firstOffset, state.startOffset);
    if (b.lastOffset >= first) done += b.lastOffset - first + 1;
  }
  return {
    stateEpoch: state.stateEpoch,
    leaderEpoch: state.leaderEpoch,
    startOffset: state.startOffset,
    deliveryCompleteCount: done,
  };
}
