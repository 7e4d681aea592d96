// Benchmark (not a test): how a broker with many partitions starts, stops and creates topics.
//   1. creates TOPICS × PARTS partitions (CreateTopics, 100 topics per request) and writes 10 records to each
//      partition of the first tenth of the topics (a broker has idle partitions and busy ones);
//   2. clean stop (SIGTERM → exit), clean start (spawn → first ApiVersions answered), unclean start (after kill -9);
//   3. on a fresh broker, auto-creates AUTO topics through Metadata requests (100 names per request) while a ping
//      loop sends ApiVersions on another connection: the worst round trip is how long the event loop was held.
// Usage: node bench/partitions-scale.ts [topics=1500] [partitionsPerTopic=10] [autoTopics=10000]
// Runs the broker from src/ (TRIBUTARY_BENCH_ENTRY overrides; TRIBUTARY_BENCH_NODE_ARGS='--cpu-prof' profiles it). Every phase's numbers are printed as they come.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerConnection } from '../src/client/connection.ts';
import { Producer } from '../src/client/producer.ts';
import { freePort, probeApiVersions } from '../test/helpers/broker.ts';

const topics = Number(process.argv[2] ?? 1500);
const partsPerTopic = Number(process.argv[3] ?? 10);
const autoTopics = Number(process.argv[4] ?? 10_000);
const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const ENTRY = process.env.TRIBUTARY_BENCH_ENTRY ?? 'src/cli/main.ts';
const tmp = mkdtempSync(join(tmpdir(), 'tributary-scale-'));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();

interface Running {
  proc: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  firstLogMs: () => number | undefined;
}

async function startBroker(dataDir: string, port: number): Promise<Running & { readyMs: number }> {
  const t0 = now();
  const proc = spawn(
    process.execPath,
    [
      ...(process.env.TRIBUTARY_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ENTRY,
      'broker',
      '--override',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--override',
      `log.dirs=${dataDir}`,
      '--override',
      'num.partitions=1',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(proc);
  let firstLog: number | undefined;
  const onData = () => {
    firstLog ??= now() - t0;
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<number | null>((r) =>
    proc.once('exit', (code) => {
      children.delete(proc);
      r(code);
    }),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error('broker exited before it was ready');
    if (await probeApiVersions(port, '127.0.0.1', 5000)) break;
    await sleep(20);
  }
  return { proc, port, exited, firstLogMs: () => firstLog, readyMs: now() - t0 };
}

async function stopBroker(b: Running, signal: NodeJS.Signals): Promise<number> {
  const t0 = now();
  b.proc.kill(signal);
  await b.exited;
  return now() - t0;
}

async function createTopics(port: number, prefix: string, n: number, parts: number): Promise<number> {
  const conn = await BrokerConnection.open('127.0.0.1', port);
  await conn.negotiate();
  const t0 = now();
  for (let i = 0; i < n; i += 100) {
    const names = Array.from({ length: Math.min(100, n - i) }, (_, k) => `${prefix}${i + k}`);
    const res = await conn.request<{ topics: Array<{ name: string; errorCode: number; errorMessage: string | null }> }>(
      19,
      {
        topics: names.map((name) => ({
          name,
          numPartitions: parts,
          replicationFactor: -1,
          assignments: [],
          configs: [],
        })),
        timeoutMs: 60_000,
        validateOnly: false,
      },
      120_000,
    );
    const bad = res.topics.find((t) => t.errorCode !== 0);
    if (bad) throw new Error(`CreateTopics ${bad.name}: error ${bad.errorCode} ${bad.errorMessage}`);
  }
  const ms = now() - t0;
  await conn.close();
  return ms;
}

/** Auto-creates `n` topics via Metadata while pinging ApiVersions; returns the creation time and the worst ping. */
async function autoCreate(
  port: number,
  n: number,
): Promise<{ ms: number; worstPingMs: number; p99PingMs: number; p50PingMs: number; pings: number }> {
  const conn = await BrokerConnection.open('127.0.0.1', port);
  await conn.negotiate();
  const ping = await BrokerConnection.open('127.0.0.1', port);
  await ping.negotiate();
  let running = true;
  const rtts: number[] = [];
  const pinger = (async () => {
    while (running) {
      const t = now();
      await ping.send(18, 0, {}, true, 120_000);
      rtts.push(now() - t);
      await sleep(5);
    }
  })();
  const t0 = now();
  for (let i = 0; i < n; i += 100) {
    const names = Array.from({ length: Math.min(100, n - i) }, (_, k) => `auto-${i + k}`);
    await conn.send(
      3,
      9,
      {
        topics: names.map((name) => ({ topicId: '', name })),
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
      true,
      120_000,
    );
  }
  const ms = now() - t0;
  await sleep(200);
  running = false;
  await pinger;
  await conn.close();
  await ping.close();
  rtts.sort((a, b) => a - b);
  const at = (q: number) => rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))] ?? 0;
  return { ms, worstPingMs: at(1), p99PingMs: at(0.99), p50PingMs: at(0.5), pings: rtts.length };
}

const r = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x)} ms`);
const results: Record<string, string> = {};
const report = (k: string, v: string) => {
  results[k] = v;
  console.log(`${k}: ${v}`);
};

{
  const dir = join(tmp, 'scale');
  const port = await freePort();
  let b = await startBroker(dir, port);
  const createMs = await createTopics(port, 't', topics, partsPerTopic);
  report(`create ${topics} topics x ${partsPerTopic} partitions (CreateTopics)`, r(createMs));
  const producer = new Producer({ bootstrapServers: `127.0.0.1:${port}`, lingerMs: 5 });
  const busy = Math.ceil(topics / 10);
  const sends: Promise<unknown>[] = [];
  for (let t = 0; t < busy; t++)
    for (let p = 0; p < partsPerTopic; p++)
      sends.push(
        producer.send({
          topic: `t${t}`,
          messages: Array.from({ length: 10 }, (_, i) => ({ value: `record ${i}`.padEnd(100, '.'), partition: p })),
        }),
      );
  await Promise.all(sends);
  await producer.close();
  report('clean stop (SIGTERM to exit)', r(await stopBroker(b, 'SIGTERM')));
  b = await startBroker(dir, port);
  report('clean start (spawn to first ApiVersions answer)', `${r(b.readyMs)} (first log line ${r(b.firstLogMs())})`);
  await stopBroker(b, 'SIGKILL');
  b = await startBroker(dir, port);
  report('unclean start after kill -9', `${r(b.readyMs)} (first log line ${r(b.firstLogMs())})`);
  report('clean stop after the unclean start', r(await stopBroker(b, 'SIGTERM')));
  rmSync(dir, { recursive: true, force: true });
}
if (autoTopics > 0) {
  const dir = join(tmp, 'auto');
  const port = await freePort();
  const b = await startBroker(dir, port);
  const a = await autoCreate(port, autoTopics);
  report(
    `auto-create ${autoTopics} topics (Metadata, 100 per request)`,
    `${r(a.ms)}, ApiVersions round trips over ${a.pings} pings: worst ${r(a.worstPingMs)}, p99 ${r(a.p99PingMs)}, median ${r(a.p50PingMs)}`,
  );
  await stopBroker(b, 'SIGTERM');
}
console.log(JSON.stringify(results));
