/**
 * Prometheus metrics of one broker (prom-client, a registry per broker). Names follow what operators already graph:
 * Kafka's JMX beans as the Prometheus JMX exporter names them (`kafka_server_brokertopicmetrics_messagesin_total`,
 * `kafka_server_replicamanager_underreplicatedpartitions`, ...) and kafka_exporter's consumer-group series
 * (`kafka_consumergroup_lag`). Counters are moved by one observation per request (see `observeRequest`, called by the
 * dispatcher); everything that is state (partitions, sizes, offsets, lag, connections) is read at scrape time from
 * the metadata image, the replica manager and the group coordinator, so there is no second copy of it to go stale.
 */
import client from 'prom-client';
import type { MetadataImage } from '../metadata/image.ts';
import type { FetchRequest, FetchResponse, ProduceRequest, ProduceResponse } from '../protocol/generated/messages.ts';
import { BATCH_LENGTH, LOG_OVERHEAD, MAGIC, RECORDS_COUNT } from '../records/batch-layout.ts';
import type { BrokerServices } from '../server/services.ts';

const OFFSETS_TOPIC = '__consumer_offsets';
const PRODUCE = 0;
const FETCH = 1;

/** Buckets of request latency, in seconds (0.5 ms to 30 s: fetch long polls sit near fetch.max.wait.ms). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the metrics read at scrape time besides the broker's services. */
export interface MetricsSources {
  readonly services: BrokerServices;
  /** Open client connections per listener name. */
  connections(): ReadonlyMap<string, number>;
  /**
   * Whether this broker is the active controller: always for a single node (its own local controller); in a
   * ZooKeeper cluster the broker holding /controller. Default: true.
   */
  activeController?(): boolean;
}

/**
 * Called by the dispatcher once per handled request, with the decoded request and the handler's response: null when
 * the handler threw (nothing was done), undefined when there is no response by design (Produce with acks=0).
 */
export type RequestObserver = (
  apiKey: number,
  apiName: string,
  version: number,
  request: unknown,
  response: unknown,
  startMs: number,
) => void;

interface TopicCounters {
  messagesIn: client.Counter.Internal;
  bytesIn: client.Counter.Internal;
  bytesOut: client.Counter.Internal;
  bytesRejected: client.Counter.Internal;
  produceRequests: client.Counter.Internal;
  failedProduce: client.Counter.Internal;
  fetchRequests: client.Counter.Internal;
  failedFetch: client.Counter.Internal;
}

interface ApiSeries {
  requests: client.Counter.Internal;
  time: client.Histogram.Internal<string>;
}

/** Counts the records of a produce payload from batch headers (a v2 batch says how many; a legacy entry is one). */
export function countRecords(records: Buffer): number {
  let n = 0;
  let pos = 0;
  while (pos + LOG_OVERHEAD <= records.length) {
    const length = records.readInt32BE(pos + BATCH_LENGTH);
    if (length < 0) break;
    if (pos + RECORDS_COUNT + 4 <= records.length && records[pos + MAGIC]! >= 2)
      n += Math.max(0, records.readInt32BE(pos + RECORDS_COUNT));
    else n += 1;
    pos += LOG_OVERHEAD + length;
  }
  return n;
}

export class BrokerMetrics {
  readonly registry = new client.Registry();
  private readonly sources: MetricsSources;
  private readonly topics = new Map<string, TopicCounters>();
  private readonly apis = new Map<string, ApiSeries>();
  private readonly c: ReturnType<typeof defineCounters>;
  private readonly logFlush: client.Summary;

  constructor(sources: MetricsSources) {
    this.sources = sources;
    // Process and runtime series: CPU, memory, handles, GC, and the event-loop delay (perf_hooks'
    // monitorEventLoopDelay: nodejs_eventloop_lag_{min,max,mean,p50,p90,p99}_seconds).
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.c = defineCounters(this.registry);
    defineGauges(this.registry, sources);
    // Kafka's LogFlushStats.LogFlushRateAndTimeMs, a timer in ms that the JMX exporter exposes with quantiles (50th
    // to 99.9th percentile over a recent window, as Yammer's reservoir) and a count: one observation per flush.
    this.logFlush = new client.Summary({
      name: 'kafka_log_logflushstats_logflushrateandtimems',
      help: 'Time of each partition log flush (fsync of log and indexes), in milliseconds.',
      percentiles: [0.5, 0.75, 0.95, 0.98, 0.99, 0.999],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [this.registry],
    });
    // ISR shrinks and expands, as the replica manager's IsrShrinksPerSec/IsrExpandsPerSec: from image changes.
    sources.services.controller.subscribe((image, previous) => this.countIsrChanges(image, previous));
  }

