// The share coordinator's state machine (one per __share_group_state partition), pure logic: it keeps the persisted
// state of the share-partitions whose key hashes to its partition, and turns Initialize/Write/Delete into the records
// to append (ShareSnapshot, ShareUpdate, tombstones). The runtime appends them, then replays them here, so the state
// after a restart (replaying the partition) is the state before it. A write carrying an older state epoch than the
// stored one is fenced (FENCED_STATE_EPOCH): the share-partition was re-initialized (offsets altered or deleted).
// Every `snapshotEvery` updates the whole state is written as a snapshot instead, so replay never reads far back.
import { ErrorCode } from '../../protocol/errors.ts';
import { decodeShareRecord, type SharePartitionKey, snapshotRecord, updateRecord } from './records.ts';
import { combine, initialState, type PersistedShareState, type ShareStateUpdate } from './state.ts';

export interface StoredShareState {
  key: SharePartitionKey;
  snapshotEpoch: number;
  updatesSinceSnapshot: number;
  state: PersistedShareState;
}

export interface ShareCoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

export function shareKeyString(k: SharePartitionKey): string {
  return `${k.groupId}\0${k.topicId}\0${k.partition}`;
}

export class ShareCoordinatorShard {
  readonly states = new Map<string, StoredShareState>();
  readonly #snapshotEvery: number;

  constructor(snapshotEvery: number) {
    this.#snapshotEvery = Math.max(1, snapshotEvery);
  }

  /** Applies a record read back from the partition (load) or just appended. */
  replay(key: Buffer, value: Buffer | null): void {
    const r = decodeShareRecord(key, value);
    const k = shareKeyString(r.key);
    if (r.type === 'snapshot') {
      if (r.state === null) this.states.delete(k);
      else this.states.set(k, { key: r.key, snapshotEpoch: r.snapshotEpoch, updatesSinceSnapshot: 0, state: r.state });
      return;
    }
    const s = this.states.get(k);
    // An update without a snapshot before it belongs to a deleted state: nothing to apply it to.
    if (!s || r.snapshotEpoch !== s.snapshotEpoch) return;
    s.state = { ...combine(s.state, r.update), leaderEpoch: r.leaderEpoch };
    s.updatesSinceSnapshot++;
  }

  read(key: SharePartitionKey): PersistedShareState | undefined {
    return this.states.get(shareKeyString(key))?.state;
  }

  /** InitializeShareGroupState: a new state at `startOffset` with `stateEpoch` (which must not go back). */
  initialize(
    key: SharePartitionKey,
    stateEpoch: number,
    startOffset: number,
    now: number,
  ): { errorCode: number; records: ShareCoordinatorRecord[] } {
    const s = this.states.get(shareKeyString(key));
    if (s && stateEpoch < s.state.stateEpoch) return { errorCode: ErrorCode.FENCED_STATE_EPOCH, records: [] };
    if (startOffset < 0) return { errorCode: ErrorCode.INVALID_REQUEST, records: [] };
    const state = initialState(startOffset, stateEpoch, s?.state.leaderEpoch ?? 0);
    return { errorCode: ErrorCode.NONE, records: [snapshotRecord(key, (s?.snapshotEpoch ?? -1) + 1, state, now)] };
  }

  /** WriteShareGroupState: an update of an initialized state, or a snapshot when enough updates piled up. */
  write(
    key: SharePartitionKey,
    stateEpoch: number,
    leaderEpoch: number,
    update: ShareStateUpdate,
    now: number,
  ): { errorCode: number; records: ShareCoordinatorRecord[] } {
    const s = this.states.get(shareKeyString(key));
    if (!s) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, records: [] };
    if (stateEpoch < s.state.stateEpoch) return { errorCode: ErrorCode.FENCED_STATE_EPOCH, records: [] };
    if (leaderEpoch >= 0 && leaderEpoch < s.state.leaderEpoch) {
      return { errorCode: ErrorCode.FENCED_LEADER_EPOCH, records: [] };
    }
    const epoch = leaderEpoch >= 0 ? leaderEpoch : s.state.leaderEpoch;
    if (s.updatesSinceSnapshot + 1 >= this.#snapshotEvery) {
      const state = { ...combine(s.state, update), leaderEpoch: epoch };
      return { errorCode: ErrorCode.NONE, records: [snapshotRecord(key, s.snapshotEpoch + 1, state, now)] };
    }
    return { errorCode: ErrorCode.NONE, records: [updateRecord(key, s.snapshotEpoch, epoch, update)] };
  }

  /** DeleteShareGroupState: a tombstone for the snapshot and the update keys. */
  delete(key: SharePartitionKey, now: number): ShareCoordinatorRecord[] {
    if (!this.states.has(shareKeyString(key))) return [];
    const tomb = snapshotRecord(key, 0, null, now);
    const upd = updateRecord(key, 0, 0, { startOffset: -1, batches: [] });
    return [tomb, { key: upd.key, value: null }];
  }
}
