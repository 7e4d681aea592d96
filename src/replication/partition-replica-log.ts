// The broker's Partition as the replication core's ReplicaLog: fetched record batches (bytes) are appended as they
// are, the leader-epoch cache answers the epoch questions, truncation also rebuilds producer state.
import type { Partition } from '../broker/partition.ts';
import { type EpochEndOffset, type ReplicaLog, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './types.ts';

export class PartitionReplicaLog implements ReplicaLog<Buffer> {
  readonly #p: Partition;

  constructor(partition: Partition) {
    this.#p = partition;
  }

  logEndOffset(): number {
    return this.#p.log.logEndOffset;
  }

  latestEpoch(): number {
    return this.#p.log.epochs.latestEpoch();
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    const r = this.#p.log.epochs.endOffsetFor(epoch, this.#p.log.logEndOffset);
    if (r.endOffset === UNDEFINED_EPOCH_OFFSET) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    return { epoch: r.epoch, endOffset: r.endOffset };
  }

  appendAsFollower(batches: Buffer): void {
    this.#p.appendAsFollower(batches);
  }

  truncateTo(offset: number): void {
    this.#p.truncateTo(offset);
  }

  assignEpochStartOffset(epoch: number, offset: number): void {
    const cache = this.#p.log.epochs;
    if (epoch <= cache.latestEpoch()) return;
    cache.assign(epoch, offset);
  }
}
