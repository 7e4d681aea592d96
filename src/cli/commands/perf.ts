// tributary perf produce|consume (kafka-producer-perf-test / kafka-consumer-perf-test).
import type { Command } from 'commander';
import { Consumer } from '../../client/consumer.ts';
import { type CompressionName, Producer, type ProducerOptions } from '../../client/producer.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  intOption,
  parseConfigList,
  UsageError,
} from './common.ts';

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function bar(done: number, total: number): string {
  const w = 30;
  const f = Math.round((done / total) * w);
  return `[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${((done / total) * 100).toFixed(0).padStart(3)}%`;
}

export interface ProducePerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
}

const PRODUCER_PROPS = [
  'acks',
  'linger.ms',
  'batch.size',
  'compression.type',
  'bootstrap.servers',
  'client.id',
  'enable.idempotence',
  'max.in.flight.requests.per.connection',
];

/** kafka-producer-perf-test's `--producer-props k=v ...` → Producer options; an unknown or invalid one is a usage error. */
export function producerProps(list: string[], compression: string | undefined): Partial<ProducerOptions> {
  const props = Object.fromEntries(list.flatMap(parseConfigList));
  for (const k of Object.keys(props))
    if (!PRODUCER_PROPS.includes(k))
      throw new UsageError(`unsupported producer property ${k} (supported: ${PRODUCER_PROPS.join(', ')})`);
  const int = (k: string, dflt: number) => {
    const v = props[k];
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) throw new UsageError(`producer property ${k} must be a non-negative integer, got "${v}"`);
    return Number(v);
  };
  const acks = props.acks ?? 'all';
  if (!['all', '-1', '0', '1'].includes(acks)) throw new UsageError(`producer property acks must be all, -1, 0 or 1`);
  const idempotence = props['enable.idempotence'] ?? 'false';
  if (idempotence !== 'true' && idempotence !== 'false')
    throw new UsageError(`producer property enable.idempotence must be true or false, got "${idempotence}"`);
  if (idempotence === 'true' && acks !== 'all' && acks !== '-1')
    throw new UsageError('enable.idempotence=true needs acks=all (as the Java producer requires)');
  return {
    ...(props['bootstrap.servers'] ? { bootstrapServers: props['bootstrap.servers'] } : {}),
    ...(props['client.id'] ? { clientId: props['client.id'] } : {}),
    acks: acks === 'all' ? -1 : (Number(acks) as 0 | 1 | -1),
    lingerMs: int('linger.ms', 5),
    batchSize: int('batch.size', 16384 * 4),
    maxInFlightRequests: int('max.in.flight.requests.per.connection', 5),
    idempotent: idempotence === 'true',
    compression: (compression ?? props['compression.type'] ?? 'none') as CompressionName,
  };
}

