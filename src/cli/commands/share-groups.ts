// tributary share-groups list|describe|reset-offsets|delete-offsets|delete (kafka-share-groups.sh): share groups
// (KIP-932), their members and share-partition offsets (DescribeShareGroupOffsets, AlterShareGroupOffsets,
// DeleteShareGroupOffsets to the group's coordinator).
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import { KafkaClientError } from '../../client/errors.ts';
import { errorName } from '../../protocol/errors.ts';
import type {
  AlterShareGroupOffsetsResponse,
  DeleteShareGroupOffsetsResponse,
  DescribeShareGroupOffsetsResponse,
  ListGroupsResponse,
  ShareGroupDescribeResponse,
} from '../../protocol/generated/messages.ts';
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

const LIST_GROUPS = 16;
const SHARE_GROUP_DESCRIBE = 77;
const DESCRIBE_SHARE_GROUP_OFFSETS = 90;
const ALTER_SHARE_GROUP_OFFSETS = 91;
const DELETE_SHARE_GROUP_OFFSETS = 92;

/** Start offset and lag of each share-partition of `groupId` with state (DescribeShareGroupOffsets v1). */
async function shareOffsets(admin: Admin, groupId: string) {
  const conn = await admin.cluster.coordinator(groupId);
  const res = await conn.send<DescribeShareGroupOffsetsResponse>(DESCRIBE_SHARE_GROUP_OFFSETS, 1, {
    groups: [{ groupId, topics: null }],
  });
  const g = res.groups[0]!;
  if (g.errorCode !== 0) {
    throw new KafkaClientError(g.errorCode, `share group ${groupId}: ${g.errorMessage ?? errorName(g.errorCode)}`);
  }
  return g.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      group: groupId,
      topic: t.topicName,
      partition: p.partitionIndex,
      startOffset: Number(p.startOffset),
      lag: p.lag < 0n ? null : Number(p.lag),
    })),
  );
}

