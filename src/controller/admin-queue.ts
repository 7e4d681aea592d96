// Admin requests to the active controller, through the coordination store. A broker that is asked to create topics
// (or delete them, add partitions, change configs, SCRAM credentials, ACLs or client quotas, allocate producer ids, shut down) writes the request as a
// persistent sequential node under /admin/requests; the active controller watches that queue, decides each request
// against its image and writes the records together with the answer (/admin/responses/<request>) and the request's
// deletion, in the same fenced multi as the last record batch: a request is answered exactly once, and a request a
// failed controller left behind is taken up by the next one. The answer names the metadata offset holding the
// change, so the asking broker answers its client only once its own image has it (no create-then-read race).

import { CoordinationError, type CoordinationSession } from '../cluster/coordination/store.ts';
import {
  type ConfigOp,
  type ControllerDefaults,
  type CreatePartitionsRequest,
  type CreateTopicSpec,
  LocalController,
  type ScramUpsertion,
} from '../metadata/controller.ts';
import type { FeatureUpdate } from '../metadata/features.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { MetadataRecord } from '../metadata/records.ts';
import type { QuotaAlteration } from '../quota/entity.ts';
import type { Acl, AclFilter } from '../security/authorizer.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerEvent } from './decisions.ts';
import type { SessionKeeper } from './session-keeper.ts';

export const ADMIN_PATHS = {
  requests: '/admin/requests',
  responses: '/admin/responses',
} as const;

export const REQUEST_PREFIX = 'req-';

export type AdminRequest =
  | { readonly op: 'createTopics'; readonly specs: CreateTopicSpec[] }
  | { readonly op: 'deleteTopics'; readonly topics: Array<{ name: string | null; topicId: string | null }> }
  | { readonly op: 'createPartitions'; readonly topics: CreatePartitionsRequest }
  | {
      readonly op: 'alterConfigs';
      readonly resourceType: 'topic' | 'broker' | 'group';
      readonly resourceName: string;
      /** Already validated by the asking broker (its validation needs its own config service). */
      readonly ops: ConfigOp[];
    }
  | { readonly op: 'updateFeatures'; readonly updates: FeatureUpdate[] }
  | {
      readonly op: 'alterUserScramCredentials';
      readonly deletions: Array<{ name: string; mechanism: number }>;
      /** StoredKey and ServerKey, derived by the asking broker (never the salted password). */
      readonly upsertions: ScramUpsertion[];
    }
  | { readonly op: 'createAcls'; readonly creations: Acl[] }
  | { readonly op: 'deleteAcls'; readonly filters: AclFilter[] }
  | { readonly op: 'alterClientQuotas'; readonly alterations: QuotaAlteration[] }
  | {
      readonly op: 'allocateProducerIds';
      readonly brokerId: number;
      readonly brokerEpoch: string;
      readonly size: number;
    }
  | { readonly op: 'controlledShutdown'; readonly brokerId: number; readonly brokerEpoch: string }
  | {
      readonly op: 'alterPartition';
      readonly brokerId: number;
      readonly brokerEpoch: string;
      readonly topicId: string;
      readonly partition: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly newIsr: number[];
    }
  | {
      readonly op: 'offlineReplicas';
      readonly brokerId: number;
      readonly brokerEpoch: string;
      readonly replicas: Array<{ topicId: string; partition: number }>;
    }
  | {
      readonly op: 'electLeaders';
      readonly electionType: 'preferred' | 'unclean';
      readonly partitions: Array<{ topic: string; partition: number }> | null;
    }
  | {
      readonly op: 'alterReassignments';
      readonly partitions: Array<{ topic: string; partition: number; replicas: number[] | null }>;
    };

export interface AdminResponse {
  /** The metadata offset the change is at (the image's offset when nothing was written). */
  readonly offset: number;
  readonly result: unknown;
  /** When the controller answered (its clock, ms): answers nobody collected are deleted after a while. */
  readonly answeredAt?: number;
}

/** Answers older than this were abandoned (the asking broker gives up after its request timeout). */
export const ABANDONED_ANSWER_MS = 10 * 60_000;

/** Deletes answers nobody collected (the asking broker timed out or died). */
export async function deleteAbandonedAnswers(s: CoordinationSession, now: number): Promise<number> {
  let deleted = 0;
  for (const name of await s.getChildren(ADMIN_PATHS.responses)) {
    const path = `${ADMIN_PATHS.responses}/${name}`;
    try {
      const answer = parse<AdminResponse>((await s.getData(path)).data);
      if ((answer.answeredAt ?? 0) > now - ABANDONED_ANSWER_MS) continue;
      await s.delete(path, -1);
      deleted++;
    } catch (e) {
      if (!(e instanceof CoordinationError && e.code === 'NO_NODE')) throw e;
    }
  }
  return deleted;
}

const json = (v: unknown) =>
  new TextEncoder().encode(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)));
const parse = <T>(d: Uint8Array) => JSON.parse(new TextDecoder().decode(d)) as T;