export function registerPerf(program: Command): void {
  const perf = program.command('perf').description('throughput and latency tests');

  clientCommand(perf.command('produce').description('kafka-producer-perf-test: records/s, MB/s, latency percentiles'), {
    json: true,
  })
    .requiredOption('-t, --topic <name>', 'topic')
    .requiredOption('-n, --num-records <n>', 'records to send')
    .option('-s, --record-size <bytes>', 'value size', '1024')
    .option('--throughput <n>', 'records/s cap (-1: none)', '-1')
    .option(
      '--producer-props <k=v...>',
      'producer properties, space-separated as kafka-producer-perf-test takes them (acks, linger.ms, batch.size, compression.type, enable.idempotence, ...)',
    )
    .option('-z, --compression <codec>', 'none, gzip, snappy, lz4, zstd')
    .option(
      '--buffer-memory <bytes>',
      'bytes of records awaiting acknowledgement at most (Kafka buffer.memory)',
      '33554432',
    )
    .action(
      action(
        async (
          o: CommonOptions & {
            topic: string;
            numRecords: string;
            recordSize: string;
            throughput: string;
            producerProps?: string[];
            compression?: string;
            bufferMemory: string;
          },
        ) => {
          const n = intOption('--num-records', o.numRecords)!;
          const size = intOption('--record-size', o.recordSize)!;
          const throughput = Number(o.throughput);
          const producer = new Producer({
            ...clientOptions(o),
            ...producerProps(o.producerProps ?? [], o.compression),
          });
          const payload = Buffer.alloc(size);
          for (let i = 0; i < size; i++) payload[i] = 65 + (i % 26);
          const latencies = new Float64Array(n);
          const maxInFlight = Math.max(1, Math.floor(Number(o.bufferMemory) / Math.max(size, 1)));
          const tty = process.stderr.isTTY && !o.json;
          let acked = 0;
          let inflight = 0;
          let windowCount = 0;
          let windowLat = 0;
          let windowMax = 0;
          let windowStart = performance.now();
          let failure: Error | undefined;
          let wake: (() => void) | undefined;
          const start = performance.now();
          try {
            await producer.connect();
            await producer.cluster.topic(o.topic, true);
            for (let i = 0; i < n && !failure; i++) {
              if (throughput > 0) {
                const due = start + (i / throughput) * 1000;
                const wait = due - performance.now();
                if (wait > 1) await new Promise((r) => setTimeout(r, wait));
              }
              while (inflight >= maxInFlight) await new Promise<void>((r) => (wake = r));
              const t0 = performance.now();
              inflight++;
              producer.send({ topic: o.topic, messages: [{ value: payload }] }).then(
                () => {
                  const lat = performance.now() - t0;
                  latencies[acked++] = lat;
                  inflight--;
                  windowCount++;
                  windowLat += lat;
                  if (lat > windowMax) windowMax = lat;
                  const now = performance.now();
                  if (now - windowStart >= 5000 && !o.json) {
                    const secs = (now - windowStart) / 1000;
                    if (tty) process.stderr.write('\r\x1b[K');
                    process.stdout.write(
                      `${windowCount} records sent, ${(windowCount / secs).toFixed(1)} records/sec (${((windowCount * size) / secs / 1048576).toFixed(2)} MB/sec), ${(windowLat / windowCount).toFixed(1)} ms avg latency, ${windowMax.toFixed(1)} ms max latency.\n`,
                    );
                    windowStart = now;
                    windowCount = 0;
                    windowLat = 0;
                    windowMax = 0;
                  }
                  if (tty && acked % 1000 === 0) process.stderr.write(`\r${bar(acked, n)}`);
                  wake?.();
                  wake = undefined;
                },
                (e: Error) => {
                  failure ??= e;
                  inflight--;
                  wake?.();
                },
              );
              // Let acknowledgements run now and then.
              if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
            }
            await producer.flush();
            while (inflight > 0 && !failure) await new Promise<void>((r) => (wake = r));
            if (failure) throw failure;
          } finally {
            await producer.close().catch(() => undefined);
          }
          const secs = (performance.now() - start) / 1000;
          if (tty) process.stderr.write('\r\x1b[K');
          const sorted = latencies.slice(0, acked).sort();
          let sum = 0;
          for (const l of sorted) sum += l;
          const r: ProducePerfResult = {
            records: acked,
            recordsPerSec: acked / secs,
            mbPerSec: (acked * size) / secs / 1048576,
            avgLatencyMs: sum / Math.max(acked, 1),
            maxLatencyMs: sorted[sorted.length - 1] ?? 0,
            p50: percentile(sorted, 0.5),
            p95: percentile(sorted, 0.95),
            p99: percentile(sorted, 0.99),
            p999: percentile(sorted, 0.999),
          };
          if (o.json) return void process.stdout.write(`${JSON.stringify(r)}\n`);
          process.stdout.write(
            `${r.records} records sent, ${r.recordsPerSec.toFixed(1)} records/sec (${r.mbPerSec.toFixed(2)} MB/sec), ${r.avgLatencyMs.toFixed(2)} ms avg latency, ${r.maxLatencyMs.toFixed(2)} ms max latency, ${r.p50.toFixed(0)} ms 50th, ${r.p95.toFixed(0)} ms 95th, ${r.p99.toFixed(0)} ms 99th, ${r.p999.toFixed(0)} ms 99.9th.\n`,
          );
        },
      ),
    );

  clientCommand(
    perf.command('consume').description('kafka-consumer-perf-test: MB/s and records/s from the start of a topic'),
    { json: true },
  )
    .requiredOption('-t, --topic <name>', 'topic')
    .requiredOption('-n, --messages <n>', 'records to consume')
    .option('-g, --group <id>', 'consume as a group member (default: assign all partitions)')
    .option('--timeout <ms>', 'give up after this long without records', '10000')
    .action(
      action(async (o: CommonOptions & { topic: string; messages: string; group?: string; timeout: string }) => {
        const n = intOption('--messages', o.messages)!;
        const consumer = new Consumer({
          ...clientOptions(o),
          groupId: o.group,
          autoOffsetReset: 'earliest',
          maxPollRecords: 10000,
          enableAutoCommit: false,
        });
        const startTime = Date.now();
        let count = 0;
        let bytes = 0;
        let fetchStart = 0;
        let rebalanceMs = 0;
        const tty = process.stderr.isTTY && !o.json;
        try {
          if (o.group) await consumer.subscribe([o.topic]);
          else {
            const meta = await consumer.cluster.topic(o.topic);
            consumer.assign(
              meta.partitions.map((p) => ({ topic: o.topic, partition: p.partition, from: 'earliest' as const })),
            );
          }
          let idleSince = Date.now();
          while (count < n) {
            const batch = await consumer.poll(500);
            if (batch.length && fetchStart === 0) {
              fetchStart = Date.now();
              rebalanceMs = o.group ? fetchStart - startTime : 0;
            }
            for (const m of batch) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
            count += batch.length;
            if (batch.length) idleSince = Date.now();
            else if (Date.now() - idleSince > Number(o.timeout)) break;
            if (tty && batch.length) process.stderr.write(`\r${bar(Math.min(count, n), n)}`);
          }
        } finally {
          await consumer.close().catch(() => undefined);
        }
        if (tty) process.stderr.write('\r\x1b[K');
        const end = Date.now();
        const secs = Math.max(end - startTime, 1) / 1000;
        const fetchSecs = Math.max(end - (fetchStart || startTime), 1) / 1000;
        const mb = bytes / 1048576;
        const r = {
          startTime: new Date(startTime).toISOString(),
          endTime: new Date(end).toISOString(),
          mb,
          mbPerSec: mb / secs,
          records: count,
          recordsPerSec: count / secs,
          rebalanceTimeMs: rebalanceMs,
          fetchTimeMs: Math.round(fetchSecs * 1000),
          fetchMbPerSec: mb / fetchSecs,
          fetchRecordsPerSec: count / fetchSecs,
        };
        if (o.json) return void process.stdout.write(`${JSON.stringify(r)}\n`);
        process.stdout.write(
          'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n',
        );
        process.stdout.write(
          `${r.startTime}, ${r.endTime}, ${r.mb.toFixed(4)}, ${r.mbPerSec.toFixed(4)}, ${r.records}, ${r.recordsPerSec.toFixed(4)}, ${r.rebalanceTimeMs}, ${r.fetchTimeMs}, ${r.fetchMbPerSec.toFixed(4)}, ${r.fetchRecordsPerSec.toFixed(4)}\n`,
        );
        if (count < n) throw new Error(`only ${count} of ${n} records arrived within the timeout`);
      }),
    );
}
