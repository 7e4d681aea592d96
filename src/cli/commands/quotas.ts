// tributary quotas describe|alter: client quotas (kafka-configs.sh --entity-type users/clients/ips).
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import {
  alterClientQuotas,
  describeClientQuotas,
  entityLabel,
  type QuotaEntity,
  type QuotaEntry,
} from '../../client/quotas.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  collectList,
  parseConfigList,
  printJson,
  table,
  UsageError,
} from './common.ts';

interface QuotaOptions extends CommonOptions {
  user?: string;
  userDefault?: boolean;
  client?: string;
  clientDefault?: boolean;
  ip?: string;
  ipDefault?: boolean;
  entityType: string[];
  entityName?: string;
  entityDefault?: boolean;
}

const ENTITY_TYPES = { users: 'user', clients: 'clientId', ips: 'ip' } as const;

/** The entity the options name, or undefined when none is named; kafka-configs.sh's --entity-* options work too. */
export function quotaEntity(o: QuotaOptions): QuotaEntity | undefined {
  const e: QuotaEntity = {};
  const set = (k: keyof QuotaEntity, name: string | undefined, dflt: boolean | undefined, option: string) => {
    if (name !== undefined && dflt) throw new UsageError(`give either --${option} or --${option}-default, not both`);
    if (name !== undefined) e[k] = name;
    else if (dflt) e[k] = null;
  };
  set('user', o.user, o.userDefault, 'user');
  set('clientId', o.client, o.clientDefault, 'client');
  set('ip', o.ip, o.ipDefault, 'ip');
  if (o.entityType.length > 1) throw new UsageError('give one --entity-type (use --user and --client for both)');
  const type = o.entityType[0];
  if (type !== undefined) {
    const k = ENTITY_TYPES[type as keyof typeof ENTITY_TYPES];
    if (k === undefined) throw new UsageError(`unknown --entity-type ${type} (users, clients, ips)`);
    if (e[k] !== undefined) throw new UsageError(`--entity-type ${type} names the same entity type as another option`);
    if (o.entityName !== undefined && o.entityDefault)
      throw new UsageError('give either --entity-name or --entity-default, not both');
    if (o.entityName !== undefined) e[k] = o.entityName;
    else if (o.entityDefault) e[k] = null;
  } else if (o.entityName !== undefined || o.entityDefault) {
    throw new UsageError('--entity-name and --entity-default need --entity-type');
  }
  return Object.keys(e).length === 0 ? undefined : e;
}

function entityOptions(cmd: Command): Command {
  return cmd
    .option('--user <name>', "a user (the principal's name, e.g. alice for User:alice)")
    .option('--user-default', 'the default user quota (users without their own)')
    .option('--client <id>', 'a client id')
    .option('--client-default', 'the default client-id quota')
    .option('--ip <address>', 'an IP address (connection_creation_rate)')
    .option('--ip-default', 'the default IP quota')
    .option('--entity-type <type>', 'users, clients or ips (as kafka-configs.sh)', collectList, [])
    .option('--entity-name <name>', 'the entity name')
    .option('--entity-default', 'the default entity of --entity-type');
}

function printEntries(entries: QuotaEntry[], json: boolean | undefined): void {
  if (json) {
    printJson(entries);
    return;
  }
  process.stdout.write(
    `${table(
      ['ENTITY', 'QUOTAS'],
      entries.map((e) => [
        entityLabel(e.entity),
        Object.entries(e.values)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
      ]),
    )}\n`,
  );
}

/** `k=v,...` → numbers (a quota is a number). */
function parseQuotaValues(list: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of list.flatMap(parseConfigList)) {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`quota ${k} needs a number, got "${v}"`);
    out[k] = n;
  }
  return out;
}

export function registerQuotas(program: Command): void {
  const quotas = program
    .command('quotas')
    .description('describe and alter client quotas (producer/consumer byte rates, request percentage, ...)');

  clientCommand(
    entityOptions(
      quotas
        .command('describe')
        .description("quotas of one entity (exactly it), of every entity of a type, or of all (kafka-configs' view)"),
    ),
    { json: true },
  ).action(
    action(async (o: QuotaOptions) => {
      // --entity-type without a name or default lists every entity of that type, as kafka-configs.sh does.
      const ofType =
        o.entityType.length === 1 && o.entityName === undefined && !o.entityDefault
          ? ({ users: 'user', clients: 'client-id', ips: 'ip' } as const)[o.entityType[0] as 'users']
          : undefined;
      if (o.entityType.length === 1 && ofType === undefined && o.entityName === undefined && !o.entityDefault)
        throw new UsageError(`unknown --entity-type ${o.entityType[0]} (users, clients, ips)`);
      const entity = ofType === undefined ? quotaEntity(o) : undefined;
      const admin = new Admin(clientOptions(o));
      try {
        printEntries(await describeClientQuotas(admin, { entity, ofType }), o.json);
      } finally {
        await admin.close();
      }
    }),
  );

  clientCommand(entityOptions(quotas.command('alter').description('set or remove quotas of one entity')))
    .option('--add-config <k=v,...>', 'quotas to set, e.g. producer_byte_rate=1048576 (repeatable)', collectList, [])
    .option('--delete-config <k,...>', 'quotas to remove (repeatable)', collectList, [])
    .option('--validate-only', 'check without changing anything')
    .action(
      action(async (o: QuotaOptions & { addConfig: string[]; deleteConfig: string[]; validateOnly?: boolean }) => {
        const entity = quotaEntity(o);
        if (entity === undefined)
          throw new UsageError(
            'name the entity: --user U and/or --client C (or their -default forms), --ip A, or --entity-type/--entity-name',
          );
        const changes: Record<string, number | null> = parseQuotaValues(o.addConfig);
        for (const k of o.deleteConfig.flatMap((s) => s.split(','))) if (k.trim()) changes[k.trim()] = null;
        if (Object.keys(changes).length === 0)
          throw new UsageError('nothing to alter: give --add-config and/or --delete-config');
        const admin = new Admin(clientOptions(o));
        try {
          await alterClientQuotas(admin, entity, changes, { validateOnly: o.validateOnly });
          process.stdout.write(
            o.validateOnly
              ? `Validated quota changes for ${entityLabel(entity)}.\n`
              : `Completed updating quotas for ${entityLabel(entity)}.\n`,
          );
        } finally {
          await admin.close();
        }
      }),
    );
}
