// The controller: validates admin requests against the current image, turns them into metadata records,
// makes them durable in the metadata log, then applies them and tells subscribers. It is the single-node
// controller (no zookeeper.connect); a cluster's controller (src/controller/) writes the same records to a log in the
// coordination store.
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.ts';
import { type AlterOutcome, decideAlterations, type QuotaAlteration } from '../quota/entity.ts';
import { type Acl, type AclFilter, filterMatches, invalidAcl } from '../security/authorizer.ts';
import type { Logger } from '../util/log.ts';
import { BOOTSTRAP_FEATURE_LEVELS, type FeatureUpdate, rejectFeatureUpdate } from './features.ts';
import { type BrokerEndpoint, MetadataImage, type TopicInfo } from './image.ts';
import type { MetadataLog } from './metadata-log.ts';
import { ConfigResourceType, type MetadataRecord, record, securityProtocolId } from './records.ts';

export interface CreateTopicSpec {
  name: string;
  numPartitions: number; // -1: broker default
  replicationFactor: number; // -1: broker default
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Record<string, string | null>;
}

export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface CreateTopicResult extends TopicResult {
  name: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

export interface ControllerDefaults {
  numPartitions: number;
  defaultReplicationFactor: number;
  /** Returns error messages for invalid topic configs, keyed by config name. */
  validateTopicConfigs(configs: Record<string, string>): Array<{ key: string; message: string }>;
}

export type ConfigOp = { name: string; op: 'set' | 'delete' | 'append' | 'subtract'; value: string | null };

/** A config change refused by validation; `errorCode` defaults to INVALID_CONFIG. */
export type ConfigProblem = { key: string; message: string; errorCode?: number };

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

export function validateTopicName(name: string): string | null {
  if (name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL_TOPIC.test(name))
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export function newUuid(): string {
  let b: Buffer;
  do b = randomBytes(16);
  while (b.every((x) => x === 0));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('base64url');
}

export type ImageListener = (image: MetadataImage, previous: MetadataImage, records: MetadataRecord[]) => void;

type MaybePromise<T> = T | Promise<T>;

/** A SCRAM credential to store (AlterUserScramCredentials), bytes as base64 so it can cross the admin queue. The
 * asking broker derives StoredKey and ServerKey from the salted password, which never leaves it. */
export interface ScramUpsertion {
  name: string;
  /** Kafka's ScramMechanism id: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512 (others are refused). */
  mechanism: number;
  iterations: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}
export type ScramAlterResult = { user: string; errorCode: number; errorMessage: string | null };
export type DeleteTopicResult = TopicResult & { name: string | null; topicId: string };
export type CreatePartitionsRequest = Array<{
  name: string;
  count: number;
  assignments: Array<{ brokerIds: number[] }> | null;
}>;

/**
 * What handlers and coordinators ask of the metadata: the image this broker has applied and the admin changes. The
 * single-node LocalController answers synchronously; a cluster broker's (node/cluster-metadata.ts) hands the
 * request to the active controller and resolves once its own image holds the change, so a caller may read the
 * image right after awaiting.
 */
export interface MetadataController {
  readonly image: MetadataImage;
  subscribe(l: ImageListener): void;
  /** The broker id to name as controller in Metadata / DescribeCluster (-1 when unknown). */
  controllerId(): number;
  createTopics(specs: CreateTopicSpec[], validateOnly: boolean): MaybePromise<CreateTopicResult[]>;
  deleteTopics(topics: Array<{ name: string | null; topicId: string | null }>): MaybePromise<DeleteTopicResult[]>;
  createPartitions(
    topics: CreatePartitionsRequest,
    validateOnly: boolean,
  ): MaybePromise<Array<TopicResult & { name: string }>>;
  alterConfigs(
    resourceType: 'topic' | 'broker' | 'group',
    resourceName: string,
    ops: ConfigOp[],
    validateOnly: boolean,
    validate: (next: Record<string, string>) => ConfigProblem[],
  ): MaybePromise<TopicResult>;
  /** UpdateFeatures: finalized feature levels (FeatureLevelRecord), validated against what this broker supports. */
  updateFeatures(
    updates: FeatureUpdate[],
    validateOnly: boolean,
  ): MaybePromise<{ errorCode: number; errorMessage: string | null }>;
  /** AlterUserScramCredentials: one result per user named. */
  alterUserScramCredentials(
    deletions: ReadonlyArray<{ name: string; mechanism: number }>,
    upsertions: readonly ScramUpsertion[],
  ): MaybePromise<ScramAlterResult[]>;
  /** CreateAcls: one result per ACL asked for. */
  createAcls(creations: readonly Acl[]): MaybePromise<TopicResult[]>;
  /** DeleteAcls: the ACLs each filter removed. */
  deleteAcls(filters: readonly AclFilter[]): MaybePromise<Acl[][]>;
  /** AlterClientQuotas: one outcome per entity (ClientQuotaRecords unless `validateOnly`). */
  alterClientQuotas(alterations: readonly QuotaAlteration[], validateOnly: boolean): MaybePromise<AlterOutcome[]>;
  /** ElectLeaders through a cluster's controller (absent on a single node, where every replica already leads). */
  electLeaders?(
    electionType: 'preferred' | 'unclean',
    partitions: Array<{ topic: string; partition: number }> | null,
  ): Promise<Array<{ topic: string; partition: number; errorCode: number; errorMessage: string | null }>>;
  /** AlterPartitionReassignments through a cluster's controller (null replicas: cancel). */
  alterReassignments?(
    partitions: Array<{ topic: string; partition: number; replicas: number[] | null }>,
  ): Promise<Array<{ topic: string; partition: number; errorCode: number; errorMessage: string | null }>>;
}

/** Brokers that may get new replicas and lead: registered, unfenced, not shutting down (sorted by id). */
export function usableBrokers(image: MetadataImage): number[] {
  const out: number[] = [];
  for (const b of image.brokers.values()) if (!b.fenced && !b.inControlledShutdown) out.push(b.nodeId);
  return out.sort((a, b) => a - b);
}

export class LocalController implements MetadataController {
  private current: MetadataImage;
  private readonly log: MetadataLog;
  private readonly listeners: ImageListener[] = [];
  private readonly defaults: ControllerDefaults;
  private readonly logger: Logger;
  readonly nodeId: number;

  constructor(opts: {
    clusterId: string;
    nodeId: number;
    log: MetadataLog;
    defaults: ControllerDefaults;
    logger: Logger;
  }) {
    this.log = opts.log;
    this.defaults = opts.defaults;
    this.logger = opts.logger;
    this.nodeId = opts.nodeId;
    this.current = MetadataImage.empty(opts.clusterId).applyAll(opts.log.readAll());
  }

  get image(): MetadataImage {
    return this.current;
  }

  controllerId(): number {
    return this.nodeId;
  }

  /**
   * Runs `fn` with the single-node controller's rules against `image` and returns the records it would commit
   * instead of writing them: the cluster's active controller decides admin requests this way (the same validation
   * and messages) and appends the records to the log in the coordination store.
   */
  static decideOn<R>(
    image: MetadataImage,
    defaults: ControllerDefaults,
    logger: Logger,
    fn: (c: LocalController) => R,
  ): { records: MetadataRecord[]; result: R } {
    const records: MetadataRecord[] = [];
    let next = image.offset + 1;
    const log: MetadataLog = {
      readAll: () => [],
      append: (rs) => {
        for (const r of rs) records.push(r);
        return rs.map((record) => ({ offset: next++, record }));
      },
      close: () => {},
    };
    const c = new LocalController({ clusterId: image.clusterId, nodeId: -1, log, defaults, logger });
    c.current = image;
    const result = fn(c);
    return { records, result };
  }

  subscribe(l: ImageListener): void {
    this.listeners.push(l);
  }

  private commit(records: MetadataRecord[]): void {
    if (records.length === 0) return;
    const entries = this.log.append(records);
    const previous = this.current;
    const image = previous.applyAll(entries);
    this.current = image;
    for (const l of this.listeners) l(image, previous, records);
  }

  registerBroker(nodeId: number, endpoints: BrokerEndpoint[], rack: string | null): void {
    const existing = this.current.brokers.get(nodeId);
    if (existing && JSON.stringify(existing.endpoints) === JSON.stringify(endpoints) && existing.rack === rack) return;
    // A brand-new cluster (empty metadata log) starts at the bootstrap feature levels; a log written before features
    // existed keeps every feature at level 0 until an operator upgrades it, as Kafka does.
    const bootstrap: MetadataRecord[] =
      this.current.offset === -1
        ? BOOTSTRAP_FEATURE_LEVELS.map(([name, featureLevel]) => record('FeatureLevelRecord', { name, featureLevel }))
        : [];
    // As Kafka: the broker epoch is the offset of the registration record.
    this.commit([
      ...bootstrap,
      record('RegisterBrokerRecord', {
        brokerId: nodeId,
        incarnationId: newUuid(),
        brokerEpoch: BigInt(this.current.offset + 1 + bootstrap.length),
        endPoints: endpoints.map((e) => ({
          name: e.name,
          host: e.host,
          port: e.port,
          securityProtocol: securityProtocolId(e.securityProtocol),
        })),
        rack,
        fenced: false,
      }),
    ]);
  }

  /** Hands out the next block of `size` producer ids to `brokerId`: unique for the life of the metadata log. */
  allocateProducerIds(brokerId: number, size: number): { firstProducerId: bigint; size: number } {
    const first = this.current.producerIds.nextProducerId;
    const epoch = this.current.brokers.get(brokerId)?.epoch ?? -1n;
    this.commit([record('ProducerIdsRecord', { brokerId, brokerEpoch: epoch, nextProducerId: first + BigInt(size) })]);
    return { firstProducerId: first, size };
  }

  /**
   * UpdateFeatures: all updates are validated first (one refused update refuses the request, as in Kafka), then
   * stored as FeatureLevel records unless `validateOnly`. A level is never lowered without a downgrade type.
   */
  updateFeatures(updates: FeatureUpdate[], validateOnly: boolean): { errorCode: number; errorMessage: string | null } {
    const seen = new Set<string>();
    for (const u of updates) {
      if (seen.has(u.feature))
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Feature ${u.feature} is updated twice.` };
      seen.add(u.feature);
      const why = rejectFeatureUpdate(u, this.current.features.get(u.feature) ?? 0);
      if (why !== null) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: why };
    }
    if (!validateOnly) {
      const changed = updates.filter((u) => (this.current.features.get(u.feature) ?? 0) !== u.level);
      this.commit(changed.map((u) => record('FeatureLevelRecord', { name: u.feature, featureLevel: u.level })));
      for (const u of changed) this.logger.info({ feature: u.feature, level: u.level }, 'finalized feature level');
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  /**
   * AlterUserScramCredentials as Kafka's ScramControlManager: a user named twice in the request, an empty name, an
   * unknown mechanism, iterations outside 4096..16384 or the deletion of a missing credential fail that user (none of
   * its changes apply); the others commit together.
   */
  alterUserScramCredentials(
    deletions: ReadonlyArray<{ name: string; mechanism: number }>,
    upsertions: readonly ScramUpsertion[],
  ): ScramAlterResult[] {
    const users: string[] = [];
    const count = new Map<string, number>();
    for (const x of [...deletions, ...upsertions]) {
      if (!count.has(x.name)) users.push(x.name);
      count.set(x.name, (count.get(x.name) ?? 0) + 1);
    }
    const records: MetadataRecord[] = [];
    const results = users.map((user) => {
      const fail = (errorCode: number, errorMessage: string) => ({ user, errorCode, errorMessage });
      if (count.get(user)! > 1)
        return fail(ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      if (user === '') return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      const del = deletions.find((d) => d.name === user);
      if (del) {
        if (del.mechanism !== 1 && del.mechanism !== 2)
          return fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
        if (!this.current.scramCredentials.get(user)?.has(del.mechanism))
          return fail(ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        records.push(record('RemoveUserScramCredentialRecord', { name: user, mechanism: del.mechanism }));
      } else {
        const up = upsertions.find((u) => u.name === user)!;
        if (up.mechanism !== 1 && up.mechanism !== 2)
          return fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
        if (up.iterations < 4096) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
        if (up.iterations > 16384) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
        if (up.salt.length === 0) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
        records.push(
          record('UserScramCredentialRecord', {
            name: user,
            mechanism: up.mechanism,
            salt: Buffer.from(up.salt, 'base64'),
            storedKey: Buffer.from(up.storedKey, 'base64'),
            serverKey: Buffer.from(up.serverKey, 'base64'),
            iterations: up.iterations,
          }),
        );
      }
      this.logger.info({ user, change: del ? 'delete' : 'upsert' }, 'SCRAM credential altered');
      return { user, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    this.commit(records);
    return results;
  }

  /** CreateAcls: validates each ACL (Kafka's rules); valid ones not already present become records. */
  createAcls(creations: readonly Acl[]): TopicResult[] {
    const records: MetadataRecord[] = [];
    const existing = new Set([...this.current.acls.values()].map((a) => JSON.stringify(aclKey(a))));
    const results = creations.map((acl) => {
      const bad = invalidAcl(acl);
      if (bad !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: bad };
      const key = JSON.stringify(aclKey(acl));
      if (!existing.has(key)) {
        existing.add(key); // creating an existing ACL succeeds without a second copy, as in Kafka
        records.push(record('AccessControlEntryRecord', { id: newUuid(), ...aclKey(acl) }));
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    });
    this.commit(records);
    if (records.length > 0) this.logger.info({ count: records.length }, 'ACLs created');
    return results;
  }

  /** DeleteAcls: every ACL each filter matches is removed (an ACL matched by two filters is removed once). */
  deleteAcls(filters: readonly AclFilter[]): Acl[][] {
    const records: MetadataRecord[] = [];
    const removed = new Set<string>();
    const results = filters.map((f) => {
      const matched: Acl[] = [];
      for (const [id, acl] of this.current.acls) {
        if (!filterMatches(f, acl)) continue;
        matched.push(acl);
        if (!removed.has(id)) {
          removed.add(id);
          records.push(record('RemoveAccessControlEntryRecord', { id }));
        }
      }
      return matched;
    });
    this.commit(records);
    if (records.length > 0) this.logger.info({ count: records.length }, 'ACLs deleted');
    return results;
  }

  /** AlterClientQuotas as Kafka's ClientQuotaControlManager decides it (quota/entity.ts). */
  alterClientQuotas(alterations: readonly QuotaAlteration[], validateOnly: boolean): AlterOutcome[] {
    const { outcomes, changes } = decideAlterations(this.current.clientQuotas, alterations);
    if (!validateOnly && changes.length > 0) {
      this.commit(
        changes.map((c) =>
          record('ClientQuotaRecord', {
            entity: c.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
            key: c.key,
            value: c.value ?? 0,
            remove: c.value === null,
          }),
        ),
      );
      this.logger.info({ changes: changes.length }, 'client quotas altered');
    }
    return outcomes;
  }

  createTopics(specs: CreateTopicSpec[], validateOnly: boolean): CreateTopicResult[] {
    const records: MetadataRecord[] = [];
    let wouldWrite = 0;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const spec of specs) (seen.has(spec.name) ? duplicates : seen).add(spec.name);
    const results = specs.map((spec): CreateTopicResult => {
      const fail = (errorCode: number, errorMessage: string): CreateTopicResult => ({
        name: spec.name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        numPartitions: -1,
        replicationFactor: -1,
        errorCode,
        errorMessage,
      });
      // As Kafka: a name given twice is not created at all.
      if (duplicates.has(spec.name)) return fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
      const bad = validateTopicName(spec.name);
      if (bad) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
      // Its partition directory would be the metadata log's own (deleting the topic deleted every topic).
      if (spec.name === CLUSTER_METADATA_TOPIC)
        return fail(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`);
      if (this.current.topics.has(spec.name))
        return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
      const collides = this.current.collidingTopic(spec.name);
      if (collides)
        return fail(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `Topic '${spec.name}' collides with existing topic: ${collides}`,
        );
      const brokers = usableBrokers(this.current);
      let assignments: number[][];
      if (spec.assignments.length > 0) {
        if (spec.numPartitions !== -1 || spec.replicationFactor !== -1)
          return fail(
            ErrorCode.INVALID_REQUEST,
            'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
          );
        const sorted = spec.assignments.slice().sort((a, b) => a.partitionIndex - b.partitionIndex);
        if (sorted.some((a, i) => a.partitionIndex !== i))
          return fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            'Partitions should be a consecutive 0-based integer sequence',
          );
        for (const a of sorted) {
          if (a.brokerIds.length === 0 || new Set(a.brokerIds).size !== a.brokerIds.length)
            return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Invalid replica list for partition ${a.partitionIndex}`);
          const unknown = a.brokerIds.find((b) => !this.current.brokers.has(b));
          if (unknown !== undefined)
            return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in replica assignment`);
        }
        assignments = sorted.map((a) => a.brokerIds);
      } else {
        const n = spec.numPartitions === -1 ? this.defaults.numPartitions : spec.numPartitions;
        const rf = spec.replicationFactor === -1 ? this.defaults.defaultReplicationFactor : spec.replicationFactor;
        if (n <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
        if (rf <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
        if (rf > brokers.length)
          return fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers.length} broker(s) are registered.`,
          );
        if (wouldWrite + n > MAX_RECORDS_PER_USER_OP) {
          wouldWrite += n; // fails the whole request below, before assigning millions of replicas
          return fail(ErrorCode.POLICY_VIOLATION, tooLarge().errorMessage!);
        }
        assignments = assignReplicas(brokers, n, rf, randomStart(brokers.length));
      }
      const configs: Record<string, string> = {};
      for (const [k, v] of Object.entries(spec.configs)) if (v !== null) configs[k] = v;
      const configErrors = this.defaults.validateTopicConfigs(configs);
      if (configErrors.length > 0)
        return fail(ErrorCode.INVALID_CONFIG, configErrors.map(describeConfigError).join('; '));
      const id = newUuid();
      wouldWrite += 1 + Object.keys(configs).length + assignments.length;
      if (!validateOnly) {
        records.push(record('TopicRecord', { name: spec.name, topicId: id }));
        for (const [k, v] of Object.entries(configs))
          records.push(
            record('ConfigRecord', {
              resourceType: ConfigResourceType.TOPIC,
              resourceName: spec.name,
              name: k,
              value: v,
            }),
          );
        for (const [partition, replicas] of assignments.entries())
          records.push(partitionRecord(id, partition, replicas, usableBrokers(this.current)));
      }
      return {
        name: spec.name,
        topicId: validateOnly ? 'AAAAAAAAAAAAAAAAAAAAAA' : id,
        numPartitions: assignments.length,
        replicationFactor: assignments[0]!.length,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
      };
    });
    if (wouldWrite > MAX_RECORDS_PER_USER_OP)
      return results.map((r) => ({
        ...r,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        numPartitions: -1,
        replicationFactor: -1,
        ...tooLarge(),
      }));
    this.commit(records);
    for (const r of results)
      if (r.errorCode === ErrorCode.NONE && !validateOnly)
        this.logger.info({ topic: r.name, partitions: r.numPartitions, rf: r.replicationFactor }, 'created topic');
    return results;
  }

  deleteTopics(topics: Array<{ name: string | null; topicId: string | null }>): DeleteTopicResult[] {
    const records: MetadataRecord[] = [];
    const deleting = new Set<string>();
    const results = topics.map((req) => {
      const t: TopicInfo | undefined =
        req.topicId && req.topicId !== 'AAAAAAAAAAAAAAAAAAAAAA'
          ? this.current.topicsById.get(req.topicId)
          : req.name !== null
            ? this.current.topics.get(req.name)
            : undefined;
      if (!t) {
        const byId = req.topicId && req.topicId !== 'AAAAAAAAAAAAAAAAAAAAAA';
        return {
          name: req.name,
          topicId: req.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA',
          errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: byId
            ? `Topic id ${req.topicId} does not exist`
            : 'This server does not host this topic-partition.',
        };
      }
      if (!deleting.has(t.id)) {
        deleting.add(t.id);
        records.push(record('RemoveTopicRecord', { topicId: t.id }));
        this.logger.info({ topic: t.name }, 'deleting topic');
      }
      return { name: t.name, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    this.commit(records);
    return results;
  }

  createPartitions(topics: CreatePartitionsRequest, validateOnly: boolean): Array<TopicResult & { name: string }> {
    const records: MetadataRecord[] = [];
    let wouldWrite = 0;
    const results = topics.map((req) => {
      const t = this.current.topics.get(req.name);
      const fail = (errorCode: number, errorMessage: string) => ({ name: req.name, errorCode, errorMessage });
      if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${req.name}' does not exist.`);
      const current = t.partitions.length;
      if (req.count < current)
        return fail(
          ErrorCode.INVALID_PARTITIONS,
          `The topic ${req.name} currently has ${current} partition(s); ${req.count} would not be an increase.`,
        );
      if (req.count === current)
        return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
      const rf = t.partitions[0]?.replicas.length ?? 1;
      const brokers = usableBrokers(this.current);
      let added: number[][];
      if (req.assignments) {
        if (req.assignments.length !== req.count - current)
          return fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Increasing the number of partitions by ${req.count - current} but ${req.assignments.length} assignments provided.`,
          );
        for (const a of req.assignments) {
          const unknown = a.brokerIds.find((b) => !this.current.brokers.has(b));
          if (unknown !== undefined)
            return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in replica assignment`);
          if (a.brokerIds.length !== rf)
            return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Inconsistent replication factor between partitions`);
        }
        added = req.assignments.map((a) => a.brokerIds);
      } else {
        if (rf > brokers.length)
          return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Only ${brokers.length} broker(s) are registered.`);
        if (wouldWrite + req.count - current > MAX_RECORDS_PER_USER_OP) {
          wouldWrite += req.count - current;
          return fail(ErrorCode.POLICY_VIOLATION, tooLarge().errorMessage!);
        }
        added = assignReplicas(brokers, req.count - current, rf, current);
      }
      wouldWrite += added.length;
      if (!validateOnly)
        for (const [i, replicas] of added.entries())
          records.push(partitionRecord(t.id, current + i, replicas, usableBrokers(this.current)));
      return { name: req.name, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    if (wouldWrite > MAX_RECORDS_PER_USER_OP) return results.map((r) => ({ ...r, ...tooLarge() }));
    this.commit(records);
    return results;
  }

  /**
   * Applies config changes to one resource. `incremental` ops come from IncrementalAlterConfigs; a plain
   * AlterConfigs replaces the whole set (ops are then 'set' for every given key, 'delete' for every other key).
   */
  alterConfigs(
    resourceType: 'topic' | 'broker' | 'group',
    resourceName: string,
    ops: ConfigOp[],
    validateOnly: boolean,
    validate: (next: Record<string, string>) => ConfigProblem[],
  ): TopicResult {
    let existing: Readonly<Record<string, string>>;
    if (resourceType === 'topic') {
      const t = this.current.topics.get(resourceName);
      if (!t)
        return {
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `Topic ${resourceName} does not exist`,
        };
      existing = t.configs;
    } else if (resourceType === 'group') existing = this.current.groupConfigs.get(resourceName) ?? {};
    else existing = this.current.brokerConfigs.get(resourceName) ?? {};
    const next: Record<string, string> = { ...existing };
    for (const op of ops) {
      switch (op.op) {
        case 'set':
          if (op.value === null) delete next[op.name];
          else next[op.name] = op.value;
          break;
        case 'delete':
          delete next[op.name];
          break;
        case 'append':
        case 'subtract': {
          const list = (next[op.name] ?? '').split(',').filter((s) => s !== '');
          const items = (op.value ?? '').split(',').filter((s) => s !== '');
          const result =
            op.op === 'append'
              ? [...list, ...items.filter((i) => !list.includes(i))]
              : list.filter((i) => !items.includes(i));
          next[op.name] = result.join(',');
          break;
        }
      }
    }
    // KIP-966 (Kafka 4.1+): with ELR on, min.insync.replicas is the topic's or the cluster-wide one, never one
    // broker's (the controller and every leader must agree on it), and the cluster-wide one stays set.
    const elrOn = (this.current.features.get('eligible.leader.replicas.version') ?? 0) >= 1;
    if (elrOn && resourceType === 'broker' && ops.some((o) => o.name === 'min.insync.replicas')) {
      if (resourceName !== '')
        return {
          errorCode: ErrorCode.INVALID_CONFIG,
          errorMessage: 'Broker-level min.insync.replicas cannot be altered while ELR is enabled.',
        };
      if (next['min.insync.replicas'] === undefined)
        return {
          errorCode: ErrorCode.INVALID_CONFIG,
          errorMessage: 'Cluster-level min.insync.replicas cannot be removed while ELR is enabled.',
        };
    }
    const errors = validate(next);
    if (errors.length > 0)
      return {
        errorCode: errors[0]!.errorCode ?? ErrorCode.INVALID_CONFIG,
        errorMessage: errors.map(describeConfigError).join('; '),
      };
    if (!validateOnly) {
      const records: MetadataRecord[] = [];
      // As Kafka (KAFKA-14136): a broker config set to its current value is written again, so brokers reload the
      // files it names (a key store replaced at the same path).
      const resubmitted = new Set(
        resourceType === 'broker' ? ops.filter((o) => o.op === 'set' && o.value !== null).map((o) => o.name) : [],
      );
      for (const k of new Set([...Object.keys(existing), ...Object.keys(next)])) {
        if (existing[k] !== next[k] || resubmitted.has(k))
          records.push(
            record('ConfigRecord', {
              resourceType:
                resourceType === 'topic'
                  ? ConfigResourceType.TOPIC
                  : resourceType === 'group'
                    ? ConfigResourceType.GROUP
                    : ConfigResourceType.BROKER,
              resourceName,
              name: k,
              value: next[k] ?? null,
            }),
          );
      }
      // KIP-966: the ELRs were chosen against the old min.insync.replicas; a new topic value clears that topic's,
      // a new cluster-wide one every topic's (Kafka's ClearElrRecord).
      const minIsrChanged = existing['min.insync.replicas'] !== next['min.insync.replicas'];
      if (elrOn && minIsrChanged && resourceType !== 'group')
        records.push(record('ClearElrRecord', { topicName: resourceType === 'topic' ? resourceName : '' }));
      this.commit(records);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }
}

function partitionRecord(topicId: string, partition: number, replicas: number[], usable: number[]): MetadataRecord {
  // A fenced or departing broker named in an explicit assignment starts outside the ISR.
  const live = replicas.filter((r) => usable.includes(r));
  const isr = live.length > 0 ? live : replicas.slice();
  return record('PartitionRecord', {
    topicId,
    partitionId: partition,
    replicas,
    isr,
    leader: isr[0]!,
    leaderEpoch: 0,
    partitionEpoch: 0,
  });
}

function randomStart(n: number): number {
  return Math.floor(Math.random() * Math.max(1, n));
}

/** Round-robin replica placement like Kafka's (rack-unaware): leaders spread, followers shifted. */
export function assignReplicas(brokers: number[], partitions: number, rf: number, start: number): number[][] {
  const out: number[][] = [];
  const n = brokers.length;
  for (let p = 0; p < partitions; p++) {
    const first = (start + p) % n;
    const nextShift = Math.floor((start + p) / n);
    const replicas = [brokers[first]!];
    for (let j = 0; j < rf - 1; j++) replicas.push(brokers[(first + 1 + ((nextShift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}

/**
 * Kafka's controller writes at most this many records for one request (QuorumController's MAX_RECORDS_PER_USER_OP);
 * a larger CreateTopics or CreatePartitions fails as a whole with POLICY_VIOLATION.
 */
export const MAX_RECORDS_PER_USER_OP = 10_000;

function tooLarge(): TopicResult {
  return {
    errorCode: ErrorCode.POLICY_VIOLATION,
    errorMessage: 'Unable to perform excessively large batch operation.',
  };
}

/** The metadata log's topic name (its directory is `<metadata.log.dir>/__cluster_metadata-0`), as in Kafka. */
export const CLUSTER_METADATA_TOPIC = '__cluster_metadata';

/** A config error's message, prefixed with its key unless the message already names it. */
function describeConfigError(e: { key: string; message: string }): string {
  return e.message.includes(e.key) ? e.message : `${e.key}: ${e.message}`;
}

function aclKey(a: Acl): Acl {
  return {
    resourceType: a.resourceType,
    resourceName: a.resourceName,
    patternType: a.patternType,
    principal: a.principal,
    host: a.host,
    operation: a.operation,
    permissionType: a.permissionType,
  };
}
