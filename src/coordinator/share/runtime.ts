// Drives the share-group state machines in one broker: share-group membership (ShareGroups, group.share.* configs,
// session timers; stored in __consumer_offsets through the group coordinator, which hands this runtime the share-group
// records of each partition it loads), the share-partitions this broker leads (SharePartition), and the share
// coordinator (ShareCoordinatorShard per __share_group_state partition) that persists their state. Share-partitions reach their
// persisted state only through `SharePersister` (persister.ts): the local share coordinator when this broker leads the
// key's __share_group_state partition, else Read/Initialize/WriteShareGroupState sent to the broker that does.

import { randomUUID } from 'node:crypto';
import type { ReplicaManager } from '../../broker/replica-manager.ts';
import type { ClientSecurity } from '../../client/security.ts';
import type { BrokerConfig } from '../../config/broker-config.ts';
import type { MetadataController } from '../../metadata/controller.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { buildBatch, iterateRecords } from '../../records/index.ts';
import type { Logger } from '../../util/log.ts';
import type { TopicsView } from '../group/consumer.ts';
import { partitionForGroup } from '../group/records.ts';
import type { GroupCoordinatorRuntime } from '../group/runtime.ts';
import { ensureInternalTopic, storedBatches } from '../internal-topic.ts';
import { type ShareCoordinatorRecord, ShareCoordinatorShard } from './coordinator.ts';
import { SharePartitions } from './fetch.ts';
import {
  type ShareGroupEffects,
  ShareGroups,
  type ShareHeartbeatRequest,
  type ShareHeartbeatResponse,
} from './group.ts';
import { decodeShareGroupRecord, type StoredRecord } from './group-records.ts';
import {
  type AlteredShareOffsets,
  alterShareOffsets,
  type DeletedShareOffsets,
  type DescribedShareOffsets,
  deleteShareOffsets,
  describeShareOffsets,
  type ShareOffsetsDeps,
  statesOf,
} from './offsets.ts';
import { type LocalShareCoordinator, ShareStatePersister, type ShareStateTransport } from './persister.ts';
import { SHARE_STATE_TOPIC, type SharePartitionKey } from './records.ts';
import type { PersistedShareState, ShareStateUpdate } from './state.ts';
import { InterBrokerTransport } from './transport.ts';

export interface ShareRuntimeOptions {
  config: BrokerConfig;
  controller: MetadataController;
  replicas: ReplicaManager;
  log: Logger;
  clock: () => number;
  /** The group coordinator: a share group id must not name a classic or consumer group. */
  groups: GroupCoordinatorRuntime;
  newId?: () => string;
  /** How share-state requests reach other brokers' share coordinators (default: the inter-broker listener). */
  transport?: ShareStateTransport;
  /** TLS / SASL of the inter-broker listener for the default transport (node/inter-broker.ts). */
  security?: ClientSecurity;
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

export class ShareRuntime implements LocalShareCoordinator {
  readonly groups: ShareGroups;
  readonly #opts: ShareRuntimeOptions;
  /** Loaded shards by __share_group_state partition, with the leader epoch they were loaded at. */
  readonly #shards = new Map<number, { shard: ShareCoordinatorShard; leaderEpoch: number }>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** The share-partitions this broker leads (ShareFetch, ShareAcknowledge). */
  readonly partitions: SharePartitions;
  /** The share-partition leaders' persister: local, or over the network to the key's share coordinator. */
  readonly persister: ShareStatePersister;
  readonly #transport: ShareStateTransport;
  /** Per group: when #learnAssigned may ask again (Infinity while a round is in flight). */
  readonly #learning = new Map<string, number>();
  #closed = false;

