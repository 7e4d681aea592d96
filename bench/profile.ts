// CPU profile of Tributary under one benchmark workload, summarised as self and total time per function.
//
//   node bench/profile.ts [produce|produce-small|consume|latency|java-produce|java-produce-small|java-consume|
//                          java-share|java-share-5|rdk-share|rdk-share-5] [records]
//
// Starts the broker with `node --cpu-prof`, drives it with bench/cache/rdkperf (build it with `npm run bench` once),
// stops it with SIGTERM and prints the top functions. For `consume` the data is produced first through an unprofiled
// broker, so the profile covers the reads only; the share workloads likewise fill a topic of PROFILE_PARTITIONS
// partitions (default 1), then a share group of 1 (or 5) consumers reads it: Kafka's ShareConsumerPerformance
// (java-share) or librdkafka's share consumer (rdk-share, bench/clients/share_consume.py). PROFILE_NODE_OPTIONS adds node flags to the broker. The .cpuprofile
// (open it in Chrome DevTools or speedscope for a flame graph) and a folded-stacks file (for flamegraph.pl /
// inferno) stay in bench/cache/profiles/.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentLibrdkafka } from '../test/helpers/current-librdkafka.ts';

const benchDir = import.meta.dirname;
const root = path.dirname(benchDir);
const cache = path.join(benchDir, 'cache');
const rdkperf = path.join(cache, 'rdkperf');
const workload = process.argv[2] ?? 'produce';
const records = Number(process.argv[3] ?? 1_000_000);
const port = 39092;
const bootstrap = `127.0.0.1:${port}`;
const profDir = path.join(cache, 'profiles', `${workload}-${Date.now()}`);
const dataDir = path.join(cache, 'run', `profile-${Date.now()}`);
mkdirSync(profDir, { recursive: true });
mkdirSync(dataDir, { recursive: true });

