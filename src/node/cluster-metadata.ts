// A cluster broker's view of the metadata and its way to change it: the image is its MetadataFollower's (the log in
// the coordination store, replayed); changes go to the active controller through the admin queue
// (controller/admin-queue.ts) and are answered once this broker's own image holds them.

import { CoordinationError } from '../cluster/coordination/store.ts';
import { type AdminRequest, AdminTimeoutError, callController } from '../controller/admin-queue.ts';
import type { ElectionResult } from '../controller/decisions.ts';
import type { SessionKeeper } from '../controller/session-keeper.ts';
import { type MetadataFollower, PATHS } from '../controller/store-log.ts';
import {
  type ConfigOp,
  type ConfigProblem,
  type ControllerDefaults,
  type CreatePartitionsRequest,
  type CreateTopicResult,
  type CreateTopicSpec,
  type DeleteTopicResult,
  type ImageListener,
  LocalController,
  type MetadataController,
  type ScramAlterResult,
  type ScramUpsertion,
  type TopicResult,
} from '../metadata/controller.ts';
import type { FeatureUpdate } from '../metadata/features.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import type { AlterOutcome, QuotaAlteration } from '../quota/entity.ts';
import type { Acl, AclFilter } from '../security/authorizer.ts';
import type { Logger } from '../util/log.ts';

export interface ClusterMetadataOptions {
  readonly keeper: SessionKeeper;
  readonly follower: MetadataFollower;
  readonly defaults: ControllerDefaults;
  readonly logger: Logger;
  /** How long an admin request may wait for the controller (request.timeout.ms of a broker: 30 s). */
  readonly requestTimeoutMs: number;
}

export class ClusterMetadata implements MetadataController {
  readonly #o: ClusterMetadataOptions;
  #controllerId = -1;
  readonly #waiters: Array<{ offset: number; resolve: () => void }> = [];
  #stopped = false;

