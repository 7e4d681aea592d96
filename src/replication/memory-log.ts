// An in-memory ReplicaLog: one value and one leader epoch per offset, and an epoch cache with Kafka's
// LeaderEpochFileCache semantics. The simulation and the unit tests run the replication core on it; it can also back
// an in-process cluster's partitions. Not for large logs: it keeps a number per record.
import { assert } from '../util/assert.ts';
import { type EpochEndOffset, type ReplicaLog, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './types.ts';

/** Records as a fetch carries them: consecutive offsets from `baseOffset`, each with its value and epoch. */
export interface MemoryBatch {
  baseOffset: number;
  values: number[];
  epochs: number[];
}

export class MemoryReplicaLog implements ReplicaLog<MemoryBatch> {
  readonly #values: number[] = [];
  readonly #epochs: number[] = [];
  /** Epoch cache: strictly growing epochs with non-decreasing start offsets. */
  #cache: Array<{ epoch: number; startOffset: number }> = [];

  logEndOffset(): number {
    return this.#values.length;
  }

  latestEpoch(): number {
    return this.#cache.length === 0 ? UNDEFINED_EPOCH : this.#cache[this.#cache.length - 1]!.epoch;
  }

  epochEntries(): ReadonlyArray<{ epoch: number; startOffset: number }> {
    return this.#cache;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    if (epoch === UNDEFINED_EPOCH) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === this.latestEpoch()) return { epoch, endOffset: this.logEndOffset() };
    const higher = this.#cache.findIndex((e) => e.epoch > epoch);
    if (higher < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const startOfHigher = this.#cache[higher]!.startOffset;
    return higher === 0
      ? { epoch, endOffset: startOfHigher }
      : { epoch: this.#cache[higher - 1]!.epoch, endOffset: startOfHigher };
  }

  /** A leader's append: `values` get the next offsets and `epoch`. Returns the last offset. */
  appendAsLeader(values: readonly number[], epoch: number): number {
    assert(values.length > 0, 'empty append');
    for (const v of values) this.#push(v, epoch);
    return this.logEndOffset() - 1;
  }

  appendAsFollower(batch: MemoryBatch): void {
    assert(batch.baseOffset === this.logEndOffset(), `batch at ${batch.baseOffset} appended at ${this.logEndOffset()}`);
    for (let i = 0; i < batch.values.length; i++) this.#push(batch.values[i]!, batch.epochs[i]!);
  }

  #push(value: number, epoch: number): void {
    const latest = this.latestEpoch();
    assert(epoch >= latest, `record of epoch ${epoch} after epoch ${latest}`);
    if (epoch > latest) this.assignEpochStartOffset(epoch, this.logEndOffset());
    this.#values.push(value);
    this.#epochs.push(epoch);
  }

  truncateTo(offset: number): void {
    assert(offset >= 0, 'truncation below 0');
    if (offset < this.#values.length) {
      this.#values.length = offset;
      this.#epochs.length = offset;
    }
    this.#cache = this.#cache.filter((e) => e.startOffset < offset);
  }

  assignEpochStartOffset(epoch: number, offset: number): void {
    const latest = this.latestEpoch();
    if (epoch <= latest) return;
    assert(offset <= this.logEndOffset(), 'epoch starting beyond the log end');
    this.#cache = this.#cache.filter((e) => e.startOffset < offset);
    this.#cache.push({ epoch, startOffset: offset });
  }

  /** Up to `max` records from `offset` as one batch (empty when `offset` is the log end). */
  read(offset: number, max: number): MemoryBatch {
    const end = Math.min(this.#values.length, offset + max);
    return { baseOffset: offset, values: this.#values.slice(offset, end), epochs: this.#epochs.slice(offset, end) };
  }

  valueAt(offset: number): number | undefined {
    return this.#values[offset];
  }

  epochAt(offset: number): number | undefined {
    return this.#epochs[offset];
  }
}
