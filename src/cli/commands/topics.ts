// tributary topics list|create|describe|alter|delete (kafka-topics.sh).
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  collectList,
  intOption,
  parseConfigList,
  printJson,
  UsageError,
} from './common.ts';

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('list, create, describe, alter and delete topics');

  clientCommand(topics.command('list').description('list topic names'), { json: true })
    .option('--exclude-internal', 'leave out internal topics (__consumer_offsets, ...)')
    .action(
      action(async (o: CommonOptions & { excludeInternal?: boolean }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const names = await admin.listTopics({ includeInternal: !o.excludeInternal });
          if (o.json) printJson(names);
          else if (names.length) process.stdout.write(`${names.join('\n')}\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(topics.command('create').description('create a topic'))
    .requiredOption('-t, --topic <name>', 'topic name')
    .option('-p, --partitions <n>', 'partition count (default: the broker num.partitions)')
    .option('-r, --replication-factor <n>', 'replication factor (default: the broker default.replication.factor)')
    .option('-c, --config <key=value>', 'topic config (repeatable, or comma-separated)', collectList, [])
    .option('--if-not-exists', 'no error if the topic exists')
    .action(
      action(
        async (
          o: CommonOptions & {
            topic: string;
            partitions?: string;
            replicationFactor?: string;
            config: string[];
            ifNotExists?: boolean;
          },
        ) => {
          const admin = new Admin(clientOptions(o));
          try {
            const configs = Object.fromEntries(o.config.flatMap(parseConfigList));
            const created = await admin.createTopics(
              [
                {
                  topic: o.topic,
                  numPartitions: intOption('--partitions', o.partitions),
                  replicationFactor: intOption('--replication-factor', o.replicationFactor),
                  configs,
                },
              ],
              { ifNotExists: o.ifNotExists },
            );
            if (created.length) process.stdout.write(`Created topic ${o.topic}.\n`);
          } finally {
            await admin.close();
          }
        },
      ),
    );

  clientCommand(topics.command('describe').description('partitions, leaders, replicas and config overrides'), {
    json: true,
  })
    .option('-t, --topic <name>', 'topic (repeatable; default: all)', collectList, [])
    .option('--exclude-internal', 'leave out internal topics')
    .action(
      action(async (o: CommonOptions & { topic: string[]; excludeInternal?: boolean }) => {
        const admin = new Admin(clientOptions(o));
        try {
          let list = await admin.describeTopics(o.topic.length ? o.topic : undefined);
          if (o.excludeInternal) list = list.filter((t) => !t.isInternal);
          const withConfigs = await Promise.all(
            list.map(async (t) => ({
              ...t,
              configs: Object.fromEntries(
                (await admin.describeConfigs({ type: 'topic', name: t.name }))
                  .filter((c) => c.source === 'DYNAMIC_TOPIC_CONFIG')
                  .map((c) => [c.name, c.value]),
              ),
            })),
          );
          if (o.json) return printJson(withConfigs);
          const out: string[] = [];
          for (const t of withConfigs) {
            const rf = t.partitions[0]?.replicas.length ?? 0;
            const cfg = Object.entries(t.configs)
              .map(([k, v]) => `${k}=${v}`)
              .join(',');
            out.push(
              `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${cfg}`,
            );
            for (const p of t.partitions)
              out.push(
                `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`,
              );
          }
          if (out.length) process.stdout.write(`${out.join('\n')}\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(topics.command('alter').description('raise the partition count and/or change configs'))
    .requiredOption('-t, --topic <name>', 'topic name')
    .option('-p, --partitions <n>', 'new (higher) partition count')
    .option('-c, --config <key=value>', 'set a topic config (repeatable, or comma-separated)', collectList, [])
    .option('--delete-config <key>', 'remove a config override (repeatable)', collectList, [])
    .action(
      action(
        async (o: CommonOptions & { topic: string; partitions?: string; config: string[]; deleteConfig: string[] }) => {
          const count = intOption('--partitions', o.partitions);
          if (count === undefined && o.config.length === 0 && o.deleteConfig.length === 0)
            throw new UsageError('nothing to alter: give --partitions, --config or --delete-config');
          const admin = new Admin(clientOptions(o));
          try {
            if (count !== undefined) await admin.createPartitions([{ topic: o.topic, count }]);
            const changes = [
              ...o.config.flatMap(parseConfigList).map(([name, value]) => ({ name, value, op: 'set' as const })),
              ...o.deleteConfig.map((name) => ({ name, op: 'delete' as const })),
            ];
            if (changes.length) await admin.alterConfigs({ type: 'topic', name: o.topic }, changes);
            process.stdout.write(`Altered topic ${o.topic}.\n`);
          } finally {
            await admin.close();
          }
        },
      ),
    );

  clientCommand(topics.command('delete').description('delete topics'))
    .requiredOption('-t, --topic <name>', 'topic (repeatable)', collectList, [])
    .option('--if-exists', 'no error if a topic does not exist')
    .action(
      action(async (o: CommonOptions & { topic: string[]; ifExists?: boolean }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const deleted = await admin.deleteTopics(o.topic, { ifExists: o.ifExists });
          for (const t of deleted) process.stdout.write(`Deleted topic ${t}.\n`);
          // --if-exists: a topic that was not there is not an error (as kafka-topics.sh), but nothing was deleted.
          for (const t of o.topic)
            if (!deleted.includes(t)) process.stdout.write(`Topic ${t} does not exist: nothing deleted.\n`);
        } finally {
          await admin.close();
        }
      }),
    );
}