  constructor(opts: ShareRuntimeOptions) {
    this.#opts = opts;
    const c = opts.config;
    this.groups = new ShareGroups(
      {
        sessionTimeoutMs: Number(c.get('group.share.session.timeout.ms') ?? 45_000),
        heartbeatIntervalMs: Number(c.get('group.share.heartbeat.interval.ms') ?? 5_000),
        maxSize: Number(c.get('group.share.max.size') ?? 200),
        // GROUP config resources (share.session.timeout.ms, share.heartbeat.interval.ms) in cluster metadata.
        groupConfig: (groupId) => {
          const o = opts.controller.image.groupConfigs.get(groupId);
          return {
            sessionTimeoutMs: num(o?.['share.session.timeout.ms']),
            heartbeatIntervalMs: num(o?.['share.heartbeat.interval.ms']),
          };
        },
      },
      opts.newId ?? randomUUID,
    );
    this.#transport =
      opts.transport ??
      new InterBrokerTransport({
        nodeId: c.nodeId,
        endpoint: (id) => {
          const b = opts.controller.image.brokers.get(id);
          const ep = b?.endpoints.find((e) => e.name === c.interBrokerListenerName) ?? b?.endpoints[0];
          return ep === undefined ? undefined : { host: ep.host || 'localhost', port: ep.port };
        },
        requestTimeoutMs: Number(c.get('share.coordinator.write.timeout.ms') ?? 5_000) + 5_000,
        security: opts.security,
      });
    this.persister = new ShareStatePersister({
      nodeId: c.nodeId,
      coordinatorOf: (key) => this.coordinatorOf(key),
      local: this,
      transport: this.#transport,
      log: opts.log,
    });
    this.partitions = new SharePartitions({
      config: c,
      image: () => opts.controller.image,
      // Only partitions led here: a follower answers NOT_LEADER_OR_FOLLOWER, as Kafka's share-partition leader does.
      partition: (topic, partition) => {
        const p = opts.replicas.get(topic, partition);
        return p?.isLeader ? p : undefined;
      },
      persister: this.persister,
      log: opts.log,
      clock: opts.clock,
    });
    opts.groups.attachShareGroups({
      load: (partition, records) => this.#loadGroups(partition, records),
      unload: (partition) => this.groups.unload((id) => opts.groups.partitionFor(id) === partition),
    });
  }

  /** The group coordinator loaded a __consumer_offsets partition: its share groups, replayed from their records. */
  #loadGroups(partition: number, records: StoredRecord[]): void {
    const partitionFor = (id: string) => this.#opts.groups.partitionFor(id);
    this.groups.unload((id) => partitionFor(id) === partition);
    const topicsById = this.#opts.controller.image.topicsById;
    const ids = new Set<string>();
    for (const r of records) {
      try {
        const d = decodeShareGroupRecord(r.key, r.value);
        this.groups.replay(d, (id) => topicsById.get(id)?.name);
        ids.add(d.groupId);
      } catch (err) {
        this.#opts.log.error({ partition, err: (err as Error).message }, 'skipping an undecodable share group record');
      }
    }
    const loaded = [...ids].filter((id) => this.groups.groups.has(id));
    this.#effects(this.groups.loaded(loaded, this.#opts.clock()));
    if (loaded.length > 0) this.#opts.log.info({ partition, groups: loaded.length }, 'loaded share groups');
  }

