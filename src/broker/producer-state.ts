// Per-partition producer state (idempotence and transactions), modelled on Kafka's ProducerStateManager:
// producer id → epoch, the last five batches' sequence ranges with their offsets, the first offset of the open
// transaction, and the aborted transactions. Appends are checked in two steps: `prepare` validates a request's
// batches against the state and returns the updated entries (or the duplicate to answer with); `commit` applies them
// once the log has taken the bytes. Persistence (snapshots, .txnindex) lives in producer-state-file.ts.
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { assert } from '../util/assert.ts';

/** How many recent batches per producer are kept for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_EPOCH = -1;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  /** First offset of the producer's open transaction in this partition, -1 when none. */
  currentTxnFirstOffset: number;
  /** Max timestamp of the producer's last batch (expiration is measured from it). */
  lastTimestamp: number;
}

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/** The header fields of one batch that producer state looks at. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Number of offsets the batch covers (lastOffsetDelta + 1). */
  offsetCount: number;
  maxTimestamp: number;
  isTransactional: boolean;
  isControl: boolean;
}

export type Origin = 'client' | 'coordinator' | 'replication';

export interface AppendPlan {
  /** Set when the first producer batch of the request repeats one of the producer's last five batches. */
  duplicate?: BatchMetadata;
  updates: Map<number, ProducerEntry>;
  /** Transactions that a marker in this append completes. */
  completed: Array<{ producerId: number; firstOffset: number; lastOffset: number; abort: boolean }>;
}

export interface ControlInfo {
  abort: boolean;
  coordinatorEpoch: number;
  /** The marker's transaction version (KIP-1228): from 2 on its epoch must be above the producer's current one. */
  transactionVersion: number;
}

function cloneEntry(e: ProducerEntry): ProducerEntry {
  return { ...e, batches: [...e.batches] };
}

