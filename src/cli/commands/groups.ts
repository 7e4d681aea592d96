// tributary groups list|describe|reset-offsets|delete (kafka-consumer-groups.sh).
import type { Command } from 'commander';
import { Admin, type GroupDescription, type OffsetSpec } from '../../client/admin.ts';
import { KafkaClientError } from '../../client/errors.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  collectList,
  EXIT_FAILURE,
  printJson,
  table,
  UsageError,
} from './common.ts';

interface ResetOptions extends CommonOptions {
  group: string;
  topic: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  shiftBy?: string;
  toDatetime?: string;
  byDuration?: string;
  toCurrent?: boolean;
  execute?: boolean;
  dryRun?: boolean;
}

/** ISO-8601 duration PnDTnHnMnS → ms. */
export function parseDuration(s: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) throw new UsageError(`invalid --by-duration "${s}" (e.g. PT1H, P1DT12H)`);
  const [, d, h, min, sec] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(sec ?? 0) * 1000;
}

/** The group's description, or undefined when it does not exist (GROUP_ID_NOT_FOUND, or Dead before Kafka 4). */
async function describeGroup(admin: Admin, groupId: string): Promise<GroupDescription | undefined> {
  try {
    const [d] = await admin.describeGroups([groupId]);
    return d!.state === 'Dead' ? undefined : d;
  } catch (e) {
    if (e instanceof KafkaClientError && e.name === 'GROUP_ID_NOT_FOUND') return undefined;
    throw e;
  }
}

