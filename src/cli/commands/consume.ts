// tributary consume: print records (kcat -C / kafka-console-consumer), with kcat-like format strings.
import type { Command } from 'commander';
import { Admin, type OffsetSpec } from '../../client/admin.ts';
import { Consumer, type ConsumerMessage } from '../../client/consumer.ts';
import { action, type CommonOptions, clientCommand, clientOptions, intOption, UsageError } from './common.ts';

interface ConsumeOptions extends CommonOptions {
  topic: string;
  partition?: string;
  offset?: string;
  fromBeginning?: boolean;
  timestamp?: string;
  group?: string;
  format?: string;
  count?: string;
  follow?: boolean;
  commit?: boolean;
  isolationLevel: string;
}

const text = (b: Buffer | null) => (b === null ? '' : b.toString('utf8'));

/**
 * kcat format tokens: %t topic, %p partition, %o offset, %k key, %s value, %K/%S key/value length (-1 for null),
 * %T timestamp (ms), %h headers (k=v,...), %% a percent sign; escapes \n \r \t \\.
 */
export function formatMessage(fmt: string, m: ConsumerMessage): string {
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '\\' && i + 1 < fmt.length) {
      const n = fmt[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n;
      continue;
    }
    if (c !== '%' || i + 1 >= fmt.length) {
      out += c;
      continue;
    }
    const t = fmt[++i]!;
    switch (t) {
      case 't':
        out += m.topic;
        break;
      case 'p':
        out += m.partition;
        break;
      case 'o':
        out += m.offset;
        break;
      case 'k':
        out += text(m.key);
        break;
      case 's':
        out += text(m.value);
        break;
      case 'K':
        out += m.key === null ? -1 : m.key.length;
        break;
      case 'S':
        out += m.value === null ? -1 : m.value.length;
        break;
      case 'T':
        out += m.timestamp;
        break;
      case 'h':
        out += m.headers.map((h) => `${h.key}=${text(h.value)}`).join(',');
        break;
      case '%':
        out += '%';
        break;
      default:
        out += `%${t}`;
    }
  }
  return out;
}

/** kcat -J envelope. */
export function jsonMessage(m: ConsumerMessage): string {
  return JSON.stringify({
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    tstype: m.timestampType === 'LogAppendTime' ? 'logappend' : 'create',
    ts: m.timestamp,
    headers: m.headers.length
      ? m.headers.flatMap((h) => [h.key, h.value === null ? null : h.value.toString('utf8')])
      : undefined,
    key: m.key === null ? null : m.key.toString('utf8'),
    payload: m.value === null ? null : m.value.toString('utf8'),
  });
}

/** --offset: beginning|earliest, end|latest, N, -N (N before the end), s@ts / @ts (a timestamp). */
function parseStart(o: ConsumeOptions): { spec?: OffsetSpec; offset?: number; relative?: number } {
  if (o.fromBeginning) return { spec: 'earliest' };
  if (o.timestamp !== undefined) {
    const ts = /^\d+$/.test(o.timestamp) ? Number(o.timestamp) : Date.parse(o.timestamp);
    if (Number.isNaN(ts)) throw new UsageError(`invalid --timestamp "${o.timestamp}" (ms since epoch or ISO date)`);
    return { spec: { timestamp: ts } };
  }
  const v = o.offset;
  if (v === undefined) return {};
  if (v === 'beginning' || v === 'earliest') return { spec: 'earliest' };
  if (v === 'end' || v === 'latest') return { spec: 'latest' };
  const at = /^s?@(\d+)$/.exec(v);
  if (at) return { spec: { timestamp: Number(at[1]) } };
  if (/^-\d+$/.test(v)) return { relative: Number(v) };
  if (/^\d+$/.test(v)) return { offset: Number(v) };
  throw new UsageError(`invalid --offset "${v}" (beginning, end, N, -N or s@timestamp)`);
}

