// Benchmarks Tributary side by side with Apache Kafka (KRaft, single node, default settings) on this machine.
//
//   npm run bench [-- --quick] [-- --runs N] [-- --only tributary|kafka] [-- --kafka-version X.Y.Z] [-- --no-chart]
//   npm run bench -- --cluster [--quick] [--scale X] [--runs N] [--only ...] [--session-ms 6000]
//     three brokers of each on 127.0.0.1-3, replication factor 3 (bench/cluster.ts)
//   npm run bench -- --share [--quick] [--scale X] [--runs N] [--only ...]
//     share groups (KIP-932): Kafka's share-consumer perf test and librdkafka's share consumer (bench/share.ts)
//
// Both brokers are started one after the other, each with a fresh data dir under bench/cache/run/, and driven by
// the same clients: bench/clients/rdkperf.c (librdkafka, built here against librdkafka-dev) and Kafka's own Java
// tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency) from the same Maven artifacts as the broker.
// Writes bench/results/<date>.json, .md and .png. See docs/BENCHMARKS.md.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chart, diskCeilingOf, type Metrics, markdown, type RunResult, rows, summarise } from './report.ts';

const benchDir = import.meta.dirname;
const root = path.dirname(benchDir);
const cache = path.join(benchDir, 'cache');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scale: { type: 'string' },
    runs: { type: 'string' },
    only: { type: 'string' },
    'kafka-version': { type: 'string', default: '4.4.0' },
    'no-chart': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    share: { type: 'boolean', default: false },
    'session-ms': { type: 'string', default: '6000' },
    out: { type: 'string', default: path.join(benchDir, 'results') },
  },
});
const quick = args.quick;
const runs = Number(args.runs ?? (quick || args.cluster || args.share ? 1 : 3));
const kafkaVersion = args['kafka-version'];
const brokers = (args.only ? [args.only] : ['tributary', 'kafka']) as BrokerKind[];

// Workload sizes. Default: ~1 GiB per 1 KiB produce run; --quick: a fifth.
const scale = Number(args.scale ?? (quick ? 0.2 : 1));
const settings = {
  partitions: 6,
  recordSize: 1024,
  smallRecordSize: 100,
  records1k: Math.round(1_000_000 * scale),
  warmupRecords: Math.round(500_000 * scale), // 1 KiB records produced and consumed before measuring
  records100b: Math.round(3_000_000 * scale),
  javaRecords1k: Math.round(1_000_000 * scale),
  javaRecords100b: Math.round(3_000_000 * scale),
  latencyRatePerSec: 20_480, // 20 MiB/s of 1 KiB records
  latencySeconds: quick ? 5 : 10,
  javaE2eRecords: quick ? 1000 : 10_000,
  runs,
  javaProducerProps:
    'enable.idempotence=false (other client settings default: batch.size=16384, linger.ms=5); the "client defaults" row sets nothing (acks=all, enable.idempotence=true)',
  rdkafkaProducerProps: 'enable.idempotence=false, librdkafka defaults (linger.ms=5, batch.size=1000000)',
  latencyProducerProps: 'rdkafka linger.ms=1, acks=1; consumer without group, partitions assigned from the end',
  kafkaJvm: '-Xmx1G -Xms1G -XX:+UseG1GC -XX:MaxGCPauseMillis=20 (kafka-server-start.sh defaults)',
};

type BrokerKind = 'tributary' | 'kafka';
interface Running {
  kind: BrokerKind;
  proc: ChildProcess;
  bootstrap: string;
  dataDir: string;
  rss: { samples: number; maxKb: number };
  timer: NodeJS.Timeout;
  stderr: string[];
}

const log = (...a: unknown[]): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, a: string[], opts: { timeout?: number; cwd?: string } = {}) =>
  spawnSync(cmd, a, { encoding: 'utf8', timeout: opts.timeout ?? 600_000, cwd: opts.cwd, maxBuffer: 64 << 20 });

// ---------------------------------------------------------------------------------------------------- set-up
const rdkperf = path.join(cache, 'rdkperf');
function buildRdkperf(): void {
  if (!existsSync('/usr/include/librdkafka/rdkafka.h')) {
    log('librdkafka-dev is missing: installing it with apt-get');
    const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
    const r = sh(sudo.length ? 'sudo' : 'apt-get', [
      ...(sudo.length ? ['apt-get'] : []),
      'install',
      '-y',
      '-qq',
      'librdkafka-dev',
    ]);
    if (r.status !== 0) throw new Error(`apt-get install librdkafka-dev failed: ${r.stderr}`);
  }
  const src = path.join(benchDir, 'clients', 'rdkperf.c');
  const r = sh('cc', ['-O2', '-Wall', '-o', rdkperf, src, '-lrdkafka', '-lpthread']);
  if (r.status !== 0) throw new Error(`building rdkperf failed:\n${r.stderr}`);
}