export function registerGroups(program: Command): void {
  const groups = program.command('groups').description('list, describe, reset offsets of and delete consumer groups');

  clientCommand(groups.command('list').description('consumer groups'), { json: true }).action(
    action(async (o: CommonOptions) => {
      const admin = new Admin(clientOptions(o));
      try {
        const list = await admin.listGroups();
        if (o.json) return printJson(list);
        process.stdout.write(
          `${table(
            ['GROUP', 'STATE', 'PROTOCOL-TYPE', 'TYPE'],
            list.map((g) => [g.groupId, g.state, g.protocolType, g.type]),
          )}\n`,
        );
      } finally {
        await admin.close();
      }
    }),
  );

  clientCommand(groups.command('describe').description('per-partition offsets and lag, or members with --members'), {
    json: true,
  })
    .requiredOption('-g, --group <id>', 'group id (repeatable)', collectList, [])
    .option('--members', 'list the members and their assignments instead')
    .option('--state', 'only the group state')
    .action(
      action(async (o: CommonOptions & { group: string[]; members?: boolean; state?: boolean }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const result: unknown[] = [];
          const text: string[] = [];
          for (const groupId of o.group) {
            const d = await describeGroup(admin, groupId);
            if (d === undefined) {
              // As kafka-consumer-groups.sh says it; and a failure, so that scripts can tell.
              process.stderr.write(`Error: Consumer group '${groupId}' does not exist.\n`);
              process.exitCode = EXIT_FAILURE;
              continue;
            }
            if (o.state || o.members) {
              result.push(d);
              if (o.state)
                text.push(
                  table(['GROUP', 'STATE', 'PROTOCOL', '#MEMBERS'], [[groupId, d.state, d.protocol, d.members.length]]),
                );
              else if (d.members.length === 0) text.push(`Consumer group '${groupId}' has no active members.`);
              else
                text.push(
                  table(
                    ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'],
                    d.members.map((m) => [
                      groupId,
                      m.memberId,
                      m.clientHost,
                      m.clientId,
                      [...m.assignment.values()].reduce((n, ps) => n + ps.length, 0),
                      [...m.assignment].map(([t, ps]) => `${t}(${ps.join(',')})`).join(' '),
                    ]),
                  ),
                );
              continue;
            }
            const lag = await admin.describeGroupLag(groupId);
            result.push({ groupId, state: d.state, partitions: lag });
            if (d.state === 'Empty') text.push(`Consumer group '${groupId}' has no active members.`);
            text.push(
              table(
                [
                  'GROUP',
                  'TOPIC',
                  'PARTITION',
                  'CURRENT-OFFSET',
                  'LOG-END-OFFSET',
                  'LAG',
                  'CONSUMER-ID',
                  'HOST',
                  'CLIENT-ID',
                ],
                lag.map((l) => [
                  groupId,
                  l.topic,
                  l.partition,
                  l.offset < 0 ? '-' : l.offset,
                  l.logEndOffset,
                  l.lag,
                  l.memberId,
                  l.host,
                  l.clientId,
                ]),
              ),
            );
          }
          if (o.json) return printJson(result);
          if (text.length) process.stdout.write(`${text.join('\n\n')}\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(
    groups
      .command('reset-offsets')
      .description('move committed offsets of an inactive group (dry run unless --execute)'),
    { json: true },
  )
    .requiredOption('-g, --group <id>', 'group id')
    .option('-t, --topic <topic[:p,...]>', 'topic, optionally with partitions (repeatable)', collectList, [])
    .option('--all-topics', 'every topic the group has offsets for')
    .option('--to-earliest', 'to the log start')
    .option('--to-latest', 'to the log end')
    .option('--to-offset <n>', 'to this offset')
    .option('--shift-by <n>', 'move by n (negative: back)')
    .option('--to-datetime <iso>', 'to the first offset at or after this time, e.g. 2024-01-01T00:00:00.000')
    .option('--by-duration <PnDTnHnMnS>', 'to the first offset at or after now minus this duration')
    .option('--to-current', 'to the current committed offset')
    .option('--dry-run', 'show the result only (the default)')
    .option('--execute', 'commit the new offsets')
    .action(
      action(async (o: ResetOptions) => {
        const modes = [o.toEarliest, o.toLatest, o.toOffset, o.shiftBy, o.toDatetime, o.byDuration, o.toCurrent].filter(
          (x) => x !== undefined,
        );
        if (modes.length !== 1)
          throw new UsageError(
            'give exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime, --by-duration, --to-current',
          );
        if (!o.allTopics && o.topic.length === 0) throw new UsageError('give --topic or --all-topics');
        const admin = new Admin(clientOptions(o));
        try {
          // A group that does not exist is inactive: resetting gives it offsets (as kafka-consumer-groups.sh does).
          const desc = await describeGroup(admin, o.group);
          if (o.execute && desc !== undefined && desc.state !== 'Empty')
            throw new UsageError(
              `group ${o.group} is ${desc.state}: stop its consumers before resetting offsets (it must be inactive)`,
            );
          const current = await admin.fetchGroupOffsets(o.group);
          let targets: { topic: string; partitions?: number[] }[];
          if (o.allTopics) targets = [...new Set(current.map((c) => c.topic))].map((topic) => ({ topic }));
          else
            targets = o.topic.map((t) => {
              const [topic, ps] = t.split(':') as [string, string | undefined];
              return { topic, partitions: ps ? ps.split(',').map(Number) : undefined };
            });
          const earliest = await admin.listOffsets(targets, 'earliest');
          const latest = await admin.listOffsets(targets, 'latest');
          const find = (list: { topic: string; partition: number; offset: number }[], t: string, p: number) =>
            list.find((x) => x.topic === t && x.partition === p)?.offset ?? -1;
          let spec: OffsetSpec | undefined;
          if (o.toDatetime) {
            const ts = Date.parse(o.toDatetime);
            if (Number.isNaN(ts)) throw new UsageError(`invalid --to-datetime "${o.toDatetime}"`);
            spec = { timestamp: ts };
          } else if (o.byDuration) spec = { timestamp: Date.now() - parseDuration(o.byDuration) };
          const byTime = spec ? await admin.listOffsets(targets, spec) : [];
          const plan = earliest.map(({ topic, partition }) => {
            const lo = find(earliest, topic, partition);
            const hi = find(latest, topic, partition);
            const cur = find(current, topic, partition);
            let next: number;
            if (o.toEarliest) next = lo;
            else if (o.toLatest) next = hi;
            else if (o.toOffset !== undefined) next = Number(o.toOffset);
            else if (o.shiftBy !== undefined) next = (cur >= 0 ? cur : lo) + Number(o.shiftBy);
            else if (spec) {
              const t = find(byTime, topic, partition);
              next = t >= 0 ? t : hi;
            } else next = cur >= 0 ? cur : lo;
            return { topic, partition, offset: Math.min(Math.max(next, lo), hi) };
          });
          if (o.execute) await admin.commitGroupOffsets(o.group, plan);
          if (o.json) return printJson(plan.map((p) => ({ group: o.group, ...p })));
          process.stdout.write(
            `${table(
              ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
              plan.map((p) => [o.group, p.topic, p.partition, p.offset]),
            )}\n`,
          );
          if (!o.execute) process.stderr.write('Dry run: nothing committed (use --execute).\n');
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(groups.command('delete').description('delete inactive groups and their offsets'))
    .requiredOption('-g, --group <id>', 'group id (repeatable)', collectList, [])
    .action(
      action(async (o: CommonOptions & { group: string[] }) => {
        const admin = new Admin(clientOptions(o));
        try {
          await admin.deleteGroups(o.group);
          for (const g of o.group) process.stdout.write(`Deleted consumer group '${g}'.\n`);
        } finally {
          await admin.close();
        }
      }),
    );
}