const rdk = (mode: string, a: string[]): string => {
  const r = spawnSync(rdkperf, [mode, '-b', bootstrap, ...a], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rdkperf ${mode}: ${r.stderr}`);
  return r.stdout.trim();
};

const startBroker = (profile: boolean) =>
  spawn(
    process.execPath,
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      ...(process.env.PROFILE_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
      path.join(root, 'src/cli/main.ts'),
      'broker',
      '--override',
      `listeners=PLAINTEXT://${bootstrap}`,
      '--override',
      `log.dirs=${dataDir}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
const waitReady = async (): Promise<void> => {
  for (let i = 0; ; i++) {
    const r = spawnSync(rdkperf, ['create', '-b', bootstrap, '-t', 'p', '-p', '6'], { encoding: 'utf8' });
    if (r.status === 0 || r.stderr.includes('already exists')) return;
    if (i > 100) throw new Error('broker did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
};
const stop = async (b: ReturnType<typeof startBroker>): Promise<void> => {
  b.kill('SIGTERM');
  await new Promise((r) => b.once('exit', r));
};
const size = workload.endsWith('produce-small') ? '100' : '1024';
// The Java workloads run Kafka's own perf tools (bench/cache/kafka-*/libs, fetched by `npm run bench`).
const kafkaLibs = path.join(cache, readdirSync(cache).find((d) => d.startsWith('kafka-')) ?? 'kafka-missing', 'libs');
const java = (main: string, a: string[]): string => {
  const cp = ['-Xmx512M', `-Dlog4j2.configurationFile=${path.join(cache, 'log4j2-warn.properties')}`, '-cp'];
  const r = spawnSync('java', [...cp, `${kafkaLibs}/*`, `org.apache.kafka.tools.${main}`, ...a], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${main}: ${r.stderr}`);
  return r.stdout.trim().split('\n').slice(-2).join('\n');
};
const share = /^(java|rdk)-share/.test(workload);
const shareConsumers = workload.endsWith('-5') ? '5' : '1';
if (workload.endsWith('consume') || share) {
  // Produce with an unprofiled broker, then profile a fresh process that only serves the reads.
  const writer = startBroker(false);
  await waitReady();
  if (share) rdk('create', ['-t', 'p1', '-p', process.env.PROFILE_PARTITIONS ?? '1']);
  const spread = share ? ['-X', 'sticky.partitioning.linger.ms=0'] : [];
  rdk('produce', ['-t', share ? 'p1' : 'p', '-n', String(records), '-s', size, ...spread]);
  await stop(writer);
}
const broker = startBroker(true);
const cpuBefore = (): number => {
  const f = readFileSync(`/proc/${broker.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in seconds (USER_HZ 100)
};
await waitReady();
if (share) {
  const entity = ['--entity-type', 'groups', '--entity-name', 'profile'];
  java('ConfigCommand', [
    '--bootstrap-server',
    bootstrap,
    '--alter',
    ...entity,
    '--add-config',
    'share.auto.offset.reset=earliest',
  ]);
}
const cpu0 = cpuBefore();
const t0 = performance.now();
let out: string;
if (workload === 'consume') out = rdk('consume', ['-t', 'p', '-p', '6', '-n', String(records)]);
else if (workload === 'java-consume')
  out = java('ConsumerPerformance', [
    '--bootstrap-server',
    bootstrap,
    '--topic',
    'p',
    '--num-records',
    String(records),
  ]);
else if (workload.startsWith('rdk-share')) {
  const py = await currentLibrdkafka();
  const script = path.join(benchDir, 'clients', 'share_consume.py');
  const r = spawnSync(py.python, [script, bootstrap, 'p1', 'profile', String(records), shareConsumers], {
    encoding: 'utf8',
    env: py.env,
  });
  if (r.status !== 0) throw new Error(`share_consume.py: ${r.stderr}`);
  out = r.stdout.trim();
} else if (share)
  out = java('ShareConsumerPerformance', [
    ...['--bootstrap-server', bootstrap, '--topic', 'p1', '--group', 'profile', '--num-records', String(records)],
    ...['--threads', shareConsumers],
  ]);
else if (workload.startsWith('java-produce'))
  out = java('ProducerPerformance', [
    ...['--topic', 'p', '--num-records', String(records), '--record-size', size, '--throughput', '-1'],
    ...['--command-property', `bootstrap.servers=${bootstrap}`, 'acks=1', 'enable.idempotence=false'],
  ]);
else if (workload === 'latency') out = rdk('latency', ['-t', 'p', '-p', '6', '-s', size, '-r', '20480', '-d', '10']);
else out = rdk('produce', ['-t', 'p', '-n', String(records), '-s', size, '-a', '1']);
const wall = (performance.now() - t0) / 1000;
const cpu = cpuBefore() - cpu0;
console.log(out);
console.log(`broker CPU ${cpu.toFixed(2)} s over ${wall.toFixed(2)} s wall = ${(cpu / wall).toFixed(2)} cores`);
await stop(broker);
rmSync(dataDir, { recursive: true, force: true });

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))!;
const prof = JSON.parse(readFileSync(path.join(profDir, file), 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
prof.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const name = (n: Node): string => {
  const u = n.callFrame.url.replace(`file://${root}/`, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${u ? `${u}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
};
const self = new Map<string, number>();
const total = new Map<string, number>();
const folded = new Map<string, number>();
let all = 0;
for (const [id, us] of selfUs) {
  all += us;
  const n = byId.get(id)!;
  self.set(name(n), (self.get(name(n)) ?? 0) + us);
  const stack: string[] = [];
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const nm = name(byId.get(cur)!);
    stack.push(nm);
    if (!seen.has(nm)) total.set(nm, (total.get(nm) ?? 0) + us);
    seen.add(nm);
  }
  const key = stack.reverse().join(';');
  folded.set(key, (folded.get(key) ?? 0) + us);
}
writeFileSync(
  path.join(profDir, 'folded.txt'),
  [...folded].map(([k, v]) => `${k.replaceAll(' ', '_')} ${Math.round(v)}`).join('\n'),
);
const top = (m: Map<string, number>, k: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([n, us]) => `${((100 * us) / all).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${n}`)
    .join('\n');
console.log(`\nself time (of ${(all / 1000).toFixed(0)} ms sampled):\n${top(self, 25)}`);
console.log(`\ntotal time:\n${top(total, 25)}`);
console.log(`\nprofile: ${path.join(profDir, file)}`);
