// `npm run bench -- --share`: share groups (KIP-932) on one Tributary broker against one Apache Kafka broker (KRaft,
// single node; Kafka 4.2+ formats a new cluster with share.version finalized, so share groups are on by default).
// For each broker: two topics are pre-filled with 1 KiB records (1 partition and 6 partitions, rdkperf), then each
// case consumes one topic from the start with a fresh share group (its share.auto.offset.reset=earliest set first
// with Kafka's ConfigCommand) until every record is delivered and acknowledged: Kafka's ShareConsumerPerformance
// (kafka-share-consumer-perf-test.sh: KafkaShareConsumer, implicit acknowledgement, --threads consumers in one JVM)
// and librdkafka's share consumer (bench/clients/share_consume.py, one process per consumer), each with 1 and with 5
// consumers. A case counts only if the client got every record AND Kafka's ShareGroupCommand (kafka-share-groups.sh
// --describe --offsets) then shows lag 0 on every partition (all acknowledged); otherwise it is reported as failed,
// never as a figure. Called by bench/run.ts with its helpers; never part of `npm test`.
import { type ChildProcess, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentLibrdkafka } from '../test/helpers/current-librdkafka.ts';
import { fmt, type Metrics, type RunResult, type Summary, summarise } from './report.ts';

type Kind = 'tributary' | 'kafka';

/** One broker started by bench/run.ts and accepting produce requests. */
export interface ShareBroker {
  kind: Kind;
  proc: ChildProcess;
  bootstrap: string;
  stderr: string[];
}

/** What bench/run.ts lends: paths, the client runners, the broker lifecycle and its options. */
export interface ShareBenchKit {
  benchDir: string;
  kafkaLibs: string;
  outDir: string;
  quick: boolean;
  scale: number;
  runs: number;
  kinds: Kind[];
  machine: Metrics;
  log: (...a: unknown[]) => void;
  sh: (cmd: string, a: string[], opts?: { timeout?: number; cwd?: string }) => SpawnSyncReturns<string>;
  rdk: (mode: string, a: string[], timeout?: number) => Metrics;
  java: (main: string, a: string[], timeout?: number) => SpawnSyncReturns<string>;
  cpuSeconds: (pid: number) => number | null;
  startBroker: (kind: Kind) => Promise<{ broker: ShareBroker; stop: () => Promise<void> }>;
}

const CLIENTS = ['java', 'librdkafka'] as const;
type Client = (typeof CLIENTS)[number];
interface Case {
  key: string;
  partitions: number;
  consumers: number;
  client: Client;
}

