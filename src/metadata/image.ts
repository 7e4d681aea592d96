// The metadata image: an immutable view of the cluster (brokers, topics, partitions, configs) built by applying
// metadata records in order. Brokers read it; only the controller writes records. Pure logic, no I/O.

import type { Acl } from '../security/authorizer.ts';
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

/** A stored SCRAM credential (UserScramCredentialRecord), bytes decoded. */
export interface StoredScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
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
  /** Dynamic group configs (GROUP config resources), by group id. */
  readonly groupConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** SCRAM credentials by user name, then by mechanism id (1 = SHA-256, 2 = SHA-512). */
  readonly scramCredentials: ReadonlyMap<string, ReadonlyMap<number, StoredScramCredential>>;
  /** ACLs by record id (AccessControlEntryRecord), in creation order. */
  readonly acls: ReadonlyMap<string, Acl>;

  constructor(init: {
    clusterId: string;
    offset: number;
    brokers: ReadonlyMap<number, BrokerInfo>;
    topics: ReadonlyMap<string, TopicInfo>;
    topicsById: ReadonlyMap<string, TopicInfo>;
    brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
    groupConfigs?: ReadonlyMap<string, Readonly<Record<string, string>>>;
    scramCredentials?: ReadonlyMap<string, ReadonlyMap<number, StoredScramCredential>>;
    acls?: ReadonlyMap<string, Acl>;
  }) {
    this.clusterId = init.clusterId;
    this.offset = init.offset;
    this.brokers = init.brokers;
    this.topics = init.topics;
    this.topicsById = init.topicsById;
    this.brokerConfigs = init.brokerConfigs;
    this.groupConfigs = init.groupConfigs ?? new Map();
    this.scramCredentials = init.scramCredentials ?? new Map();
    this.acls = init.acls ?? new Map();
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
    assert(offset > this.offset, `metadata offset ${offset} not after ${this.offset}`);
    let { brokers, topics, topicsById, brokerConfigs, groupConfigs, scramCredentials, acls } = this as MetadataImage;
    switch (record.type) {
      case 'RegisterBroker': {
        const m = new Map(brokers);
        m.set(record.nodeId, { nodeId: record.nodeId, endpoints: record.endpoints, rack: record.rack, fenced: false });
        brokers = m;
        break;
      }
      case 'Topic': {
        assert(!topics.has(record.name), `topic ${record.name} created twice`);
        const t: TopicInfo = { name: record.name, id: record.id, partitions: [], configs: {} };
        topics = new Map(topics).set(t.name, t);
        topicsById = new Map(topicsById).set(t.id, t);
        break;
      }
      case 'Partition': {
        const t = topicsById.get(record.topicId);
        assert(t, `partition record for unknown topic ${record.topicId}`);
        const parts = t.partitions.slice();
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
        const a = new Map(topics);
        a.delete(t.name);
        const b = new Map(topicsById);
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
        } else if (record.resourceType === 'group') {
          groupConfigs = withEntityConfig(groupConfigs, record.resourceName, record.name, record.value);
        } else {
          brokerConfigs = withEntityConfig(brokerConfigs, record.resourceName, record.name, record.value);
        }
        break;
      }
      case 'UserScramCredential': {
        const m = new Map(scramCredentials);
        const mechs = new Map(m.get(record.name) ?? []);
        mechs.set(record.mechanism, {
          salt: Buffer.from(record.salt, 'base64'),
          storedKey: Buffer.from(record.storedKey, 'base64'),
          serverKey: Buffer.from(record.serverKey, 'base64'),
          iterations: record.iterations,
        });
        scramCredentials = m.set(record.name, mechs);
        break;
      }
      case 'RemoveUserScramCredential': {
        const mechs = new Map(scramCredentials.get(record.name) ?? []);
        assert(mechs.delete(record.mechanism), `removal of a missing SCRAM credential of ${record.name}`);
        const m = new Map(scramCredentials);
        if (mechs.size === 0) m.delete(record.name);
        else m.set(record.name, mechs);
        scramCredentials = m;
        break;
      }
      case 'AccessControlEntry': {
        assert(!acls.has(record.id), `ACL ${record.id} created twice`);
        const { type: _type, id, ...acl } = record;
        acls = new Map(acls).set(id, acl);
        break;
      }
      case 'RemoveAccessControlEntry': {
        const m = new Map(acls);
        assert(m.delete(record.id), `removal of unknown ACL ${record.id}`);
        acls = m;
        break;
      }
    }
    return new MetadataImage({
      clusterId: this.clusterId,
      offset,
      brokers,
      topics,
      topicsById,
      brokerConfigs,
      groupConfigs,
      scramCredentials,
      acls,
    });
  }
}

function withConfig(
  configs: Readonly<Record<string, string>>,
  name: string,
  value: string | null,
): Record<string, string> {
  const next = { ...configs };
  if (value === null) delete next[name];
  else next[name] = value;
  return next;
}

/** Sets or removes one config of an entity; an entity left with no configs is dropped. */
function withEntityConfig(
  entities: ReadonlyMap<string, Readonly<Record<string, string>>>,
  entity: string,
  name: string,
  value: string | null,
): ReadonlyMap<string, Readonly<Record<string, string>>> {
  const m = new Map(entities);
  const next = withConfig(m.get(entity) ?? {}, name, value);
  if (Object.keys(next).length === 0) m.delete(entity);
  else m.set(entity, next);
  return m;
}

function replaceTopic(
  topics: ReadonlyMap<string, TopicInfo>,
  topicsById: ReadonlyMap<string, TopicInfo>,
  t: TopicInfo,
): { topics: ReadonlyMap<string, TopicInfo>; topicsById: ReadonlyMap<string, TopicInfo> } {
  return { topics: new Map(topics).set(t.name, t), topicsById: new Map(topicsById).set(t.id, t) };
}