  /** The storage layer's hook: one call per partition log flush, with its duration in ms. */
  readonly observeLogFlush = (ms: number): void => {
    this.logFlush.observe(ms);
  };

  /** The dispatcher's hook: one call per request; per partition work only for Produce and Fetch, none per record. */
  readonly observeRequest: RequestObserver = (apiKey, apiName, _version, request, response, startMs) => {
    let api = this.apis.get(apiName);
    if (!api) {
      api = { requests: this.c.requests.labels(apiName), time: this.c.requestTime.labels(apiName) };
      this.apis.set(apiName, api);
    }
    api.requests.inc();
    api.time.observe((performance.now() - startMs) / 1000);
    if (apiKey === PRODUCE)
      this.observeProduce(request as ProduceRequest, response as ProduceResponse | null | undefined);
    else if (apiKey === FETCH && response) this.observeFetch(request as FetchRequest, response as FetchResponse);
  };

  private topic(name: string): TopicCounters {
    let t = this.topics.get(name);
    if (!t) {
      const c = this.c;
      t = {
        messagesIn: c.messagesIn.labels(name),
        bytesIn: c.bytesIn.labels(name),
        bytesOut: c.bytesOut.labels(name),
        bytesRejected: c.bytesRejected.labels(name),
        produceRequests: c.produceRequests.labels(name),
        failedProduce: c.failedProduce.labels(name),
        fetchRequests: c.fetchRequests.labels(name),
        failedFetch: c.failedFetch.labels(name),
      };
      this.topics.set(name, t);
    }
    return t;
  }

  private observeProduce(req: ProduceRequest, res: ProduceResponse | null | undefined): void {
    for (let i = 0; i < req.topicData.length; i++) {
      const td = req.topicData[i]!;
      const t = this.topic(td.name);
      t.produceRequests.inc();
      // Responses keep the request's order (produce.ts); acks=0 has none: everything counts as appended. A handler
      // that threw (null) appended nothing.
      const parts = res?.responses[i]?.name === td.name ? res.responses[i]!.partitionResponses : undefined;
      let failed = false;
      for (let j = 0; j < td.partitionData.length; j++) {
        const records = td.partitionData[j]!.records;
        const bytes = records?.length ?? 0;
        const pr = parts?.[j];
        if (res !== undefined && (pr === undefined || pr.errorCode !== 0)) {
          t.bytesRejected.inc(bytes);
          failed = true;
        } else if (records !== null) {
          t.bytesIn.inc(bytes);
          t.messagesIn.inc(countRecords(records));
        }
      }
      if (failed) t.failedProduce.inc();
    }
  }

  private observeFetch(req: FetchRequest, res: FetchResponse): void {
    // A follower broker's fetch (replica id, or ReplicaState from v15) is replication, counted apart from consumers.
    if ((req.replicaState?.replicaId ?? -1) >= 0 || (req.replicaId ?? -1) >= 0) {
      let bytes = 0;
      for (const tr of res.responses) for (const p of tr.partitions) bytes += p.records?.length ?? 0;
      if (bytes > 0) this.c.replicationBytesOut.inc(bytes);
      return;
    }
    const image = this.sources.services.metadata();
    for (const tr of res.responses) {
      const name = tr.topic || image.topicsById.get(tr.topicId)?.name;
      if (name === undefined) continue;
      const t = this.topic(name);
      t.fetchRequests.inc();
      let bytes = 0;
      let failed = false;
      for (const p of tr.partitions) {
        if (p.errorCode !== 0) failed = true;
        bytes += p.records?.length ?? 0;
      }
      if (bytes > 0) t.bytesOut.inc(bytes);
      if (failed) t.failedFetch.inc();
    }
  }

