// Drives the transaction state machine: creates __transaction_state, replays it on start, persists each
// transition before answering, writes transaction markers straight into the hosted partitions (single broker:
// the coordinator calls the replica manager; WriteTxnMarkers serves the same path for the API), aborts timed-out
// transactions and answers the produce path's KIP-890 verification.

import type { ReplicaManager } from '../../broker/replica-manager.ts';
import type { BrokerConfig } from '../../config/broker-config.ts';
import type { MetadataController } from '../../metadata/controller.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { buildBatch, iterateRecords } from '../../records/index.ts';
import type { Logger } from '../../util/log.ts';
import { OFFSETS_TOPIC } from '../group/records.ts';
import { ensureInternalTopic, storedBatches } from '../internal-topic.ts';
import type { ProducerIdManager } from './producer-ids.ts';
import { decodeTxnRecord, partitionForTransactionalId, TXN_STATE_TOPIC, txnKey, txnValue } from './records.ts';
import {
  type MarkerRequest,
  type TopicPartition,
  type TxnMetadata,
  type TxnResult,
  TxnState,
  TxnStateMachine,
} from './state.ts';

export interface TxnOffsetSink {
  /** Writes the transaction marker into a __consumer_offsets partition and applies or drops pending offsets. */
  completeTransactionalOffsets(
    partition: number,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
    transactionVersion: number,
  ): number;
  partitionFor(groupId: string): number;
}

export interface TxnRuntimeOptions {
  config: BrokerConfig;
  controller: MetadataController;
  replicas: ReplicaManager;
  producerIds: Pick<ProducerIdManager, 'generate'>;
  log: Logger;
  clock: () => number;
  /** The group coordinator, for offsets committed inside transactions. */
  offsets?: TxnOffsetSink;
}

