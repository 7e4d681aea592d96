// tributary acls list|create|delete (kafka-acls.sh): principals, hosts, operations and resource patterns with Kafka's
// names; --producer / --consumer add the ACLs those clients need, as kafka-acls.sh does.
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import type { Acl, AclFilter } from '../../client/admin-security.ts';
import { AclOperation, AclPermission, CLUSTER_NAME, PatternType, ResourceType } from '../../security/authorizer.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  collectList,
  printJson,
  table,
  UsageError,
} from './common.ts';

interface AclOptions extends CommonOptions {
  topic: string[];
  group: string[];
  transactionalId: string[];
  cluster?: boolean;
  resourcePatternType?: string;
  allowPrincipal: string[];
  denyPrincipal: string[];
  allowHost: string[];
  denyHost: string[];
  operation: string[];
  principal?: string;
  producer?: boolean;
  consumer?: boolean;
}

const name = <T extends Record<string, number>>(table: T, id: number) =>
  Object.entries(table).find(([, v]) => v === id)?.[0] ?? String(id);

/** Kafka's operation names as kafka-acls.sh takes them (Read, AlterConfigs, ALTER_CONFIGS, ...). */
export function parseOperation(s: string): number {
  const key = s.replace(/[-_\s]/g, '').toUpperCase();
  const found = Object.entries(AclOperation).find(([k, v]) => k.replace(/_/g, '') === key && v >= AclOperation.ALL);
  if (!found)
    throw new UsageError(
      `unknown --operation ${s} (${Object.keys(AclOperation)
        .filter((k) => AclOperation[k as keyof typeof AclOperation] >= AclOperation.ALL)
        .join(', ')})`,
    );
  return found[1];
}

function parsePatternType(s: string | undefined, listing: boolean): number {
  const v = (s ?? 'literal').toUpperCase();
  const allowed = listing ? ['ANY', 'MATCH', 'LITERAL', 'PREFIXED'] : ['LITERAL', 'PREFIXED'];
  if (!allowed.includes(v))
    throw new UsageError(
      `--resource-pattern-type ${s} is not valid here (${allowed.map((a) => a.toLowerCase()).join(', ')})`,
    );
  return PatternType[v as keyof typeof PatternType];
}

function checkPrincipal(p: string): string {
  if (!/^[^:]+:.+$/.test(p)) throw new UsageError(`invalid principal "${p}" (expected Type:name, e.g. User:alice)`);
  return p;
}

/** The resources the options name: [type, name]. */
function resources(o: AclOptions): [number, string][] {
  return [
    ...o.topic.map((t): [number, string] => [ResourceType.TOPIC, t]),
    ...o.group.map((g): [number, string] => [ResourceType.GROUP, g]),
    ...o.transactionalId.map((t): [number, string] => [ResourceType.TRANSACTIONAL_ID, t]),
    ...(o.cluster ? [[ResourceType.CLUSTER, CLUSTER_NAME] as [number, string]] : []),
  ];
}

/** The ACLs `acls create` adds: each principal × host × operation × resource, or what --producer/--consumer need. */
export function aclsToCreate(o: AclOptions): Acl[] {
  const res = resources(o);
  if (res.length === 0) throw new UsageError('name a resource: --topic, --group, --transactional-id or --cluster');
  if (o.allowPrincipal.length + o.denyPrincipal.length === 0)
    throw new UsageError('give --allow-principal and/or --deny-principal');
  const patternType = parsePatternType(o.resourcePatternType, false);
  const ops = new Map<number, number[]>(); // resource type → operations
  if (o.producer || o.consumer) {
    if (o.operation.length > 0) throw new UsageError('--producer and --consumer choose the operations themselves');
    if (o.producer && o.topic.length === 0) throw new UsageError('--producer needs --topic');
    if (o.consumer && (o.topic.length === 0 || o.group.length === 0))
      throw new UsageError('--consumer needs --topic and --group');
    const add = (type: number, list: number[]) => ops.set(type, [...new Set([...(ops.get(type) ?? []), ...list])]);
    if (o.producer) add(ResourceType.TOPIC, [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE]);
    if (o.producer && o.transactionalId.length > 0)
      add(ResourceType.TRANSACTIONAL_ID, [AclOperation.WRITE, AclOperation.DESCRIBE]);
    if (o.consumer) {
      add(ResourceType.TOPIC, [AclOperation.READ, AclOperation.DESCRIBE]);
      add(ResourceType.GROUP, [AclOperation.READ]);
    }
  }
  const explicit = o.operation.length > 0 ? o.operation.map(parseOperation) : [AclOperation.ALL];
  const out: Acl[] = [];
  const entries: [string, string, number][] = [
    ...o.allowPrincipal.flatMap((p) =>
      (o.allowHost.length > 0 ? o.allowHost : ['*']).map((h): [string, string, number] => [p, h, AclPermission.ALLOW]),
    ),
    ...o.denyPrincipal.flatMap((p) =>
      (o.denyHost.length > 0 ? o.denyHost : ['*']).map((h): [string, string, number] => [p, h, AclPermission.DENY]),
    ),
  ];
  for (const [principal, host, permissionType] of entries)
    for (const [resourceType, resourceName] of res) {
      const list = o.producer || o.consumer ? (ops.get(resourceType) ?? []) : explicit;
      for (const operation of list)
        out.push({
          resourceType,
          resourceName,
          patternType,
          principal: checkPrincipal(principal),
          host,
          operation,
          permissionType,
        });
    }
  return out;
}