  private countIsrChanges(image: MetadataImage, previous: MetadataImage): void {
    if (image.topics === previous.topics) return;
    for (const [name, topic] of image.topics) {
      const before = previous.topics.get(name);
      if (before === undefined || before === topic) continue;
      for (const p of topic.partitions) {
        const old = before.partitions[p.partition];
        if (old === undefined || old === p) continue;
        if (p.isr.length < old.isr.length) this.c.isrShrinks.inc();
        else if (p.isr.length > old.isr.length) this.c.isrExpands.inc();
      }
    }
  }

  /** The exposition text; drops the per-topic series of topics that no longer exist. */
  async scrape(): Promise<string> {
    const image = this.sources.services.metadata();
    for (const name of [...this.topics.keys()]) {
      if (image.topics.has(name)) continue;
      this.topics.delete(name);
      for (const m of this.c.perTopic) m.remove(name);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function defineCounters(registry: client.Registry) {
  const counter = (name: string, help: string, labelNames: string[] = ['topic']) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const messagesIn = counter('kafka_server_brokertopicmetrics_messagesin_total', 'Records appended, per topic.');
  const bytesIn = counter('kafka_server_brokertopicmetrics_bytesin_total', 'Bytes produced and appended, per topic.');
  const bytesOut = counter(
    'kafka_server_brokertopicmetrics_bytesout_total',
    'Record bytes sent to consumers, per topic (replication excluded).',
  );
  const replicationBytesOut = counter(
    'kafka_server_brokertopicmetrics_replicationbytesout_total',
    'Record bytes sent to follower brokers (replication).',
    [],
  );
  const bytesRejected = counter(
    'kafka_server_brokertopicmetrics_bytesrejected_total',
    'Produced bytes refused (the partition answered an error), per topic.',
  );
  const produceRequests = counter(
    'kafka_server_brokertopicmetrics_totalproducerequests_total',
    'Produce requests naming the topic.',
  );
  const failedProduce = counter(
    'kafka_server_brokertopicmetrics_failedproducerequests_total',
    'Produce requests in which a partition of the topic answered an error.',
  );
  const fetchRequests = counter(
    'kafka_server_brokertopicmetrics_totalfetchrequests_total',
    'Fetch requests naming the topic.',
  );
  const failedFetch = counter(
    'kafka_server_brokertopicmetrics_failedfetchrequests_total',
    'Fetch requests in which a partition of the topic answered an error.',
  );
  return {
    messagesIn,
    bytesIn,
    bytesOut,
    replicationBytesOut,
    bytesRejected,
    produceRequests,
    failedProduce,
    fetchRequests,
    failedFetch,
    perTopic: [
      messagesIn,
      bytesIn,
      bytesOut,
      bytesRejected,
      produceRequests,
      failedProduce,
      fetchRequests,
      failedFetch,
    ],
    requests: counter('kafka_network_requestmetrics_requests_total', 'Requests answered, per API.', ['request']),
    requestTime: new client.Histogram({
      name: 'kafka_network_requestmetrics_totaltime_seconds',
      help: 'Time from decoding a request to its response being ready (fetch includes its long poll), per API.',
      labelNames: ['request'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    isrShrinks: counter('kafka_server_replicamanager_isrshrinks_total', 'Partitions whose ISR shrank.', []),
    isrExpands: counter('kafka_server_replicamanager_isrexpands_total', 'Partitions whose ISR grew.', []),
  };
}

/** Gauges computed at scrape time (prom-client calls `collect` before it renders each one). */
function defineGauges(registry: client.Registry, sources: MetricsSources): void {
  const s = sources.services;
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: client.Gauge) => void) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  const hosted = () => [...s.replicas.all()];
  const info = (topic: string, partition: number) => s.metadata().partition(topic, partition);

  // ---- replica manager and controller (JMX exporter names) ------------------------------------------------------
  gauge('kafka_server_replicamanager_partitioncount', 'Partitions hosted by this broker.', [], (g) =>
    g.set(hosted().length),
  );
  gauge('kafka_server_replicamanager_leadercount', 'Partitions this broker leads.', [], (g) =>
    g.set(hosted().filter((p) => info(p.topic, p.index)?.leader === s.nodeId).length),
  );
  gauge(
    'kafka_server_replicamanager_underreplicatedpartitions',
    'Partitions led here whose ISR is smaller than their replica set.',
    [],
    (g) =>
      g.set(
        hosted().filter((p) => {
          const i = info(p.topic, p.index);
          return i !== undefined && i.leader === s.nodeId && i.isr.length < i.replicas.length;
        }).length,
      ),
  );
  gauge(
    'kafka_server_replicamanager_underminisrpartitioncount',
    'Partitions led here whose ISR is smaller than min.insync.replicas.',
    [],
    (g) =>
      g.set(
        hosted().filter((p) => {
          const i = info(p.topic, p.index);
          return i !== undefined && i.leader === s.nodeId && i.isr.length < p.config.minInsyncReplicas;
        }).length,
      ),
  );
  gauge('kafka_server_replicamanager_offlinereplicacount', 'Replicas here whose log is offline.', [], (g) =>
    g.set(hosted().filter((p) => p.log.isOffline).length),
  );
  // ---- fetch sessions (KIP-227), Kafka's FetchSessionCache gauges --------------------------------------------------
  gauge(
    'kafka_server_fetchsessioncache_numincrementalfetchsessions',
    'Incremental fetch sessions this broker holds.',
    [],
    (g) => g.set(s.fetchSessions.size),
  );
  gauge(
    'kafka_server_fetchsessioncache_numincrementalfetchpartitionscached',
    'Partitions over all incremental fetch sessions.',
    [],
    (g) => g.set(s.fetchSessions.partitionsCached),
  );
  // The controller's series, as Kafka's KafkaController reports them in a ZooKeeper cluster: 1 and the cluster-wide
  // counts on the active controller, 0 on every other broker (so a sum over brokers is the cluster's value).
  const active = () => sources.activeController?.() ?? true;
  gauge(
    'kafka_controller_kafkacontroller_activecontrollercount',
    '1 on the active controller (a single node is its own), 0 elsewhere.',
    [],
    (g) => g.set(active() ? 1 : 0),
  );
  gauge(
    'kafka_controller_kafkacontroller_offlinepartitionscount',
    'Partitions without a leader (reported by the active controller; 0 elsewhere).',
    [],
    (g) => {
      let n = 0;
      if (active()) for (const t of s.metadata().topics.values()) for (const p of t.partitions) if (p.leader < 0) n++;
      g.set(n);
    },
  );
  gauge(
    'kafka_controller_kafkacontroller_globaltopiccount',
    'Topics in the cluster (reported by the active controller; 0 elsewhere).',
    [],
    (g) => g.set(active() ? s.metadata().topics.size : 0),
  );
  gauge(
    'kafka_controller_kafkacontroller_globalpartitioncount',
    'Partitions in the cluster (reported by the active controller; 0 elsewhere).',
    [],
    (g) => {
      let n = 0;
      if (active()) for (const t of s.metadata().topics.values()) n += t.partitions.length;
      g.set(n);
    },
  );
  gauge(
    'kafka_server_socketservermetrics_connection_count',
    'Open client connections, per listener.',
    ['listener'],
    (g) => {
      for (const [listener, n] of sources.connections()) g.set({ listener }, n);
    },
  );

  // ---- logs --------------------------------------------------------------------------------------------------------
  const perPartition = (name: string, help: string, value: (p: ReturnType<typeof hosted>[number]) => number) =>
    gauge(name, help, ['topic', 'partition'], (g) => {
      for (const p of hosted()) if (!p.log.isOffline) g.set({ topic: p.topic, partition: p.index }, value(p));
    });
  perPartition('kafka_log_log_size', 'Bytes of the partition log on disk.', (p) => p.log.size);
  perPartition('kafka_log_log_logendoffset', 'Log end offset.', (p) => p.log.logEndOffset);
  perPartition('kafka_log_log_logstartoffset', 'Log start offset.', (p) => p.log.logStartOffset);

  // ---- kafka_exporter names: brokers, topic offsets, consumer groups ----------------------------------------------
  gauge('kafka_brokers', 'Brokers registered in the cluster.', [], (g) => g.set(s.metadata().brokers.size));
  gauge('kafka_topic_partitions', 'Partitions of the topic.', ['topic'], (g) => {
    for (const t of s.metadata().topics.values()) g.set({ topic: t.name }, t.partitions.length);
  });
  perPartition('kafka_topic_partition_current_offset', 'High watermark of the partition.', (p) => p.log.highWatermark);
  perPartition('kafka_topic_partition_oldest_offset', 'Oldest offset of the partition.', (p) => p.log.logStartOffset);

  // Committed offsets and lag: one pass over every group's committed offsets per scrape, shared by four gauges.
  let lagCache: { at: number; rows: LagRow[] } | undefined;
  const lagRows = (): LagRow[] => {
    const now = performance.now();
    if (lagCache === undefined || now - lagCache.at > 100) lagCache = { at: now, rows: consumerLag(s) };
    return lagCache.rows;
  };
  gauge(
    'kafka_consumergroup_current_offset',
    'Committed offset of the group for the partition.',
    ['consumergroup', 'topic', 'partition'],
    (g) => {
      for (const r of lagRows()) g.set({ consumergroup: r.group, topic: r.topic, partition: r.partition }, r.offset);
    },
  );
  gauge(
    'kafka_consumergroup_lag',
    'High watermark minus the committed offset of the group.',
    ['consumergroup', 'topic', 'partition'],
    (g) => {
      for (const r of lagRows()) g.set({ consumergroup: r.group, topic: r.topic, partition: r.partition }, r.lag);
    },
  );
  gauge(
    'kafka_consumergroup_current_offset_sum',
    'Sum of the group committed offsets of the topic.',
    ['consumergroup', 'topic'],
    (g) => {
      for (const r of lagRows()) g.inc({ consumergroup: r.group, topic: r.topic }, r.offset);
    },
  );
  gauge('kafka_consumergroup_lag_sum', 'Sum of the group lag of the topic.', ['consumergroup', 'topic'], (g) => {
    for (const r of lagRows()) g.inc({ consumergroup: r.group, topic: r.topic }, r.lag);
  });
  gauge('kafka_consumergroup_members', 'Members of the group.', ['consumergroup'], (g) => {
    for (const l of s.groups.listGroups()) {
      const members =
        l.type === 'classic'
          ? (s.groups.describeGroup(l.groupId)?.members.length ?? 0)
          : (() => {
              const c = s.groups.consumerGroup(l.groupId);
              return c !== null && c !== 'classic' ? c.group.members.size : 0;
            })();
      g.set({ consumergroup: l.groupId }, members);
    }
  });

  // ---- client quotas: Kafka's throttle-time sensors per quota type (Produce, Fetch, Request, ControllerMutation)
  // and quota id; totals, so rate() gives the throttled share. A sensor idle for an hour is dropped (as Kafka's).
  const throttleRows = () => {
    const q = s.quotas;
    if (q === undefined) return [];
    const types = [
      ['Produce', q.produce],
      ['Fetch', q.fetch],
      ['Request', q.request],
      ['ControllerMutation', q.controllerMutation],
    ] as const;
    return types.flatMap(([type, m]) =>
      m.throttleTotals().map((t) => ({ labels: { quota_type: type, user: t.user, client_id: t.clientId }, ...t })),
    );
  };
  const quotaLabels = ['quota_type', 'user', 'client_id'];
  gauge(
    'kafka_server_quota_throttle_time_ms_total',
    'Throttle time given to clients by client quotas, in ms, per quota type and quota id.',
    quotaLabels,
    (g) => {
      for (const r of throttleRows()) g.set(r.labels, r.ms);
    },
  );
  gauge(
    'kafka_server_quota_throttled_responses_total',
    'Responses that carried a quota throttle time, per quota type and quota id.',
    quotaLabels,
    (g) => {
      for (const r of throttleRows()) g.set(r.labels, r.count);
    },
  );
}

interface LagRow {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  lag: number;
}

/** Every group's committed offsets with the lag behind the partition's high watermark (logs hosted here). */
export function consumerLag(s: BrokerServices): LagRow[] {
  const rows: LagRow[] = [];
  for (const { groupId } of s.groups.listGroups()) {
    for (const o of s.groups.fetchOffsets(groupId, null)) {
      if (o.topic === OFFSETS_TOPIC || o.offset < 0) continue;
      const p = s.replicas.get(o.topic, o.partition);
      if (p === undefined || p.log.isOffline) continue;
      const offset = Number(o.offset);
      rows.push({
        group: groupId,
        topic: o.topic,
        partition: o.partition,
        offset,
        lag: Math.max(0, p.log.highWatermark - offset),
      });
    }
  }
  return rows;
}
