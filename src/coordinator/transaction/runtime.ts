// Drives the transaction state machine: creates __transaction_state, replays it on start, persists each
// transition before answering, writes transaction markers, aborts timed-out transactions and answers the produce
// path's KIP-890 verification. A single broker does it all synchronously (markers straight into its partitions
// through the replica manager). In a cluster (replication on) every __transaction_state record is answered only once
// committed (the HW passed it), markers go to each partition's leader through the MarkerChannel (WriteTxnMarkers to
// other brokers), and CompleteCommit / CompleteAbort is written only once every marker is acknowledged.

import type { Partition } from '../../broker/partition.ts';
import type { ReplicaManager } from '../../broker/replica-manager.ts';
import type { ClientSecurity } from '../../client/security.ts';
import type { BrokerConfig } from '../../config/broker-config.ts';
import type { MetadataController } from '../../metadata/controller.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { buildBatch, iterateRecords } from '../../records/index.ts';
import type { Logger } from '../../util/log.ts';
import { awaitCommitted } from '../commit-wait.ts';
import { OFFSETS_TOPIC } from '../group/records.ts';
import { ensureInternalTopic, storedBatches } from '../internal-topic.ts';
import { MarkerChannel } from './marker-channel.ts';
import type { MarkerJob } from './marker-queue.ts';
import { RemoteTxnVerifier } from './produce-verification.ts';
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
  /**
   * Cluster mode: other brokers' endpoints on the inter-broker listener, and that listener's client security
   * (node/inter-broker.ts), for WriteTxnMarkers and KIP-890 verification.
   */
  cluster?: { endpoint: (brokerId: number) => { host: string; port: number } | undefined; security?: ClientSecurity };
}

