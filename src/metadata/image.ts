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

  /** Applies one record, returning the next image. */
  apply(record: MetadataRecord, offset: number): MetadataImage {
    return this.applyAll([{ record, offset }]);
  }

  /**
   * Applies records in order, returning the next image. The maps and each touched topic are copied once per call,
   * not once per record: creating a topic of n partitions, or replaying a log of m records, costs O(n) or O(m)
   * plus one copy of the maps, where per-record copies cost O(n × topics).
   */
  applyAll(entries: ReadonlyArray<{ record: MetadataRecord; offset: number }>): MetadataImage {
    if (entries.length === 0) return this;
    const b = new ImageBuilder(this);
    for (const e of entries) b.apply(e.record, e.offset);
    return b.build();
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
}

function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}

type MutableTopic = { -readonly [K in keyof TopicInfo]: TopicInfo[K] } & {
  partitions: PartitionInfo[];
  configs: Record<string, string>;
};

/** Builds the next image from a base: copy-on-first-write of each map and of each topic touched in this batch. */
class ImageBuilder {
  private readonly base: MetadataImage;
  private offset: number;
  private brokers: Map<number, BrokerInfo> | undefined;
  private topics: Map<string, TopicInfo> | undefined;
  private topicsById: Map<string, TopicInfo> | undefined;
  private brokerConfigs: Map<string, Readonly<Record<string, string>>> | undefined;
  /** Topics (by id) and broker config entries created during this batch: ours to mutate. */
  private readonly ownTopics = new Set<string>();
  private readonly ownBrokerConfigs = new Set<string>();

  constructor(base: MetadataImage) {
    this.base = base;
    this.offset = base.offset;
  }

  private topicMaps(): { topics: Map<string, TopicInfo>; byId: Map<string, TopicInfo> } {
    this.topics ??= new Map(this.base.topics);
    this.topicsById ??= new Map(this.base.topicsById);
    return { topics: this.topics, byId: this.topicsById };
  }

  private topicById(id: string): TopicInfo | undefined {
    return (this.topicsById ?? this.base.topicsById).get(id);
  }

  /** The topic as a copy owned by this batch (made on first touch). */
  private ownTopic(t: TopicInfo): MutableTopic {
    const { topics, byId } = this.topicMaps();
    if (this.ownTopics.has(t.id)) return t as MutableTopic;
    const copy: MutableTopic = { ...t, partitions: t.partitions.slice(), configs: { ...t.configs } };
    topics.set(copy.name, copy);
    byId.set(copy.id, copy);
    this.ownTopics.add(copy.id);
    return copy;
  }

  apply(record: MetadataRecord, offset: number): void {
    assert(offset > this.offset, `metadata offset ${offset} not after ${this.offset}`);
    this.offset = offset;
    switch (record.type) {
      case 'RegisterBroker': {
        this.brokers ??= new Map(this.base.brokers);
        this.brokers.set(record.nodeId, {
          nodeId: record.nodeId,
          endpoints: record.endpoints,
          rack: record.rack,
          fenced: false,
        });
        break;
      }
      case 'Topic': {
        const { topics, byId } = this.topicMaps();
        assert(!topics.has(record.name), `topic ${record.name} created twice`);
        const t: MutableTopic = { name: record.name, id: record.id, partitions: [], configs: {} };
        topics.set(t.name, t);
        byId.set(t.id, t);
        this.ownTopics.add(t.id);
        break;
      }
      case 'Partition': {
        const found = this.topicById(record.topicId);
        assert(found, `partition record for unknown topic ${record.topicId}`);
        const t = this.ownTopic(found);
        assert(record.partition <= t.partitions.length, `partition ${record.partition} of ${t.name} skips an index`);
        t.partitions[record.partition] = {
          partition: record.partition,
          leader: record.leader,
          leaderEpoch: record.leaderEpoch,
          partitionEpoch: record.partitionEpoch,
          replicas: record.replicas,
          isr: record.isr,
        };
        break;
      }
      case 'RemoveTopic': {
        const t = this.topicById(record.topicId);
        assert(t, `remove of unknown topic ${record.topicId}`);
        const { topics, byId } = this.topicMaps();
        topics.delete(t.name);
        byId.delete(t.id);
        this.ownTopics.delete(t.id);
        break;
      }
      case 'Config': {
        if (record.resourceType === 'topic') {
          const found = (this.topics ?? this.base.topics).get(record.resourceName);
          assert(found, `config for unknown topic ${record.resourceName}`);
          const t = this.ownTopic(found);
          if (record.value === null) delete t.configs[record.name];
          else t.configs[record.name] = record.value;
        } else {
          this.brokerConfigs ??= new Map(this.base.brokerConfigs);
          const key = record.resourceName;
          let c = this.brokerConfigs.get(key) as Record<string, string> | undefined;
          if (c === undefined || !this.ownBrokerConfigs.has(key)) {
            c = { ...(c ?? {}) };
            this.brokerConfigs.set(key, c);
            this.ownBrokerConfigs.add(key);
          }
          if (record.value === null) delete c[record.name];
          else c[record.name] = record.value;
        }
        break;
      }
    }
  }

  build(): MetadataImage {
    const b = this.base;
    return new MetadataImage({
      clusterId: b.clusterId,
      offset: this.offset,
      brokers: this.brokers ?? b.brokers,
      topics: this.topics ?? b.topics,
      topicsById: this.topicsById ?? b.topicsById,
      brokerConfigs: this.brokerConfigs ?? b.brokerConfigs,
    });
  }
}
