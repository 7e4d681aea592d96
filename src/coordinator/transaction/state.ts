// The transaction coordinator as a pure state machine (Kafka's TransactionCoordinator + TransactionMetadata): one
// TxnMetadata per transactional id; each operation validates against the current metadata and returns the next
// metadata to persist (to __transaction_state) and the markers to write. No I/O, no clocks: `now` is passed in.
// KIP-890 (transaction version 2, EndTxn v5+): every EndTxn bumps the producer epoch, so a delayed write of a
// finished transaction can never be accepted into the next one.
import { ErrorCode } from '../../protocol/errors.ts';

export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStateId = (typeof TxnState)[keyof typeof TxnState];
export const TXN_STATE_NAMES = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
] as const;

/** Epochs at or above this need a fresh producer id (Kafka keeps headroom below Short.MaxValue). */
export const MAX_EPOCH = 32766;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: number;
  previousProducerId: number;
  nextProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump (retries of InitProducerId / TV2 EndTxn), -1 if none. */
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnStateId;
  partitions: TopicPartition[];
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** 2 when the client runs transaction version 2 (KIP-890 part 2), else 0. */
  clientTransactionVersion: number;
}

export interface MarkerRequest {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  partitions: TopicPartition[];
  /**
   * The transaction version the markers are written under (KIP-1228): 2 when the coordinator bumped the epoch for
   * them (TV2), which partitions check strictly; 0/1 otherwise.
   */
  transactionVersion: number;
}

/**
 * What an operation wants done, in order: persist `prepare` (if any), write `markers`, then persist `complete`.
 * The caller answers with `errorCode` and the producer id/epoch once all of it succeeded.
 */
export interface TxnResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
  /** Metadata to persist before anything else (the transaction's new state). */
  prepare?: TxnMetadata;
  markers?: MarkerRequest;
  /** Metadata to persist once the markers are written (CompleteCommit / CompleteAbort). */
  complete?: TxnMetadata;
}

function fail(errorCode: number): TxnResult {
  return { errorCode, producerId: -1, producerEpoch: -1 };
}