  constructor(o: ClusterMetadataOptions) {
    this.#o = o;
    o.follower.subscribe((image) => {
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!;
        if (image.offset >= w.offset) {
          this.#waiters.splice(i, 1);
          w.resolve();
        }
      }
    });
    o.keeper.listen({
      newSession: () => this.#watchController(),
      connection: (state) => {
        if (state === 'connected') this.#watchController();
      },
    });
  }

  get image(): MetadataImage {
    return this.#o.follower.image;
  }

  subscribe(l: ImageListener): void {
    this.#o.follower.subscribe(l);
  }

  controllerId(): number {
    return this.#controllerId;
  }

  start(): void {
    this.#watchController();
  }

  stop(): void {
    this.#stopped = true;
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  /** Follows /controller (who the active controller is, for Metadata's controller_id). */
  #watchController(): void {
    if (this.#stopped) return;
    void this.#o.keeper
      .run(async (s) => {
        const st = await s.exists(PATHS.controller, () => this.#watchController());
        if (!st) {
          this.#controllerId = -1;
          return;
        }
        const { data } = await s.getData(PATHS.controller);
        this.#controllerId = (JSON.parse(new TextDecoder().decode(data)) as { brokerid: number }).brokerid;
      })
      .catch(() => {
        // NO_NODE between exists and getData (the watch fires), or the connection is down (the listener retries).
      });
  }

  /** Sends `request` to the active controller; resolves with its result once this broker's image has it. */
  async call<T>(request: AdminRequest): Promise<T> {
    let answer: Awaited<ReturnType<typeof callController>>;
    try {
      answer = await callController(this.#o.keeper, request, this.#o.requestTimeoutMs);
    } catch (e) {
      if (e instanceof AdminTimeoutError) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, e.message);
      // ZooKeeper unreachable (or the session lost): retriable for the client, which tries again.
      if (e instanceof CoordinationError)
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `the controller cannot be reached: ${e.message}`);
      throw e;
    }
    if (!(await this.waitForOffset(answer.offset, this.#o.requestTimeoutMs)))
      throw new KafkaError(
        ErrorCode.REQUEST_TIMED_OUT,
        `the change is at metadata offset ${answer.offset}, but this broker's metadata is still at ${this.image.offset}`,
      );
    return answer.result as T;
  }

  /** Resolves true once the image is at `offset` or beyond, false after `timeoutMs` (or when stopped). */
  waitForOffset(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.image.offset >= offset) return Promise.resolve(true);
    if (this.#stopped) return Promise.resolve(false);
    const p = new Promise<boolean>((resolve) => {
      const w = {
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.image.offset >= offset);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(w);
    });
    void this.#o.follower.catchUp().catch(() => {});
    return p;
  }

  /** The single-node rules run on this broker's image, writing nothing (validate-only requests, config checks). */
  #dryRun<R>(fn: (c: LocalController) => R): R {
    return LocalController.decideOn(this.image, this.#o.defaults, this.#o.logger, fn).result;
  }

  createTopics(specs: CreateTopicSpec[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    if (validateOnly) return Promise.resolve(this.#dryRun((c) => c.createTopics(specs, true)));
    return this.call({ op: 'createTopics', specs });
  }

  deleteTopics(topics: Array<{ name: string | null; topicId: string | null }>): Promise<DeleteTopicResult[]> {
    return this.call({ op: 'deleteTopics', topics });
  }

  createPartitions(
    topics: CreatePartitionsRequest,
    validateOnly: boolean,
  ): Promise<Array<TopicResult & { name: string }>> {
    if (validateOnly) return Promise.resolve(this.#dryRun((c) => c.createPartitions(topics, true)));
    return this.call({ op: 'createPartitions', topics });
  }

  async alterConfigs(
    resourceType: 'topic' | 'broker' | 'group',
    resourceName: string,
    ops: ConfigOp[],
    validateOnly: boolean,
    validate: (next: Record<string, string>) => ConfigProblem[],
  ): Promise<TopicResult> {
    // Validated here (the checks need this broker's config service), decided and written by the controller.
    const checked = this.#dryRun((c) => c.alterConfigs(resourceType, resourceName, ops, true, validate));
    if (checked.errorCode !== ErrorCode.NONE || validateOnly) return checked;
    return this.call({ op: 'alterConfigs', resourceType, resourceName, ops });
  }

  async updateFeatures(
    updates: FeatureUpdate[],
    validateOnly: boolean,
  ): Promise<{ errorCode: number; errorMessage: string | null }> {
    // Checked against this broker's image first (refusals need no round trip), then decided by the controller.
    const checked = this.#dryRun((c) => c.updateFeatures(updates, true));
    if (checked.errorCode !== ErrorCode.NONE || validateOnly) return checked;
    return this.call({ op: 'updateFeatures', updates });
  }

  alterUserScramCredentials(
    deletions: ReadonlyArray<{ name: string; mechanism: number }>,
    upsertions: readonly ScramUpsertion[],
  ): Promise<ScramAlterResult[]> {
    return this.call({ op: 'alterUserScramCredentials', deletions: [...deletions], upsertions: [...upsertions] });
  }

  createAcls(creations: readonly Acl[]): Promise<TopicResult[]> {
    return this.call({ op: 'createAcls', creations: [...creations] });
  }

  deleteAcls(filters: readonly AclFilter[]): Promise<Acl[][]> {
    return this.call({ op: 'deleteAcls', filters: [...filters] });
  }

  async alterClientQuotas(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<AlterOutcome[]> {
    // Refusals and validate-only requests are answered from this broker's image; changes go to the controller.
    const checked = this.#dryRun((c) => c.alterClientQuotas(alterations, true));
    if (validateOnly || checked.every((o) => o.errorCode !== ErrorCode.NONE)) return checked;
    return this.call({ op: 'alterClientQuotas', alterations: [...alterations] });
  }

  async electLeaders(
    electionType: 'preferred' | 'unclean',
    partitions: Array<{ topic: string; partition: number }> | null,
  ): Promise<ElectionResult[]> {
    const r = await this.call<{ elections?: ElectionResult[] }>({ op: 'electLeaders', electionType, partitions });
    return r.elections ?? [];
  }

  async alterReassignments(
    partitions: Array<{ topic: string; partition: number; replicas: number[] | null }>,
  ): Promise<ElectionResult[]> {
    const r = await this.call<{ reassignments?: ElectionResult[] }>({ op: 'alterReassignments', partitions });
    return r.reassignments ?? [];
  }
}

/** Producer ids in blocks allocated by the controller (ProducerIdsRecord): unique across the cluster. The next block
 * is fetched when a quarter of the current one is left; with none at hand an InitProducerId is answered
 * COORDINATOR_LOAD_IN_PROGRESS, and the client retries (as Kafka's RPCProducerIdManager). */
export class ClusterProducerIds {
  readonly #metadata: ClusterMetadata;
  readonly #brokerId: number;
  readonly #brokerEpoch: () => bigint | null;
  readonly #log: Logger;
  #blocks: Array<{ next: number; end: number }> = [];
  #fetching = false;

  constructor(metadata: ClusterMetadata, brokerId: number, brokerEpoch: () => bigint | null, log: Logger) {
    this.#metadata = metadata;
    this.#brokerId = brokerId;
    this.#brokerEpoch = brokerEpoch;
    this.#log = log;
  }

  generate(): number {
    while (this.#blocks.length > 0 && this.#blocks[0]!.next >= this.#blocks[0]!.end) this.#blocks.shift();
    const b = this.#blocks[0];
    const left = this.#blocks.reduce((n, x) => n + (x.end - x.next), 0);
    if (left < 250) this.#fetch();
    if (!b) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'allocating a producer id block');
    return b.next++;
  }

  #fetch(): void {
    const epoch = this.#brokerEpoch();
    if (this.#fetching || epoch === null) return;
    this.#fetching = true;
    this.#metadata
      .call<{ producerIds?: { firstProducerId: string; size: number }; errorCode: number }>({
        op: 'allocateProducerIds',
        brokerId: this.#brokerId,
        brokerEpoch: String(epoch),
        size: 1000,
      })
      .then(
        (r) => {
          if (r.producerIds) {
            const first = Number(r.producerIds.firstProducerId);
            this.#blocks.push({ next: first, end: first + r.producerIds.size });
          } else this.#log.warn({ errorCode: r.errorCode }, 'producer id block refused');
        },
        (e: unknown) => this.#log.warn({ err: e }, 'could not allocate producer ids'),
      )
      .finally(() => {
        this.#fetching = false;
      });
  }
}