/** How long a __transaction_state append may wait to be committed (Kafka uses request.timeout.ms, 30 s). */
const TXN_LOG_COMMIT_TIMEOUT_MS = 30_000;
/** Wait before a marker is sent again after a retriable error (Kafka retries on its next metadata update). */
const MARKER_RETRY_BACKOFF_MS = 100;

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
  /** Cluster mode: sends markers to partition leaders (undefined on a single broker). */
  private readonly markers: MarkerChannel | undefined;
  /** Cluster mode: KIP-890 verification with coordinators on other brokers, for partitions led here. */
  private readonly verifier: RemoteTxnVerifier | undefined;
  /** Transactional ids with a transition being committed or markers out (Kafka's pendingState): others wait. */
  private readonly busy = new Set<string>();
  /** Cluster mode: partitions loaded whose records are not all committed yet (COORDINATOR_LOAD_IN_PROGRESS). */
  private readonly loading = new Set<number>();

  constructor(opts: TxnRuntimeOptions) {
    this.opts = opts;
    this.machine = new TxnStateMachine(() => opts.producerIds.generate());
    if (opts.cluster !== undefined && opts.replicas.replication !== undefined) {
      this.markers = new MarkerChannel({
        nodeId: opts.config.nodeId,
        leaderOf: (tp) => {
          const p = opts.controller.image.topics.get(tp.topic)?.partitions[tp.partition];
          return p === undefined ? undefined : p.leader;
        },
        endpoint: opts.cluster.endpoint,
        security: opts.cluster.security,
        writeLocal: (job, partitions) => this.writeMarkersCommitted(job, partitions, job.coordinatorEpoch),
        backoffMs: MARKER_RETRY_BACKOFF_MS,
        requestTimeoutMs: TXN_LOG_COMMIT_TIMEOUT_MS,
        log: opts.log,
      });
      this.verifier = new RemoteTxnVerifier({
        nodeId: opts.config.nodeId,
        endpoint: opts.cluster.endpoint,
        security: opts.cluster.security,
        requestTimeoutMs: TXN_LOG_COMMIT_TIMEOUT_MS,
        log: opts.log,
      });
    }
  }

  /** Cluster mode: answers are held until records are committed, and markers travel between brokers. */
  private get clustered(): boolean {
    return this.markers !== undefined;
  }

  start(): void {
    if (this.opts.controller.image.topics.has(TXN_STATE_TOPIC)) this.load();
    // A transactional append with no transaction open in the partition: verified by the coordinator on another
    // broker just before (the guard), or by this broker's own coordinator.
    this.opts.replicas.txnVerifier = (pid, epoch, topic, partition) =>
      this.verifier?.consume(topic, partition, pid, epoch) === true
        ? ErrorCode.NONE
        : this.machine.verify(undefined, pid, epoch, { topic, partition });
    const every = Math.max(10, this.opts.config.transactionAbortTimedOutTransactionCleanupIntervalMs);
    this.timer = setInterval(() => this.abortTimedOut(), every);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.markers?.close();
    this.verifier?.close();
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
          this.loading.delete(p.partition);
          this.markers?.cancelPartition(p.partition);
          for (const id of [...this.machine.txns.keys()])
            if (partitionForTransactionalId(id, t.partitions.length) === p.partition) this.machine.txns.delete(id);
          this.opts.log.info({ partition: p.partition }, 'unloaded transaction state partition (leadership moved)');
        }
        continue;
      }
      if (this.loadedPartitions.has(p.partition)) continue;
      this.loadedPartitions.add(p.partition);
      if (this.clustered) this.awaitLoaded(p.partition, part!);
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
    this.completePending();
  }

  /** Finishes transactions a crash (or a coordinator move) left prepared, in partitions loaded and committed. */
  private completePending(): void {
    for (const r of this.machine.pendingCompletions(this.opts.clock())) {
      const id = r.complete?.transactionalId;
      if (id !== undefined && this.loading.has(partitionForTransactionalId(id, this.numPartitions))) continue;
      void this.run(r, true);
    }
  }

  /**
   * Cluster mode: a new leader replays its whole log (as Kafka), including records not yet committed; it answers
   * for the partition's ids only once the HW has reached what it loaded (COORDINATOR_LOAD_IN_PROGRESS until then).
   */
  private awaitLoaded(partition: number, part: Partition): void {
    const end = part.log.logEndOffset;
    if (end <= part.log.highWatermark) return;
    this.loading.add(partition);
    void Promise.resolve(awaitCommitted(this.opts.replicas, part, end - 1, TXN_LOG_COMMIT_TIMEOUT_MS)).then((code) => {
      if (!this.loading.delete(partition)) return;
      if (code !== ErrorCode.NONE) {
        // Not committed in time (or leadership lost): load it again on the next leadership change or request.
        this.loadedPartitions.delete(partition);
        this.opts.log.warn({ partition, errorCode: code }, 'loaded transaction state not committed; will reload');
        return;
      }
      this.completePending();
    });
  }

  /** The image changed: load partitions newly led here, forget those led elsewhere now. */
  leadershipChanged(): void {
    // In a cluster a new leader loads at once (as Kafka's onElection), so transactions its predecessor left prepared
    // are finished even if no client comes back.
    if (this.loaded || (this.clustered && this.opts.controller.image.topics.has(TXN_STATE_TOPIC))) this.load();
    // Partitions may have new leaders: markers waiting for one can go now.
    this.markers?.pump();
  }

  private ready(transactionalId?: string): void {
    if (!this.ensureTopic()) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'transaction log not ready');
    if (transactionalId === undefined) return;
    const partition = partitionForTransactionalId(transactionalId, this.numPartitions);
    // Only the coordinator that leads (and has loaded) the id's partition answers for it, as Kafka's
    // getTransactionState: a broker that lost the leadership has forgotten the id, and "unknown id" there
    // (INVALID_PRODUCER_ID_MAPPING) would fail the client's transaction instead of sending it to the new coordinator.
    if (!this.loadedPartitions.has(partition)) {
      const part = this.opts.replicas.get(TXN_STATE_TOPIC, partition);
      if (part?.isLeader === true) this.load();
      if (!this.loadedPartitions.has(partition))
        throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TXN_STATE_TOPIC}-${partition} is not led here`);
    }
    if (this.loading.has(partition))
      throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${TXN_STATE_TOPIC}-${partition} is loading`);
  }

  /** Appends the metadata record to the transactional id's partition and applies it (single broker). */
  private persist(m: TxnMetadata): void {
    this.append(m);
    this.machine.apply(m);
  }

  /** Cluster mode: appends the record, waits until it is committed, then applies it; throws the coordinator error. */
  private async persistCommitted(m: TxnMetadata): Promise<void> {
    const part = this.append(m);
    const code = await awaitCommitted(this.opts.replicas, part, part.log.logEndOffset - 1, TXN_LOG_COMMIT_TIMEOUT_MS);
    if (code !== ErrorCode.NONE) throw new KafkaError(code, `${TXN_STATE_TOPIC} record not committed`);
    this.machine.apply(m);
  }

  /** Appends the metadata record to the transactional id's partition; throws when the log refuses it. */
  private append(m: TxnMetadata): Partition {
    const partition = partitionForTransactionalId(m.transactionalId, this.numPartitions);
    const part = this.opts.replicas.get(TXN_STATE_TOPIC, partition);
    if (!part) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TXN_STATE_TOPIC}-${partition} is not hosted here`);
    if (!part.isLeader || (this.opts.replicas.replication !== undefined && !this.opts.replicas.replication.leads(part)))
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
    return part;
  }

  /**
   * Writes the markers of a transaction end into partitions this broker leads (single broker: all of them; the
   * WriteTxnMarkers handler: what another coordinator sent). A partition led elsewhere answers NOT_LEADER_OR_FOLLOWER.
   */
  writeMarkers(m: MarkerRequest, coordinatorEpoch = 0): Array<TopicPartition & { errorCode: number }> {
    const now = this.opts.clock();
    return m.partitions.map((tp) => {
      let errorCode: number;
      if (tp.topic === OFFSETS_TOPIC && this.opts.offsets) {
        const part = this.opts.replicas.get(OFFSETS_TOPIC, tp.partition);
        errorCode = !this.leads(part)
          ? this.notHosted(tp)
          : this.opts.offsets.completeTransactionalOffsets(
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
        if (errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) errorCode = this.notHosted(tp);
        if (errorCode === ErrorCode.NONE) this.verifier?.markerWritten(tp.topic, tp.partition, m.producerId);
      }
      if (
        errorCode !== ErrorCode.NONE &&
        errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION &&
        errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER
      )
        this.opts.log.warn({ ...tp, producerId: m.producerId, errorCode }, 'transaction marker not written');
      return { ...tp, errorCode };
    });
  }

  /** The WriteTxnMarkers handler's path: writes the markers, then (in a cluster) answers each partition once its
   * marker is committed, as a produce with acks=all. */
  writeMarkersCommitted(
    m: MarkerRequest,
    partitions: TopicPartition[],
    coordinatorEpoch: number,
  ): Promise<Array<TopicPartition & { errorCode: number }>> {
    const written = this.writeMarkers({ ...m, partitions }, coordinatorEpoch);
    return Promise.all(
      written.map(async (w) => {
        if (w.errorCode !== ErrorCode.NONE || this.opts.replicas.replication === undefined) return w;
        const part = this.opts.replicas.get(w.topic, w.partition);
        if (part === undefined) return { ...w, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
        const code = await this.opts.replicas.replication.waitForIsr(
          part,
          part.log.logEndOffset - 1,
          TXN_LOG_COMMIT_TIMEOUT_MS,
        );
        return { ...w, errorCode: code };
      }),
    );
  }

  private leads(part: Partition | undefined): boolean {
    if (part === undefined || !part.isLeader) return false;
    const repl = this.opts.replicas.replication;
    return repl === undefined || repl.leads(part);
  }

  /** A partition not hosted here: NOT_LEADER_OR_FOLLOWER if it exists (another broker leads it), else unknown. */
  private notHosted(tp: TopicPartition): number {
    const exists = this.opts.controller.image.topics.get(tp.topic)?.partitions[tp.partition] !== undefined;
    return exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  /**
   * Carries out a state machine result: prepare record, markers, completion record. A single broker does it at once.
   * In a cluster each record is committed before the next step, and the answer comes once the prepare record is
   * committed (EndTxn, as Kafka: markers and completion follow; the transactional id answers CONCURRENT_TRANSACTIONS
   * meanwhile) or, with `whole`, once the transaction is complete (InitProducerId fencing an open transaction).
   */
  private run(r: TxnResult, whole = false): InitResult | Promise<InitResult> {
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, producerId: -1, producerEpoch: -1 };
    if (this.clustered) return this.runCommitted(r, whole);
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

  private async runCommitted(r: TxnResult, whole: boolean): Promise<InitResult> {
    const failed = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
    const id = (r.prepare ?? r.complete)?.transactionalId;
    if (id === undefined)
      return { errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
    if (this.busy.has(id)) return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
    this.busy.add(id);
    try {
      if (r.prepare) await this.persistCommitted(r.prepare);
    } catch (e) {
      this.busy.delete(id);
      if (e instanceof KafkaError) return failed(e.code);
      throw e;
    }
    const rest = this.finish(id, r);
    if (whole || !r.markers) {
      const code = await rest;
      if (code !== ErrorCode.NONE) return failed(code);
    }
    return { errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  /** Cluster mode, after the prepare record: markers to every partition's leader, then the completion record. */
  private async finish(id: string, r: TxnResult): Promise<number> {
    try {
      if (r.markers) {
        const partition = partitionForTransactionalId(id, this.numPartitions);
        const job: MarkerJob = {
          ...r.markers,
          coordinatorEpoch: this.opts.replicas.get(TXN_STATE_TOPIC, partition)?.leaderEpoch ?? 0,
          txnPartition: partition,
        };
        // false: this broker stopped leading the transaction's partition; its new coordinator finishes it.
        if (!(await this.markers!.send(job))) return ErrorCode.NOT_COORDINATOR;
      }
      if (r.complete) await this.persistCommitted(r.complete);
      return ErrorCode.NONE;
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      this.opts.log.warn({ transactionalId: id, errorCode: e.code }, 'could not complete the transaction');
      return e.code;
    } finally {
      this.busy.delete(id);
    }
  }

  // ---- operations used by handlers ------------------------------------------------------------------------------

  initProducerId(
    transactionalId: string | null,
    txnTimeoutMs: number,
    producerId: number,
    producerEpoch: number,
  ): InitResult | Promise<InitResult> {
    if (transactionalId === null) {
      // Idempotent producers always get a fresh id (as in Kafka), also when asking to bump an epoch (KIP-360).
      return { errorCode: ErrorCode.NONE, producerId: this.opts.producerIds.generate(), producerEpoch: 0 };
    }
    if (transactionalId === '') return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 };
    this.ready(transactionalId);
    const r = this.machine.initProducerId(
      transactionalId,
      txnTimeoutMs,
      this.opts.config.transactionMaxTimeoutMs,
      producerId,
      producerEpoch,
      this.opts.clock(),
    );
    return this.run(r, true);
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
  ): number | Promise<number> {
    this.ready(transactionalId);
    const r = this.run(
      this.machine.addPartitions(
        transactionalId,
        producerId,
        producerEpoch,
        partitions,
        this.opts.clock(),
        clientTransactionVersion,
      ),
    );
    return r instanceof Promise ? r.then((x) => x.errorCode) : r.errorCode;
  }

  /**
   * KIP-890 before a transactional batch is appended to a partition led here: transaction version 2 (Produce v12+,
   * `tv2`) adds the partition to the transaction; version 1 has it verified — by this broker's coordinator in the
   * append itself (Partition's verifier), or, when the coordinator is another broker (cluster), with
   * AddPartitionsToTxn verify-only first. `openHere`: the producer already has a transaction open in the partition
   * (nothing to verify, as Kafka). Answers the coordinator's error code.
   */
  beforeTransactionalAppend(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    tp: TopicPartition,
    tv2: boolean,
    openHere: boolean,
  ): number | Promise<number> {
    const coordinator = this.clustered ? this.coordinatorOf(transactionalId) : this.opts.config.nodeId;
    if (coordinator === this.opts.config.nodeId)
      return tv2 ? this.addPartitions(transactionalId, producerId, producerEpoch, [tp], 2) : ErrorCode.NONE;
    if (openHere) return ErrorCode.NONE;
    if (coordinator < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return this.verifier!.verify(coordinator, transactionalId, producerId, producerEpoch, tp.topic, tp.partition, !tv2);
  }

  /**
   * TxnOffsetCommit at the group coordinator, before the offsets are written: transaction version 2 (`tv2`,
   * TxnOffsetCommit v5+) adds the group's __consumer_offsets partition to the transaction, version 1 checks that the
   * producer added it (AddOffsetsToTxn) — by this broker's coordinator, or with AddPartitionsToTxn v4+ by the
   * coordinator on another broker (cluster). Answers the coordinator's error code.
   */
  beforeTxnOffsetCommit(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    groupId: string,
    tv2: boolean,
  ): number | Promise<number> {
    const offsets = this.opts.offsets;
    if (offsets === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const coordinator = this.clustered ? this.coordinatorOf(transactionalId) : this.opts.config.nodeId;
    if (coordinator === this.opts.config.nodeId) {
      const check = () => this.checkTxnOffsetCommit(transactionalId, producerId, producerEpoch, groupId);
      if (!tv2) return check();
      const joined = this.addOffsets(transactionalId, producerId, producerEpoch, groupId, 2);
      if (joined instanceof Promise) return joined.then((c) => (c !== ErrorCode.NONE ? c : check()));
      return joined !== ErrorCode.NONE ? joined : check();
    }
    if (coordinator < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const tp = { topic: OFFSETS_TOPIC, partition: offsets.partitionFor(groupId) };
    return this.verifier!.verify(
      coordinator,
      transactionalId,
      producerId,
      producerEpoch,
      tp.topic,
      tp.partition,
      !tv2,
    ).then((code) => {
      // The offsets are written by the group coordinator (no client append consumes the guard): drop it.
      if (code === ErrorCode.NONE) this.verifier!.consume(tp.topic, tp.partition, producerId, producerEpoch);
      return code;
    });
  }

  /** The broker leading the transactional id's __transaction_state partition (-1: none now). */
  private coordinatorOf(transactionalId: string): number {
    const t = this.opts.controller.image.topics.get(TXN_STATE_TOPIC);
    if (t === undefined) return -1;
    return t.partitions[partitionForTransactionalId(transactionalId, t.partitions.length)]?.leader ?? -1;
  }

  verify(transactionalId: string, producerId: number, producerEpoch: number, tp: TopicPartition): number {
    this.ready(transactionalId);
    return this.machine.verify(transactionalId, producerId, producerEpoch, tp);
  }

  addOffsets(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    groupId: string,
    clientTransactionVersion = 0,
  ): number | Promise<number> {
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

  endTxn(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
    tv2: boolean,
  ): InitResult | Promise<InitResult> {
    this.ready(transactionalId);
    return this.run(this.machine.endTxn(transactionalId, producerId, producerEpoch, commit, tv2, this.opts.clock()));
  }

  /** Checks that a TxnOffsetCommit comes from the transaction's current producer, with the group's partition added. */
  checkTxnOffsetCommit(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): number {
    this.ready(transactionalId);
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
      void Promise.resolve(this.run(r)).then((res) =>
        this.opts.log.info(
          { transactionalId: r.prepare?.transactionalId, errorCode: res.errorCode },
          'aborted a timed-out transaction',
        ),
      );
    }
    for (const id of this.machine.expired(now, this.opts.config.transactionalIdExpirationMs)) {
      const partition = partitionForTransactionalId(id, this.numPartitions);
      const part = this.opts.replicas.get(TXN_STATE_TOPIC, partition);
      if (!this.leads(part) || this.busy.has(id) || this.loading.has(partition)) continue;
      try {
        part!.appendAsLeader(buildBatch({ records: [{ key: txnKey(id), value: null, timestamp: now }], now }), now);
        this.machine.replay(id, null);
      } catch (e) {
        this.opts.log.error({ err: e, transactionalId: id }, 'could not expire a transactional id');
      }
    }
  }
}