export function registerShareGroups(program: Command): void {
  const cmd = program.command('share-groups').description('list and describe share groups (KIP-932 queues)');

  clientCommand(cmd.command('list').description('share groups'), { json: true }).action(
    action(async (o: CommonOptions) => {
      const admin = new Admin(clientOptions(o));
      try {
        await admin.cluster.refresh([]);
        const out: Array<{ groupId: string; state: string }> = [];
        for (const b of admin.cluster.brokers()) {
          const conn = await admin.cluster.node(b.nodeId);
          const res = await conn.request<ListGroupsResponse>(LIST_GROUPS, { statesFilter: [], typesFilter: ['share'] });
          if (res.errorCode !== 0) throw new KafkaClientError(res.errorCode, 'ListGroups failed');
          // Brokers before ListGroups v5 ignore the type filter: keep share groups only.
          for (const g of res.groups)
            if (g.protocolType === 'share') out.push({ groupId: g.groupId, state: g.groupState ?? '' });
        }
        out.sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
        if (o.json) return printJson(out);
        process.stdout.write(
          `${table(
            ['GROUP', 'STATE'],
            out.map((g) => [g.groupId, g.state]),
          )}\n`,
        );
      } finally {
        await admin.close();
      }
    }),
  );

  clientCommand(cmd.command('describe').description('state, epochs and members with their assignments'), {
    json: true,
  })
    .requiredOption('-g, --group <id>', 'group id (repeatable)', collectList, [])
    .option('--members', 'one line per member with its assignment')
    .option('--offsets', 'start offset and lag of each assigned partition')
    .action(
      action(async (o: CommonOptions & { group: string[]; members?: boolean; offsets?: boolean }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const groups: ShareGroupDescribeResponse['groups'] = [];
          for (const groupId of o.group) {
            const conn = await admin.cluster.coordinator(groupId);
            const res = await conn.send<ShareGroupDescribeResponse>(SHARE_GROUP_DESCRIBE, 1, {
              groupIds: [groupId],
              includeAuthorizedOperations: false,
            });
            const g = res.groups[0]!;
            if (g.errorCode !== 0) {
              throw new KafkaClientError(
                g.errorCode,
                `share group ${groupId}: ${g.errorMessage ?? errorName(g.errorCode)}`,
              );
            }
            groups.push(g);
          }
          if (o.offsets) {
            const rows = [];
            for (const g of groups) rows.push(...(await shareOffsets(admin, g.groupId)));
            if (o.json) return printJson(rows);
            process.stdout.write(
              `${table(
                ['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET', 'LAG'],
                rows.map((r) => [r.group, r.topic, r.partition, r.startOffset < 0 ? null : r.startOffset, r.lag]),
              )}\n`,
            );
            return;
          }
          if (o.json) return printJson(groups);
          if (o.members) {
            const rows = groups.flatMap((g) =>
              g.members.map((m) => [
                g.groupId,
                m.memberId,
                m.clientId,
                m.clientHost,
                m.memberEpoch,
                m.assignment.topicPartitions.map((t) => `${t.topicName}:${t.partitions.join(',')}`).join(';'),
              ]),
            );
            process.stdout.write(
              `${table(['GROUP', 'MEMBER-ID', 'CLIENT-ID', 'HOST', 'EPOCH', 'ASSIGNMENT'], rows)}\n`,
            );
            return;
          }
          process.stdout.write(
            `${table(
              ['GROUP', 'STATE', 'GROUP-EPOCH', 'ASSIGNMENT-EPOCH', 'ASSIGNOR', 'MEMBERS'],
              groups.map((g) => [
                g.groupId,
                g.groupState,
                g.groupEpoch,
                g.assignmentEpoch,
                g.assignorName,
                g.members.length,
              ]),
            )}\n`,
          );
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(cmd.command('delete').description('delete empty share groups and their share-partition state'))
    .requiredOption('-g, --group <id>', 'group id (repeatable)', collectList, [])
    .action(
      action(async (o: CommonOptions & { group: string[] }) => {
        const admin = new Admin(clientOptions(o));
        try {
          for (const groupId of o.group) {
            // Only a share group: DeleteGroups would also delete a consumer group of that name.
            const conn = await admin.cluster.coordinator(groupId);
            const d = await conn.send<ShareGroupDescribeResponse>(SHARE_GROUP_DESCRIBE, 1, {
              groupIds: [groupId],
              includeAuthorizedOperations: false,
            });
            const code = d.groups[0]!.errorCode;
            if (code !== 0) throw new KafkaClientError(code, `Share group '${groupId}' does not exist.`);
            await admin.deleteGroups([groupId]);
            process.stdout.write(`Deleted share group '${groupId}'.\n`);
          }
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(
    cmd
      .command('reset-offsets')
      .description("set the start offset of an empty share group's partitions (dry run unless --execute)"),
    { json: true },
  )
    .requiredOption('-g, --group <id>', 'group id')
    .requiredOption('-t, --topic <topic>', 'topic (repeatable)', collectList, [])
    .option('--to-earliest', 'to the log start')
    .option('--to-latest', 'to the log end')
    .option('--to-offset <n>', 'to this offset')
    .option('--execute', 'set the new start offsets')
    .action(
      action(
        async (
          o: CommonOptions & {
            group: string;
            topic: string[];
            toEarliest?: boolean;
            toLatest?: boolean;
            toOffset?: string;
            execute?: boolean;
          },
        ) => {
          const modes = [o.toEarliest, o.toLatest, o.toOffset].filter((x) => x !== undefined);
          if (modes.length !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset');
          const to = o.toOffset === undefined ? undefined : Number(o.toOffset);
          if (to !== undefined && !(Number.isSafeInteger(to) && to >= 0))
            throw new UsageError(`invalid --to-offset "${o.toOffset}"`);
          const admin = new Admin(clientOptions(o));
          try {
            const topics = [];
            for (const topic of o.topic) {
              const offsets =
                to !== undefined
                  ? (await admin.cluster.topic(topic)).partitions.map((p) => ({ partition: p.partition, offset: to }))
                  : await admin.listOffsets([{ topic }], o.toEarliest ? 'earliest' : 'latest');
              topics.push({
                topicName: topic,
                partitions: offsets
                  .map((p) => ({ partitionIndex: p.partition, startOffset: BigInt(p.offset) }))
                  .sort((a, b) => a.partitionIndex - b.partitionIndex),
              });
            }
            const rows = topics.flatMap((t) =>
              t.partitions.map((p) => ({
                group: o.group,
                topic: t.topicName,
                partition: p.partitionIndex,
                newOffset: Number(p.startOffset),
              })),
            );
            if (o.execute) {
              const conn = await admin.cluster.coordinator(o.group);
              const res = await conn.send<AlterShareGroupOffsetsResponse>(ALTER_SHARE_GROUP_OFFSETS, 0, {
                groupId: o.group,
                topics,
              });
              if (res.errorCode !== 0) {
                throw new KafkaClientError(
                  res.errorCode,
                  `share group ${o.group}: ${res.errorMessage ?? errorName(res.errorCode)}`,
                );
              }
              for (const t of res.responses)
                for (const p of t.partitions)
                  if (p.errorCode !== 0)
                    throw new KafkaClientError(
                      p.errorCode,
                      `${t.topicName}-${p.partitionIndex}: ${p.errorMessage ?? errorName(p.errorCode)}`,
                    );
            }
            if (o.json) return printJson(rows);
            process.stdout.write(
              `${table(
                ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
                rows.map((r) => [r.group, r.topic, r.partition, r.newOffset]),
              )}\n`,
            );
          } finally {
            await admin.close();
          }
        },
      ),
    );

  clientCommand(
    cmd.command('delete-offsets').description("delete an empty share group's share-partition state of topics"),
  )
    .requiredOption('-g, --group <id>', 'group id')
    .requiredOption('-t, --topic <topic>', 'topic (repeatable)', collectList, [])
    .action(
      action(async (o: CommonOptions & { group: string; topic: string[] }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const conn = await admin.cluster.coordinator(o.group);
          const res = await conn.send<DeleteShareGroupOffsetsResponse>(DELETE_SHARE_GROUP_OFFSETS, 0, {
            groupId: o.group,
            topics: o.topic.map((topicName) => ({ topicName })),
          });
          if (res.errorCode !== 0) {
            throw new KafkaClientError(
              res.errorCode,
              `share group ${o.group}: ${res.errorMessage ?? errorName(res.errorCode)}`,
            );
          }
          for (const t of res.responses) {
            if (t.errorCode !== 0)
              throw new KafkaClientError(t.errorCode, `${t.topicName}: ${t.errorMessage ?? errorName(t.errorCode)}`);
            process.stdout.write(`Deleted the offsets of '${t.topicName}' in share group '${o.group}'.\n`);
          }
        } finally {
          await admin.close();
        }
      }),
    );
}
