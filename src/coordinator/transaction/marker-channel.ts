// Sends the marker queue's requests (cluster mode): WriteTxnMarkers to each partition's leader over the
// inter-broker listener, one connection per target broker (opened as the replica fetchers open theirs, at the
// highest WriteTxnMarkers version the target serves: v2 carries the transaction version), and markers for
// partitions this broker leads straight to the local writer. All decisions are the MarkerQueue's; this is the I/O.

import { BrokerConnection } from '../../client/connection.ts';
import type { ClientSecurity } from '../../client/security.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/messages.ts';
import type { Logger } from '../../util/log.ts';
import {
  type LeaderLookup,
  type MarkerEvents,
  type MarkerJob,
  MarkerQueue,
  type MarkerResult,
  type MarkerSend,
} from './marker-queue.ts';
import type { TopicPartition } from './state.ts';

/** Writes markers into partitions this broker leads (the WriteTxnMarkers handler's path); resolves once committed. */
export type LocalMarkerWriter = (
  job: MarkerJob,
  partitions: TopicPartition[],
) => Promise<Array<TopicPartition & { errorCode: number }>>;

export interface MarkerChannelOptions {
  nodeId: number;
  leaderOf: LeaderLookup;
  /** The broker's endpoint on the inter-broker listener, from the metadata. */
  endpoint: (brokerId: number) => { host: string; port: number } | undefined;
  /** TLS / SASL of the inter-broker listener (node/inter-broker.ts). */
  security?: ClientSecurity;
  writeLocal: LocalMarkerWriter;
  /** Wait before a marker is sent again after a retriable failure. */
  backoffMs: number;
  /** A request's answer timeout (request.timeout.ms of the inter-broker client). */
  requestTimeoutMs: number;
  log: Logger;
}

/** WriteTxnMarkers versions this coordinator can send. */
const MAX_VERSION = 2;

export class MarkerChannel {
  readonly #o: MarkerChannelOptions;
  readonly #queue: MarkerQueue;
  readonly #done = new Map<number, (written: boolean) => void>();
  readonly #conns = new Map<number, BrokerConnection>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #closed = false;

  constructor(opts: MarkerChannelOptions) {
    this.#o = opts;
    this.#queue = new MarkerQueue(opts.backoffMs);
  }

