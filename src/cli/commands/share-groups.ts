// tributary share-groups list|describe|delete (kafka-share-groups.sh): share groups (KIP-932) and their members.
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import { KafkaClientError } from '../../client/errors.ts';
import { errorName } from '../../protocol/errors.ts';
import type { ListGroupsResponse, ShareGroupDescribeResponse } from '../../protocol/generated/messages.ts';
import { action, type CommonOptions, clientCommand, clientOptions, collectList, printJson, table } from './common.ts';

const LIST_GROUPS = 16;
const SHARE_GROUP_DESCRIBE = 77;

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
    .action(
      action(async (o: CommonOptions & { group: string[]; members?: boolean }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const groups: ShareGroupDescribeResponse['groups'] = [];
          for (const groupId of o.group) {
            const conn = await admin.cluster.coordinator(groupId);
            // v0: the version src/protocol/generated holds (the client's version table does not list it yet).
            const res = await conn.send<ShareGroupDescribeResponse>(SHARE_GROUP_DESCRIBE, 0, {
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
            const d = await conn.send<ShareGroupDescribeResponse>(SHARE_GROUP_DESCRIBE, 0, {
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
}