  /**
   * Appends a share group's records through the group coordinator: NONE, or its error (a promise in a cluster, until
   * they are committed).
   */
  #store(groupId: string, records: StoredRecord[]): number | Promise<number> {
    return this.#opts.groups.appendShareRecords(groupId, records);
  }

  /** #store for changes nobody waits for (timers, learned share-partitions): failures are logged. */
  #storeQuietly(groupId: string, records: StoredRecord[]): void {
    const logged = (code: number) => {
      if (code !== ErrorCode.NONE)
        this.#opts.log.warn({ group: groupId, code }, 'could not store a share group change');
    };
    try {
      const w = this.#store(groupId, records);
      if (w instanceof Promise) void w.then(logged);
      else logged(w);
    } catch (e) {
      this.#opts.log.error({ group: groupId, err: e }, 'could not store a share group change');
    }
  }

  close(): void {
    this.#closed = true;
    this.partitions.close();
    this.#transport.close();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #topics(): TopicsView {
    const image = this.#opts.controller.image;
    return {
      get: (name) => {
        const t = image.topics.get(name);
        return t && !name.startsWith('__') ? { id: t.id, numPartitions: t.partitions.length } : undefined;
      },
      *names() {
        for (const n of image.topics.keys()) if (!n.startsWith('__')) yield n;
      },
    };
  }

  // ---- share-group membership -----------------------------------------------------------------------------------

  heartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResponse | Promise<ShareHeartbeatResponse> {
    // The group's partition loaded first (NOT_COORDINATOR elsewhere, COORDINATOR_LOAD_IN_PROGRESS while loading).
    if (req.groupId !== '') this.#opts.groups.loadShareGroup(req.groupId);
    const other = req.groupId === '' ? null : this.#otherGroupType(req.groupId);
    if (other !== null) {
      return {
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: `Group ${req.groupId} is not a share group (it is a ${other} group).`,
        memberId: null,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
    const { response, fx } = this.groups.heartbeat(req, this.#topics(), this.#opts.clock());
    this.#effects(fx);
    if (response.errorCode === ErrorCode.NONE && response.memberId !== null) {
      this.#learnAssigned(req.groupId, response.memberId);
    }
    if (fx.records.length === 0) return response;
    // Answered once the change is stored (committed, in a cluster), as Kafka's group coordinator does.
    const done = (code: number): ShareHeartbeatResponse =>
      code === ErrorCode.NONE
        ? response
        : {
            ...response,
            errorCode: code,
            errorMessage: 'could not write to __consumer_offsets',
            memberEpoch: -1,
            assignment: null,
          };
    const written = this.#store(req.groupId, fx.records);
    return written instanceof Promise ? written.then(done) : done(written);
  }

  /** 'classic' or 'consumer' when `groupId` names a group of another type (and the offsets topic is up), else null. */
  #otherGroupType(groupId: string): string | null {
    if (this.groups.groups.has(groupId)) return null;
    try {
      const g = this.#opts.groups.consumerGroup(groupId);
      return g === null ? null : g === 'classic' ? 'classic' : 'consumer';
    } catch {
      return null;
    }
  }

  /** Share groups for ListGroups: protocol type and group type 'share', state Empty or Stable. */
  listGroups(): Array<{ groupId: string; protocolType: string; state: string; type: 'share' }> {
    return [...this.groups.groups.keys()].map((groupId) => ({
      groupId,
      protocolType: 'share',
      state: this.groups.state(groupId),
      type: 'share' as const,
    }));
  }

  #effects(fx: ShareGroupEffects): void {
    for (const t of fx.timers) this.#arm(t.key, t.at);
    if (fx.removed.length > 0) this.partitions.releaseMembers(fx.removed);
  }

  #arm(key: string, at: number): void {
    if (this.#closed) return;
    const old = this.#timers.get(key);
    if (old) clearTimeout(old);
    const handle = setTimeout(
      () => {
        this.#timers.delete(key);
        try {
          const fx = this.groups.onTimer(key, this.#topics(), this.#opts.clock());
          this.#effects(fx);
          const groupId = fx.removed[0]?.groupId;
          if (groupId !== undefined) this.#storeQuietly(groupId, fx.records);
        } catch (e) {
          this.#opts.log.error({ err: e, key }, 'share group timer failed');
        }
      },
      Math.max(0, at - this.#opts.clock()),
    );
    handle.unref();
    this.#timers.set(key, handle);
  }

  // ---- the share coordinator (__share_group_state) -----------------------------------------------------------------

  get #numPartitions(): number {
    return (
      this.#opts.controller.image.topics.get(SHARE_STATE_TOPIC)?.partitions.length ??
      Number(this.#opts.config.get('share.coordinator.state.topic.num.partitions') ?? 50)
    );
  }

  /** The __share_group_state partition of a share-partition's state (Kafka's hash of "group:topicId:partition"). */
  partitionFor(key: SharePartitionKey): number {
    return partitionForGroup(`${key.groupId}:${key.topicId}:${key.partition}`, this.#numPartitions);
  }

  /**
   * The broker coordinating `key` (the persister, FindCoordinator key type SHARE): this one when it leads the key's
   * state partition, else that partition's leader; undefined while it has none. Creates __share_group_state.
   */
  coordinatorOf(key: SharePartitionKey): number | undefined {
    this.#ensureTopic();
    const p = this.partitionFor(key);
    if (this.#opts.replicas.get(SHARE_STATE_TOPIC, p)?.isLeader) return this.#opts.config.nodeId;
    const leader = this.#opts.controller.image.topics.get(SHARE_STATE_TOPIC)?.partitions[p]?.leader;
    return leader === undefined || leader < 0 || leader === this.#opts.config.nodeId ? undefined : leader;
  }

  #ensureTopic(): void {
    const { controller, config, log } = this.#opts;
    if (controller.image.topics.has(SHARE_STATE_TOPIC)) return;
    const ok = ensureInternalTopic(controller, log, {
      name: SHARE_STATE_TOPIC,
      partitions: Number(config.get('share.coordinator.state.topic.num.partitions') ?? 50),
      replicationFactor: Number(config.get('share.coordinator.state.topic.replication.factor') ?? 1),
      // Kafka's settings: the share coordinator, not compaction, decides what may go (snapshots make older records
      // unnecessary); nothing expires by time or size.
      configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' },
    });
    if (!ok) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${SHARE_STATE_TOPIC} not available`);
  }

  /**
   * The shard of `partition`, loaded by replaying the partition the first time and again whenever its leader epoch
   * changed (another broker may have written to it meanwhile). Only the partition's leader is its share coordinator:
   * elsewhere NOT_COORDINATOR (a share-partition leader here does not reach a coordinator on another broker yet).
   */
  #shard(partition: number): ShareCoordinatorShard {
    const part = this.#opts.replicas.get(SHARE_STATE_TOPIC, partition);
    if (!part?.isLeader) {
      this.#shards.delete(partition);
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${SHARE_STATE_TOPIC}-${partition} is not led by this broker`);
    }
    const loaded = this.#shards.get(partition);
    if (loaded && loaded.leaderEpoch === part.leaderEpoch) return loaded.shard;
    const shard = new ShareCoordinatorShard(
      Number(this.#opts.config.get('share.coordinator.snapshot.update.records.per.snapshot') ?? 500),
    );
    let records = 0;
    for (const { batch, header, from } of storedBatches(part.log)) {
      if (header.baseOffset < from || header.isControl) continue;
      for (const rec of iterateRecords(batch)) {
        if (rec.key === null) continue;
        try {
          shard.replay(rec.key, rec.value);
          records++;
        } catch (err) {
          this.#opts.log.error(
            { partition, offset: rec.offset, err: (err as Error).message },
            `skipping an undecodable ${SHARE_STATE_TOPIC} record`,
          );
        }
      }
    }
    if (records > 0) this.#opts.log.info({ partition, records }, 'loaded share coordinator partition');
    this.#shards.set(partition, { shard, leaderEpoch: part.leaderEpoch });
    return shard;
  }

  #append(partition: number, shard: ShareCoordinatorShard, records: ShareCoordinatorRecord[]): void {
    if (records.length === 0) return;
    const now = this.#opts.clock();
    const part = this.#opts.replicas.get(SHARE_STATE_TOPIC, partition);
    if (!part?.isLeader) {
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${SHARE_STATE_TOPIC}-${partition} is not led by this broker`);
    }
    try {
      part.appendAsLeader(buildBatch({ records: records.map((r) => ({ ...r, timestamp: now })), now }), now);
    } catch (e) {
      this.#opts.log.error({ partition, err: e }, `append to ${SHARE_STATE_TOPIC} failed`);
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `could not write to ${SHARE_STATE_TOPIC}`);
    }
    for (const r of records) shard.replay(r.key, r.value);
  }

  read(key: SharePartitionKey): PersistedShareState | undefined {
    this.#ensureTopic();
    return this.#shard(this.partitionFor(key)).read(key);
  }

  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): number {
    this.#ensureTopic();
    const p = this.partitionFor(key);
    const shard = this.#shard(p);
    const r = shard.initialize(key, stateEpoch, startOffset, this.#opts.clock());
    if (r.errorCode === ErrorCode.NONE) this.#append(p, shard, r.records);
    return r.errorCode;
  }

  write(key: SharePartitionKey, stateEpoch: number, leaderEpoch: number, update: ShareStateUpdate): number {
    this.#ensureTopic();
    const p = this.partitionFor(key);
    const shard = this.#shard(p);
    const r = shard.write(key, stateEpoch, leaderEpoch, update, this.#opts.clock());
    if (r.errorCode === ErrorCode.NONE) this.#append(p, shard, r.records);
    return r.errorCode;
  }

  /** Deletes the persisted state of a share-partition (DeleteShareGroupOffsets, group deletion). */
  deleteState(key: SharePartitionKey): void {
    this.#ensureTopic();
    const p = this.partitionFor(key);
    const shard = this.#shard(p);
    this.#append(p, shard, shard.delete(key, this.#opts.clock()));
  }

  /**
   * DeleteGroups of a share group: only without members (NON_EMPTY_GROUP); its share-partition state goes too, on
   * whichever brokers' share coordinators hold it (found and deleted through the persister).
   */
  async deleteGroup(groupId: string): Promise<number> {
    if (this.groups.state(groupId) === 'Stable') return ErrorCode.NON_EMPTY_GROUP;
    const states = await statesOf(this.#offsetsDeps, groupId);
    if (this.groups.state(groupId) === 'Stable') return ErrorCode.NON_EMPTY_GROUP;
    if (!this.groups.groups.has(groupId) && states.length === 0) return ErrorCode.GROUP_ID_NOT_FOUND;
    this.partitions.forgetGroup(groupId);
    this.#learning.delete(groupId);
    for (const { key } of states) {
      const code = await this.persister.delete(key);
      if (code !== ErrorCode.NONE) return code;
    }
    if (!this.groups.groups.has(groupId)) return ErrorCode.NONE;
    const r = this.groups.delete(groupId);
    if (r.errorCode !== ErrorCode.NONE) return r.errorCode;
    // Its tombstones (Kafka's order): it is deleted once they are stored.
    return await this.#store(groupId, r.records);
  }

  /**
   * Whether `groupId` is a share group here. Share groups are loaded from __consumer_offsets with their group
   * coordinator's partition (this throws NOT_COORDINATOR elsewhere than its leader); one known only by persisted
   * share-partition state (stored before share groups were kept in __consumer_offsets) is restored as an Empty group
   * at epoch 0, and stored. A group id of a classic or consumer group is never one. Throws KafkaError when a share
   * coordinator is unreachable.
   */
  async restore(groupId: string): Promise<boolean> {
    if (groupId === '') return false;
    this.#opts.groups.loadShareGroup(groupId);
    if (this.groups.groups.has(groupId)) return true;
    if (this.#otherGroupType(groupId) !== null) return false;
    const states = await statesOf(this.#offsetsDeps, groupId);
    if (states.length === 0 || this.groups.groups.has(groupId)) return this.groups.groups.has(groupId);
    const records = this.groups.restoreEmpty(groupId);
    records.push(
      ...this.groups.markInitialized(
        groupId,
        states.map((s) => ({ topicId: s.key.topicId, topicName: s.topicName, partition: s.key.partition })),
      ),
    );
    this.#storeQuietly(groupId, records);
    this.#opts.log.info({ group: groupId }, 'share group restored from its share-partition state (no members)');
    return true;
  }

  // ---- share-group offsets (DescribeShareGroupOffsets, AlterShareGroupOffsets, DeleteShareGroupOffsets) -----------

  get #offsetsDeps(): ShareOffsetsDeps {
    const image = this.#opts.controller.image;
    return {
      topic: (name) => {
        const t = image.topics.get(name);
        return t && { id: t.id, partitions: t.partitions.length };
      },
      topics: () => {
        const out: Array<{ name: string; id: string; partitions: number }> = [];
        for (const [name, t] of image.topics) {
          if (!name.startsWith('__')) out.push({ name, id: t.id, partitions: t.partitions.length });
        }
        return out;
      },
      groupState: (groupId) => this.groups.state(groupId),
      summaries: (keys) => this.persister.summaries(keys),
      initialize: (key, stateEpoch, startOffset) => this.persister.initialize(key, stateEpoch, startOffset),
      deleteState: (key) => this.persister.delete(key),
      forget: (key) => this.partitions.forgetPartition(key),
      highWatermark: (topic, partition) => this.#opts.replicas.get(topic, partition)?.log.highWatermark,
    };
  }

  /** restore(), for the offset operations: an unreachable share coordinator shows in their own answers instead. */
  async #restoreQuietly(groupId: string): Promise<void> {
    this.#opts.groups.loadShareGroup(groupId);
    try {
      await this.restore(groupId);
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
    }
  }

  /**
   * A member's assigned share-partitions not yet known to have state are asked of their share coordinators (one round
   * per group at a time, at most once per heartbeat interval): those that have state by now (the share-partition
   * leader initializes it on the first fetch) join the group's ShareGroupStatePartitionMetadata.
   */
  #learnAssigned(groupId: string, memberId: string): void {
    const g = this.groups.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return;
    const unknown = m.assignment.flatMap((t) =>
      t.partitions
        .filter((p) => !g.initialized.get(t.topicId)?.partitions.has(p))
        .map((partition) => ({ topicId: t.topicId, topicName: t.topicName, partition })),
    );
    const now = this.#opts.clock();
    if (unknown.length === 0 || (this.#learning.get(groupId) ?? -Infinity) > now) return;
    this.#learning.set(groupId, Infinity);
    const keys = unknown.map((u) => ({ groupId, topicId: u.topicId, partition: u.partition }));
    void this.persister
      .summaries(keys)
      .then((results) => {
        if (this.#closed || !this.groups.groups.has(groupId)) return;
        this.#learnInitialized(
          groupId,
          unknown.filter((_, i) => results[i]?.errorCode === ErrorCode.NONE && results[i]?.summary !== undefined),
        );
      })
      .catch((e) => this.#opts.log.debug({ group: groupId, err: (e as Error).message }, 'share-partition summaries'))
      .finally(() => this.#learning.set(groupId, this.#opts.clock() + this.groups.heartbeatIntervalMs(groupId)));
  }

  /** Stores that these share-partitions of the group have state (ShareGroupStatePartitionMetadata), if that is new. */
  #learnInitialized(groupId: string, parts: Array<{ topicId: string; topicName: string; partition: number }>): void {
    const records = this.groups.markInitialized(groupId, parts);
    if (records.length > 0) this.#storeQuietly(groupId, records);
  }

  async describeOffsets(
    groupId: string,
    topics: Array<{ topicName: string; partitions: number[] }> | null,
  ): Promise<DescribedShareOffsets> {
    await this.#restoreQuietly(groupId);
    const r = await describeShareOffsets(this.#offsetsDeps, groupId, topics);
    this.#learnInitialized(
      groupId,
      r.topics.flatMap((t) =>
        t.partitions
          .filter((p) => p.errorCode === ErrorCode.NONE && p.startOffset >= 0)
          .map((p) => ({ topicId: t.topicId, topicName: t.topicName, partition: p.partitionIndex })),
      ),
    );
    return r;
  }

  async alterOffsets(
    groupId: string,
    topics: Array<{ topicName: string; partitions: Array<{ partitionIndex: number; startOffset: number }> }>,
  ): Promise<AlteredShareOffsets> {
    await this.#restoreQuietly(groupId);
    const r = await alterShareOffsets(this.#offsetsDeps, groupId, topics);
    this.#learnInitialized(
      groupId,
      r.responses.flatMap((t) =>
        t.partitions
          .filter((p) => p.errorCode === ErrorCode.NONE)
          .map((p) => ({ topicId: t.topicId, topicName: t.topicName, partition: p.partitionIndex })),
      ),
    );
    return r;
  }

  async deleteOffsets(groupId: string, topicNames: string[]): Promise<DeletedShareOffsets> {
    await this.#restoreQuietly(groupId);
    const deps = this.#offsetsDeps;
    // ShareGroupStatePartitionMetadata: the topics are "deleting" while their state goes, then gone from the list.
    if (this.groups.state(groupId) === 'Empty') {
      const deleting = topicNames.flatMap((topicName) => {
        const t = deps.topic(topicName);
        return t ? [{ topicId: t.id, topicName }] : [];
      });
      const marked = this.groups.markDeleting(groupId, deleting, false);
      if (marked.length > 0) {
        const code = await this.#store(groupId, marked);
        if (code !== ErrorCode.NONE) throw new KafkaError(code, 'could not write to __consumer_offsets');
      }
    }
    const r = await deleteShareOffsets(deps, groupId, topicNames);
    const done = r.responses.filter((t) => t.errorCode === ErrorCode.NONE);
    const records = this.groups.markDeleting(groupId, done, true);
    if (records.length > 0) this.#storeQuietly(groupId, records);
    return r;
  }
}