function emptyEntry(producerId: number): ProducerEntry {
  return {
    producerId,
    producerEpoch: NO_PRODUCER_EPOCH,
    batches: [],
    coordinatorEpoch: -1,
    currentTxnFirstOffset: -1,
    lastTimestamp: -1,
  };
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

function lastSeqOf(b: ProducerBatch): number {
  const last = b.baseSequence + b.offsetCount - 1;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

export class ProducerStateManager {
  readonly producers = new Map<number, ProducerEntry>();
  /** Aborted transactions, ordered by their marker (last) offset. */
  aborted: AbortedTxn[] = [];

  /** First offset of the earliest open transaction, or undefined. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined;
    for (const e of this.producers.values())
      if (e.currentTxnFirstOffset >= 0 && (min === undefined || e.currentTxnFirstOffset < min))
        min = e.currentTxnFirstOffset;
    return min;
  }

  get(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Checks a request's batches (which will get offsets from `nextOffset` on) against the producer state. Throws a
   * KafkaError for a stale epoch, a sequence gap or an invalid transactional state. `control` gives the marker type
   * of control batches (coordinator appends). A duplicate is reported, not thrown.
   */
  prepare(
    batches: readonly ProducerBatch[],
    nextOffset: number,
    origin: Origin,
    control?: (index: number) => ControlInfo,
  ): AppendPlan {
    const updates = new Map<number, ProducerEntry>();
    const completed: AppendPlan['completed'] = [];
    let offset = nextOffset;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const firstOffset = offset;
      const lastOffset = offset + b.offsetCount - 1;
      offset = lastOffset + 1;
      if (b.producerId < 0) continue;
      const current = this.producers.get(b.producerId);
      const entry = updates.get(b.producerId) ?? (current ? cloneEntry(current) : emptyEntry(b.producerId));
      if (origin === 'client' && !b.isControl) {
        const dup = findDuplicate(entry, b);
        if (dup) {
          if (i === 0) return { duplicate: dup, updates: new Map(), completed: [] };
          throw new KafkaError(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Batch ${i} of producer ${b.producerId} repeats sequence ${b.baseSequence} after new batches`,
          );
        }
      }
      checkEpoch(entry, b, origin);
      if (b.isControl) {
        const c = control?.(i);
        assert(c !== undefined, 'a control batch needs its marker type');
        // A TV2 coordinator bumps the epoch before every marker, so a marker at the producer's current epoch (or
        // below) comes from a zombie coordinator or a stale retry (KIP-1228).
        if (
          c.transactionVersion >= 2 &&
          origin !== 'replication' &&
          entry.producerEpoch !== NO_PRODUCER_EPOCH &&
          b.producerEpoch <= entry.producerEpoch
        ) {
          throw new KafkaError(
            ErrorCode.INVALID_PRODUCER_EPOCH,
            `Transaction marker (version ${c.transactionVersion}) of producer ${b.producerId} has epoch ${b.producerEpoch}, which is not above the current epoch ${entry.producerEpoch}`,
          );
        }
        if (entry.currentTxnFirstOffset >= 0) {
          completed.push({
            producerId: b.producerId,
            firstOffset: entry.currentTxnFirstOffset,
            lastOffset,
            abort: c.abort,
          });
        }
        // A marker may carry a bumped epoch (KIP-890, fencing): the old epoch's batches are no duplicates of it.
        if (b.producerEpoch !== entry.producerEpoch) entry.batches = [];
        entry.producerEpoch = b.producerEpoch;
        entry.coordinatorEpoch = c.coordinatorEpoch;
        entry.currentTxnFirstOffset = -1;
        entry.lastTimestamp = Math.max(entry.lastTimestamp, b.maxTimestamp);
      } else {
        if (origin === 'client') checkSequence(entry, b);
        if (b.producerEpoch !== entry.producerEpoch) {
          entry.producerEpoch = b.producerEpoch;
          entry.batches = [];
        }
        entry.batches.push({
          firstSeq: b.baseSequence,
          lastSeq: lastSeqOf(b),
          firstOffset,
          lastOffset,
          timestamp: b.maxTimestamp,
        });
        if (entry.batches.length > BATCHES_TO_RETAIN) entry.batches.shift();
        entry.lastTimestamp = b.maxTimestamp;
        if (b.isTransactional) {
          if (entry.currentTxnFirstOffset < 0) entry.currentTxnFirstOffset = firstOffset;
        } else if (entry.currentTxnFirstOffset >= 0 && origin === 'client') {
          throw new KafkaError(
            ErrorCode.INVALID_TXN_STATE,
            `Producer ${b.producerId} sent a non-transactional batch while its transaction is open`,
          );
        }
      }
      updates.set(b.producerId, entry);
    }
    return { updates, completed };
  }

  /** Applies a prepared plan once the log holds the batches; `lastStableOffset` is recorded with aborts. */
  commit(plan: AppendPlan, lastStableOffset: () => number): AbortedTxn[] {
    assert(plan.duplicate === undefined, 'a duplicate append commits nothing');
    for (const [pid, e] of plan.updates) this.producers.set(pid, e);
    const aborts: AbortedTxn[] = [];
    for (const c of plan.completed) {
      if (!c.abort) continue;
      const a = {
        producerId: c.producerId,
        firstOffset: c.firstOffset,
        lastOffset: c.lastOffset,
        lastStableOffset: lastStableOffset(),
      };
      this.aborted.push(a);
      aborts.push(a);
    }
    return aborts;
  }

  /** Aborted transactions that overlap [from, to) (Kafka's collectAbortedTxns for a fetch). */
  abortedBetween(from: number, to: number): AbortedTxn[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }

  /** Drops producers idle for `expirationMs` (by their last batch timestamp) without an open transaction. */
  removeExpired(now: number, expirationMs: number): number[] {
    const removed: number[] = [];
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset >= 0) continue;
      if (now - e.lastTimestamp >= expirationMs) {
        this.producers.delete(pid);
        removed.push(pid);
      }
    }
    return removed;
  }

  /** Forgets aborted transactions wholly below the log start offset. */
  truncateHead(logStartOffset: number): void {
    this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset);
  }
}

function findDuplicate(entry: ProducerEntry, b: ProducerBatch): BatchMetadata | undefined {
  if (entry.producerEpoch !== b.producerEpoch) return undefined;
  const last = lastSeqOf(b);
  return entry.batches.find((m) => m.firstSeq === b.baseSequence && m.lastSeq === last);
}

function checkEpoch(entry: ProducerEntry, b: ProducerBatch, origin: Origin): void {
  if (b.producerEpoch >= entry.producerEpoch) return;
  if (origin === 'replication') return;
  throw new KafkaError(
    ErrorCode.INVALID_PRODUCER_EPOCH,
    `Epoch of producer ${b.producerId} is ${b.producerEpoch}, smaller than the current epoch ${entry.producerEpoch}`,
  );
}

function checkSequence(entry: ProducerEntry, b: ProducerBatch): void {
  if (b.producerEpoch !== entry.producerEpoch) {
    if (b.baseSequence !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Invalid sequence ${b.baseSequence} for new epoch ${b.producerEpoch} of producer ${b.producerId}`,
      );
    }
    return;
  }
  // A producer without state here (new, or expired) may start at any sequence, as in Kafka since KIP-360.
  if (entry.producerEpoch === NO_PRODUCER_EPOCH) return;
  const lastSeq = entry.batches.at(-1)?.lastSeq ?? -1;
  if (!inSequence(lastSeq, b.baseSequence)) {
    throw new KafkaError(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      `Out of order sequence for producer ${b.producerId}: ${b.baseSequence} after ${lastSeq}`,
    );
  }
}
