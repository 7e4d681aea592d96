// Per-partition error codes for responses that echo the request's topics and partitions (OffsetCommit,
// TxnOffsetCommit, OffsetDelete): partitions left unset answer NONE.
import { ErrorCode } from '../../protocol/errors.ts';

export class PartitionErrors {
  private readonly codes = new Map<string, number>();

  set(topic: string, partition: number, code: number): void {
    this.codes.set(`${topic}\0${partition}`, code);
  }

  /** The request's topics and partitions, in order, each with its code. */
  response(topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>) {
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: this.codes.get(`${t.name}\0${p.partitionIndex}`) ?? ErrorCode.NONE,
      })),
    }));
  }
}