  /** Sends a transaction's markers; resolves true once all are written, false if the job was given up. */
  send(job: MarkerJob): Promise<boolean> {
    if (job.partitions.length === 0) return Promise.resolve(true);
    const id = this.#queue.add(job);
    const p = new Promise<boolean>((resolve) => this.#done.set(id, resolve));
    this.pump();
    return p;
  }

  /** Drops the jobs of a __transaction_state partition this broker no longer leads. */
  cancelPartition(txnPartition: number): void {
    for (const id of this.#queue.cancel((j) => j.txnPartition === txnPartition)) this.#finish(id, false);
  }

  get pendingJobs(): number {
    return this.#queue.pendingJobs;
  }

  /** Sends what can be sent now (also called when the metadata changed: leaders may be known now). */
  pump(): void {
    if (this.#closed) return;
    const { sends, events } = this.#queue.poll(Date.now(), this.#o.leaderOf);
    this.#events(events);
    for (const s of sends) void this.#deliver(s);
    this.#arm();
  }

  #arm(): void {
    const at = this.#queue.nextRetryAt();
    if (at === undefined || (this.#timer !== undefined && this.#timerAt <= at)) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.pump();
      },
      Math.max(1, at - Date.now()),
    );
    this.#timer.unref();
  }

  async #deliver(s: MarkerSend): Promise<void> {
    let results: MarkerResult[];
    try {
      results = s.broker === this.#o.nodeId ? await this.#local(s) : await this.#remote(s);
    } catch (e) {
      if (this.#closed) return;
      this.#o.log.warn(
        { broker: s.broker, err: e instanceof Error ? e.message : String(e) },
        'WriteTxnMarkers failed; sending again after a backoff',
      );
      this.#conns.get(s.broker)?.close();
      this.#conns.delete(s.broker);
      this.#queue.onSendFailed(s, Date.now());
      this.pump();
      return;
    }
    if (this.#closed) return;
    this.#events(this.#queue.onResponse(s, results, Date.now()));
    this.pump();
  }

  async #local(s: MarkerSend): Promise<MarkerResult[]> {
    const out: MarkerResult[] = [];
    await Promise.all(
      s.entries.map(async (e) => {
        for (const r of await this.#o.writeLocal(e.job, e.partitions))
          out.push({ jobId: e.jobId, topic: r.topic, partition: r.partition, errorCode: r.errorCode });
      }),
    );
    return out;
  }

  async #remote(s: MarkerSend): Promise<MarkerResult[]> {
    const conn = await this.#connection(s.broker);
    const range = conn.brokerVersions.get(ApiKey.WriteTxnMarkers);
    if (range === undefined || range[0] > MAX_VERSION)
      throw new Error(`broker ${s.broker} does not serve WriteTxnMarkers`);
    const version = Math.min(MAX_VERSION, range[1]);
    const body: WriteTxnMarkersRequest = {
      markers: s.entries.map((e) => ({
        producerId: BigInt(e.job.producerId),
        producerEpoch: e.job.producerEpoch,
        transactionResult: e.job.commit,
        topics: byTopic(e.partitions),
        coordinatorEpoch: e.job.coordinatorEpoch,
        transactionVersion: e.job.transactionVersion,
      })),
    };
    const res = await conn.send<WriteTxnMarkersResponse, WriteTxnMarkersRequest>(ApiKey.WriteTxnMarkers, version, body);
    const out: MarkerResult[] = [];
    // Kafka answers the markers in the request's order, one entry per producer id; match them by position.
    res.markers.forEach((m, i) => {
      const e = s.entries[i];
      if (e === undefined || BigInt(e.job.producerId) !== m.producerId) return;
      for (const t of m.topics)
        for (const p of t.partitions)
          out.push({ jobId: e.jobId, topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode });
    });
    for (const r of out)
      if (r.errorCode !== ErrorCode.NONE)
        this.#o.log.debug({ broker: s.broker, ...r, error: errorName(r.errorCode) }, 'marker not written yet');
    return out;
  }

  async #connection(broker: number): Promise<BrokerConnection> {
    const open = this.#conns.get(broker);
    if (open?.isOpen) return open;
    const ep = this.#o.endpoint(broker);
    if (ep === undefined) throw new Error(`no endpoint for broker ${broker} on the inter-broker listener`);
    const conn = await BrokerConnection.open(
      ep.host,
      ep.port,
      `txn-marker-sender-${this.#o.nodeId}`,
      10_000,
      this.#o.security,
    );
    conn.requestTimeoutMs = this.#o.requestTimeoutMs;
    this.#conns.set(broker, conn);
    try {
      await conn.negotiate();
    } catch (e) {
      conn.close();
      this.#conns.delete(broker);
      throw e;
    }
    return conn;
  }

  #events(ev: MarkerEvents): void {
    for (const f of ev.failed)
      this.#o.log.error(
        { ...f, error: errorName(f.errorCode) },
        'a transaction marker cannot be written; the transaction completes without it',
      );
    for (const id of ev.completed) this.#finish(id, true);
    for (const id of ev.abandoned) {
      this.#o.log.info({ job: id }, 'transaction markers fenced by a newer epoch; left to the current coordinator');
      this.#finish(id, false);
    }
  }

  #finish(id: number, written: boolean): void {
    const f = this.#done.get(id);
    this.#done.delete(id);
    f?.(written);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const c of this.#conns.values()) c.close();
    this.#conns.clear();
    for (const f of this.#done.values()) f(false);
    this.#done.clear();
  }
}

function byTopic(partitions: readonly TopicPartition[]): Array<{ name: string; partitionIndexes: number[] }> {
  const m = new Map<string, number[]>();
  for (const tp of partitions) {
    let l = m.get(tp.topic);
    if (l === undefined) {
      l = [];
      m.set(tp.topic, l);
    }
    l.push(tp.partition);
  }
  return [...m].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
}
