// What a client knows of the cluster: bootstrap, the brokers and topic leaders from Metadata, one negotiated
// connection per broker, group coordinators.
import { ApiKey } from '../protocol/apis.ts';
import type { FindCoordinatorResponse, MetadataResponse } from '../protocol/generated/messages.ts';
import { BrokerConnection } from './connection.ts';
import { ClientClosedError, check, ErrorCode, KafkaClientError } from './errors.ts';
import type { ClientSecurity } from './security.ts';

/** Connection settings of every client; `ssl` and `sasl` (ClientSecurity) secure each broker connection. */
export interface ClientOptions extends ClientSecurity {
  /** `host:port` list (or comma-separated string) to bootstrap from. Default `localhost:9092`. */
  bootstrapServers?: string | string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts for retriable errors (leader moved, coordinator loading, ...). Default 5. */
  retries?: number;
  /** Wait before a retry, doubled each attempt. Default 100 ms. */
  retryBackoffMs?: number;
}

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionMetadata {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export function parseBootstrap(servers: string | string[] | undefined): { host: string; port: number }[] {
  const list = (Array.isArray(servers) ? servers : (servers ?? 'localhost:9092').split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new Error('no bootstrap servers given');
  return list.map((s) => {
    const m = /^(?:[a-zA-Z_]+:\/\/)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(s);
    if (!m) throw new Error(`invalid bootstrap server "${s}" (expected host:port)`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 9092 };
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  readonly clientId: string;
  readonly retries: number;
  readonly retryBackoffMs: number;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly security: ClientSecurity;
  private readonly nodes = new Map<number, BrokerNode>();
  private readonly conns = new Map<string, Promise<BrokerConnection>>();
  private readonly topics = new Map<string, TopicMetadata>();
  private closed = false;
  clusterId: string | null = null;
  controllerId = -1;

  constructor(opts: ClientOptions = {}) {
    this.bootstrap = parseBootstrap(opts.bootstrapServers);
    this.clientId = opts.clientId ?? 'tributary';
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30000;
    this.retries = opts.retries ?? 5;
    this.retryBackoffMs = opts.retryBackoffMs ?? 100;
    this.security = { ssl: opts.ssl, sasl: opts.sasl };
  }

  private async open(host: string, port: number): Promise<BrokerConnection> {
    if (this.closed) throw new ClientClosedError('client is closed');
    const c = await BrokerConnection.open(host, port, this.clientId, this.connectTimeoutMs, this.security);
    c.requestTimeoutMs = this.requestTimeoutMs;
    try {
      if (!c.negotiated) await c.negotiate();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private async cached(key: string, make: () => Promise<BrokerConnection>): Promise<BrokerConnection> {
    const existing = this.conns.get(key);
    if (existing) {
      const c = await existing.catch(() => undefined);
      if (c?.isOpen) return c;
      if (this.conns.get(key) === existing) this.conns.delete(key);
    }
    const p = make();
    this.conns.set(key, p);
    p.catch(() => {
      if (this.conns.get(key) === p) this.conns.delete(key);
    });
    return p;
  }

  /** A connection to any broker: a known one, else the bootstrap servers in turn. */
  async any(): Promise<BrokerConnection> {
    for (const p of this.conns.values()) {
      const c = await p.catch(() => undefined);
      if (c?.isOpen) return c;
    }
    return this.cached('bootstrap', async () => {
      let last: unknown;
      for (const b of this.bootstrap) {
        try {
          return await this.open(b.host, b.port);
        } catch (e) {
          last = e;
        }
      }
      const list = this.bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
      throw new Error(`cannot connect to any bootstrap server (${list}): ${(last as Error)?.message}`, {
        cause: last,
      });
    });
  }

  /** The connection to broker `nodeId` (from Metadata). */
  async node(nodeId: number): Promise<BrokerConnection> {
    let n = this.nodes.get(nodeId);
    if (!n) {
      await this.refresh();
      n = this.nodes.get(nodeId);
    }
    if (!n) throw new KafkaClientError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the metadata`);
    const { host, port } = n;
    return this.cached(`node:${nodeId}`, () => this.open(host, port));
  }

  brokers(): BrokerNode[] {
    return [...this.nodes.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Fetches metadata for `topics` (all topics when omitted) and caches it. */
  async refresh(topics?: string[], allowAutoCreate = false): Promise<MetadataResponse> {
    const conn = await this.any();
    const v = conn.version(ApiKey.Metadata);
    const res = await conn.request<MetadataResponse>(ApiKey.Metadata, {
      topics: topics === undefined ? (v === 0 ? [] : null) : topics.map((name) => ({ name })),
      allowAutoTopicCreation: allowAutoCreate,
    });
    this.nodes.clear();
    for (const b of res.brokers)
      this.nodes.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    if (topics === undefined) this.topics.clear();
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== ErrorCode.NONE) {
        this.topics.delete(t.name);
        continue;
      }
      this.topics.set(t.name, {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      });
    }
    return res;
  }

  cachedTopic(topic: string): TopicMetadata | undefined {
    return this.topics.get(topic);
  }

  /** Metadata of `topic`, fetched if not cached; throws UNKNOWN_TOPIC_OR_PARTITION after retries. */
  async topic(topic: string, allowAutoCreate = false): Promise<TopicMetadata> {
    let t = this.topics.get(topic);
    for (let attempt = 0; !t; attempt++) {
      const res = await this.refresh([topic], allowAutoCreate);
      t = this.topics.get(topic);
      if (t) break;
      const code = res.topics.find((x) => x.name === topic)?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      // LEADER_NOT_AVAILABLE right after auto-creation: wait for the leader.
      if (attempt >= this.retries || (code !== ErrorCode.LEADER_NOT_AVAILABLE && !allowAutoCreate))
        check(code, undefined, `topic ${topic}`);
      await sleep(this.retryBackoffMs * 2 ** Math.min(attempt, 5));
    }
    return t;
  }

  /** Connection to the leader of `topic`/`partition`. */
  async leader(topic: string, partition: number): Promise<BrokerConnection> {
    const t = await this.topic(topic);
    const p = t.partitions[partition];
    if (!p || p.partition !== partition)
      throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic} has no partition ${partition}`);
    if (p.leader < 0) throw new KafkaClientError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
    return this.node(p.leader);
  }

  leaderId(topic: string, partition: number): number {
    return this.topics.get(topic)?.partitions[partition]?.leader ?? -1;
  }

  /** The group coordinator for `groupId` (FindCoordinator), retried while the coordinator loads. */
  async coordinator(groupId: string, keyType = 0): Promise<BrokerConnection> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.any();
      const v = conn.version(ApiKey.FindCoordinator);
      const res = await conn.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, {
        key: groupId,
        keyType,
        coordinatorKeys: [groupId],
      });
      const c =
        v >= 4
          ? res.coordinators[0]!
          : {
              nodeId: res.nodeId,
              host: res.host,
              port: res.port,
              errorCode: res.errorCode,
              errorMessage: res.errorMessage,
            };
      if (c.errorCode === ErrorCode.NONE) {
        this.nodes.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: null });
        return this.node(c.nodeId);
      }
      const err = new KafkaClientError(c.errorCode, c.errorMessage);
      if (!err.retriable || attempt >= this.retries) throw err;
      await sleep(this.retryBackoffMs * 2 ** Math.min(attempt, 5));
    }
  }

  /** Runs `fn`, retrying retriable Kafka errors and lost connections with backoff (refreshing metadata). */
  async retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const retriable =
          (e instanceof KafkaClientError && e.retriable) || (e as Error).name === 'ConnectionClosedError';
        if (!retriable || attempt >= this.retries || this.closed) throw e;
        await sleep(this.retryBackoffMs * 2 ** Math.min(attempt, 5));
        await this.refresh([...this.topics.keys()]).catch(() => undefined);
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    for (const p of all) (await p.catch(() => undefined))?.close();
  }
}
