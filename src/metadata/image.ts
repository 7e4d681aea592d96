// The metadata image: an immutable view of the cluster (brokers, topics, partitions, configs) built by applying
// metadata records in order. Brokers read it; only the controller writes records. Pure logic, no I/O.
import { assert } from '../util/assert.ts';
import type { MetadataRecord } from './records.ts';

export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

export interface BrokerInfo {
  readonly nodeId: number;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  /** Topic id as a base64url UUID, like Kafka's Uuid.toString(). */
  readonly id: string;
  readonly partitions: readonly PartitionInfo[];
  /** Topic-level config overrides (dynamic topic configs). */
  readonly configs: Readonly<Record<string, string>>;
}

export class MetadataImage {
  readonly clusterId: string;
  /** Offset of the last record applied, -1 for the empty image. */
  readonly offset: number;
  readonly brokers: ReadonlyMap<number, BrokerInfo>;
  readonly topics: ReadonlyMap<string, TopicInfo>;
  readonly topicsById: ReadonlyMap<string, TopicInfo>;
  /** Dynamic broker configs: key "" is the cluster-wide default, else the node id. */
  readonly brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;

  constructor(init: {
    clusterId: string;
    offset: number;
    brokers: ReadonlyMap<number, BrokerInfo>;
    topics: ReadonlyMap<string, TopicInfo>;
    topicsById: ReadonlyMap<string, TopicInfo>;
    brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  }) {
    this.clusterId = init.clusterId;
    this.offset = init.offset;
    this.brokers = init.brokers;
    this.topics = init.topics;
    this.topicsById = init.topicsById;
    this.brokerConfigs = init.brokerConfigs;
  }

  static empty(clusterId: string): MetadataImage {
    return new MetadataImage({
      clusterId,
      offset: -1,
      brokers: new Map(),
      topics: new Map(),
      topicsById: new Map(),
      brokerConfigs: new Map(),
    });
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /**
   * Applies records in order, returning the next image. Within one call each map, and each topic's partition list
   * and configs, is copied once (on its first change), not once per record: creating a topic of n partitions or
   * replaying a log of m records costs O(n) or O(m) plus one copy of the maps, where copies per record cost
   * O(n × topics). Images handed out before are never changed.
   */
  applyAll(entries: ReadonlyArray<{ record: MetadataRecord; offset: number }>): MetadataImage {
    if (entries.length === 0) return this;
    const outer = batch;
    batch = new WeakSet();
    try {
      let image: MetadataImage = this;
      for (const e of entries) image = image.apply(e.record, e.offset);
      return image;
    } finally {
      batch = outer;
    }
  }

  /** The existing topic whose name collides with `name` once '.' and '_' are treated alike (Kafka's rule). */
  collidingTopic(name: string): string | undefined {
    if (this.collisions === undefined) {
      this.collisions = new Map();
      for (const t of this.topics.keys()) this.collisions.set(collisionKey(t), t);
    }
    return this.collisions.get(collisionKey(name));
  }
  private collisions: Map<string, string> | undefined;

  /** Applies one record, returning the next image. */
  apply(record: MetadataRecord, offset: number): MetadataImage {
    assert(offset > this.offset, `metadata offset ${offset} not after ${this.offset}`);
    let { brokers, topics, topicsById, brokerConfigs } = this as MetadataImage;
    switch (record.type) {
      case 'RegisterBroker': {
        const m = own(brokers);
        m.set(record.nodeId, { nodeId: record.nodeId, endpoints: record.endpoints, rack: record.rack, fenced: false });
        brokers = m;
        break;
      }
      case 'Topic': {
        assert(!topics.has(record.name), `topic ${record.name} created twice`);
        const t: TopicInfo = { name: record.name, id: record.id, partitions: [], configs: {} };
        topics = own(topics).set(t.name, t);
        topicsById = own(topicsById).set(t.id, t);
        break;
      }
      case 'Partition': {
        const t = topicsById.get(record.topicId);
        assert(t, `partition record for unknown topic ${record.topicId}`);
        const parts = own(t.partitions);
        assert(record.partition <= parts.length, `partition ${record.partition} of ${t.name} skips an index`);
        parts[record.partition] = {
          partition: record.partition,
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch,
          replicas: record.replicas,
          isr: record.isr,
        };
        ({ topics, topicsById } = replaceTopic(topics, topicsById, { ...t, partitions: parts }));
        break;
      }
      case 'RemoveTopic': {
        const t = topicsById.get(record.topicId);
        assert(t, `remove of unknown topic ${record.topicId}`);
        const a = own(topics);
        a.delete(t.name);
        const b = own(topicsById);
        b.delete(t.id);
        topics = a;
        topicsById = b;
        break;
      }
      case 'Config': {
        if (record.resourceType === 'topic') {
          const t = topics.get(record.resourceName);
          assert(t, `config for unknown topic ${record.resourceName}`);
          ({ topics, topicsById } = replaceTopic(topics, topicsById, {
            ...t,
            configs: withConfig(t.configs, record.name, record.value),
          }));
        } else {
          const m = own(brokerConfigs);
          m.set(record.resourceName, withConfig(m.get(record.resourceName) ?? {}, record.name, record.value));
          brokerConfigs = m;
        }
        break;
      }
    }
    return new MetadataImage({ clusterId: this.clusterId, offset, brokers, topics, topicsById, brokerConfigs });
  }
}

// Copy-on-write within one applyAll: containers created (copied) during the current batch, which later records of
// the same batch may change in place. Outside applyAll every change copies, as before.
let batch: WeakSet<object> | undefined;

/** A copy of `x` that the current batch owns (x itself if the batch already owns it). */
function own<K, V>(x: ReadonlyMap<K, V>): Map<K, V>;
function own<T>(x: readonly T[]): T[];
function own<T extends object>(x: Readonly<T>): T;
function own(x: object): object {
  if (batch?.has(x)) return x;
  const copy = x instanceof Map ? new Map(x) : Array.isArray(x) ? x.slice() : { ...x };
  batch?.add(copy);
  return copy;
}

function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}

function withConfig(
  configs: Readonly<Record<string, string>>,
  name: string,
  value: string | null,
): Record<string, string> {
  const next = own(configs);
  if (value === null) delete next[name];
  else next[name] = value;
  return next;
}

function replaceTopic(
  topics: ReadonlyMap<string, TopicInfo>,
  topicsById: ReadonlyMap<string, TopicInfo>,
  t: TopicInfo,
): { topics: ReadonlyMap<string, TopicInfo>; topicsById: ReadonlyMap<string, TopicInfo> } {
  return { topics: own(topics).set(t.name, t), topicsById: own(topicsById).set(t.id, t) };
}
