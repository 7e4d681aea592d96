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
  group?: string;
  entityType?: string;
  entityName?: string;
}

function entity(o: EntityOptions): ConfigResource {
  if (o.topic !== undefined) return { type: 'topic', name: o.topic };
  if (o.broker !== undefined) return { type: 'broker', name: o.broker };
  if (o.group !== undefined) return { type: 'group', name: o.group };
  if (o.entityType) {
    const type = ({ topics: 'topic', brokers: 'broker', groups: 'group', 'broker-loggers': 'broker-logger' } as const)[
      o.entityType
    ];
    if (!type) throw new UsageError(`unknown --entity-type ${o.entityType} (topics, brokers, groups, broker-loggers)`);
    return { type, name: o.entityName ?? '' };
  }
  throw new UsageError('name the entity: --topic T, --broker N, --group G or --entity-type/--entity-name');
}

function entityOptions(cmd: Command): Command {
  return cmd
    .option('--topic <name>', 'a topic')
    .option('--broker <id>', 'a broker (node id)')
    .option('--group <id>', 'a consumer group')
    .option('--entity-type <type>', 'topics, brokers, groups')
    .option('--entity-name <name>', 'the entity name');
}

export function registerConfigs(program: Command): void {
  const configs = program.command('configs').description('describe and alter topic, broker and group configs');

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
          await admin.alterConfigs(r, changes, { validateOnly: o.validateOnly });
          process.stdout.write(`Completed updating config for ${r.type} ${r.name}.\n`);
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