function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export class TxnStateMachine {
  readonly txns = new Map<string, TxnMetadata>();
  private readonly newProducerId: () => number;

  constructor(newProducerId: () => number) {
    this.newProducerId = newProducerId;
  }

  /** Replays one __transaction_state record (null: tombstone). */
  replay(transactionalId: string, value: TxnMetadata | null): void {
    if (value === null) this.txns.delete(transactionalId);
    else this.txns.set(transactionalId, value);
  }

  /** Makes `m` current (called once it is durable). */
  apply(m: TxnMetadata): void {
    this.txns.set(m.transactionalId, m);
  }

  /**
   * InitProducerId with a transactional id. An open transaction is aborted first (with a bumped epoch, fencing the
   * old producer), then the epoch is bumped again for the caller; `producerId`/`producerEpoch` (v3+, KIP-360) let
   * a producer recover its own id after an error.
   */
  initProducerId(
    transactionalId: string,
    txnTimeoutMs: number,
    maxTimeoutMs: number,
    reqProducerId: number,
    reqProducerEpoch: number,
    now: number,
  ): TxnResult {
    if (txnTimeoutMs <= 0 || txnTimeoutMs > maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const cur = this.txns.get(transactionalId);
    if (cur === undefined || cur.state === TxnState.Dead) {
      if (reqProducerId >= 0) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
      const pid = this.newProducerId();
      const m: TxnMetadata = {
        transactionalId,
        producerId: pid,
        previousProducerId: -1,
        nextProducerId: -1,
        producerEpoch: 0,
        lastProducerEpoch: -1,
        txnTimeoutMs,
        state: TxnState.Empty,
        partitions: [],
        txnStartTimestamp: -1,
        txnLastUpdateTimestamp: now,
        clientTransactionVersion: 0,
      };
      return { errorCode: ErrorCode.NONE, producerId: pid, producerEpoch: 0, prepare: m };
    }
    if (cur.state === TxnState.PrepareCommit || cur.state === TxnState.PrepareAbort) {
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    if (reqProducerId >= 0) {
      const isRetry =
        reqProducerId === cur.previousProducerId ||
        (reqProducerId === cur.producerId && reqProducerEpoch === cur.lastProducerEpoch);
      if (isRetry && cur.state !== TxnState.Ongoing && cur.state !== TxnState.PrepareEpochFence) {
        return { errorCode: ErrorCode.NONE, producerId: cur.producerId, producerEpoch: cur.producerEpoch };
      }
      if (reqProducerId !== cur.producerId) return fail(ErrorCode.PRODUCER_FENCED);
      if (reqProducerEpoch !== cur.producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    }
    if (cur.state === TxnState.Ongoing || cur.state === TxnState.PrepareEpochFence) {
      // Fence the current producer: abort its transaction with a bumped epoch, then bump again below.
      const fenced = this.bumped(cur, now);
      const abort = this.endTransaction(fenced, false, now, bumpedVersion(fenced));
      const next = this.bumped({ ...abort.complete!, txnTimeoutMs }, now);
      return {
        errorCode: ErrorCode.NONE,
        producerId: next.producerId,
        producerEpoch: next.producerEpoch,
        prepare: abort.prepare,
        markers: abort.markers,
        complete: { ...next, state: TxnState.Empty },
      };
    }
    const next = { ...this.bumped(cur, now), txnTimeoutMs, state: TxnState.Empty, partitions: [] } as TxnMetadata;
    return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch, prepare: next };
  }

  /** The metadata with the next epoch (a fresh producer id once the epoch is exhausted). */
  private bumped(cur: TxnMetadata, now: number): TxnMetadata {
    if (cur.producerEpoch >= MAX_EPOCH) {
      const pid = this.newProducerId();
      return {
        ...cur,
        previousProducerId: cur.producerId,
        producerId: pid,
        producerEpoch: 0,
        lastProducerEpoch: -1,
        txnLastUpdateTimestamp: now,
      };
    }
    return {
      ...cur,
      producerEpoch: cur.producerEpoch + 1,
      lastProducerEpoch: cur.producerEpoch,
      txnLastUpdateTimestamp: now,
    };
  }

  private check(m: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
    if (m === undefined || m.state === TxnState.Dead) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort)
      return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.PrepareEpochFence) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: the transaction becomes (or stays) Ongoing with these partitions. */
  addPartitions(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: TopicPartition[],
    now: number,
    clientTransactionVersion = 0,
  ): TxnResult {
    const cur = this.txns.get(transactionalId);
    const err = this.check(cur, producerId, producerEpoch);
    if (err !== ErrorCode.NONE || cur === undefined) return fail(err);
    const have = new Set(cur.partitions.map(tpKey));
    const added = partitions.filter((tp) => !have.has(tpKey(tp)));
    const ok = { errorCode: ErrorCode.NONE, producerId, producerEpoch };
    if (cur.state === TxnState.Ongoing && added.length === 0) return ok;
    const wasOngoing = cur.state === TxnState.Ongoing;
    const next: TxnMetadata = {
      ...cur,
      state: TxnState.Ongoing,
      partitions: [...cur.partitions, ...added],
      txnStartTimestamp: wasOngoing ? cur.txnStartTimestamp : now,
      txnLastUpdateTimestamp: now,
      clientTransactionVersion: wasOngoing ? cur.clientTransactionVersion : clientTransactionVersion,
    };
    return { ...ok, prepare: next };
  }

  /** AddPartitionsToTxn v4+ verifyOnly (and the produce-path verification): is the partition in the transaction? */
  verify(transactionalId: string | undefined, producerId: number, producerEpoch: number, tp: TopicPartition): number {
    const cur = transactionalId === undefined ? this.byProducerId(producerId) : this.txns.get(transactionalId);
    if (cur === undefined || cur.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch < cur.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (cur.state !== TxnState.Ongoing) return ErrorCode.INVALID_TXN_STATE;
    if (producerEpoch !== cur.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return cur.partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition)
      ? ErrorCode.NONE
      : ErrorCode.INVALID_TXN_STATE;
  }

  byProducerId(producerId: number): TxnMetadata | undefined {
    for (const m of this.txns.values()) if (m.producerId === producerId) return m;
    return undefined;
  }

  /**
   * EndTxn. Transaction version 2 (`tv2`, EndTxn v5+) bumps the epoch at every end, writes the markers with the new
   * epoch and answers it; a retry from the previous epoch of an already completed end succeeds again.
   */
  endTxn(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
    tv2: boolean,
    now: number,
  ): TxnResult {
    const cur = this.txns.get(transactionalId);
    if (cur === undefined || cur.state === TxnState.Dead) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const completedAs = commit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    if (tv2 && (cur.state === TxnState.CompleteCommit || cur.state === TxnState.CompleteAbort)) {
      const retry =
        (producerId === cur.producerId && producerEpoch === cur.lastProducerEpoch) ||
        (producerId === cur.previousProducerId && cur.producerEpoch === 0);
      if (retry) {
        return cur.state === completedAs
          ? { errorCode: ErrorCode.NONE, producerId: cur.producerId, producerEpoch: cur.producerEpoch }
          : fail(ErrorCode.INVALID_TXN_STATE);
      }
    }
    if (cur.producerId !== producerId) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (cur.producerEpoch !== producerEpoch) return fail(ErrorCode.PRODUCER_FENCED);
    switch (cur.state) {
      case TxnState.Ongoing:
        return tv2
          ? this.endTransaction(this.bumped(cur, now), commit, now, 2)
          : this.endTransaction(cur, commit, now, Math.min(cur.clientTransactionVersion, 1));
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort:
        if (!tv2) {
          return cur.state === completedAs
            ? { errorCode: ErrorCode.NONE, producerId, producerEpoch }
            : fail(ErrorCode.INVALID_TXN_STATE);
        }
        if (commit) return fail(ErrorCode.INVALID_TXN_STATE);
        return this.endTransaction(this.bumped(cur, now), false, now, 2);
      case TxnState.Empty:
        if (tv2 && !commit) return this.endTransaction(this.bumped(cur, now), false, now, 2);
        return fail(ErrorCode.INVALID_TXN_STATE);
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      default:
        return fail(ErrorCode.PRODUCER_FENCED);
    }
  }

  /**
   * Prepare → markers → complete for the transaction in `m` (whose epoch is the one markers carry). `tv` is the
   * markers' transaction version: 2 only when `m`'s epoch was bumped for them (partitions then require the marker
   * epoch to be above the producer's, KIP-1228).
   */
  private endTransaction(m: TxnMetadata, commit: boolean, now: number, tv: number): TxnResult {
    const prepare: TxnMetadata = {
      ...m,
      state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort,
      txnLastUpdateTimestamp: now,
    };
    const complete: TxnMetadata = {
      ...prepare,
      state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort,
      partitions: [],
      txnLastUpdateTimestamp: now,
    };
    return {
      errorCode: ErrorCode.NONE,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      prepare,
      markers: {
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        commit,
        partitions: m.partitions,
        transactionVersion: tv,
      },
      complete,
    };
  }

  /** Transactions that were left in a Prepare state (crash between prepare and complete): finish them. */
  pendingCompletions(now: number): TxnResult[] {
    const out: TxnResult[] = [];
    for (const m of this.txns.values()) {
      if (m.state !== TxnState.PrepareCommit && m.state !== TxnState.PrepareAbort) continue;
      // Whether the prepared epoch was bumped is not recorded: the lenient (v1) check.
      const r = this.endTransaction(
        m,
        m.state === TxnState.PrepareCommit,
        now,
        Math.min(m.clientTransactionVersion, 1),
      );
      out.push({ ...r, prepare: undefined });
    }
    return out;
  }

  /** transaction.timeout.ms: Ongoing transactions past their timeout are aborted with a bumped epoch (fencing). */
  timedOut(now: number): TxnResult[] {
    const out: TxnResult[] = [];
    for (const m of this.txns.values()) {
      if (m.state !== TxnState.Ongoing || m.txnStartTimestamp + m.txnTimeoutMs > now) continue;
      const bumped = this.bumped(m, now);
      out.push(this.endTransaction(bumped, false, now, bumpedVersion(bumped)));
    }
    return out;
  }

  /** transactional.id.expiration.ms: idle, finished transactional ids are forgotten (tombstoned). */
  expired(now: number, expirationMs: number): string[] {
    const out: string[] = [];
    for (const m of this.txns.values()) {
      const done =
        m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
      if (done && now - m.txnLastUpdateTimestamp >= expirationMs) out.push(m.transactionalId);
    }
    return out;
  }
}

/** The markers' transaction version for a transaction whose epoch was just bumped for them. */
function bumpedVersion(m: TxnMetadata): number {
  return Math.min(m.clientTransactionVersion, 2);
}