/** Filters for `acls list` / `acls delete`: every resource named (any resource when none), narrowed by the options. */
export function aclFilters(o: AclOptions): AclFilter[] {
  const res = resources(o);
  const principals = [...o.allowPrincipal, ...o.denyPrincipal, ...(o.principal ? [o.principal] : [])];
  if (principals.length > 1) throw new UsageError('filter on one principal at a time');
  const permissionType =
    o.allowPrincipal.length > 0
      ? AclPermission.ALLOW
      : o.denyPrincipal.length > 0
        ? AclPermission.DENY
        : AclPermission.ANY;
  const principal = principals.length === 1 ? checkPrincipal(principals[0]!) : null;
  const hosts = [...o.allowHost, ...o.denyHost];
  if (hosts.length > 1) throw new UsageError('filter on one host at a time');
  const ops = o.operation.length > 0 ? o.operation.map(parseOperation) : [AclOperation.ANY];
  // Kafka's default pattern filter is LITERAL when a resource is named; with none, every ACL is listed.
  const patternType =
    res.length === 0 && o.resourcePatternType === undefined
      ? PatternType.ANY
      : parsePatternType(o.resourcePatternType, true);
  const targets: [number, string | null][] = res.length > 0 ? res : [[ResourceType.ANY, null]];
  return targets.flatMap(([resourceType, resourceName]) =>
    ops.map((operation) => ({
      resourceType,
      resourceName,
      patternType,
      principal,
      host: hosts[0] ?? null,
      operation,
      permissionType,
    })),
  );
}

export function aclRow(a: Acl): (string | number)[] {
  return [
    name(ResourceType, a.resourceType),
    a.resourceName,
    name(PatternType, a.patternType),
    a.principal,
    a.host,
    name(AclOperation, a.operation),
    name(AclPermission, a.permissionType),
  ];
}

const HEADERS = ['RESOURCE-TYPE', 'NAME', 'PATTERN-TYPE', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'];

function aclOptions(cmd: Command, listing: boolean): Command {
  cmd
    .option('--topic <name>', 'a topic (repeatable; * for all)', collectList, [])
    .option('--group <id>', 'a group (repeatable; * for all)', collectList, [])
    .option('--transactional-id <id>', 'a transactional id (repeatable; * for all)', collectList, [])
    .option('--cluster', 'the cluster resource')
    .option(
      '--resource-pattern-type <type>',
      listing ? 'literal (default), prefixed, any or match' : 'literal (default) or prefixed',
    )
    .option(
      '--allow-principal <principal>',
      listing ? 'only ALLOW ACLs of this principal' : 'principal allowed (Type:name; repeatable)',
      collectList,
      [],
    )
    .option(
      '--deny-principal <principal>',
      listing ? 'only DENY ACLs of this principal' : 'principal denied (repeatable)',
      collectList,
      [],
    )
    .option(
      '--allow-host <host>',
      listing ? 'only ACLs for this host' : 'host of the allow ACLs (default *)',
      collectList,
      [],
    )
    .option(
      '--deny-host <host>',
      listing ? 'only ACLs for this host' : 'host of the deny ACLs (default *)',
      collectList,
      [],
    )
    .option(
      '--operation <op>',
      listing
        ? 'only this operation (repeatable)'
        : 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, ... (repeatable; default All)',
      collectList,
      [],
    );
  return cmd;
}

export function registerAcls(program: Command): void {
  const acls = program.command('acls').description('list, create and delete ACLs (kafka-acls.sh)');

  clientCommand(aclOptions(acls.command('list').description('ACLs, of the resources named or all'), true), {
    json: true,
  })
    .option('--principal <principal>', 'only ACLs of this principal (allow or deny)')
    .action(
      action(async (o: AclOptions) => {
        const filters = aclFilters(o);
        const admin = new Admin(clientOptions(o));
        try {
          const found = (await Promise.all(filters.map((f) => admin.describeAcls(f)))).flat();
          if (o.json)
            return printJson(
              found.map((a) => Object.fromEntries(HEADERS.map((h, i) => [h.toLowerCase(), aclRow(a)[i]]))),
            );
          process.stdout.write(`${table(HEADERS, found.map(aclRow))}\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(aclOptions(acls.command('create').description('add ACLs'), false))
    .option('--producer', 'what a producer needs: WRITE, DESCRIBE, CREATE on --topic (+ --transactional-id)')
    .option('--consumer', 'what a consumer needs: READ, DESCRIBE on --topic, READ on --group')
    .action(
      action(async (o: AclOptions) => {
        const list = aclsToCreate(o);
        const admin = new Admin(clientOptions(o));
        try {
          await admin.createAcls(list);
          process.stdout.write(`Created ${list.length} ACL(s):\n${table(HEADERS, list.map(aclRow))}\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(aclOptions(acls.command('delete').description('remove the ACLs matching the options'), true))
    .option('--principal <principal>', 'only ACLs of this principal (allow or deny)')
    .action(
      action(async (o: AclOptions) => {
        if (
          resources(o).length === 0 &&
          o.principal === undefined &&
          o.allowPrincipal.length + o.denyPrincipal.length === 0
        )
          throw new UsageError('name a resource or a principal (deleting every ACL at once is not offered)');
        const filters = aclFilters(o);
        const admin = new Admin(clientOptions(o));
        try {
          const deleted = await admin.deleteAcls(filters);
          process.stdout.write(`Deleted ${deleted.length} ACL(s)${deleted.length > 0 ? ':' : '.'}\n`);
          if (deleted.length > 0) process.stdout.write(`${table(HEADERS, deleted.map(aclRow))}\n`);
        } finally {
          await admin.close();
        }
      }),
    );
}
