// The admin client: topics, partitions, configs, cluster, offsets and consumer groups.
import { ApiKey } from '../protocol/apis.ts';
import type {
  CreatePartitionsResponse,
  CreateTopicsResponse,
  DeleteGroupsResponse,
  DeleteTopicsResponse,
  DescribeClusterResponse,
  DescribeConfigsResponse,
  DescribeGroupsResponse,
  IncrementalAlterConfigsResponse,
  ListGroupsResponse,
  ListOffsetsResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from '../protocol/generated/messages.ts';
import {
  type Acl,
  type AclFilter,
  alterUserScramCredentials,
  createAcls,
  type DeletedAcl,
  deleteAcls,
  describeAcls,
  describeUserScramCredentials,
  type ScramCredentialInfo,
  type ScramDeletion,
  type ScramUpsertion,
} from './admin-security.ts';
import { decodeAssignment, decodeSubscription, type TopicPartitions } from './assignors.ts';
import { type BrokerNode, type ClientOptions, Cluster, type TopicMetadata } from './cluster.ts';
import type { BrokerConnection } from './connection.ts';
import { check, ErrorCode, KafkaClientError, UnsupportedApiError } from './errors.ts';
import { getOrInit } from './util.ts';

/** Kafka's ConfigResource.Type ids (GROUP is 32; 3 is the ACL resource type). */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, GROUP: 32 } as const;
export const ConfigSource: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
};

/** `earliest` (-2), `latest` (-1), `max-timestamp` (-3), or a timestamp in ms (first offset at or after it). */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { timestamp: number };

export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions. */
  numPartitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface TopicDescription extends TopicMetadata {}

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
}

export interface ConfigResource {
  type: 'topic' | 'broker' | 'group' | 'broker-logger';
  name: string;
}

/** One incremental change: set a value, delete an override, or append/subtract list entries. */
export interface ConfigChange {
  name: string;
  op?: 'set' | 'delete' | 'append' | 'subtract';
  value?: string | null;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  type: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded for the `consumer` protocol type. */
  assignment: TopicPartitions;
  subscription: string[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberDescription[];
}

export interface GroupOffset {
  topic: string;
  partition: number;
  /** -1 if the group has no committed offset for it. */
  offset: number;
  metadata: string | null;
}

export interface GroupLag extends GroupOffset {
  logEndOffset: number;
  /** null when nothing is committed. */
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

const RESOURCE_TYPES: Record<ConfigResource['type'], number> = {
  topic: ResourceType.TOPIC,
  broker: ResourceType.BROKER,
  group: ResourceType.GROUP,
  'broker-logger': ResourceType.BROKER_LOGGER,
};
const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

export function offsetSpecTimestamp(spec: OffsetSpec): bigint {
  if (spec === 'earliest') return -2n;
  if (spec === 'latest') return -1n;
  if (spec === 'max-timestamp') return -3n;
  return BigInt(spec.timestamp);
}

export class Admin {
  readonly cluster: Cluster;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions & { timeoutMs?: number } = {}) {
    this.cluster = new Cluster(opts);
    this.timeoutMs = opts.timeoutMs ?? 30000;
  }

  async connect(): Promise<void> {
    await this.cluster.any();
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }

  /** The controller (or any broker) for admin requests. */
  private async controller(): Promise<BrokerConnection> {
    await this.cluster.refresh([]);
    const id = this.cluster.controllerId;
    return id >= 0 ? this.cluster.node(id) : this.cluster.any();
  }

  /** Topic names (internal ones only with `includeInternal`). */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    const res = await this.cluster.refresh();
    return res.topics
      .filter((t) => t.name !== null && t.errorCode === 0 && (opts.includeInternal || !t.isInternal))
      .map((t) => t.name!)
      .sort();
  }

