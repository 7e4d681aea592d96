// The Admin client's security requests: ACLs (DescribeAcls / CreateAcls / DeleteAcls) and SCRAM credentials
// (DescribeUserScramCredentials / AlterUserScramCredentials; the password is salted and hashed here, so only the salted
// password travels, as Kafka's Admin client sends it). Ids are Kafka's (security/authorizer.ts).
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../protocol/apis.ts';
import type {
  AlterUserScramCredentialsResponse,
  CreateAclsResponse,
  DeleteAclsResponse,
  DescribeAclsResponse,
  DescribeUserScramCredentialsResponse,
} from '../protocol/generated/messages.ts';
import type { Acl, AclFilter } from '../security/authorizer.ts';
import { saltedPassword, scramMechanismById, scramMechanismByName } from '../security/scram.ts';
import type { BrokerConnection } from './connection.ts';
import { ErrorCode, KafkaClientError } from './errors.ts';

export type { Acl, AclFilter } from '../security/authorizer.ts';

/** One ACL's outcome in a DeleteAcls answer. */
export interface DeletedAcl extends Acl {
  errorCode: number;
  errorMessage: string | null;
}

export async function describeAcls(conn: BrokerConnection, f: AclFilter, timeoutMs: number): Promise<Acl[]> {
  const res = await conn.request<DescribeAclsResponse>(
    ApiKey.DescribeAcls,
    {
      resourceTypeFilter: f.resourceType,
      resourceNameFilter: f.resourceName,
      patternTypeFilter: f.patternType,
      principalFilter: f.principal,
      hostFilter: f.host,
      operation: f.operation,
      permissionType: f.permissionType,
    },
    timeoutMs,
  );
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, res.errorMessage);
  return res.resources.flatMap((r) =>
    r.acls.map((a) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      patternType: r.patternType,
      principal: a.principal,
      host: a.host,
      operation: a.operation,
      permissionType: a.permissionType,
    })),
  );
}

/** Creates the ACLs; throws the first failure (the others may have been created). */
export async function createAcls(conn: BrokerConnection, acls: readonly Acl[], timeoutMs: number): Promise<void> {
  const res = await conn.request<CreateAclsResponse>(
    ApiKey.CreateAcls,
    { creations: acls.map((a) => ({ ...a, resourcePatternType: a.patternType })) },
    timeoutMs,
  );
  const failed = res.results.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failed) throw new KafkaClientError(failed.errorCode, failed.errorMessage);
}

/** Deletes every ACL matching any filter; resolves the deleted ACLs. */
export async function deleteAcls(
  conn: BrokerConnection,
  filters: readonly AclFilter[],
  timeoutMs: number,
): Promise<DeletedAcl[]> {
  const res = await conn.request<DeleteAclsResponse>(
    ApiKey.DeleteAcls,
    {
      filters: filters.map((f) => ({
        resourceTypeFilter: f.resourceType,
        resourceNameFilter: f.resourceName,
        patternTypeFilter: f.patternType,
        principalFilter: f.principal,
        hostFilter: f.host,
        operation: f.operation,
        permissionType: f.permissionType,
      })),
    },
    timeoutMs,
  );
  const failed = res.filterResults.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failed) throw new KafkaClientError(failed.errorCode, failed.errorMessage);
  return res.filterResults.flatMap((r) => r.matchingAcls);
}

export interface ScramCredentialInfo {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  iterations: number;
}

/** The users' SCRAM credentials (mechanism and iterations; never secrets). All users when `users` is omitted. */
export async function describeUserScramCredentials(
  conn: BrokerConnection,
  users: readonly string[] | undefined,
  timeoutMs: number,
): Promise<Map<string, ScramCredentialInfo[]>> {
  const res = await conn.request<DescribeUserScramCredentialsResponse>(
    ApiKey.DescribeUserScramCredentials,
    { users: users === undefined ? null : users.map((name) => ({ name })) },
    timeoutMs,
  );
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, res.errorMessage);
  const out = new Map<string, ScramCredentialInfo[]>();
  for (const r of res.results) {
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaClientError(r.errorCode, r.errorMessage);
    out.set(
      r.user,
      r.credentialInfos.map((c) => ({
        mechanism: scramMechanismById(c.mechanism)?.name ?? (`mechanism ${c.mechanism}` as 'SCRAM-SHA-256'),
        iterations: c.iterations,
      })),
    );
  }
  return out;
}

export interface ScramUpsertion {
  user: string;
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  password: string;
  /** Default 4096 (Kafka's default and minimum). */
  iterations?: number;
}

export interface ScramDeletion {
  user: string;
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
}

/** Upserts and deletes SCRAM credentials; throws the first user's error. */
export async function alterUserScramCredentials(
  conn: BrokerConnection,
  change: { upsertions?: readonly ScramUpsertion[]; deletions?: readonly ScramDeletion[] },
  timeoutMs: number,
): Promise<void> {
  const mech = (name: string) => {
    const m = scramMechanismByName(name);
    if (!m) throw new KafkaClientError(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism ${name}`);
    return m;
  };
  const upsertions = (change.upsertions ?? []).map((u) => {
    const m = mech(u.mechanism);
    const iterations = u.iterations ?? 4096;
    const salt = randomBytes(m.keyLength);
    return {
      name: u.user,
      mechanism: m.id,
      iterations,
      salt,
      saltedPassword: saltedPassword(m, u.password, salt, iterations),
    };
  });
  const deletions = (change.deletions ?? []).map((d) => ({ name: d.user, mechanism: mech(d.mechanism).id }));
  const res = await conn.request<AlterUserScramCredentialsResponse>(
    ApiKey.AlterUserScramCredentials,
    { upsertions, deletions },
    timeoutMs,
  );
  const failed = res.results.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failed) throw new KafkaClientError(failed.errorCode, `${failed.user}: ${failed.errorMessage ?? ''}`);
}