export async function runShareBench(kit: ShareBenchKit): Promise<void> {
  const started = performance.now();
  const settings = {
    recordSize: 1024,
    records: Math.round(300_000 * kit.scale),
    warmupRecords: Math.round(50_000 * kit.scale),
    partitionCounts: [1, 6],
    consumerCounts: [1, 5],
    runs: kit.runs,
    producer:
      'rdkperf (librdkafka 2.0.2 defaults, enable.idempotence=false, sticky.partitioning.linger.ms=0: keyless records at random over the partitions), before the measurement',
    java: 'ShareConsumerPerformance (Kafka 4.4 tools): --threads N KafkaShareConsumers in one JVM, client defaults (implicit acknowledgement, max.poll.records 500, fetch.max.bytes 1 MiB); its own records/s and MB/s (from subscribe to the last record, MB = 2^20 B), and from the first record to the last (the first record from its per-consumer progress lines)',
    librdkafka:
      'bench/clients/share_consume.py: N processes, one confluent-kafka ShareConsumer each (librdkafka 2.16+, implicit acknowledgement, client defaults); from subscribe to the last record, and from the first record to the last',
    brokers:
      'defaults on both (Tributary: its defaults; Kafka: KRaft single node, -Xmx1G, share.version from the 4.4 format default); group.share.partition.max.record.locks 2000, record lock 30 s',
    verification:
      'every record delivered (client count ≥ records) and, after the clients closed, lag 0 on every partition of the group in kafka-share-groups.sh --describe --offsets',
  };
  const cases: Case[] = [];
  for (const client of CLIENTS)
    for (const partitions of settings.partitionCounts)
      for (const consumers of settings.consumerCounts)
        cases.push({ key: `p${partitions}-c${consumers}/${client}`, partitions, consumers, client });

  let py: { python: string; env: NodeJS.ProcessEnv; librdkafka: string } | string;
  try {
    py = await currentLibrdkafka();
    const [major = 0, minor = 0] = py.librdkafka.split('.').map(Number);
    if (major < 2 || (major === 2 && minor < 16)) py = `librdkafka ${py.librdkafka} has no share consumer (2.16+)`;
  } catch (e) {
    py = `no current librdkafka: ${(e as Error).message.split('\n')[0]}`;
  }
  const machine = { ...kit.machine, librdkafkaShare: typeof py === 'string' ? py : py.librdkafka };

  const results: Record<string, RunResult[]> = {};
  for (let run = 1; run <= kit.runs; run++) {
    const order = run % 2 ? kit.kinds : [...kit.kinds].reverse();
    for (const kind of order) {
      kit.log(`share ${kind} run ${run}/${kit.runs}`);
      results[kind] = [...(results[kind] ?? []), await runOnce(kit, kind, run, settings, cases, py)];
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const report = {
    date,
    generatedAt: new Date().toISOString(),
    command: `npm run bench -- --share${kit.quick ? ' --quick' : ''}`,
    durationSec: Math.round((performance.now() - started) / 1000),
    machine,
    settings,
    results,
  };
  mkdirSync(kit.outDir, { recursive: true });
  const stem = path.join(kit.outDir, `${date}-share${kit.quick ? '-quick' : ''}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report, cases);
  writeFileSync(`${stem}.md`, md);
  console.log(md);
  kit.log(`wrote ${stem}.json, .md in ${report.durationSec} s`);
}

async function runOnce(
  kit: ShareBenchKit,
  kind: Kind,
  run: number,
  settings: { recordSize: number; records: number; warmupRecords: number; partitionCounts: number[] },
  cases: Case[],
  py: { python: string; env: NodeJS.ProcessEnv } | string,
): Promise<RunResult> {
  const out: RunResult = {};
  const { broker: b, stop } = await kit.startBroker(kind);
  kit.log(`${kind} up on ${b.bootstrap}`);
  try {
    const pid = b.proc.pid!;
    const size = String(settings.recordSize);
    // Keyless records spread at random over the partitions (no sticky batches, which would fill one or two).
    const produceArgs = ['-b', b.bootstrap, '-X', 'enable.idempotence=false', '-X', 'sticky.partitioning.linger.ms=0'];
    const fill = (topic: string, partitions: number, n: number): void => {
      kit.rdk('create', ['-b', b.bootstrap, '-t', topic, '-p', String(partitions)]);
      const p = kit.rdk('produce', [...produceArgs, '-t', topic, '-n', String(n), '-s', size]);
      if (p.records !== n || p.failed !== 0) throw new Error(`pre-fill of ${topic}: ${JSON.stringify(p)}`);
    };
    // Warm-up (not measured): the share fetch and acknowledge paths of the JVM (and V8) compiled first.
    fill('share-warmup', 1, settings.warmupRecords);
    const warm = consumeCase(kit, b, py, 'java', 'share-warmup', 'warmup', 1, settings.warmupRecords);
    kit.log(`${kind} run ${run}: warm-up ${JSON.stringify(warm)}`);
    for (const p of settings.partitionCounts) fill(`share-p${p}`, p, settings.records);
    const bytes = settings.records * settings.recordSize;
    for (const c of cases) {
      const topic = `share-p${c.partitions}`;
      const group = `bench-${c.key.replace('/', '-')}-${run}`;
      const t = performance.now();
      let m: Metrics;
      const cpu0 = kit.cpuSeconds(pid);
      try {
        m = consumeCase(kit, b, py, c.client, topic, group, c.consumers, settings.records);
      } catch (e) {
        m = { error: String((e as Error).message).slice(0, 600) };
      }
      const cpu1 = kit.cpuSeconds(pid);
      if (!m.error && cpu0 != null && cpu1 != null) {
        m.brokerCpuSec = cpu1 - cpu0;
        m.brokerCpuSecPerGB = (cpu1 - cpu0) / (bytes / 1e9);
      }
      if (!m.error) {
        const v = acknowledged(kit, b.bootstrap, group, topic, c.partitions);
        if (typeof v === 'string') m = { error: v, ...m };
        else Object.assign(m, v);
      }
      out[c.key] = m;
      kit.log(
        `${kind} run ${run}: ${c.key} ${m.error ? `FAILED ${m.error}` : JSON.stringify(m)} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
      );
    }
    if (b.proc.exitCode != null) throw new Error(`${kind} exited during the run:\n${b.stderr.join('')}`);
  } finally {
    await stop();
  }
  return out;
}

