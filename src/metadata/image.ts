// The metadata image: an immutable view of the cluster (brokers, topics, partitions, configs) built by applying
// metadata records in order. Brokers read it; only the controller writes records. Pure logic, no I/O.

import { type ClientQuotaEntry, entityKey, sortParts } from '../quota/entity.ts';
import type { Acl } from '../security/authorizer.ts';
import { assert } from '../util/assert.ts';
import { ConfigResourceType, type MetadataRecord, NO_LEADER_CHANGE, SECURITY_PROTOCOLS } from './records.ts';

export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

export interface BrokerInfo {
  readonly nodeId: number;
  /** The registration's broker epoch: a new one each time the broker registers (KAFKA-7235). */
  readonly epoch: bigint;
  readonly incarnationId: string;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  /** A fenced broker leads nothing and is no ISR candidate (its session is gone, or it has not caught up). */
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
}

/** The cluster's producer id allocation: ids below nextProducerId are taken (ProducerIdsRecord). */
export interface ProducerIdsState {
  readonly nextProducerId: bigint;
  /** The last block handed out, [firstProducerId, nextProducerId), or null before the first. */
  readonly lastBlock: {
    readonly brokerId: number;
    readonly firstProducerId: bigint;
    readonly nextProducerId: bigint;
  } | null;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** An ongoing reassignment (AlterPartitionReassignments): replicas being added (absent or empty: none). */
  readonly addingReplicas?: readonly number[];
  /** ... and replicas to remove once every target replica is in the ISR. */
  readonly removingReplicas?: readonly number[];
  /** Eligible leader replicas (KIP-966): replicas out of the ISR that still hold everything committed (the ISR fell
   * below min.insync.replicas when they left, so the HW stopped). Absent or empty: none. */
  readonly elr?: readonly number[];
  /** The last leader, kept once the ISR and ELR are empty (KIP-966's last known ELR). Absent or empty: none. */
  readonly lastKnownElr?: readonly number[];
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
  readonly producerIds: ProducerIdsState;
  /** Finalized feature levels (FeatureLevelRecord), e.g. metadata.version. */
  readonly features: ReadonlyMap<string, number>;
  /** SCRAM credentials by user name, then by mechanism id (1 = SHA-256, 2 = SHA-512). */
  readonly scramCredentials: ReadonlyMap<string, ReadonlyMap<number, StoredScramCredential>>;
  /** ACLs by record id (AccessControlEntryRecord), in creation order. */
  readonly acls: ReadonlyMap<string, Acl>;
  /** Client quotas (ClientQuotaRecord) by entity key (quota/entity.ts `entityKey`). */
  readonly clientQuotas: ReadonlyMap<string, ClientQuotaEntry>;

  constructor(init: {
    clusterId: string;
    offset: number;
    brokers: ReadonlyMap<number, BrokerInfo>;
    topics: ReadonlyMap<string, TopicInfo>;
    topicsById: ReadonlyMap<string, TopicInfo>;
    brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
    groupConfigs?: ReadonlyMap<string, Readonly<Record<string, string>>>;
    producerIds: ProducerIdsState;
    features: ReadonlyMap<string, number>;
    scramCredentials?: ReadonlyMap<string, ReadonlyMap<number, StoredScramCredential>>;
    acls?: ReadonlyMap<string, Acl>;
    clientQuotas?: ReadonlyMap<string, ClientQuotaEntry>;
  }) {
    this.clusterId = init.clusterId;
    this.offset = init.offset;
    this.brokers = init.brokers;
    this.topics = init.topics;
    this.topicsById = init.topicsById;
    this.brokerConfigs = init.brokerConfigs;
    this.groupConfigs = init.groupConfigs ?? new Map();
    this.producerIds = init.producerIds;
    this.features = init.features;
    this.scramCredentials = init.scramCredentials ?? new Map();
    this.acls = init.acls ?? new Map();
    this.clientQuotas = init.clientQuotas ?? new Map();
  }

