// tributary produce: one record per line from stdin or a file (kafka-console-producer / kcat -P).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { type CompressionName, Producer, type ProducerMessage } from '../../client/producer.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  collectList,
  intOption,
  UsageError,
} from './common.ts';

interface ProduceOptions extends CommonOptions {
  topic: string;
  file?: string;
  keySeparator?: string;
  header: string[];
  parseHeaders?: boolean;
  partition?: string;
  compression: string;
  acks: string;
  lingerMs: string;
  batchSize: string;
  nullEmpty?: boolean;
}

function parseHeaderPairs(s: string, pairSep: string, kvSep: string): { key: string; value: string | null }[] {
  return s
    .split(pairSep)
    .filter(Boolean)
    .map((h) => {
      const i = h.indexOf(kvSep);
      return i < 0 ? { key: h, value: null } : { key: h.slice(0, i), value: h.slice(i + 1) };
    });
}

/** One input line → a message. */
export function parseLine(
  line: string,
  o: Pick<ProduceOptions, 'json' | 'keySeparator' | 'parseHeaders' | 'nullEmpty'>,
): ProducerMessage<string | null, string | null> {
  if (o.json) {
    let v: { key?: unknown; value?: unknown; headers?: Record<string, string>; partition?: number; timestamp?: number };
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`invalid JSON line: ${(e as Error).message}`);
    }
    const str = (x: unknown) => (x === undefined || x === null ? null : typeof x === 'string' ? x : JSON.stringify(x));
    return { key: str(v.key), value: str(v.value), headers: v.headers, partition: v.partition, timestamp: v.timestamp };
  }
  let rest = line;
  let headers: { key: string; value: string | null }[] | undefined;
  if (o.parseHeaders) {
    const i = rest.indexOf('\t');
    if (i < 0) throw new UsageError(`no headers delimiter (tab) in line "${line}"`);
    headers = parseHeaderPairs(rest.slice(0, i), ',', ':');
    rest = rest.slice(i + 1);
  }
  let key: string | null = null;
  if (o.keySeparator !== undefined) {
    const i = rest.indexOf(o.keySeparator);
    if (i < 0) throw new UsageError(`no key separator "${o.keySeparator}" in line "${line}"`);
    key = rest.slice(0, i);
    rest = rest.slice(i + o.keySeparator.length);
  }
  const value = rest === '' && o.nullEmpty ? null : rest;
  return { key, value, headers };
}

export function registerProduce(program: Command): void {
  clientCommand(
    program
      .command('produce')
      .description('produce one record per input line (stdin, or --file)')
      .requiredOption('-t, --topic <name>', 'topic to write to')
      .option('-f, --file <path>', 'read lines from this file instead of stdin')
      .option('-K, --key-separator <sep>', 'each line is key<sep>value')
      .option('-H, --header <key=value>', 'a header added to every record (repeatable)', collectList, [])
      .option('--parse-headers', 'lines start with k1:v1,k2:v2<TAB> (kafka-console-producer parse.headers)')
      .option('--json', 'each line is a JSON object {key, value, headers, partition, timestamp}')
      .option('-p, --partition <n>', 'write every record to this partition')
      .option('-z, --compression <codec>', 'none, gzip, snappy, lz4, zstd', 'none')
      .option('--acks <acks>', '0, 1 or all', 'all')
      .option('--linger-ms <ms>', 'batching delay', '5')
      .option('--batch-size <bytes>', 'batch size per partition', '16384')
      .option('-Z, --null-empty', 'send empty values as null (tombstones)'),
  ).action(
    action(async (o: ProduceOptions) => {
      const staticHeaders = o.header.map((h) => {
        const i = h.indexOf('=');
        if (i <= 0) throw new UsageError(`invalid header "${h}" (expected key=value)`);
        return { key: h.slice(0, i), value: h.slice(i + 1) };
      });
      const partition = intOption('--partition', o.partition);
      const producer = new Producer<string | null, string | null>({
        ...clientOptions(o),
        compression: o.compression as CompressionName,
        acks: o.acks === 'all' ? -1 : (Number(o.acks) as 0 | 1 | -1),
        lingerMs: Number(o.lingerMs),
        batchSize: Number(o.batchSize),
      });
      const input = o.file ? createReadStream(o.file) : process.stdin;
      const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      let pending: ProducerMessage<string | null, string | null>[] = [];
      const inflight = new Set<Promise<unknown>>();
      let failure: Error | undefined;
      const flush = async () => {
        if (pending.length === 0) return;
        const messages = pending;
        pending = [];
        const p = producer.send({ topic: o.topic, messages }).catch((e: Error) => {
          failure ??= e;
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= 8) await Promise.race(inflight);
      };
      try {
        for await (const line of rl) {
          if (failure) break;
          const m = parseLine(line, o);
          if (staticHeaders.length) {
            const hs = Array.isArray(m.headers)
              ? m.headers
              : Object.entries(m.headers ?? {}).map(([key, value]) => ({ key, value: value as string }));
            m.headers = [...hs, ...staticHeaders];
          }
          if (partition !== undefined) m.partition = partition;
          pending.push(m);
          if (pending.length >= 1000) await flush();
        }
        await flush();
        await Promise.all(inflight);
        if (failure) throw failure;
      } finally {
        rl.close();
        await producer.close().catch(() => undefined);
      }
    }),
  );
}
