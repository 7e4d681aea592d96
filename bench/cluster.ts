// `npm run bench -- --cluster`: three Tributary brokers (on one ZooKeeper) against three Apache Kafka brokers (KRaft,
// combined broker+controller nodes) on this machine, each broker on its own loopback address (127.0.0.1-3), one
// replication-factor-3 topic per workload with min.insync.replicas=2. Workloads: produce 1 KiB records with acks=all
// and acks=1 (librdkafka's rdkperf and Kafka's ProducerPerformance), consume (rdkperf), end-to-end latency at a fixed
// rate with acks=all, and failover: kill -9 of a partition leader that is not the active controller → the first
// acknowledgement of an idempotent acks=all producer (bench/clients/failover_probe.py) from the new leader. Both
// clusters detect the dead broker by a session of the same length: Tributary's zookeeper.session.timeout.ms, Kafka's
// broker.session.timeout.ms. Called by bench/run.ts with its helpers; never part of `npm test`.
import { type ChildProcess, type SpawnSyncReturns, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Admin } from '../src/client/admin.ts';
import { startZooKeeper, type ZooKeeperEnsemble } from '../test/helpers/zookeeper.ts';

type Metrics = Record<string, number | string | null>;
type Kind = 'tributary' | 'kafka';

/** What bench/run.ts lends: paths, the client runners, and its options. */
export interface ClusterBenchKit {
  root: string;
  benchDir: string;
  cache: string;
  kafkaLibs: string;
  kafkaVersion: string;
  log4jWarn: string;
  outDir: string;
  quick: boolean;
  scale: number;
  runs: number;
  kinds: Kind[];
  sessionMs: number;
  machine: Metrics;
  log: (...a: unknown[]) => void;
  sh: (cmd: string, a: string[], opts?: { timeout?: number; cwd?: string }) => SpawnSyncReturns<string>;
  rdk: (mode: string, a: string[], timeout?: number) => Metrics;
  java: (main: string, a: string[], timeout?: number) => SpawnSyncReturns<string>;
  producerPerf: (bootstrap: string, topic: string, n: number, size: number, acks: string | null) => Metrics;
  cpuSeconds: (pid: number) => number | null;
  writeLog4j: (file: string, logFile?: string) => void;
  /** java's arguments for one Kafka server (the same JVM options as the single-node bench). */
  kafkaServerArgs: (log4j: string, props: string) => string[];
  /** A random cluster id for `kafka-storage format` (never starting with '-'). */
  kafkaClusterId: () => string;
}

interface Node {
  id: number;
  host: string;
  proc: ChildProcess;
  stderr: string[];
}

interface RunningCluster {
  kind: Kind;
  nodes: Node[];
  bootstrap: string;
  dataDir: string;
  zk?: ZooKeeperEnsemble;
}