const kafkaHome = path.join(cache, `kafka-${kafkaVersion}`);
const kafkaLibs = path.join(kafkaHome, 'libs');
function fetchKafka(): void {
  if (existsSync(path.join(kafkaLibs, `kafka_2.13-${kafkaVersion}.jar`))) return;
  log(`fetching Apache Kafka ${kafkaVersion} (kafka_2.13 + kafka-tools) from Maven Central into ${kafkaLibs}`);
  mkdirSync(kafkaHome, { recursive: true });
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    path.join(kafkaHome, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>tributary.bench</groupId><artifactId>kafka-libs</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
${dep('org.apache.kafka', 'kafka_2.13', kafkaVersion)}
${dep('org.apache.kafka', 'kafka-tools', kafkaVersion)}
${dep('org.apache.logging.log4j', 'log4j-slf4j2-impl', '2.24.3')}
${dep('org.slf4j', 'slf4j-api', '2.0.17')}
</dependencies></project>
`,
  );
  const r = sh(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=libs', '-DincludeScope=runtime'],
    {
      cwd: kafkaHome,
    },
  );
  if (r.status !== 0) throw new Error(`mvn failed:\n${r.stdout}\n${r.stderr}`);
}

const log4jWarn = path.join(cache, 'log4j2-warn.properties');
/** The java arguments of one Kafka server: kafka-server-start.sh's JVM options, the log4j file, the properties. */
function kafkaServerArgs(log4j: string, props: string): string[] {
  return [
    '-Xmx1G',
    '-Xms1G',
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    `${kafkaLibs}/*`,
    'kafka.Kafka',
    props,
  ];
}

/**
 * A random cluster id for `kafka-storage format -t`: 16 bytes in base64url, never starting with '-', which the tool's
 * argument parser would take for an option (Kafka's Uuid.randomUuid draws again in that case too).
 */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function writeLog4j(file: string, logFile?: string): void {
  const appender = logFile
    ? `appender.out.type = File\nappender.out.fileName = ${logFile}\n`
    : 'appender.out.type = Console\nappender.out.target = SYSTEM_ERR\n';
  writeFileSync(
    file,
    `status = warn\n${appender}appender.out.name = out\nappender.out.layout.type = PatternLayout\n` +
      `appender.out.layout.pattern = [%d] %p %m (%c)%n\nrootLogger.level = ${logFile ? 'info' : 'warn'}\n` +
      'rootLogger.appenderRef.out.ref = out\n',
  );
}

// ---------------------------------------------------------------------------------------------------- brokers
let portBase = 29092;
function startRssSampler(pid: number): { rss: Running['rss']; timer: NodeJS.Timeout } {
  const rss = { samples: 0, maxKb: 0 };
  const timer = setInterval(() => {
    const kb = rssKb(pid, 'VmRSS');
    if (kb != null) {
      rss.samples++;
      rss.maxKb = Math.max(rss.maxKb, kb);
    }
  }, 200);
  return { rss, timer };
}
/** CPU seconds (user + system, all threads) the process has used so far. */
function cpuSeconds(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function startBroker(kind: BrokerKind): Promise<{ running: Running; formatMs: number | null }> {
  const port = portBase;
  portBase += 10;
  const dataDir = path.join(cache, 'run', `${kind}-${Date.now()}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const bootstrap = `127.0.0.1:${port}`;
  let proc: ChildProcess;
  let formatMs: number | null = null;
  if (kind === 'tributary') {
    proc = spawn(
      process.execPath,
      [
        path.join(root, 'src/cli/main.ts'),
        'broker',
        '--override',
        `listeners=PLAINTEXT://${bootstrap}`,
        '--override',
        `log.dirs=${path.join(dataDir, 'logs')}`,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...profileEnv() } },
    );
  } else {
    const props = path.join(dataDir, 'server.properties');
    // KRaft combined mode, single node: only what a KRaft server needs to start, all else default
    // (the internal topics' replication factors are 1 as in config/server.properties of the distribution).
    writeFileSync(
      props,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${port + 1}`,
        `listeners=PLAINTEXT://${bootstrap},CONTROLLER://127.0.0.1:${port + 1}`,
        `advertised.listeners=PLAINTEXT://${bootstrap}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${path.join(dataDir, 'logs')}`,
        'offsets.topic.replication.factor=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        '',
      ].join('\n'),
    );
    const log4j = path.join(dataDir, 'log4j2.properties');
    writeLog4j(log4j, path.join(dataDir, 'server.log'));
    const cp = `${kafkaLibs}/*`;
    const t0 = performance.now();
    const clusterId = kafkaClusterId();
    const f = sh('java', [
      `-Dlog4j2.configurationFile=${log4jWarn}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      props,
    ]);
    if (f.status !== 0) throw new Error(`kafka storage format failed: ${f.stdout}${f.stderr}`);
    formatMs = performance.now() - t0;
    proc = spawn('java', kafkaServerArgs(log4j, props), { cwd: dataDir, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  const stderr: string[] = [];
  proc.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  const { rss, timer } = startRssSampler(proc.pid!);
  return { running: { kind, proc, bootstrap, dataDir, rss, timer, stderr }, formatMs };
}

function profileEnv(): Record<string, string> {
  // TRIBUTARY_BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=..." profiles the broker during a run.
  const extra = process.env.TRIBUTARY_BENCH_NODE_OPTIONS;
  return extra ? { NODE_OPTIONS: extra } : {};
}

async function stopBroker(b: Running): Promise<void> {
  clearInterval(b.timer);
  if (b.proc.exitCode == null) {
    const exited = new Promise((r) => b.proc.once('exit', r));
    b.proc.kill('SIGTERM');
    const timeout = sleep(30_000).then(() => 'timeout');
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      b.proc.kill('SIGKILL');
      await exited;
    }
  }
  rmSync(b.dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------- clients
function rdk(mode: string, a: string[], timeout = 300_000): Metrics {
  const r = sh(rdkperf, [mode, ...a], { timeout });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    throw new Error(`rdkperf ${mode} ${a.join(' ')} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return JSON.parse(line) as Metrics;
}

function java(main: string, a: string[], timeout = 300_000) {
  return sh(
    'java',
    [
      '-Xmx512M',
      `-Dlog4j2.configurationFile=${log4jWarn}`,
      '-cp',
      `${kafkaLibs}/*`,
      `org.apache.kafka.tools.${main}`,
      ...a,
    ],
    { timeout },
  );
}

/** `acks` null: the client's defaults (acks=all, enable.idempotence=true, as a Java application gets them). */
function producerPerf(bootstrap: string, topic: string, n: number, size: number, acks: string | null): Metrics {
  const r = java('ProducerPerformance', [
    '--topic',
    topic,
    '--num-records',
    String(n),
    '--record-size',
    String(size),
    '--throughput',
    '-1',
    '--command-property',
    `bootstrap.servers=${bootstrap}`,
    ...(acks === null ? [] : [`acks=${acks}`, 'enable.idempotence=false']),
  ]);
  // "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, p50 ms 50th, p95 ms 95th, ..."
  const m = r.stdout.match(
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/,
  );
  if (r.status !== 0 || !m)
    throw new Error(`ProducerPerformance failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return {
    records: Number(m[1]),
    recordsPerSec: Number(m[2]),
    mbPerSec: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    maxLatencyMs: Number(m[5]),
    p50Ms: Number(m[6]),
    p99Ms: Number(m[8]),
    p999Ms: Number(m[9]),
  };
}

function consumerPerf(bootstrap: string, topic: string, n: number): Metrics {
  const r = java(
    'ConsumerPerformance',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--num-records', String(n), '--timeout', '20000'],
    120_000,
  );
  // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
  //         fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const f = line.split(',').map((s) => s.trim());
  if (r.status !== 0 || f.length < 10 || Number(f[4]) < n) {
    return { error: `ConsumerPerformance failed (status ${r.status}): ${(r.stderr || r.stdout).slice(-400)}` };
  }
  return {
    records: Number(f[4]),
    mbPerSec: Number(f[3]),
    recordsPerSec: Number(f[5]),
    rebalanceMs: Number(f[6]),
    fetchMbPerSec: Number(f[8]),
    fetchRecordsPerSec: Number(f[9]),
  };
}

function endToEndLatency(bootstrap: string, topic: string, n: number): Metrics {
  const r = java('EndToEndLatency', [bootstrap, topic, String(n), '1', String(settings.recordSize)], 180_000);
  const avg = r.stdout.match(/Avg latency: ([\d.]+) ms/);
  const p = r.stdout.match(/Percentiles: 50th = (\d+), 99th = (\d+), 99.9th = (\d+)/);
  if (r.status !== 0 || !avg || !p)
    return { error: `EndToEndLatency failed (status ${r.status}): ${r.stderr.slice(-400)}` };
  return { avgMs: Number(avg[1]), p50Ms: Number(p[1]), p99Ms: Number(p[2]), p999Ms: Number(p[3]) };
}

// ---------------------------------------------------------------------------------------------------- workloads
async function timeToFirstProduce(b: Running, t0: number): Promise<number> {
  // librdkafka retries connecting and refreshing metadata every 10 ms until the broker accepts the record.
  const deadline = t0 + 120_000;
  while (performance.now() < deadline) {
    if (b.proc.exitCode != null) throw new Error(`${b.kind} exited during start-up:\n${b.stderr.join('')}`);
    const r = sh(rdkperf, [
      'probe',
      '-b',
      b.bootstrap,
      '-t',
      'probe',
      '-X',
      'reconnect.backoff.ms=10',
      '-X',
      'reconnect.backoff.max.ms=10',
      '-X',
      'retry.backoff.ms=10',
      '-X',
      'topic.metadata.refresh.fast.interval.ms=10',
      '-X',
      'message.timeout.ms=5000',
    ]);
    if (r.status === 0) return performance.now() - t0;
  }
  throw new Error(`${b.kind} did not accept a record within 120 s:\n${b.stderr.join('')}`);
}

async function runOnce(kind: BrokerKind, run: number): Promise<RunResult> {
  const out: RunResult = {};
  const t0 = performance.now();
  const { running: b, formatMs } = await startBroker(kind);
  try {
    const startupMs = await timeToFirstProduce(b, t0);
    await sleep(3000);
    const idleRssKb = rssKb(b.proc.pid!, 'VmRSS');
    out.startup = { timeToFirstProduceMs: startupMs, formatMs, idleRssMb: idleRssKb == null ? null : idleRssKb / 1024 };
    log(
      `${kind} run ${run}: first produce after ${startupMs.toFixed(0)} ms, idle RSS ${(idleRssKb! / 1024).toFixed(0)} MB`,
    );
    const P = String(settings.partitions);
    // Warm-up (not measured): lets the JVM's JIT (and V8's) compile the produce and fetch paths first.
    rdk('create', ['-b', b.bootstrap, '-t', 'warmup', '-p', P]);
    const warm = String(settings.warmupRecords);
    rdk('produce', ['-b', b.bootstrap, '-t', 'warmup', '-n', warm, '-s', String(settings.recordSize)]);
    rdk('consume', ['-b', b.bootstrap, '-t', 'warmup', '-p', P, '-n', warm]);
    const topics = ['w1-rdk', 'w1-java', 'w2-rdk', 'w2-java', 'w2-java-idem', 'w4-lat', 'w4-java', 'w5-rdk', 'w5-java'];
    rdk('create', ['-b', b.bootstrap, '-t', topics.join(','), '-p', P]);
    const base = ['-b', b.bootstrap, '-X', 'enable.idempotence=false'];
    // `bytes`: the payload the workload moves, for the broker's CPU seconds per GB (its efficiency: on two shared
    // cores, what the broker spends is taken from the client).
    const step = (name: string, f: () => Metrics, bytes?: number): void => {
      const t = performance.now();
      const cpu0 = cpuSeconds(b.proc.pid!);
      try {
        out[name] = f();
      } catch (e) {
        out[name] = { error: String((e as Error).message).slice(0, 600) };
      }
      const cpu1 = cpuSeconds(b.proc.pid!);
      const m = out[name];
      if (!m.error && cpu0 != null && cpu1 != null) {
        m.brokerCpuSec = cpu1 - cpu0;
        if (bytes) m.brokerCpuSecPerGB = (cpu1 - cpu0) / (bytes / 1e9);
      }
      log(
        `${kind} run ${run}: ${name} ${m.error ? `ERROR ${m.error}` : JSON.stringify(m)} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
      );
    };
    const s1k = String(settings.recordSize);
    const bytes1k = settings.records1k * settings.recordSize;
    const javaBytes1k = settings.javaRecords1k * settings.recordSize;
    step(
      'produce-1k-acks1/rdkafka',
      () => rdk('produce', [...base, '-t', 'w1-rdk', '-n', String(settings.records1k), '-s', s1k, '-a', '1']),
      bytes1k,
    );
    step(
      'produce-1k-acks1/java',
      () => producerPerf(b.bootstrap, 'w1-java', settings.javaRecords1k, settings.recordSize, '1'),
      javaBytes1k,
    );
    step(
      'produce-1k-acksall/rdkafka',
      () => rdk('produce', [...base, '-t', 'w2-rdk', '-n', String(settings.records1k), '-s', s1k, '-a', 'all']),
      bytes1k,
    );
    step(
      'produce-1k-acksall/java',
      () => producerPerf(b.bootstrap, 'w2-java', settings.javaRecords1k, settings.recordSize, 'all'),
      javaBytes1k,
    );
    step(
      'produce-1k-defaults/java',
      () => producerPerf(b.bootstrap, 'w2-java-idem', settings.javaRecords1k, settings.recordSize, null),
      javaBytes1k,
    );
    step(
      'consume-1k/rdkafka',
      () => rdk('consume', ['-b', b.bootstrap, '-t', 'w1-rdk', '-p', P, '-n', String(settings.records1k)]),
      bytes1k,
    );
    step('consume-1k/java', () => consumerPerf(b.bootstrap, 'w1-java', settings.javaRecords1k), javaBytes1k);
    step('e2e-latency-20MBps/rdkafka', () =>
      rdk('latency', [
        '-b',
        b.bootstrap,
        '-t',
        'w4-lat',
        '-p',
        P,
        '-s',
        s1k,
        '-r',
        String(settings.latencyRatePerSec),
        '-d',
        String(settings.latencySeconds),
      ]),
    );
    step('e2e-latency-sync/java', () => endToEndLatency(b.bootstrap, 'w4-java', settings.javaE2eRecords));
    step(
      'produce-100b-acks1/rdkafka',
      () =>
        rdk('produce', [
          ...base,
          '-t',
          'w5-rdk',
          '-n',
          String(settings.records100b),
          '-s',
          String(settings.smallRecordSize),
          '-a',
          '1',
        ]),
      settings.records100b * settings.smallRecordSize,
    );
    step(
      'produce-100b-acks1/java',
      () => producerPerf(b.bootstrap, 'w5-java', settings.javaRecords100b, settings.smallRecordSize, '1'),
      settings.javaRecords100b * settings.smallRecordSize,
    );
    const hwm = rssKb(b.proc.pid!, 'VmHWM');
    out.startup.peakRssMb = Math.max(hwm ?? 0, b.rss.maxKb) / 1024;
    if (b.proc.exitCode != null) throw new Error(`${kind} exited during the run:\n${b.stderr.join('')}`);
  } finally {
    await stopBroker(b);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- ceilings
function diskCeiling(): Metrics {
  const dir = path.join(cache, 'run');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'ceiling.bin');
  const mb = quick ? 1024 : 2048;
  const out: Metrics = {};
  if (sh('sh', ['-c', 'command -v fio']).status === 0) {
    const r = sh('fio', [
      '--name=seqwrite',
      `--filename=${file}`,
      '--rw=write',
      '--bs=1M',
      `--size=${mb}M`,
      '--ioengine=psync',
      '--end_fsync=1',
      '--output-format=json',
    ]);
    if (r.status === 0) {
      const j = JSON.parse(r.stdout);
      out.fioSeqWriteFsyncMbPerSec = j.jobs[0].write.bw / 1024; // KiB/s → MiB/s, includes the final fsync
    }
    rmSync(file, { force: true });
  }
  const dd = (extra: string[]): number => {
    const t = performance.now();
    const r = sh('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mb}`, ...extra]);
    const secs = (performance.now() - t) / 1000;
    rmSync(file, { force: true });
    if (r.status !== 0) throw new Error(`dd failed: ${r.stderr}`);
    return mb / secs;
  };
  out.ddFdatasyncMbPerSec = dd(['conv=fdatasync']);
  out.ddPageCacheMbPerSec = dd([]);
  out.sizeMb = mb;
  return out;
}

function loopbackCeiling(): Metrics {
  const one = (chunk: number): number => {
    const r = sh(process.execPath, [path.join(benchDir, 'loopback.ts'), quick ? '2' : '3', String(chunk)]);
    if (r.status !== 0) throw new Error(`loopback failed: ${r.stderr}`);
    return JSON.parse(r.stdout).mbPerSec as number;
  };
  return { nodeOneConnection1MiBWritesMbPerSec: one(1 << 20), nodeOneConnection1KiBWritesMbPerSec: one(1024) };
}

function machineInfo(): Metrics {
  const cpu = os.cpus();
  const v = (cmd: string, a: string[]): string => {
    const r = sh(cmd, a);
    return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
  };
  let fs = '';
  try {
    fs =
      execFileSync('df', ['-T', cache], { encoding: 'utf8' })
        .trim()
        .split('\n')[1]
        ?.split(/\s+/)
        .slice(0, 2)
        .join(' ') ?? '';
  } catch {}
  return {
    cpu: cpu[0]?.model ?? '',
    cores: cpu.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    disk: fs,
    node: process.version,
    java: v('java', ['-version']),
    kafka: kafkaVersion,
    librdkafka: v(rdkperf, ['version']).replace(/^.*version /, ''),
    tributaryCommit: v('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
    tributaryDirty: sh('git', ['-C', root, 'status', '--porcelain', '--', 'src']).stdout.trim() ? 'yes' : 'no',
  };
}

// ---------------------------------------------------------------------------------------------------- main
async function main(): Promise<void> {
  const started = performance.now();
  mkdirSync(cache, { recursive: true });
  buildRdkperf();
  fetchKafka();
  writeLog4j(log4jWarn);
  const machine = machineInfo();
  log('machine', machine);
  if (args.cluster) {
    const { runClusterBench } = await import('./cluster.ts');
    await runClusterBench({
      root,
      benchDir,
      cache,
      kafkaLibs,
      kafkaVersion,
      log4jWarn,
      outDir: args.out,
      quick,
      scale,
      runs,
      kinds: brokers,
      sessionMs: Number(args['session-ms']),
      machine,
      log,
      sh,
      rdk,
      java,
      producerPerf,
      cpuSeconds,
      writeLog4j,
      kafkaServerArgs,
      kafkaClusterId,
    });
    return;
  }
  if (args.share) {
    const { runShareBench } = await import('./share.ts');
    await runShareBench({
      benchDir,
      kafkaLibs,
      outDir: args.out,
      quick,
      scale,
      runs,
      kinds: brokers,
      machine,
      log,
      sh,
      rdk,
      java,
      cpuSeconds,
      startBroker: async (kind) => {
        const t0 = performance.now();
        const { running } = await startBroker(kind);
        try {
          await timeToFirstProduce(running, t0);
        } catch (e) {
          await stopBroker(running);
          throw e;
        }
        return { broker: running, stop: () => stopBroker(running) };
      },
    });
    return;
  }
  log('ceilings: disk and loopback');
  const ceilings = { disk: diskCeiling(), loopback: loopbackCeiling() };
  log('ceilings', ceilings);
  const results: Record<string, RunResult[]> = {};
  for (let run = 1; run <= runs; run++) {
    // Alternate the order so that drift on a shared machine does not always favour the same broker.
    const order = run % 2 ? brokers : [...brokers].reverse();
    for (const kind of order) {
      log(`${kind} run ${run}/${runs}`);
      const r = await runOnce(kind, run);
      results[kind] = [...(results[kind] ?? []), r];
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const report = {
    date,
    generatedAt: new Date().toISOString(),
    command: `npm run bench${quick ? ' -- --quick' : ''}`,
    durationSec: Math.round((performance.now() - started) / 1000),
    machine,
    settings,
    ceilings,
    diskCeilingMbPerSec: diskCeilingOf(ceilings) ?? null,
    results,
    summary: Object.fromEntries(
      rows.map((r) => [
        `${r.key}:${r.metric}`,
        {
          unit: r.unit,
          higherIsBetter: r.higher,
          tributary: summarise(results, 'tributary', r.key, r.metric),
          kafka: summarise(results, 'kafka', r.key, r.metric),
        },
      ]),
    ),
  };
  mkdirSync(args.out, { recursive: true });
  const stem = path.join(args.out, `${date}${quick ? '-quick' : ''}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(`${stem}.md`, md);
  if (!args['no-chart']) chart(`${stem}.json`, `${stem}.png`, benchDir, log);
  console.log(md);
  log(`wrote ${stem}.json, .md${args['no-chart'] ? '' : ', .png'} in ${report.durationSec} s`);
}

await main();