/** Sets the group's share.auto.offset.reset=earliest and consumes `n` records with the client; throws if it cannot. */
function consumeCase(
  kit: ShareBenchKit,
  b: ShareBroker,
  py: { python: string; env: NodeJS.ProcessEnv } | string,
  client: Client,
  topic: string,
  group: string,
  consumers: number,
  n: number,
): Metrics {
  const cfg = kit.java('ConfigCommand', [
    '--bootstrap-server',
    b.bootstrap,
    '--alter',
    '--entity-type',
    'groups',
    '--entity-name',
    group,
    '--add-config',
    'share.auto.offset.reset=earliest',
  ]);
  if (cfg.status !== 0) throw new Error(`ConfigCommand failed (status ${cfg.status}): ${cfg.stdout}${cfg.stderr}`);
  if (client === 'java') return javaShareConsumer(kit, b.bootstrap, topic, group, consumers, n);
  if (typeof py === 'string') throw new Error(py);
  const script = path.join(kit.benchDir, 'clients', 'share_consume.py');
  const r = spawnSync(py.python, [script, b.bootstrap, topic, group, String(n), String(consumers)], {
    encoding: 'utf8',
    env: py.env,
    timeout: 600_000,
  });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`share_consume.py failed (status ${r.status}): ${r.stdout}${r.stderr}`.slice(0, 600));
  const j = JSON.parse(line) as Metrics & { perConsumer: number[] };
  const m: Metrics = {
    records: j.records,
    recordsPerSec: j.recordsPerSec,
    mbPerSec: j.mbPerSec,
    seconds: j.seconds,
    firstRecordSec: j.firstRecordSec,
    streamRecordsPerSec: j.streamRecordsPerSec,
    streamMbPerSec: j.streamMbPerSec,
    perConsumer: j.perConsumer.join(' '),
  };
  if (Number(j.records) < n) throw new Error(`librdkafka got ${j.records} of ${n} records: ${JSON.stringify(m)}`);
  return m;
}

