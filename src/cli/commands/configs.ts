// tributary configs describe|alter (kafka-configs.sh) and tributary cluster describe.
import type { Command } from 'commander';
import { Admin, type ConfigResource } from '../../client/admin.ts';
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

interface EntityOptions extends CommonOptions {
  topic?: string;
  broker?: string;
  brokerDefault?: boolean;
  brokerLogger?: string;
  group?: string;
  entityType?: string;
  entityName?: string;
  entityDefault?: boolean;
}

const ENTITY_TYPES = {
  topics: 'topic',
  brokers: 'broker',
  groups: 'group',
  'broker-loggers': 'broker-logger',
} as const;

/** The one entity the options name (kafka-configs.sh's --entity-type/--entity-name/--entity-default work too). */
export function entity(o: EntityOptions): ConfigResource {
  const named: ConfigResource[] = [];
  if (o.topic !== undefined) named.push({ type: 'topic', name: o.topic });
  if (o.broker !== undefined) named.push({ type: 'broker', name: brokerId('--broker', o.broker) });
  if (o.brokerDefault) named.push({ type: 'broker', name: '' });
  if (o.brokerLogger !== undefined)
    named.push({ type: 'broker-logger', name: brokerId('--broker-logger', o.brokerLogger) });
  if (o.group !== undefined) named.push({ type: 'group', name: o.group });
  if (o.entityType !== undefined) {
    const type = ENTITY_TYPES[o.entityType as keyof typeof ENTITY_TYPES];
    if (!type) throw new UsageError(`unknown --entity-type ${o.entityType} (topics, brokers, groups, broker-loggers)`);
    if (o.entityDefault && o.entityName !== undefined)
      throw new UsageError('give either --entity-name or --entity-default, not both');
    if (o.entityDefault && type !== 'broker')
      throw new UsageError('--entity-default is only supported with --entity-type brokers');
    if (!o.entityDefault && o.entityName === undefined)
      throw new UsageError(`--entity-type ${o.entityType} needs --entity-name (or --entity-default for brokers)`);
    named.push({ type, name: o.entityDefault ? '' : o.entityName! });
  } else if (o.entityName !== undefined || o.entityDefault) {
    throw new UsageError('--entity-name and --entity-default need --entity-type');
  }
  if (named.length > 1) throw new UsageError('name exactly one entity');
  if (named.length === 0)
    throw new UsageError(
      'name the entity: --topic T, --broker N, --broker-default, --broker-logger N, --group G, or --entity-type/--entity-name',
    );
  return named[0]!;
}

function brokerId(option: string, v: string): string {
  if (!/^\d+$/.test(v)) throw new UsageError(`${option} takes a broker id (an integer), got "${v}"`);
  return v;
}

function entityOptions(cmd: Command): Command {
  return cmd
    .option('--topic <name>', 'a topic')
    .option('--broker <id>', 'a broker (node id): its dynamic configs')
    .option('--broker-default', 'the cluster-wide default of dynamic broker configs')
    .option('--broker-logger <id>', "a broker's log levels (logger names as configs)")
    .option('--group <id>', 'a group (consumer.session.timeout.ms, consumer.heartbeat.interval.ms, ...)')
    .option('--entity-type <type>', 'topics, brokers, groups, broker-loggers (as kafka-configs.sh)')
    .option('--entity-name <name>', 'the entity name')
    .option('--entity-default', 'with --entity-type brokers: the cluster-wide default');
}

function label(r: ConfigResource): string {
  if (r.type === 'broker') return r.name === '' ? 'the default broker' : `broker ${r.name}`;
  if (r.type === 'broker-logger') return `broker-logger ${r.name}`;
  return `${r.type} ${r.name}`;
}

export function registerConfigs(program: Command): void {
  const configs = program.command('configs').description('describe and alter topic, broker, logger and group configs');

  clientCommand(
    entityOptions(configs.command('describe').description('configs of an entity (overrides only unless --all)')),
    { json: true },
  )
    .option('--all', 'every config, defaults included')
    .action(
      action(async (o: EntityOptions & { all?: boolean }) => {
        const r = entity(o);
        const admin = new Admin(clientOptions(o));
        try {
          let list = await admin.describeConfigs(r);
          if (!o.all) list = list.filter((c) => !c.isDefault && c.source !== 'DEFAULT_CONFIG');
          if (o.json) return printJson(list);
          process.stdout.write(
            `${table(
              ['NAME', 'VALUE', 'SOURCE', 'READ-ONLY', 'SENSITIVE'],
              list.map((c) => [
                c.name,
                c.isSensitive ? '(sensitive)' : (c.value ?? 'null'),
                c.source,
                c.readOnly,
                c.isSensitive,
              ]),
            )}\n`,
          );
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(entityOptions(configs.command('alter').description('set or delete configs (incrementally)')))
    .option('--add-config <k=v,...>', 'configs to set; list values as k=[a,b] (repeatable)', collectList, [])
    .option('--delete-config <k,...>', 'overrides to remove (repeatable)', collectList, [])
    .option('--validate-only', 'check without changing anything')
    .action(
      action(async (o: EntityOptions & { addConfig: string[]; deleteConfig: string[]; validateOnly?: boolean }) => {
        const r = entity(o);
        const changes = [
          ...o.addConfig.flatMap(parseConfigList).map(([name, value]) => ({ name, value, op: 'set' as const })),
          ...o.deleteConfig
            .flatMap((s) => s.split(','))
            .filter(Boolean)
            .map((name) => ({ name: name.trim(), op: 'delete' as const })),
        ];
        if (changes.length === 0) throw new UsageError('nothing to alter: give --add-config and/or --delete-config');
        const admin = new Admin(clientOptions(o));
        try {
          const notes = await admin.alterConfigs(r, changes, { validateOnly: o.validateOnly });
          for (const n of notes) process.stderr.write(`Warning: ${n}\n`);
          process.stdout.write(
            o.validateOnly
              ? `Validated config changes for ${label(r)}.\n`
              : `Completed updating config for ${label(r)}.\n`,
          );
        } finally {
          await admin.close();
        }
      }),
    );
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('cluster id, controller and brokers');
  clientCommand(cluster.command('describe').description('cluster id, controller and brokers'), { json: true }).action(
    action(async (o: CommonOptions) => {
      const admin = new Admin(clientOptions(o));
      try {
        const c = await admin.describeCluster();
        if (o.json) return printJson(c);
        process.stdout.write(`Cluster ID: ${c.clusterId}\nController: ${c.controllerId}\n\n`);
        process.stdout.write(
          `${table(
            ['ID', 'HOST', 'PORT', 'RACK'],
            c.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack]),
          )}\n`,
        );
      } finally {
        await admin.close();
      }
    }),
  );
}
