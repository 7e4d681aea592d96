// Authorization at request time: the built-in authorizer is on when authorizer.class.name names one of Kafka's
// authorizers; it is rebuilt from the metadata image's ACLs only when they change (one Authorizer per ACL map).

import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import type { RequestContext } from '../server/handler.ts';
import type { BrokerServices } from '../server/services.ts';
import {
  type Acl,
  AclOperation,
  AUTHORIZER_CLASS_NAMES,
  Authorizer,
  authorizeAnyOfType,
  CLUSTER_NAME,
  ResourceType,
} from './authorizer.ts';

const cache = new WeakMap<ReadonlyMap<string, Acl>, Authorizer>();

/** The authorizer in force, or undefined when authorizer.class.name is empty (everything is allowed). */
export function currentAuthorizer(ctx: RequestContext): Authorizer | undefined {
  // Handler unit tests build partial BrokerServices without a config: no config means no authorizer configured.
  const cfg = ctx.broker.config as BrokerServices['config'] | undefined;
  const className = (cfg?.get('authorizer.class.name') ?? '') as string;
  if (cfg === undefined || className === '' || !AUTHORIZER_CLASS_NAMES.includes(className)) return undefined;
  const acls = ctx.broker.metadata().acls;
  let a = cache.get(acls);
  if (a === undefined) {
    a = new Authorizer(acls.values(), {
      // Kafka separates super users with ';' (a comma-separated list is accepted too).
      superUsers: ((cfg.get('super.users') as string[] | null) ?? []).flatMap((u) =>
        u
          .split(';')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      ),
      allowEveryoneIfNoAclFound: cfg.get('allow.everyone.if.no.acl.found') as boolean,
    });
    cache.set(acls, a);
  }
  return a;
}

/** The peer's host as ACLs name it: the address without the port. */
export function peerHost(ctx: RequestContext): string {
  const r = ctx.connection.remoteAddress;
  const i = r.lastIndexOf(':');
  const host = i > 0 ? r.slice(0, i) : r;
  return host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
}

/** Whether the request's principal may perform `operation` on the resource (always true without an authorizer). */
export function authorized(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = currentAuthorizer(ctx);
  return a === undefined || a.authorize(ctx.connection.principal, peerHost(ctx), operation, resourceType, name);
}

export const authorizedTopic = (ctx: RequestContext, operation: number, topic: string) =>
  authorized(ctx, operation, ResourceType.TOPIC, topic);
export const authorizedGroup = (ctx: RequestContext, operation: number, group: string) =>
  authorized(ctx, operation, ResourceType.GROUP, group);
export const authorizedCluster = (ctx: RequestContext, operation: number) =>
  authorized(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME);
export const authorizedTransactionalId = (ctx: RequestContext, id: string) =>
  authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, id);

/** Throws GROUP_AUTHORIZATION_FAILED unless the principal may `operation` the group (Kafka checks READ mostly). */
export function requireGroup(ctx: RequestContext, operation: number, group: string): void {
  if (!authorizedGroup(ctx, operation, group))
    throw new KafkaError(ErrorCode.GROUP_AUTHORIZATION_FAILED, `Not authorized to access group: ${group}`);
}

/** KIP-679: an idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some topic. */
export function mayWriteIdempotently(ctx: RequestContext): boolean {
  const a = currentAuthorizer(ctx);
  if (a === undefined) return true;
  const host = peerHost(ctx);
  const p = ctx.connection.principal;
  if (a.authorize(p, host, AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER_NAME)) return true;
  return authorizeAnyOfType(a, ctx.broker.metadata().acls.values(), p, host, AclOperation.WRITE, ResourceType.TOPIC);
}

/**
 * Config resources (DescribeConfigs / AlterConfigs): a TOPIC is checked on the topic, BROKER and BROKER_LOGGER on
 * the cluster, GROUP on the group. Returns the error code to answer, or undefined when allowed.
 */
export function configResourceDenied(
  ctx: RequestContext,
  operation: number,
  configResourceType: number,
  name: string,
): number | undefined {
  // Kafka's ConfigResource.Type ids: TOPIC 2, BROKER 4, BROKER_LOGGER 8, GROUP 32.
  if (configResourceType === 2)
    return authorizedTopic(ctx, operation, name) ? undefined : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (configResourceType === 32)
    return authorizedGroup(ctx, operation, name) ? undefined : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (configResourceType === 4 || configResourceType === 8)
    return authorizedCluster(ctx, operation) ? undefined : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return undefined;
}

/** The operations Kafka defines per resource type (AclEntry.supportedOperations), for `authorizedOperations`. */
const SUPPORTED_OPERATIONS: ReadonlyMap<number, readonly number[]> = new Map<number, number[]>([
  [
    ResourceType.TOPIC,
    [
      AclOperation.READ,
      AclOperation.WRITE,
      AclOperation.CREATE,
      AclOperation.DESCRIBE,
      AclOperation.DELETE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
    ],
  ],
  [
    ResourceType.GROUP,
    [
      AclOperation.READ,
      AclOperation.DESCRIBE,
      AclOperation.DELETE,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
    ],
  ],
  [
    ResourceType.CLUSTER,
    [
      AclOperation.CREATE,
      AclOperation.CLUSTER_ACTION,
      AclOperation.DESCRIBE_CONFIGS,
      AclOperation.ALTER_CONFIGS,
      AclOperation.IDEMPOTENT_WRITE,
      AclOperation.ALTER,
      AclOperation.DESCRIBE,
    ],
  ],
  [ResourceType.TRANSACTIONAL_ID, [AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.TWO_PHASE_COMMIT]],
]);

/**
 * The `*AuthorizedOperations` bit field of Metadata, DescribeCluster, DescribeGroups, ConsumerGroupDescribe, ...:
 * bit `1 << operation` for each operation the principal may perform on the resource (all of them without an
 * authorizer), as Kafka's AuthHelper.authorizedOperations computes it.
 */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string): number {
  let bits = 0;
  for (const op of SUPPORTED_OPERATIONS.get(resourceType) ?? [])
    if (authorized(ctx, op, resourceType, name)) bits |= 1 << op;
  return bits;
}

/** Throws CLUSTER_AUTHORIZATION_FAILED unless the principal may `operation` the cluster (AuthHelper.authorizeClusterOperation). */
export function requireCluster(ctx: RequestContext, operation: number): void {
  if (!authorizedCluster(ctx, operation))
    throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
}