  /** Partitions, leaders and replicas of the topics (all topics when omitted). */
  async describeTopics(topics?: string[]): Promise<TopicDescription[]> {
    const res = await this.cluster.refresh(topics);
    const out: TopicDescription[] = [];
    for (const t of res.topics) {
      if (t.name === null) continue;
      check(t.errorCode, undefined, `topic ${t.name}`);
      const m = this.cluster.cachedTopic(t.name);
      if (m) out.push(m);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Creates topics; with `ifNotExists`, TOPIC_ALREADY_EXISTS is not an error. Returns the topics created. */
  async createTopics(
    topics: NewTopic[],
    opts: { validateOnly?: boolean; ifNotExists?: boolean; timeoutMs?: number } = {},
  ): Promise<string[]> {
    const conn = await this.controller();
    const res = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.topic,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    const created: string[] = [];
    for (const t of res.topics) {
      if (t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && opts.ifNotExists) continue;
      check(t.errorCode, t.errorMessage, `topic ${t.name}`);
      created.push(t.name);
    }
    if (!opts.validateOnly && created.length) await this.waitForTopics(created);
    return created;
  }

  private async waitForTopics(topics: string[]): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const res = await this.cluster.refresh(topics);
      if (res.topics.every((t) => t.errorCode === 0 && t.partitions.every((p) => p.leaderId >= 0))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Deletes topics; resolves to the names deleted (with `ifExists`, the missing ones are left out). */
  async deleteTopics(topics: string[], opts: { timeoutMs?: number; ifExists?: boolean } = {}): Promise<string[]> {
    const conn = await this.controller();
    const res = await conn.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, {
      topicNames: topics,
      topics: topics.map((name) => ({ name })),
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
    });
    const deleted: string[] = [];
    for (const t of res.responses) {
      if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && opts.ifExists) continue;
      check(t.errorCode, t.errorMessage, `topic ${t.name}`);
      if (t.name !== null) deleted.push(t.name);
    }
    return deleted;
  }

  /** Raises topics' partition counts to `count`. */
  async createPartitions(
    topics: { topic: string; count: number }[],
    opts: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const conn = await this.controller();
    const res = await conn.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: null })),
      timeoutMs: this.timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    for (const r of res.results) check(r.errorCode, r.errorMessage, `topic ${r.name}`);
    await this.waitForTopics(topics.map((t) => t.topic));
  }

  /** Effective configs of a resource (`keys` limits the answer). */
  async describeConfigs(resource: ConfigResource, keys?: string[]): Promise<ConfigEntry[]> {
    const conn =
      (resource.type === 'broker' || resource.type === 'broker-logger') && resource.name !== ''
        ? await this.cluster.node(Number(resource.name))
        : await this.controller();
    const v = conn.version(ApiKey.DescribeConfigs);
    const res = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
      resources: [
        { resourceType: RESOURCE_TYPES[resource.type], resourceName: resource.name, configurationKeys: keys ?? null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0]!;
    check(r.errorCode, r.errorMessage, `${resource.type} ${resource.name}`);
    return r.configs
      .map((c) => ({
        name: c.name,
        value: c.value,
        source:
          v >= 1
            ? (ConfigSource[c.configSource] ?? String(c.configSource))
            : c.isDefault
              ? 'DEFAULT_CONFIG'
              : 'UNKNOWN',
        readOnly: c.readOnly,
        isDefault: v >= 1 ? c.configSource === 5 : c.isDefault,
        isSensitive: c.isSensitive,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * Changes configs incrementally (IncrementalAlterConfigs): other overrides stay as they are. Returns the broker's
   * messages for a successful change (e.g. a key accepted that has no effect), usually none.
   */
  async alterConfigs(
    resource: ConfigResource,
    changes: ConfigChange[],
    opts: { validateOnly?: boolean } = {},
  ): Promise<string[]> {
    const conn =
      (resource.type === 'broker' || resource.type === 'broker-logger') && resource.name !== ''
        ? await this.cluster.node(Number(resource.name))
        : await this.controller();
    const res = await conn.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
      resources: [
        {
          resourceType: RESOURCE_TYPES[resource.type],
          resourceName: resource.name,
          configs: changes.map((c) => ({ name: c.name, configOperation: OPS[c.op ?? 'set'], value: c.value ?? null })),
        },
      ],
      validateOnly: opts.validateOnly ?? false,
    });
    for (const r of res.responses) check(r.errorCode, r.errorMessage, `${resource.type} ${resource.name}`);
    return res.responses.flatMap((r) => (r.errorMessage ? [r.errorMessage] : []));
  }

  /** ACLs matching the filter (DescribeAcls). */
  async describeAcls(filter: AclFilter): Promise<Acl[]> {
    return describeAcls(await this.controller(), filter, this.timeoutMs);
  }

  async createAcls(acls: readonly Acl[]): Promise<void> {
    await createAcls(await this.controller(), acls, this.timeoutMs);
  }

  /** Deletes the ACLs matching any filter; resolves what was deleted. */
  async deleteAcls(filters: readonly AclFilter[]): Promise<DeletedAcl[]> {
    return deleteAcls(await this.controller(), filters, this.timeoutMs);
  }

  /** SCRAM credentials per user (mechanism, iterations); every user's when `users` is omitted. */
  async describeUserScramCredentials(users?: readonly string[]): Promise<Map<string, ScramCredentialInfo[]>> {
    return describeUserScramCredentials(await this.controller(), users, this.timeoutMs);
  }

  async alterUserScramCredentials(change: {
    upsertions?: readonly ScramUpsertion[];
    deletions?: readonly ScramDeletion[];
  }): Promise<void> {
    await alterUserScramCredentials(await this.controller(), change, this.timeoutMs);
  }

  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: BrokerNode[] }> {
    const conn = await this.cluster.any();
    if (conn.supports(ApiKey.DescribeCluster)) {
      const res = await conn.request<DescribeClusterResponse>(ApiKey.DescribeCluster, { endpointType: 1 });
      check(res.errorCode, res.errorMessage);
      return {
        clusterId: res.clusterId,
        controllerId: res.controllerId,
        brokers: res.brokers
          .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack }))
          .sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    await this.cluster.refresh([]);
    return {
      clusterId: this.cluster.clusterId,
      controllerId: this.cluster.controllerId,
      brokers: this.cluster.brokers(),
    };
  }

  /**
   * Offsets of partitions per spec (ListOffsets to each leader). `partitions` omitted for a topic: all of them.
   */
  async listOffsets(
    topics: { topic: string; partitions?: number[] }[],
    spec: OffsetSpec = 'latest',
    opts: { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {},
  ): Promise<PartitionOffset[]> {
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const t of topics) {
      const meta = await this.cluster.topic(t.topic);
      for (const p of t.partitions ?? meta.partitions.map((x) => x.partition)) {
        const leader = this.cluster.leaderId(t.topic, p);
        if (leader < 0 && !meta.partitions[p])
          throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${t.topic} has no partition ${p}`);
        const m = getOrInit(byLeader, leader, () => new Map());
        m.set(t.topic, [...(m.get(t.topic) ?? []), p]);
      }
    }
    const ts = offsetSpecTimestamp(spec);
    const out: PartitionOffset[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, m]) => {
        const conn = await this.cluster.node(leader);
        const res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, {
          replicaId: -1,
          isolationLevel: opts.isolationLevel === 'read_committed' ? 1 : 0,
          topics: [...m].map(([name, ps]) => ({
            name,
            partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: ts, maxNumOffsets: 1 })),
          })),
          timeoutMs: this.timeoutMs,
        });
        for (const t of res.topics)
          for (const p of t.partitions) {
            check(p.errorCode, undefined, `${t.name}-${p.partitionIndex}`);
            out.push({
              topic: t.name,
              partition: p.partitionIndex,
              offset: Number(p.offset),
              timestamp: Number(p.timestamp),
            });
          }
      }),
    );
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  // ---- consumer groups ----

  private requireGroups(conn: BrokerConnection): void {
    if (!conn.supports(ApiKey.ListGroups) || !conn.supports(ApiKey.DescribeGroups))
      throw new UnsupportedApiError(`broker ${conn.host}:${conn.port} does not support consumer groups`);
  }

  async listGroups(): Promise<GroupListing[]> {
    await this.cluster.refresh([]);
    const out: GroupListing[] = [];
    for (const b of this.cluster.brokers()) {
      const conn = await this.cluster.node(b.nodeId);
      this.requireGroups(conn);
      const res = await conn.request<ListGroupsResponse>(ApiKey.ListGroups, { statesFilter: [], typesFilter: [] });
      check(res.errorCode);
      for (const g of res.groups)
        out.push({
          groupId: g.groupId,
          protocolType: g.protocolType,
          state: g.groupState ?? '',
          type: g.groupType ?? 'classic',
        });
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const conn = await this.cluster.coordinator(groupId);
      this.requireGroups(conn);
      const res = await conn.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, {
        groups: [groupId],
        includeAuthorizedOperations: false,
      });
      const g = res.groups[0]!;
      check(g.errorCode, undefined, `group ${groupId}`);
      const consumer = g.protocolType === 'consumer';
      out.push({
        groupId: g.groupId,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => {
          let assignment: TopicPartitions = new Map();
          let subscription: string[] = [];
          if (consumer) {
            try {
              assignment = decodeAssignment(m.memberAssignment);
              if (m.memberMetadata.length) subscription = decodeSubscription(m.memberMetadata).topics;
            } catch {
              // not the consumer embedded protocol after all
            }
          }
          return {
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            assignment,
            subscription,
          };
        }),
      });
    }
    return out;
  }

  /** Committed offsets of a group (all its partitions when `topics` is omitted). */
  async fetchGroupOffsets(
    groupId: string,
    topics?: { topic: string; partitions?: number[] }[],
  ): Promise<GroupOffset[]> {
    const conn = await this.cluster.coordinator(groupId);
    const v = conn.version(ApiKey.OffsetFetch);
    let req: { name: string; partitionIndexes: number[] }[] | null = null;
    if (topics) {
      req = [];
      for (const t of topics) {
        const parts = t.partitions ?? (await this.cluster.topic(t.topic)).partitions.map((p) => p.partition);
        req.push({ name: t.topic, partitionIndexes: parts });
      }
    }
    const res = await conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, {
      groupId,
      topics: req,
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: req }],
      requireStable: false,
    });
    const g = v >= 8 ? res.groups[0]! : res;
    check(g.errorCode, undefined, `group ${groupId}`);
    const out: GroupOffset[] = [];
    for (const t of g.topics)
      for (const p of t.partitions) {
        check(p.errorCode, undefined, `${t.name}-${p.partitionIndex}`);
        out.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          metadata: p.metadata,
        });
      }
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** Per partition: committed offset, log end offset, lag and the member that owns it (kafka-consumer-groups --describe). */
  async describeGroupLag(groupId: string): Promise<GroupLag[]> {
    const [desc] = await this.describeGroups([groupId]);
    const committed = await this.fetchGroupOffsets(groupId);
    const owners = new Map<string, GroupMemberDescription>();
    const topics = new Set(committed.map((c) => c.topic));
    for (const m of desc!.members)
      for (const [t, ps] of m.assignment) {
        topics.add(t);
        for (const p of ps) owners.set(`${t}\u0000${p}`, m);
      }
    const rows = new Map<string, GroupLag>();
    const ends = topics.size
      ? await this.listOffsets(
          [...topics].map((topic) => ({ topic })),
          'latest',
        ).catch(() => [])
      : [];
    const endOf = new Map(ends.map((e) => [`${e.topic}\u0000${e.partition}`, e.offset]));
    const keys = new Set([...committed.map((c) => `${c.topic}\u0000${c.partition}`), ...owners.keys()]);
    for (const k of keys) {
      const [topic, p] = k.split('\u0000') as [string, string];
      const c = committed.find((x) => x.topic === topic && x.partition === Number(p));
      const m = owners.get(k);
      const end = endOf.get(k) ?? -1;
      const offset = c?.offset ?? -1;
      rows.set(k, {
        topic,
        partition: Number(p),
        offset,
        metadata: c?.metadata ?? null,
        logEndOffset: end,
        lag: offset >= 0 && end >= 0 ? Math.max(0, end - offset) : null,
        memberId: m?.memberId ?? null,
        clientId: m?.clientId ?? null,
        host: m?.clientHost ?? null,
      });
    }
    return [...rows.values()].sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
  }

  /** Commits offsets for a group with no active members (as kafka-consumer-groups --reset-offsets does). */
  async commitGroupOffsets(
    groupId: string,
    offsets: { topic: string; partition: number; offset: number }[],
  ): Promise<void> {
    const conn = await this.cluster.coordinator(groupId);
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedMetadata: string }[]>();
    for (const o of offsets) {
      const l = getOrInit(byTopic, o.topic, () => []);
      l.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedMetadata: '' });
    }
    const res = await conn.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of res.topics)
      for (const p of t.partitions) check(p.errorCode, undefined, `${t.name}-${p.partitionIndex}`);
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    for (const groupId of groupIds) {
      const conn = await this.cluster.coordinator(groupId);
      if (!conn.supports(ApiKey.DeleteGroups))
        throw new UnsupportedApiError(`broker ${conn.host}:${conn.port} does not support DeleteGroups`);
      const res = await conn.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, { groupsNames: [groupId] });
      for (const r of res.results) check(r.errorCode, undefined, `group ${r.groupId}`);
    }
  }
}