const PORT = 29392;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runClusterBench(kit: ClusterBenchKit): Promise<void> {
  const started = performance.now();
  const records = Math.round(300_000 * kit.scale);
  const settings = {
    brokers: 3,
    partitions: 6,
    replicationFactor: 3,
    minInsyncReplicas: 2,
    recordSize: 1024,
    records1k: records,
    latencyRatePerSec: 10_240, // 10 MiB/s of 1 KiB records, acks=all
    latencySeconds: kit.quick ? 5 : 15,
    sessionMs: kit.sessionMs,
    runs: kit.runs,
    tributary: `3 brokers, zookeeper.session.timeout.ms=${kit.sessionMs}, one ZooKeeper node (Debian's package)`,
    kafka: `${kit.kafkaVersion} KRaft, 3 combined broker+controller nodes, broker.session.timeout.ms=${kit.sessionMs}, broker.heartbeat.interval.ms=${heartbeatMs(kit.sessionMs)}, -Xmx1G each`,
    producers:
      'rdkperf: enable.idempotence=false, librdkafka defaults; ProducerPerformance: enable.idempotence=false; failover probe: idempotent, acks=all, one record per 5 ms, short client back-offs',
  };
  const results: Record<string, Array<Record<string, Metrics>>> = {};
  for (let run = 1; run <= kit.runs; run++) {
    const order = run % 2 ? kit.kinds : [...kit.kinds].reverse();
    for (const kind of order) {
      kit.log(`cluster ${kind} run ${run}/${kit.runs}`);
      results[kind] = [...(results[kind] ?? []), await runOnce(kit, kind, settings)];
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const report = {
    date,
    generatedAt: new Date().toISOString(),
    command: `npm run bench -- --cluster${kit.quick ? ' --quick' : ''}`,
    durationSec: Math.round((performance.now() - started) / 1000),
    machine: kit.machine,
    settings,
    results,
  };
  mkdirSync(kit.outDir, { recursive: true });
  const stem = path.join(kit.outDir, `${date}-cluster${kit.quick ? '-quick' : ''}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(`${stem}.md`, md);
  console.log(md);
  kit.log(`wrote ${stem}.json, .md in ${report.durationSec} s`);
}

function heartbeatMs(sessionMs: number): number {
  return Math.min(2000, Math.floor(sessionMs / 4));
}

// ---------------------------------------------------------------------------------------------------- clusters
async function startCluster(kit: ClusterBenchKit, kind: Kind): Promise<RunningCluster> {
  const dataDir = path.join(kit.cache, 'run', `cluster-${kind}-${Date.now()}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const hosts = [1, 2, 3].map((i) => `127.0.0.${i}`);
  const bootstrap = hosts.map((h) => `${h}:${PORT}`).join(',');
  const nodes: Node[] = [];
  const watch = (id: number, proc: ChildProcess) => {
    const stderr: string[] = [];
    proc.stderr?.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 200) stderr.shift();
    });
    nodes.push({ id, host: hosts[id - 1]!, proc, stderr });
  };
  let zk: ZooKeeperEnsemble | undefined;
  if (kind === 'tributary') {
    // ZooKeeper grants sessions of 2..20 ticks.
    zk = await startZooKeeper({ nodes: 1, tickTimeMs: Math.max(100, Math.ceil(kit.sessionMs / 20)) });
    for (let id = 1; id <= 3; id++) {
      const o = {
        'broker.id': String(id),
        listeners: `PLAINTEXT://${hosts[id - 1]}:${PORT}`,
        'log.dirs': path.join(dataDir, `broker-${id}`),
        'zookeeper.connect': zk.connectString('/tributary'),
        'zookeeper.session.timeout.ms': String(kit.sessionMs),
        'http.listeners': '',
        'offsets.topic.replication.factor': '3',
        'transaction.state.log.replication.factor': '3',
        'transaction.state.log.min.isr': '2',
      };
      const args = [path.join(kit.root, 'src/cli/main.ts'), 'broker'];
      for (const [k, v] of Object.entries(o)) args.push('--override', `${k}=${v}`);
      watch(id, spawn(process.execPath, args, { cwd: kit.root, stdio: ['ignore', 'ignore', 'pipe'] }));
    }
  } else {
    const clusterId = kit.kafkaClusterId();
    const voters = hosts.map((h, i) => `${i + 1}@${h}:${PORT + 1}`).join(',');
    for (let id = 1; id <= 3; id++) {
      const dir = path.join(dataDir, `kafka-${id}`);
      mkdirSync(dir, { recursive: true });
      const props = path.join(dir, 'server.properties');
      const host = hosts[id - 1]!;
      writeFileSync(
        props,
        [
          'process.roles=broker,controller',
          `node.id=${id}`,
          `controller.quorum.voters=${voters}`,
          `listeners=PLAINTEXT://${host}:${PORT},CONTROLLER://${host}:${PORT + 1}`,
          `advertised.listeners=PLAINTEXT://${host}:${PORT}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          `log.dirs=${path.join(dir, 'logs')}`,
          'offsets.topic.replication.factor=3',
          'transaction.state.log.replication.factor=3',
          'transaction.state.log.min.isr=2',
          `broker.session.timeout.ms=${kit.sessionMs}`,
          `broker.heartbeat.interval.ms=${heartbeatMs(kit.sessionMs)}`,
          '',
        ].join('\n'),
      );
      const f = kit.sh('java', [
        `-Dlog4j2.configurationFile=${kit.log4jWarn}`,
        '-cp',
        `${kit.kafkaLibs}/*`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        props,
      ]);
      if (f.status !== 0) throw new Error(`kafka storage format failed: ${f.stdout}${f.stderr}`);
      const log4j = path.join(dir, 'log4j2.properties');
      kit.writeLog4j(log4j, path.join(dir, 'server.log'));
      watch(id, spawn('java', kit.kafkaServerArgs(log4j, props), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
    }
  }
  const cluster: RunningCluster = { kind, nodes, bootstrap, dataDir, zk };
  // Formed when every broker's Metadata lists all three.
  const deadline = performance.now() + 180_000;
  for (const n of nodes) {
    for (;;) {
      if (n.proc.exitCode != null) throw new Error(`${kind} broker ${n.id} exited:\n${n.stderr.join('')}`);
      const ids = await withAdmin(`${n.host}:${PORT}`, async (a) => (await a.describeCluster()).brokers.length).catch(
        () => 0,
      );
      if (ids === 3) break;
      if (performance.now() > deadline) throw new Error(`${kind} broker ${n.id} does not list 3 brokers`);
      await sleep(250);
    }
  }
  return cluster;
}

async function stopCluster(c: RunningCluster): Promise<void> {
  for (const n of c.nodes) {
    if (n.proc.exitCode != null || n.proc.signalCode != null) continue;
    const exited = new Promise((r) => n.proc.once('exit', r));
    n.proc.kill('SIGKILL');
    await exited;
  }
  await c.zk?.stop();
  rmSync(c.dataDir, { recursive: true, force: true });
}

async function withAdmin<T>(bootstrap: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const a = new Admin({ bootstrapServers: bootstrap });
  try {
    return await fn(a);
  } finally {
    await a.close();
  }
}

async function createTopics(c: RunningCluster, topics: string[], partitions: number, minIsr: number): Promise<void> {
  await withAdmin(c.bootstrap, (a) =>
    a.createTopics(
      topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 3,
        configs: { 'min.insync.replicas': String(minIsr) },
      })),
      { timeoutMs: 60_000 },
    ),
  );
  // Every broker knows every partition's leader before a client asks.
  for (const n of c.nodes)
    for (let i = 0; ; i++) {
      const ok = await withAdmin(`${n.host}:${PORT}`, async (a) =>
        (await a.describeTopics(topics)).every(
          (t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader > 0 && p.isr.length === 3),
        ),
      ).catch(() => false);
      if (ok) break;
      if (i > 240) throw new Error(`${c.kind}: topics not ready on broker ${n.id}`);
      await sleep(250);
    }
}

// ---------------------------------------------------------------------------------------------------- one run
async function runOnce(
  kit: ClusterBenchKit,
  kind: Kind,
  settings: {
    partitions: number;
    recordSize: number;
    records1k: number;
    latencyRatePerSec: number;
    latencySeconds: number;
    minInsyncReplicas: number;
  },
): Promise<Record<string, Metrics>> {
  const out: Record<string, Metrics> = {};
  const t0 = performance.now();
  const c = await startCluster(kit, kind);
  try {
    out.startup = { clusterFormedMs: Math.round(performance.now() - t0) };
    kit.log(`cluster ${kind}: formed after ${out.startup.clusterFormedMs} ms`);
    const topics = ['warm', 'all-rdk', 'one-rdk', 'all-java', 'one-java', 'lat', 'fail'];
    await createTopics(c, topics, settings.partitions, settings.minInsyncReplicas);
    const P = String(settings.partitions);
    const s1k = String(settings.recordSize);
    const bytes = settings.records1k * settings.recordSize;
    const base = ['-b', c.bootstrap, '-X', 'enable.idempotence=false'];
    const step = async (name: string, f: () => Metrics | Promise<Metrics>, moved?: number) => {
      const t = performance.now();
      const cpu = () => c.nodes.reduce((s, n) => s + (kit.cpuSeconds(n.proc.pid!) ?? 0), 0);
      const cpu0 = cpu();
      try {
        out[name] = await f();
      } catch (e) {
        out[name] = { error: String((e as Error).message).slice(0, 600) };
      }
      const m = out[name];
      if (!m.error && moved) m.brokersCpuSecPerGB = (cpu() - cpu0) / (moved / 1e9);
      kit.log(
        `cluster ${kind}: ${name} ${m.error ? `ERROR ${m.error}` : JSON.stringify(m)} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
      );
    };
    // Warm-up (not measured): JIT compilation of the produce, replication and fetch paths on every broker.
    const warm = String(Math.round(settings.records1k / 2));
    kit.rdk('produce', [...base, '-t', 'warm', '-n', warm, '-s', s1k, '-a', 'all']);
    const n = String(settings.records1k);
    await step(
      'produce-1k-acksall/rdkafka',
      () => kit.rdk('produce', [...base, '-t', 'all-rdk', '-n', n, '-s', s1k, '-a', 'all']),
      bytes,
    );
    await step(
      'produce-1k-acks1/rdkafka',
      () => kit.rdk('produce', [...base, '-t', 'one-rdk', '-n', n, '-s', s1k, '-a', '1']),
      bytes,
    );
    await step(
      'produce-1k-acksall/java',
      () => kit.producerPerf(c.bootstrap, 'all-java', settings.records1k, settings.recordSize, 'all'),
      bytes,
    );
    await step(
      'produce-1k-acks1/java',
      () => kit.producerPerf(c.bootstrap, 'one-java', settings.records1k, settings.recordSize, '1'),
      bytes,
    );
    await step(
      'consume-1k/rdkafka',
      () => kit.rdk('consume', ['-b', c.bootstrap, '-t', 'all-rdk', '-p', P, '-n', n]),
      bytes,
    );
    await step('e2e-latency-acksall/rdkafka', () =>
      kit.rdk('latency', [
        '-b',
        c.bootstrap,
        '-t',
        'lat',
        '-p',
        P,
        '-s',
        s1k,
        '-r',
        String(settings.latencyRatePerSec),
        '-d',
        String(settings.latencySeconds),
        '-a',
        'all',
      ]),
    );
    await step('failover', () => failover(kit, c));
    for (const node of c.nodes)
      if (node.proc.exitCode != null && node.proc.signalCode !== 'SIGKILL')
        throw new Error(`${kind} broker ${node.id} exited during the run:\n${node.stderr.join('')}`);
  } finally {
    await stopCluster(c);
  }
  return out;
}

/** The active controller's id: Tributary names it in Metadata; Kafka's KRaft quorum leader comes from the quorum tool. */
async function controllerId(kit: ClusterBenchKit, c: RunningCluster): Promise<number> {
  if (c.kind === 'tributary') return withAdmin(c.bootstrap, async (a) => (await a.describeCluster()).controllerId);
  const r = kit.java('MetadataQuorumCommand', ['--bootstrap-server', c.bootstrap, 'describe', '--status'], 60_000);
  const m = /LeaderId:\s+(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`kafka-metadata-quorum describe --status: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** kill -9 of the leader of a partition (not the active controller) under an acks=all producer to that partition →
 * the producer's first acknowledgement after the kill (necessarily from the new leader). */
async function failover(kit: ClusterBenchKit, c: RunningCluster): Promise<Metrics> {
  const controller = await controllerId(kit, c);
  const parts = await withAdmin(c.bootstrap, async (a) => (await a.describeTopics(['fail']))[0]!.partitions);
  const p = parts.find((x) => x.leader !== controller && x.leader > 0);
  if (!p) throw new Error(`every partition of "fail" is led by the controller ${controller}`);
  const victim = c.nodes.find((x) => x.id === p.leader)!;
  const seconds = Math.max(20, (kit.sessionMs * 3) / 1000 + 10);
  // Debian's python3 has confluent-kafka (python3-confluent-kafka), whatever python3 comes first on PATH.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawn(
    python,
    [
      path.join(kit.benchDir, 'clients', 'failover_probe.py'),
      c.bootstrap,
      'fail',
      String(p.partition),
      String(seconds),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  probe.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => probe.once('exit', r));
  const ready = new Promise<void>((resolve) => {
    probe.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('READY\n')) resolve();
    });
    void exited.then(() => resolve());
  });
  await ready;
  await sleep(1000);
  const killedAt = Date.now();
  victim.proc.kill('SIGKILL');
  const code = await exited;
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`failover probe failed (${code}): ${stdout}${stderr}`);
  const r = JSON.parse(line) as { sent: number; acks: Array<[number, number]>; failedCount: number };
  // The first record produced after the kill that was acknowledged, and when (records are produced every 5 ms).
  let first = Number.POSITIVE_INFINITY;
  for (const [producedAt, ackedAt] of r.acks) if (producedAt > killedAt) first = Math.min(first, ackedAt);
  if (first === Number.POSITIVE_INFINITY) throw new Error(`no record produced after the kill was acknowledged`);
  // The longest time without any acknowledgement around the kill, for comparison.
  const times = r.acks.map((a) => a[1]).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) if (times[i]! > killedAt) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return {
    failoverMs: Math.round(first - killedAt),
    longestAckGapMs: Math.round(gap),
    partition: p.partition,
    killedBroker: victim.id,
    controller,
    acked: r.acks.length,
    sent: r.sent,
    failed: r.failedCount,
  };
}

// ---------------------------------------------------------------------------------------------------- report
const ROWS: Array<{ key: string; metric: string; label: string; unit: string; higher: boolean }> = [
  {
    key: 'produce-1k-acksall/rdkafka',
    metric: 'mbPerSec',
    label: 'produce 1 KiB, acks=all — librdkafka',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acks1/rdkafka',
    metric: 'mbPerSec',
    label: 'produce 1 KiB, acks=1 — librdkafka',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acksall/java',
    metric: 'mbPerSec',
    label: 'produce 1 KiB, acks=all — Java perf-test',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acks1/java',
    metric: 'mbPerSec',
    label: 'produce 1 KiB, acks=1 — Java perf-test',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acksall/java',
    metric: 'p99Ms',
    label: 'produce acks=all, Java p99 (at full throughput)',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'consume-1k/rdkafka',
    metric: 'streamMbPerSec',
    label: 'consume, first record to last — librdkafka',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'e2e-latency-acksall/rdkafka',
    metric: 'p50Ms',
    label: 'end-to-end p50 at 10 MiB/s, acks=all',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'e2e-latency-acksall/rdkafka',
    metric: 'p99Ms',
    label: 'end-to-end p99 at 10 MiB/s, acks=all',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'failover',
    metric: 'failoverMs',
    label: 'failover: kill -9 of a leader → first ack from the new one',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'produce-1k-acksall/rdkafka',
    metric: 'brokersCpuSecPerGB',
    label: 'CPU of the 3 brokers per GB, acks=all librdkafka',
    unit: 'CPU s/GB',
    higher: false,
  },
  { key: 'startup', metric: 'clusterFormedMs', label: 'start → every broker lists three', unit: 'ms', higher: false },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function summary(results: Record<string, Array<Record<string, Metrics>>>, kind: string, key: string, metric: string) {
  const vals = (results[kind] ?? []).map((r) => r[key]?.[metric]).filter((v): v is number => typeof v === 'number');
  return vals.length ? { median: median(vals), min: Math.min(...vals), max: Math.max(...vals) } : null;
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function markdown(report: {
  date: string;
  machine: Metrics;
  settings: Record<string, unknown>;
  results: Record<string, Array<Record<string, Metrics>>>;
}): string {
  const L: string[] = [`# Three Tributary brokers vs three Apache Kafka brokers — ${report.date}`, ''];
  const m = report.machine;
  L.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, disk ${m.disk}; Node ${m.node}; ${m.java}.`,
  );
  L.push(
    `Tributary ${m.tributaryCommit}; Apache Kafka ${m.kafka}. Brokers and clients share the machine; cells are median (min–max) over ${report.settings.runs} run(s). One topic per workload: ${report.settings.partitions} partitions, replication factor 3, min.insync.replicas=2.`,
  );
  L.push('', '| Workload | Tributary | Kafka | Tributary ÷ Kafka | better |', '| --- | ---: | ---: | ---: | --- |');
  for (const r of ROWS) {
    const t = summary(report.results, 'tributary', r.key, r.metric);
    const k = summary(report.results, 'kafka', r.key, r.metric);
    const cell = (s: typeof t) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : 'n/a');
    const ratio = t && k && k.median > 0 ? `${(t.median / k.median).toFixed(2)}×` : 'n/a';
    L.push(`| ${r.label} (${r.unit}) | ${cell(t)} | ${cell(k)} | ${ratio} | ${r.higher ? 'higher' : 'lower'} |`);
  }
  L.push('', '## Settings', '');
  for (const [k, v] of Object.entries(report.settings)) L.push(`- ${k}: ${v}`);
  const errs: string[] = [];
  for (const [kind, rs] of Object.entries(report.results))
    rs.forEach((r, i) => {
      for (const [k, x] of Object.entries(r))
        if (x.error) errs.push(`- ${kind} run ${i + 1} ${k}: ${String(x.error).split('\n')[0]}`);
    });
  if (errs.length) L.push('', '## Failures', '', ...errs);
  L.push('');
  return L.join('\n');
}