export function encodeAdmin(v: AdminRequest | AdminResponse): Uint8Array {
  return json(v);
}
export function decodeAdminRequest(d: Uint8Array): AdminRequest {
  return parse<AdminRequest>(d);
}

/** The controller events for the requests decisions.ts decides (the others go through `decideAdmin`). */
export function adminEvent(r: AdminRequest): ControllerEvent | null {
  if (r.op === 'allocateProducerIds')
    return {
      type: 'allocateProducerIds',
      brokerId: r.brokerId,
      brokerEpoch: BigInt(r.brokerEpoch),
      blockSize: r.size,
    };
  if (r.op === 'controlledShutdown')
    return { type: 'controlledShutdown', brokerId: r.brokerId, epoch: BigInt(r.brokerEpoch) };
  if (r.op === 'alterPartition')
    return {
      type: 'alterPartition',
      brokerId: r.brokerId,
      brokerEpoch: BigInt(r.brokerEpoch),
      topicId: r.topicId,
      partition: r.partition,
      leaderEpoch: r.leaderEpoch,
      partitionEpoch: r.partitionEpoch,
      newIsr: r.newIsr,
    };
  if (r.op === 'offlineReplicas')
    return { type: 'offlineReplicas', brokerId: r.brokerId, brokerEpoch: BigInt(r.brokerEpoch), replicas: r.replicas };
  if (r.op === 'electLeaders') return { type: 'electLeaders', electionType: r.electionType, partitions: r.partitions };
  if (r.op === 'alterReassignments') return { type: 'alterReassignments', partitions: r.partitions };
  return null;
}

/**
 * Decides a topic or config request with the single-node controller's rules (validation, Kafka's error codes and
 * messages) against the controller's image: pure, the records are returned, not written.
 */
export function decideAdmin(
  image: MetadataImage,
  r: AdminRequest,
  defaults: ControllerDefaults,
  logger: Logger,
): { records: MetadataRecord[]; result: unknown } {
  return LocalController.decideOn(image, defaults, logger, (c): unknown => {
    switch (r.op) {
      case 'createTopics':
        return c.createTopics(r.specs, false);
      case 'deleteTopics':
        return c.deleteTopics(r.topics);
      case 'createPartitions':
        return c.createPartitions(r.topics, false);
      case 'alterConfigs':
        return c.alterConfigs(r.resourceType, r.resourceName, r.ops, false, () => []);
      case 'updateFeatures':
        return c.updateFeatures(r.updates, false);
      case 'alterUserScramCredentials':
        return c.alterUserScramCredentials(r.deletions, r.upsertions);
      case 'createAcls':
        return c.createAcls(r.creations);
      case 'deleteAcls':
        return c.deleteAcls(r.filters);
      case 'alterClientQuotas':
        return c.alterClientQuotas(r.alterations, false);
      default:
        throw new Error(`not a topic or config request: ${r.op}`);
    }
  });
}

export async function ensureAdminLayout(s: CoordinationSession): Promise<void> {
  for (const p of ['/admin', ADMIN_PATHS.requests, ADMIN_PATHS.responses]) {
    if (await s.exists(p)) continue;
    try {
      await s.create(p, new Uint8Array(0), 'persistent');
    } catch (e) {
      if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
    }
  }
}

export class AdminTimeoutError extends Error {
  override name = 'AdminTimeoutError';
}

/**
 * The asking side: queues `request` and resolves with the controller's answer. Waits on a watch of the answer's
 * node, and also looks again every `pollMs` (a watch set on a session that then expired never fires).
 */
export async function callController(
  keeper: SessionKeeper,
  request: AdminRequest,
  timeoutMs: number,
  pollMs = 1000,
): Promise<AdminResponse> {
  await keeper.run((s) => ensureAdminLayout(s));
  const path = await keeper.run((s) =>
    s.create(`${ADMIN_PATHS.requests}/${REQUEST_PREFIX}`, encodeAdmin(request), 'persistent_sequential'),
  );
  const answer = `${ADMIN_PATHS.responses}/${path.slice(path.lastIndexOf('/') + 1)}`;
  // Monotonic: a step of the wall clock must not withdraw (or keep waiting for minutes) a request in flight.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stat = await new Promise<boolean>((resolve, reject) => {
      timer = setTimeout(() => resolve(false), Math.max(1, Math.min(pollMs, deadline - performance.now())));
      keeper
        .run((s) =>
          s.exists(answer, (ev) => {
            if (ev.type === 'created') resolve(true);
          }),
        )
        .then((st) => {
          if (st) resolve(true);
        }, reject);
    }).finally(() => clearTimeout(timer));
    if (stat) {
      const { data } = await keeper.run((s) => s.getData(answer));
      await keeper.run((s) => s.delete(answer, -1)).catch(() => {});
      return parse<AdminResponse>(data);
    }
    if (performance.now() >= deadline) {
      // Withdrawn if the controller has not taken it yet; if it has, its answer stays until the next cleanup.
      await keeper.run((s) => s.delete(path, -1)).catch(() => {});
      throw new AdminTimeoutError(`the controller did not answer within ${timeoutMs} ms`);
    }
  }
}