/** kafka-share-consumer-perf-test.sh: --threads share consumers of one group in one JVM. */
function javaShareConsumer(
  kit: ShareBenchKit,
  bootstrap: string,
  topic: string,
  group: string,
  consumers: number,
  n: number,
): Metrics {
  const t = performance.now();
  const r = kit.java(
    'ShareConsumerPerformance',
    [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--group',
      group,
      '--num-records',
      String(n),
      '--threads',
      String(consumers),
      '--timeout',
      '20000',
      '--show-consumer-stats',
      // A progress line per consumer at its first non-empty poll (then at most one a millisecond): the first record's
      // time, to tell joining the group apart from consuming.
      '--show-detailed-stats',
      '--reporting-interval',
      '1',
      '--date-format',
      "yyyy-MM-dd'T'HH:mm:ss.SSS",
    ],
    600_000,
  );
  const wallSec = (performance.now() - t) / 1000;
  // The group's line, last: start.time, end.time, data.consumed.in.MB, MB.sec, nMsg.sec, data.consumed.in.nMsg,
  // fetch.time.ms. Before it: "Share consumer i consumption metrics- ..." per consumer, and the progress lines
  // "start, end, MB, MB.sec, nMsg.sec, nMsg, ms for share consumer i".
  const lines = r.stdout.trim().split('\n');
  const csv = (l: string) => l.split(',').map((x) => x.trim());
  const f = csv(
    lines.filter((l) => /^\d{4}-\d\d-\d\dT[^,]*, [^,]*, [\d.]+, [\d.]+, [\d.]+, \d+, \d+$/.test(l)).pop() ?? '',
  );
  const per = lines.filter((l) => l.startsWith('Share consumer ')).map((l) => csv(l)[5]);
  const firstLines = new Map<string, string>();
  for (const l of lines) {
    const c = / for share consumer (\d+)$/.exec(l);
    if (c && !firstLines.has(c[1]!)) firstLines.set(c[1]!, csv(l)[1]!);
  }
  if (r.status !== 0 || f.length < 7)
    throw new Error(`ShareConsumerPerformance failed (status ${r.status}): ${(r.stderr || r.stdout).slice(-500)}`);
  const [start, end] = [Date.parse(f[0]!), Date.parse(f[1]!)];
  const first = Math.min(...[...firstLines.values()].map((x) => Date.parse(x)));
  const records = Number(f[5]);
  const stream = Math.max(end - first, 1) / 1000;
  const m: Metrics = {
    records,
    recordsPerSec: Number(f[4]),
    mbPerSec: Number(f[3]),
    seconds: Number(f[6]) / 1000,
    firstRecordSec: Number.isFinite(first) ? (first - start) / 1000 : null,
    streamRecordsPerSec: Number.isFinite(first) ? records / stream : null,
    streamMbPerSec: Number.isFinite(first) ? Number(f[2]) / stream : null,
    wallSec,
    perConsumer: per.join(' '),
  };
  if (r.stdout.includes('WARNING: Exiting before consuming') || records < n)
    throw new Error(`ShareConsumerPerformance got ${f[5]} of ${n} records: ${JSON.stringify(m)}`);
  return m;
}

/**
 * After the clients closed: kafka-share-groups.sh --describe --offsets must list the group on every partition of the
 * topic with lag 0 (KIP-1226: high watermark − start offset − records past the start offset already acknowledged or
 * archived; the start offset itself may stay at the last acknowledged batch's first offset, as Kafka's does).
 */
function acknowledged(
  kit: ShareBenchKit,
  bootstrap: string,
  group: string,
  topic: string,
  partitions: number,
): Metrics | string {
  const r = kit.java('consumer.group.ShareGroupCommand', [
    '--bootstrap-server',
    bootstrap,
    '--describe',
    '--group',
    group,
    '--offsets',
  ]);
  if (r.status !== 0) return `kafka-share-groups.sh --describe failed (status ${r.status}): ${r.stdout}${r.stderr}`;
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  const header = lines
    .find((l) => /\bSTART-OFFSET\b/.test(l) && /\bLAG\b/.test(l))
    ?.trim()
    .split(/\s+/);
  if (!header) return `kafka-share-groups.sh --describe printed no offsets and lag: ${r.stdout}`;
  const col = (name: string) => header.indexOf(name);
  const lag = new Map<string, string>();
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f[col('GROUP')] === group && f[col('TOPIC')] === topic) lag.set(f[col('PARTITION')]!, f[col('LAG')]!);
  }
  const pending = [...lag.values()].filter((v) => v !== '0');
  if (lag.size !== partitions || pending.length)
    return `not all acknowledged: ${lag.size}/${partitions} partitions described, lags ${[...lag.values()].join(' ')}:\n${r.stdout}`;
  return { lagAfter: 0 };
}