export function registerConsume(program: Command): void {
  clientCommand(
    program
      .command('consume')
      .description('print records of a topic; stops at the end of the partitions unless --follow')
      .requiredOption('-t, --topic <name>', 'topic to read')
      .option('-p, --partition <n>', 'only this partition')
      .option('-o, --offset <where>', 'beginning, end, N, -N (relative to the end), s@timestamp')
      .option('--from-beginning', 'start at the earliest offset')
      .option('--timestamp <ts>', 'start at the first record at or after this time (ms or ISO date)')
      .option('-g, --group <id>', 'consume as a member of this group (commits offsets)')
      .option('-f, --format <fmt>', "kcat-style format, e.g. '%k %s %o %p %t %h\\n' (default '%s\\n')")
      .option('--json', 'one JSON object per record (kcat -J envelope)')
      .option('-c, --count <n>', 'stop after n records')
      .option('-F, --follow', 'keep waiting for new records')
      .option('--isolation-level <level>', 'read_uncommitted or read_committed', 'read_uncommitted'),
  ).action(
    action(async (o: ConsumeOptions) => {
      const start = parseStart(o);
      const count = intOption('--count', o.count);
      const partition = intOption('--partition', o.partition);
      const fmt = o.format ?? '%s\\n';
      if (o.group && partition !== undefined) throw new UsageError('--group and --partition cannot be combined');
      const consumer = new Consumer({
        ...clientOptions(o),
        groupId: o.group,
        autoOffsetReset: start.spec === 'earliest' ? 'earliest' : 'latest',
        isolationLevel: o.isolationLevel === 'read_committed' ? 'read_committed' : 'read_uncommitted',
        heartbeatIntervalMs: 1000,
        sessionTimeoutMs: 10000,
      });
      let n = 0;
      let admin: Admin | undefined;
      const ends = new Map<string, number>();
      const out: string[] = [];
      const write = () => {
        if (out.length) process.stdout.write(out.join(''));
        out.length = 0;
      };
      let stop = false;
      const onSignal = () => {
        stop = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        if (o.group) {
          await consumer.subscribe([o.topic]);
        } else {
          const meta = await consumer.cluster.topic(o.topic);
          const parts = partition !== undefined ? [partition] : meta.partitions.map((p) => p.partition);
          if (partition !== undefined && !meta.partitions.some((p) => p.partition === partition))
            throw new UsageError(`topic ${o.topic} has no partition ${partition}`);
          consumer.assign(
            parts.map((p) => ({
              topic: o.topic,
              partition: p,
              ...(start.offset !== undefined ? { offset: start.offset } : { from: start.spec ?? 'latest' }),
            })),
          );
          if (start.relative !== undefined)
            for (const p of parts) {
              const end = await consumer.position({ topic: o.topic, partition: p });
              consumer.seek({ topic: o.topic, partition: p, offset: Math.max(0, end + start.relative) });
            }
        }
        const atEnd = async (): Promise<boolean> => {
          const assigned = consumer.assignment();
          if (assigned.length === 0) return false;
          for (const tp of assigned) {
            const k = `${tp.partition}`;
            if (!ends.has(k)) {
              admin ??= new Admin(clientOptions(o));
              const [e] = await admin.listOffsets([{ topic: tp.topic, partitions: [tp.partition] }], 'latest');
              ends.set(k, e!.offset);
            }
            if ((await consumer.position(tp)) < ends.get(k)!) return false;
          }
          return true;
        };
        while (!stop && (count === undefined || n < count)) {
          const batch = await consumer.poll(o.follow ? 1000 : 500);
          for (const m of batch) {
            if (count !== undefined && n >= count) {
              // Not printed: hand it out again (and do not commit past it).
              const tp = { topic: m.topic, partition: m.partition };
              if ((await consumer.position(tp)) > m.offset) consumer.seek({ ...tp, offset: m.offset });
              continue;
            }
            out.push(o.json ? `${jsonMessage(m)}\n` : formatMessage(fmt, m));
            n++;
          }
          write();
          if (!o.follow && batch.length === 0 && (await atEnd())) break;
        }
        write();
        if (o.group) await consumer.commit().catch(() => undefined);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await consumer.close().catch(() => undefined);
        await admin?.close();
        process.stderr.write(`Processed a total of ${n} messages\n`);
      }
    }),
  );
}
