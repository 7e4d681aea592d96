// tributary share-groups list|describe|delete (kafka-share-groups.sh): share groups (KIP-932) and their members.
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import { KafkaClientError } from '../../client/errors.ts';
import { partitionForGroup } from '../../coordinator/group/records.ts';
import { errorName } from '../../protocol/errors.ts';
import type {
  ListGroupsResponse,
  ReadShareGroupStateResponse,
  ShareGroupDescribeResponse,
} from '../../protocol/generated/messages.ts';
import { action, type CommonOptions, clientCommand, clientOptions, collectList, printJson, table } from './common.ts';

const LIST_GROUPS = 16;
const SHARE_GROUP_DESCRIBE = 77;
const READ_SHARE_GROUP_STATE = 84;
const SHARE_STATE_TOPIC = '__share_group_state';

/**
 * Start offset and lag of each partition assigned in `g`, read from the share coordinator (ReadShareGroupState to
 * the leader of the key's __share_group_state partition; DescribeShareGroupOffsets comes with the kafka-4.4
 * protocol). Lag: records between the start offset and the high watermark not yet acknowledged or archived.
 */
async function shareOffsets(admin: Admin, g: ShareGroupDescribeResponse['groups'][number]) {
  const parts = new Map<string, { topic: string; topicId: string; partition: number }>();
  for (const m of g.members)
    for (const t of m.assignment.topicPartitions)
      for (const p of t.partitions)
        parts.set(`${t.topicName}\0${p}`, { topic: t.topicName, topicId: t.topicId, partition: p });
  if (parts.size === 0) return [];
  const stateTopic = await admin.cluster.topic(SHARE_STATE_TOPIC);
  const n = stateTopic.partitions.length;
  const out: Array<{ group: string; topic: string; partition: number; startOffset: number; lag: number | null }> = [];
  for (const p of [...parts.values()].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  )) {
    const conn = await admin.cluster.leader(
      SHARE_STATE_TOPIC,
      partitionForGroup(`${g.groupId}:${p.topicId}:${p.partition}`, n),
    );
    const res = await conn.send<ReadShareGroupStateResponse>(READ_SHARE_GROUP_STATE, 0, {
      groupId: g.groupId,
      topics: [{ topicId: p.topicId, partitions: [{ partition: p.partition, leaderEpoch: -1 }] }],
    });
    const r = res.results[0]?.partitions[0] ?? { errorCode: -1, startOffset: -1n, stateBatches: [] };
    if (r.errorCode !== 0) {
      // Never fetched: no share-partition state yet.
      out.push({ group: g.groupId, topic: p.topic, partition: p.partition, startOffset: -1, lag: null });
      continue;
    }
    const start = Number(r.startOffset);
    const [hw] = await admin.listOffsets([{ topic: p.topic, partitions: [p.partition] }], 'latest');
    let done = 0;
    for (const b of r.stateBatches) {
      if (b.deliveryState !== 2 && b.deliveryState !== 4) continue;
      const first = Math.max(Number(b.firstOffset), start);
      const last = Math.min(Number(b.lastOffset), hw!.offset - 1);
      if (last >= first) done += last - first + 1;
    }
    out.push({
      group: g.groupId,
      topic: p.topic,
      partition: p.partition,
      startOffset: start,
      lag: Math.max(0, hw!.offset - start - done),
    });
  }
  return out;
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
            // v0: the version src/protocol/generated holds (the client's version table does not list it yet).
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
            for (const g of groups) rows.push(...(await shareOffsets(admin, g)));
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
}