export interface InitResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export class TransactionCoordinatorRuntime {
  readonly machine: TxnStateMachine;
  private readonly opts: TxnRuntimeOptions;
  private loaded = false;
  /** __transaction_state partitions whose transactional ids this coordinator holds (those it leads). */
  private readonly loadedPartitions = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: TxnRuntimeOptions) {
    this.opts = opts;
    this.machine = new TxnStateMachine(() => opts.producerIds.generate());
  }

  start(): void {
    if (this.opts.controller.image.topics.has(TXN_STATE_TOPIC)) this.load();
    this.opts.replicas.txnVerifier = (pid, epoch, topic, partition) =>
      this.machine.verify(undefined, pid, epoch, { topic, partition });
    const every = Math.max(10, this.opts.config.transactionAbortTimedOutTransactionCleanupIntervalMs);
    this.timer = setInterval(() => this.abortTimedOut(), every);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  get numPartitions(): number {
    return (
      this.opts.controller.image.topics.get(TXN_STATE_TOPIC)?.partitions.length ??
      this.opts.config.transactionStateLogNumPartitions
    );
  }

  /** Creates __transaction_state (compacted) on first use; false when it cannot be created yet. */
  ensureTopic(): boolean {
    const { controller, config, log } = this.opts;
    if (controller.image.topics.has(TXN_STATE_TOPIC)) {
      if (!this.loaded) this.load();
      return true;
    }
    const created = ensureInternalTopic(controller, log, {
      name: TXN_STATE_TOPIC,
      partitions: config.transactionStateLogNumPartitions,
      replicationFactor: config.transactionStateLogReplicationFactor,
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'uncompressed',
        'min.insync.replicas': String(config.transactionStateLogMinIsr),
        'segment.bytes': String(config.transactionStateLogSegmentBytes),
      },
    });
    if (created) this.load();
    return created;
  }

  /**
   * Replays the __transaction_state partitions this broker leads and has not loaded yet, forgets the transactional
   * ids of those it no longer leads (their new leader's coordinator replays them), then finishes transactions a
   * crash left half-ended. With one broker: every partition, once.
   */
  private load(): void {
    const t = this.opts.controller.image.topics.get(TXN_STATE_TOPIC);
    if (!t) return;
    let records = 0;
    for (const p of t.partitions) {
      const part = this.opts.replicas.get(TXN_STATE_TOPIC, p.partition);
      const led = part?.isLeader === true;
      if (!led) {
        if (this.loadedPartitions.delete(p.partition)) {
          for (const id of [...this.machine.txns.keys()])
            if (partitionForTransactionalId(id, t.partitions.length) === p.partition) this.machine.txns.delete(id);
          this.opts.log.info({ partition: p.partition }, 'unloaded transaction state partition (leadership moved)');
        }
        continue;
      }
      if (this.loadedPartitions.has(p.partition)) continue;
      this.loadedPartitions.add(p.partition);
      for (const { batch, header, from } of storedBatches(part!.log)) {
        if (header.isControl) continue;
        for (const rec of iterateRecords(batch)) {
          if (rec.offset < from || rec.key === null) continue;
          const d = decodeTxnRecord(rec.key, rec.value);
          if (!d) continue;
          this.machine.replay(d.transactionalId, d.value);
          records++;
        }
      }
    }
    this.loaded = true;
    if (records > 0) this.opts.log.info({ records, txns: this.machine.txns.size }, 'loaded transaction state');
    for (const r of this.machine.pendingCompletions(this.opts.clock())) this.run(r);
  }

  /** The image changed: load partitions newly led here, forget those led elsewhere now. */
  leadershipChanged(): void {
    if (this.loaded) this.load();
  }

  private ready(): void {
    if (!this.ensureTopic()) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'transaction log not ready');
  }

  /** Appends the metadata record to the transactional id's partition; throws when the log refuses it. */
  private persist(m: TxnMetadata): void {
    const partition = partitionForTransactionalId(m.transactionalId, this.numPartitions);
    const part = this.opts.replicas.get(TXN_STATE_TOPIC, partition);
    if (!part) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TXN_STATE_TOPIC}-${partition} is not hosted here`);
    if (!part.isLeader)
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TXN_STATE_TOPIC}-${partition} is led elsewhere`);
    const now = this.opts.clock();
    const batch = buildBatch({
      records: [{ key: txnKey(m.transactionalId), value: txnValue(m), timestamp: now }],
      now,
    });
    try {
      part.appendAsLeader(batch, now);
    } catch (e) {
      this.opts.log.error({ partition, err: e }, 'append to __transaction_state failed');
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'could not write to __transaction_state');
    }
    this.machine.apply(m);
  }

  /** Writes the markers of a transaction end into every partition of the transaction. */
  writeMarkers(m: MarkerRequest, coordinatorEpoch = 0): Array<TopicPartition & { errorCode: number }> {
    const now = this.opts.clock();
    return m.partitions.map((tp) => {
      let errorCode: number;
      if (tp.topic === OFFSETS_TOPIC && this.opts.offsets) {
        errorCode = this.opts.offsets.completeTransactionalOffsets(
          tp.partition,
          m.producerId,
          m.producerEpoch,
          m.commit,
          m.transactionVersion,
        );
      } else {
        errorCode = this.opts.replicas.writeMarker(
          tp.topic,
          tp.partition,
          {
            commit: m.commit,
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            coordinatorEpoch,
            transactionVersion: m.transactionVersion,
          },
          now,
        );
      }
      if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        this.opts.log.warn({ ...tp, producerId: m.producerId, errorCode }, 'transaction marker not written');
      return { ...tp, errorCode };
    });
  }

  /** Carries out a state machine result: prepare record, markers, completion record. */
  private run(r: TxnResult): InitResult {
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, producerId: -1, producerEpoch: -1 };
    try {
      if (r.prepare) this.persist(r.prepare);
      if (r.markers) this.writeMarkers(r.markers);
      if (r.complete) this.persist(r.complete);
    } catch (e) {
      if (e instanceof KafkaError) return { errorCode: e.code, producerId: -1, producerEpoch: -1 };
      throw e;
    }
    return { errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  // ---- operations used by handlers ------------------------------------------------------------------------------

  initProducerId(
    transactionalId: string | null,
    txnTimeoutMs: number,
    producerId: number,
    producerEpoch: number,
  ): InitResult {
    if (transactionalId === null) {
      // Idempotent producers always get a fresh id (as in Kafka), also when asking to bump an epoch (KIP-360).
      return { errorCode: ErrorCode.NONE, producerId: this.opts.producerIds.generate(), producerEpoch: 0 };
    }
    if (transactionalId === '') return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 };
    this.ready();
    const r = this.machine.initProducerId(
      transactionalId,
      txnTimeoutMs,
      this.opts.config.transactionMaxTimeoutMs,
      producerId,
      producerEpoch,
      this.opts.clock(),
    );
    return this.run(r);
  }

  /**
   * AddPartitionsToTxn, AddOffsetsToTxn, and (transaction version 2, `clientTransactionVersion` 2) the implicit adds
   * of Produce v12+ and TxnOffsetCommit v5+.
   */
  addPartitions(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partitions: TopicPartition[],
    clientTransactionVersion = 0,
  ): number {
    this.ready();
    return this.run(
      this.machine.addPartitions(
        transactionalId,
        producerId,
        producerEpoch,
        partitions,
        this.opts.clock(),
        clientTransactionVersion,
      ),
    ).errorCode;
  }

  verify(transactionalId: string, producerId: number, producerEpoch: number, tp: TopicPartition): number {
    this.ready();
    return this.machine.verify(transactionalId, producerId, producerEpoch, tp);
  }

  addOffsets(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    groupId: string,
    clientTransactionVersion = 0,
  ): number {
    if (!this.opts.offsets) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = this.opts.offsets.partitionFor(groupId);
    return this.addPartitions(
      transactionalId,
      producerId,
      producerEpoch,
      [{ topic: OFFSETS_TOPIC, partition }],
      clientTransactionVersion,
    );
  }

  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, tv2: boolean) {
    this.ready();
    return this.run(this.machine.endTxn(transactionalId, producerId, producerEpoch, commit, tv2, this.opts.clock()));
  }

  /** Checks that a TxnOffsetCommit comes from the transaction's current producer, with the group's partition added. */
  checkTxnOffsetCommit(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): number {
    this.ready();
    const m = this.machine.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.state !== TxnState.Ongoing || !this.opts.offsets) return ErrorCode.INVALID_TXN_STATE;
    const partition = this.opts.offsets.partitionFor(groupId);
    return m.partitions.some((tp) => tp.topic === OFFSETS_TOPIC && tp.partition === partition)
      ? ErrorCode.NONE
      : ErrorCode.INVALID_TXN_STATE;
  }

  describe(transactionalId: string): TxnMetadata | undefined {
    this.ready();
    return this.machine.txns.get(transactionalId);
  }

  list(): TxnMetadata[] {
    if (!this.opts.controller.image.topics.has(TXN_STATE_TOPIC)) return [];
    if (!this.loaded) this.load();
    return [...this.machine.txns.values()];
  }

  /** transaction.timeout.ms task: abort (and fence) transactions open too long; forget long-idle ids. */
  abortTimedOut(): void {
    if (!this.loaded) return;
    const now = this.opts.clock();
    for (const r of this.machine.timedOut(now)) {
      const res = this.run(r);
      this.opts.log.info(
        { transactionalId: r.prepare?.transactionalId, errorCode: res.errorCode },
        'aborted a timed-out transaction',
      );
    }
    for (const id of this.machine.expired(now, this.opts.config.transactionalIdExpirationMs)) {
      const partition = partitionForTransactionalId(id, this.numPartitions);
      const part = this.opts.replicas.get(TXN_STATE_TOPIC, partition);
      if (!part) continue;
      try {
        part.appendAsLeader(buildBatch({ records: [{ key: txnKey(id), value: null, timestamp: now }], now }), now);
        this.machine.replay(id, null);
      } catch (e) {
        this.opts.log.error({ err: e, transactionalId: id }, 'could not expire a transactional id');
      }
    }
  }
}
