// The ACL authorizer as Kafka's StandardAuthorizer decides (pure logic, no I/O): super users are allowed everything;
// otherwise every ACL matching the resource (literal name, the literal `*` wildcard, or a prefix), the principal
// (or `User:*`) and the host (or `*`) is considered: any DENY for the operation (or ALL) wins; an ALLOW for it (or
// ALL, or one that implies it: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS)
// allows; a resource with no ACLs at all follows allow.everyone.if.no.acl.found; anything else is denied.

/** Kafka's ResourceType ids. */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

/** Kafka's PatternType ids. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

/** Kafka's AclOperation ids. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
  TWO_PHASE_COMMIT: 15,
} as const;

/** Kafka's AclPermissionType ids. */
export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL (Kafka's AclBinding / AccessControlEntryRecord without its id). */
export interface Acl {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** Kafka's authorizer class names that turn the built-in authorizer on. */
export const AUTHORIZER_CLASS_NAMES = [
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'kafka.security.authorizer.AclAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
];

const IMPLIES_DESCRIBE = new Set<number>([
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.DELETE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
]);

function resourceMatches(acl: Acl, type: number, name: string): boolean {
  if (acl.resourceType !== type) return false;
  if (acl.patternType === PatternType.LITERAL) return acl.resourceName === name || acl.resourceName === WILDCARD;
  if (acl.patternType === PatternType.PREFIXED) return name.startsWith(acl.resourceName);
  return false;
}

/** Whether an ALLOW (`allow`) or DENY ACL's operation covers the requested one. */
function operationCovers(aclOp: number, op: number, allow: boolean): boolean {
  if (aclOp === AclOperation.ALL || aclOp === op) return true;
  if (!allow) return false; // implications apply to ALLOW only
  if (op === AclOperation.DESCRIBE) return IMPLIES_DESCRIBE.has(aclOp);
  if (op === AclOperation.DESCRIBE_CONFIGS) return aclOp === AclOperation.ALTER_CONFIGS;
  return false;
}

export interface AuthorizerOptions {
  readonly superUsers: readonly string[];
  readonly allowEveryoneIfNoAclFound: boolean;
}

export class Authorizer {
  private readonly byType = new Map<number, Acl[]>();
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowIfNone: boolean;

  constructor(acls: Iterable<Acl>, opts: AuthorizerOptions) {
    for (const a of acls) {
      const list = this.byType.get(a.resourceType);
      if (list) list.push(a);
      else this.byType.set(a.resourceType, [a]);
    }
    this.superUsers = new Set(opts.superUsers);
    this.allowIfNone = opts.allowEveryoneIfNoAclFound;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    if (this.superUsers.has(principal)) return true;
    let anyForResource = false;
    let allowed = false;
    for (const acl of this.byType.get(resourceType) ?? []) {
      if (!resourceMatches(acl, resourceType, resourceName)) continue;
      anyForResource = true;
      if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.host !== host && acl.host !== WILDCARD) continue;
      const allow = acl.permissionType === AclPermission.ALLOW;
      if (!operationCovers(acl.operation, operation, allow)) continue;
      if (acl.permissionType === AclPermission.DENY) return false;
      if (allow) allowed = true;
    }
    return allowed || (!anyForResource && this.allowIfNone);
  }
}

/** Kafka's authorizeByResourceType: whether some resource of the type may be `operation`ed (KIP-679). */
export function authorizeAnyOfType(
  authorizer: Authorizer,
  acls: Iterable<Acl>,
  principal: string,
  host: string,
  operation: number,
  resourceType: number,
): boolean {
  if (authorizer.isSuperUser(principal)) return true;
  let allowed = false;
  for (const acl of acls) {
    if (acl.resourceType !== resourceType) continue;
    if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
    if (acl.host !== host && acl.host !== WILDCARD) continue;
    const allow = acl.permissionType === AclPermission.ALLOW;
    if (!operationCovers(acl.operation, operation, allow)) continue;
    // A DENY on every resource of the type (the literal wildcard) denies; narrower DENYs leave others allowed.
    if (!allow && acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return false;
    if (allow) allowed = true;
  }
  return allowed;
}

/** A DescribeAcls / DeleteAcls filter (null strings match anything). */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

/** Kafka's AclBindingFilter.matches, including the MATCH pattern type (every pattern that applies to the name). */
export function filterMatches(f: AclFilter, a: Acl): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== a.resourceType) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName !== null) {
      const applies =
        (a.patternType === PatternType.LITERAL && (a.resourceName === f.resourceName || a.resourceName === WILDCARD)) ||
        (a.patternType === PatternType.PREFIXED && f.resourceName.startsWith(a.resourceName));
      if (!applies) return false;
    }
  } else {
    if (f.patternType !== PatternType.ANY && f.patternType !== a.patternType) return false;
    if (f.resourceName !== null && f.resourceName !== a.resourceName) return false;
  }
  if (f.principal !== null && f.principal !== a.principal) return false;
  if (f.host !== null && f.host !== a.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== a.operation) return false;
  if (f.permissionType !== AclPermission.ANY && f.permissionType !== a.permissionType) return false;
  return true;
}

/** Why an ACL cannot be created (Kafka's validation), or null. */
export function invalidAcl(a: Acl): string | null {
  if (a.resourceType < ResourceType.TOPIC || a.resourceType > ResourceType.USER) return 'Invalid resource type';
  if (a.patternType !== PatternType.LITERAL && a.patternType !== PatternType.PREFIXED)
    return 'Invalid pattern type: only LITERAL and PREFIXED ACLs can be created';
  if (a.operation < AclOperation.ALL || a.operation > AclOperation.TWO_PHASE_COMMIT) return 'Invalid operation';
  if (a.permissionType !== AclPermission.ALLOW && a.permissionType !== AclPermission.DENY)
    return 'Invalid permission type';
  if (a.resourceName === '') return 'Resource name must not be empty';
  if (a.resourceType === ResourceType.CLUSTER && a.resourceName !== CLUSTER_NAME)
    return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!/^[^:]+:.+$/.test(a.principal)) return `Could not parse principal from \`${a.principal}\``;
  if (a.host === '') return 'Host must not be empty';
  return null;
}