  static empty(clusterId: string): MetadataImage {
    return new MetadataImage({
      clusterId,
      offset: -1,
      brokers: new Map(),
      topics: new Map(),
      topicsById: new Map(),
      brokerConfigs: new Map(),
      producerIds: { nextProducerId: 0n, lastBlock: null },
      features: new Map(),
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
    let { brokers, topics, topicsById, brokerConfigs, groupConfigs, producerIds, features, scramCredentials, acls } =
      this as MetadataImage;
    let clientQuotas = this.clientQuotas;
    switch (record.type) {
      case 'RegisterBrokerRecord': {
        const d = record.data;
        brokers = own(brokers).set(d.brokerId, {
          nodeId: d.brokerId,
          epoch: d.brokerEpoch,
          incarnationId: d.incarnationId,
          endpoints: d.endPoints.map((e) => ({
            name: e.name,
            host: e.host,
            port: e.port,
            securityProtocol: SECURITY_PROTOCOLS[e.securityProtocol] ?? `UNKNOWN(${e.securityProtocol})`,
          })),
          rack: d.rack,
          fenced: d.fenced,
          inControlledShutdown: d.inControlledShutdown,
        });
        break;
      }
      case 'UnregisterBrokerRecord': {
        const b = brokers.get(record.data.brokerId);
        if (b && b.epoch === record.data.brokerEpoch) {
          const m = own(brokers);
          m.delete(b.nodeId);
          brokers = m;
        }
        break;
      }
      case 'FenceBrokerRecord':
      case 'UnfenceBrokerRecord': {
        const b = brokers.get(record.data.id);
        assert(b, `${record.type} for unknown broker ${record.data.id}`);
        // A record for an earlier registration of the broker is stale: its current registration stands.
        if (b.epoch === record.data.epoch) {
          const fenced = record.type === 'FenceBrokerRecord';
          brokers = own(brokers).set(b.nodeId, {
            ...b,
            fenced,
            inControlledShutdown: fenced && b.inControlledShutdown,
          });
        }
        break;
      }
      case 'BrokerRegistrationChangeRecord': {
        const d = record.data;
        const b = brokers.get(d.brokerId);
        assert(b, `registration change for unknown broker ${d.brokerId}`);
        if (b.epoch === d.brokerEpoch)
          brokers = own(brokers).set(b.nodeId, {
            ...b,
            // Kafka's BrokerRegistrationFencingChange / InControlledShutdownChange: 0 none, 1 on (fence), -1 off.
            fenced: d.fenced === 1 ? true : d.fenced === -1 ? false : b.fenced,
            inControlledShutdown: d.inControlledShutdown === 1 ? true : b.inControlledShutdown,
          });
        break;
      }
      case 'TopicRecord': {
        const d = record.data;
        assert(!topics.has(d.name), `topic ${d.name} created twice`);
        const t: TopicInfo = { name: d.name, id: d.topicId, partitions: [], configs: {} };
        topics = own(topics).set(t.name, t);
        topicsById = own(topicsById).set(t.id, t);
        break;
      }
      case 'PartitionRecord': {
        const d = record.data;
        const t = topicsById.get(d.topicId);
        assert(t, `partition record for unknown topic ${d.topicId}`);
        const parts = own(t.partitions);
        assert(d.partitionId <= parts.length, `partition ${d.partitionId} of ${t.name} skips an index`);
        parts[d.partitionId] = {
          partition: d.partitionId,
          leader: d.leader,
          leaderEpoch: d.leaderEpoch,
          partitionEpoch: d.partitionEpoch,
          replicas: d.replicas,
          isr: d.isr,
          ...(d.addingReplicas.length > 0 ? { addingReplicas: d.addingReplicas } : {}),
          ...(d.removingReplicas.length > 0 ? { removingReplicas: d.removingReplicas } : {}),
          ...elrFields(d.eligibleLeaderReplicas ?? [], d.lastKnownElr ?? []),
        };
        ({ topics, topicsById } = replaceTopic(topics, topicsById, { ...t, partitions: parts }));
        break;
      }
      case 'PartitionChangeRecord': {
        const d = record.data;
        const t = topicsById.get(d.topicId);
        assert(t, `partition change for unknown topic ${d.topicId}`);
        const p = t.partitions[d.partitionId];
        assert(p, `partition change for unknown partition ${t.name}-${d.partitionId}`);
        const parts = own(t.partitions);
        // As Kafka's PartitionRegistration.merge: every change bumps the partition epoch, a leader field other
        // than NO_LEADER_CHANGE (even the same leader) bumps the leader epoch.
        parts[d.partitionId] = {
          partition: p.partition,
          leader: d.leader === NO_LEADER_CHANGE ? p.leader : d.leader,
          leaderEpoch: d.leader === NO_LEADER_CHANGE ? p.leaderEpoch : p.leaderEpoch + 1,
          partitionEpoch: p.partitionEpoch + 1,
          replicas: d.replicas ?? p.replicas,
          isr: d.isr ?? p.isr,
        };
        // null: unchanged; an empty list ends the reassignment.
        const adding = d.addingReplicas ?? p.addingReplicas ?? [];
        const removing = d.removingReplicas ?? p.removingReplicas ?? [];
        if (adding.length > 0 || removing.length > 0)
          parts[d.partitionId] = { ...parts[d.partitionId]!, addingReplicas: adding, removingReplicas: removing };
        // null: unchanged; an empty list clears.
        const elr = elrFields(d.eligibleLeaderReplicas ?? p.elr ?? [], d.lastKnownElr ?? p.lastKnownElr ?? []);
        if (elr.elr !== undefined || elr.lastKnownElr !== undefined)
          parts[d.partitionId] = { ...parts[d.partitionId]!, ...elr };
        ({ topics, topicsById } = replaceTopic(topics, topicsById, { ...t, partitions: parts }));
        break;
      }
      case 'ClearElrRecord': {
        // KIP-966: min.insync.replicas changed (for one topic, or the cluster default when the name is empty): the
        // ELRs were chosen against the old value, so they go. Each partition that had one gets a new partition
        // epoch, as Kafka's PartitionRegistration.merge gives it.
        const name = record.data.topicName;
        const targets = name === '' ? [...topics.values()] : [topics.get(name)];
        for (const t of targets) {
          assert(t, `ClearElrRecord for unknown topic ${name}`);
          if (!t.partitions.some((p) => (p.elr?.length ?? 0) + (p.lastKnownElr?.length ?? 0) > 0)) continue;
          const parts = t.partitions.map((p) => {
            if ((p.elr?.length ?? 0) + (p.lastKnownElr?.length ?? 0) === 0) return p;
            const { elr: _e, lastKnownElr: _l, ...rest } = p;
            return { ...rest, partitionEpoch: p.partitionEpoch + 1 };
          });
          ({ topics, topicsById } = replaceTopic(topics, topicsById, { ...t, partitions: parts }));
        }
        break;
      }
      case 'RemoveTopicRecord': {
        const t = topicsById.get(record.data.topicId);
        assert(t, `remove of unknown topic ${record.data.topicId}`);
        const a = own(topics);
        a.delete(t.name);
        const b = own(topicsById);
        b.delete(t.id);
        topics = a;
        topicsById = b;
        break;
      }
      case 'ConfigRecord': {
        const d = record.data;
        if (d.resourceType === ConfigResourceType.TOPIC) {
          const t = topics.get(d.resourceName);
          assert(t, `config for unknown topic ${d.resourceName}`);
          ({ topics, topicsById } = replaceTopic(topics, topicsById, {
            ...t,
            configs: withConfig(t.configs, d.name, d.value),
          }));
        } else if (d.resourceType === ConfigResourceType.GROUP) {
          groupConfigs = withEntityConfig(groupConfigs, d.resourceName, d.name, d.value);
        } else {
          assert(d.resourceType === ConfigResourceType.BROKER, `config for resource type ${d.resourceType}`);
          brokerConfigs = withEntityConfig(brokerConfigs, d.resourceName, d.name, d.value);
        }
        break;
      }
      case 'ProducerIdsRecord': {
        const d = record.data;
        assert(d.nextProducerId > producerIds.nextProducerId, `producer id block going back to ${d.nextProducerId}`);
        producerIds = {
          nextProducerId: d.nextProducerId,
          lastBlock: {
            brokerId: d.brokerId,
            firstProducerId: producerIds.nextProducerId,
            nextProducerId: d.nextProducerId,
          },
        };
        break;
      }
      case 'FeatureLevelRecord': {
        // Level 0 removes the feature (KIP-584).
        const m = own(features);
        if (record.data.featureLevel === 0) m.delete(record.data.name);
        else m.set(record.data.name, record.data.featureLevel);
        features = m;
        break;
      }
      case 'NoOpRecord':
        break;
      case 'UserScramCredentialRecord': {
        const d = record.data;
        const mechs = own(scramCredentials.get(d.name) ?? new Map<number, StoredScramCredential>());
        mechs.set(d.mechanism, {
          salt: d.salt,
          storedKey: d.storedKey,
          serverKey: d.serverKey,
          iterations: d.iterations,
        });
        scramCredentials = own(scramCredentials).set(d.name, mechs);
        break;
      }
      case 'RemoveUserScramCredentialRecord': {
        const d = record.data;
        const mechs = own(scramCredentials.get(d.name) ?? new Map<number, StoredScramCredential>());
        assert(mechs.delete(d.mechanism), `removal of a missing SCRAM credential of ${d.name}`);
        const m = own(scramCredentials);
        if (mechs.size === 0) m.delete(d.name);
        else m.set(d.name, mechs);
        scramCredentials = m;
        break;
      }
      case 'AccessControlEntryRecord': {
        const { id, ...acl } = record.data;
        assert(!acls.has(id), `ACL ${id} created twice`);
        acls = own(acls).set(id, acl);
        break;
      }
      case 'RemoveAccessControlEntryRecord': {
        const m = own(acls);
        assert(m.delete(record.data.id), `removal of unknown ACL ${record.data.id}`);
        acls = m;
        break;
      }
      case 'ClientQuotaRecord': {
        const d = record.data;
        const entity = sortParts(d.entity);
        const key = entityKey(entity);
        const values = own(clientQuotas.get(key)?.values ?? {});
        if (d.remove) delete values[d.key];
        else values[d.key] = d.value;
        const m = own(clientQuotas);
        if (Object.keys(values).length === 0) m.delete(key);
        else m.set(key, { entity, values });
        clientQuotas = m;
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
      producerIds,
      features,
      scramCredentials,
      acls,
      clientQuotas,
    });
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

/** The ELR fields of a PartitionInfo: present only when non-empty. */
function elrFields(elr: readonly number[], lastKnownElr: readonly number[]) {
  return {
    ...(elr.length > 0 ? { elr } : {}),
    ...(lastKnownElr.length > 0 ? { lastKnownElr } : {}),
  };
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

/** Sets or removes one config of an entity; an entity left with no configs is dropped. */
function withEntityConfig(
  entities: ReadonlyMap<string, Readonly<Record<string, string>>>,
  entity: string,
  name: string,
  value: string | null,
): ReadonlyMap<string, Readonly<Record<string, string>>> {
  const m = own(entities);
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
  return { topics: own(topics).set(t.name, t), topicsById: own(topicsById).set(t.id, t) };
}