// ---------------------------------------------------------------------------------------------------- report
function markdown(
  report: {
    date: string;
    command: string;
    durationSec: number;
    machine: Metrics;
    settings: Record<string, unknown>;
    results: Record<string, RunResult[]>;
  },
  cases: Case[],
): string {
  const { machine: mc, settings: st, results } = report;
  const cell = (s: Summary | null, all: number): string => {
    if (!s) return all ? `FAILED ×${all}` : 'n/a';
    const range = s.n > 1 ? ` (${fmt(s.min)}–${fmt(s.max)})` : '';
    return `${fmt(s.median)}${range}${s.errors ? ` ⚠${s.errors} failed` : ''}`;
  };
  const L: string[] = [];
  L.push(`# Share groups: Tributary vs Apache Kafka — ${report.date}`, '');
  L.push(
    `Machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memoryGiB} GiB, ${mc.kernel}, disk ${mc.disk}. Tributary ${mc.tributaryCommit}${mc.tributaryDirty === 'yes' ? ' (+ uncommitted src changes)' : ''} on Node ${mc.node}; Apache Kafka ${mc.kafka} (KRaft, single node) on ${mc.java}; share consumers: Kafka ${mc.kafka}'s KafkaShareConsumer and librdkafka ${mc.librdkafkaShare}.`,
  );
  L.push(
    `\`${report.command}\`, ${report.durationSec} s. ${st.records} × ${st.recordSize} B records per topic, one fresh share group per case, consumed from the start until every record was delivered and acknowledged. Runs: ${st.runs} per broker; cells are the median (min–max when more than one run). Clients on the same 2-core machine.`,
    '',
  );
  L.push('| Case | Tributary | Kafka | Tributary ÷ Kafka |', '| --- | ---: | ---: | ---: |');
  const metrics = [
    ['streamRecordsPerSec', 'records/s, first record to last'],
    ['streamMbPerSec', 'MB/s, first record to last'],
    ['recordsPerSec', "records/s from subscribe, the tool's figure"],
    ['firstRecordSec', 's from subscribe to the first record'],
    ['brokerCpuSecPerGB', 'broker CPU s/GB'],
  ] as const;
  for (const c of cases) {
    const label = `${c.partitions} partition${c.partitions > 1 ? 's' : ''}, ${c.consumers} consumer${c.consumers > 1 ? 's' : ''} — ${c.client === 'java' ? 'Java perf-test' : 'librdkafka'}`;
    for (const [metric, unit] of metrics) {
      const t = summarise(results, 'tributary', c.key, metric);
      const k = summarise(results, 'kafka', c.key, metric);
      const ratio = t && k && k.median > 0 ? `${(t.median / k.median).toFixed(2)}×` : 'n/a';
      const count = (kind: string) => (results[kind] ?? []).length;
      L.push(
        `| ${metric === 'streamRecordsPerSec' ? label : '…'} (${unit}) | ${cell(t, count('tributary'))} | ${cell(k, count('kafka'))} | ${ratio} |`,
      );
    }
  }
  L.push('', '## Settings', '');
  for (const [k, v] of Object.entries(st)) L.push(`- ${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
  const errs: string[] = [];
  for (const [kind, rs] of Object.entries(results))
    rs.forEach((r, i) => {
      for (const [k, m] of Object.entries(r))
        if (m.error) errs.push(`- ${kind} run ${i + 1} ${k}: ${String(m.error).split('\n')[0]}`);
    });
  if (errs.length) L.push('', '## Failures (not counted as figures)', '', ...errs);
  L.push('');
  return L.join('\n');
}
