// One fault run: brokers up, workloads on, the seeded fault schedule played, workloads drained, every partition
// dumped, the history checked. Used by the short test (test/fault/faults.test.ts) and the soak (scripts/soak.ts).
//
// Workloads (all through the client-link proxies, all recorded into the history):
//   - TypeScript idempotent acks=all producers (src/client, idempotent: true), in this process
//   - librdkafka idempotent acks=all producers, consumer-group members committing offsets, the transactional
//     consume-transform-produce job (confluent-kafka's transactional API: our TS client has no transactions) and
//     a read_committed reader of its output (workload.py, one Python process)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Producer } from '../../../src/client/index.ts';
import { requirePython } from '../../helpers/clients.ts';
import { startZooKeeper, type ZooKeeperEnsemble } from '../../helpers/zookeeper.ts';
import { type CheckResult, check, formatReport } from './checker.ts';
import { libfaketimePath } from './clock-skew.ts';
import {
  availableKinds,
  CLUSTER_KINDS,
  type ClusterView,
  type FaultEnv,
  makeSchedule,
  prng,
  type ZooKeeperControl,
} from './faults.ts';
import { HistoryWriter, readHistory } from './history.ts';
import { type ManagedBroker, startBrokers } from './processes.ts';

const WORKLOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workload.py');

export interface FaultRunOptions {
  seed: number;
  cycles: number;
  /**
   * Cluster mode: a 3-node ZooKeeper ensemble and brokers 1..3 with 2 s sessions, the workload topics with
   * replication factor 3 and min.insync.replicas=2, the internal topics RF 3, every broker↔broker replication path
   * and broker→ZooKeeper path through its own proxy, and the cluster fault kinds (CLUSTER_KINDS) by default.
   */
  cluster?: boolean;
  /**
   * Run the transactional consume-transform-produce job and its read_committed reader (and the checker's ctp
   * rule). Default: on with one broker, off in cluster mode, where it needs transactions across brokers (a
   * coordinator's markers must reach partitions other brokers lead): `npm run soak -- --cluster --txn`.
   */
  txn?: boolean;
  /** Directory for history.jsonl and report.txt. */
  outDir: string;
  /** Only these fault kinds (default: every kind available here). */
  kinds?: string[];
  holdMs?: [number, number];
  gapMs?: [number, number];
  /** Records per second per producer. */
  rate?: number;
  tsProducers?: number;
  pyProducers?: number;
  partitions?: number;
  /** Size of each broker's tmpfs log dir (MiB); 0 disables the disk-full fault. */
  diskMiB?: number;
  /** Plug point for the cluster: more brokers (with zookeeper.connect in overrides) and the ensemble. */
  brokers?: Array<{ id: number; overrides?: Record<string, string> }>;
  zookeeper?: ZooKeeperControl;
  log?: (line: string) => void;
}

export interface FaultRunResult {
  result: CheckResult;
  report: string;
  historyFile: string;
  skippedKinds: Array<{ name: string; reason: string }>;
}

/** ZooKeeper session of cluster mode's brokers. */
const SESSION_MS = 2000;

/** Cluster mode's replica.lag.time.max.ms: a follower cut longer than this leaves the ISR. */
const LAG_MS = 4000;

/** zookeeper.connect and the inter-broker listeners are set by startBrokers (through the cluster's proxies). */
const CLUSTER_OVERRIDES: Record<string, string> = {
  'zookeeper.session.timeout.ms': String(SESSION_MS),
  'offsets.topic.replication.factor': '3',
  'offsets.topic.num.partitions': '1',
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.num.partitions': '1',
  'replica.lag.time.max.ms': String(LAG_MS),
  'replica.fetch.backoff.ms': '200',
  'replica.high.watermark.checkpoint.interval.ms': '500',
};

/** The cluster's own view of the workload topic (fresh admin client each time: brokers come and go). */
async function describeCluster(bootstrap: string, topic: string): Promise<ClusterView> {
  const admin = new Admin({ bootstrapServers: bootstrap, timeoutMs: 5000 });
  try {
    const c = await admin.describeCluster();
    const [t] = await admin.describeTopics([topic]);
    return {
      controller: c.controllerId,
      partitions: (t?.partitions ?? []).map((p) => ({
        topic,
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      })),
    };
  } finally {
    await admin.close().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Broker settings of a fault run: single node today, quick group joins, small segments so rolls happen. */
const BROKER_OVERRIDES: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '0',
  'log.segment.bytes': String(1024 * 1024),
};

class TsProducer {
  readonly name: string;
  readonly #producer: Producer<string | null, string>;
  readonly #w: HistoryWriter;
  readonly #topic: string;
  readonly #partitions: number;
  readonly #rate: number;
  #stop = false;
  #done: Promise<void> = Promise.resolve();
  #outstanding = new Set<Promise<void>>();

  constructor(name: string, bootstrap: string, topic: string, partitions: number, rate: number, w: HistoryWriter) {
    this.name = name;
    this.#w = w;
    this.#topic = topic;
    this.#partitions = partitions;
    this.#rate = rate;
    this.#producer = new Producer<string | null, string>({
      bootstrapServers: bootstrap,
      clientId: name,
      idempotent: true,
      acks: 'all',
      retries: 8,
      retryBackoffMs: 100,
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      keySerializer: (k) => (k === null ? null : Buffer.from(k)),
      valueSerializer: (v) => Buffer.from(v),
    });
  }

  start(): void {
    this.#done = this.#loop();
  }

  async #loop(): Promise<void> {
    const interval = 1000 / this.#rate;
    let next = Date.now();
    for (let seq = 0; !this.#stop; seq++) {
      const value = `${this.name}:${seq}`;
      const partition = seq % this.#partitions;
      const p = this.#producer
        .send({ topic: this.#topic, messages: [{ value, partition }] })
        .then(
          ([md]) =>
            this.#w.add({
              type: 'ack',
              t: Date.now(),
              proc: this.name,
              topic: this.#topic,
              partition: md!.partition,
              offset: md!.offset,
              value,
            }),
          (err: unknown) =>
            this.#w.add({
              type: 'fail',
              t: Date.now(),
              proc: this.name,
              topic: this.#topic,
              value,
              error: err instanceof Error ? err.message : String(err),
            }),
        )
        .finally(() => this.#outstanding.delete(p));
      this.#outstanding.add(p);
      // Backpressure: at most 200 records in flight.
      while (this.#outstanding.size >= 200 && !this.#stop) await Promise.race(this.#outstanding);
      next += interval;
      const d = next - Date.now();
      if (d > 0) await sleep(d);
      else next = Date.now();
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
    await Promise.allSettled([...this.#outstanding]);
    await this.#producer.close().catch(() => {});
  }
}

function spawnWorkload(
  python: string,
  mode: 'run' | 'final',
  cfg: object,
  w: HistoryWriter,
  onLine?: (line: string) => void,
): { proc: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const proc = spawn(python, [WORKLOAD, mode, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let pending = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (s: string) => {
    pending += s;
    let i = pending.indexOf('\n');
    while (i >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      w.addLine(`py-${mode}`, line);
      onLine?.(line);
      i = pending.indexOf('\n');
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-20_000);
  });
  proc.stdin!.on('error', () => {});
  // Killed with the harness (Ctrl-C of a soak, a test timeout): process.on('exit') runs on those paths too.
  const killOnExit = () => proc.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  return { proc, exited, stderr: () => stderr };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runFaults(opts: FaultRunOptions): Promise<FaultRunResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const partitions = opts.partitions ?? 2;
  const rate = opts.rate ?? 50;
  log(
    `fault run: seed=${opts.seed} cycles=${opts.cycles} (rerun: npm run soak --${opts.cluster ? ' --cluster' : ''}${opts.cluster && opts.txn ? ' --txn' : ''} --seed ${opts.seed} --cycles ${opts.cycles}${opts.kinds ? ` --kinds ${opts.kinds.join(',')}` : ''})`,
  );
  mkdirSync(opts.outDir, { recursive: true });
  const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
  const cluster = opts.cluster === true;
  const txn = opts.txn ?? !cluster;
  const historyFile = path.join(opts.outDir, 'history.jsonl');
  const w = new HistoryWriter(historyFile);
  const input = 'fault-in';
  const output = 'fault-out';
  w.add({
    type: 'run',
    seed: opts.seed,
    topics: {
      [input]: { partitions, transactional: false },
      [output]: { partitions, transactional: true },
    },
    ctp: txn ? { input, output } : undefined,
  });

  const zk = cluster ? await startZooKeeper({ nodes: 3, tickTimeMs: 100 }) : undefined;
  let brokers: ManagedBroker[] = [];
  try {
    const brokerList =
      opts.brokers ?? (zk ? [1, 2, 3].map((id) => ({ id, overrides: CLUSTER_OVERRIDES })) : [{ id: 0 }]);
    // Under libfaketime only when the run includes clock-skew (its clock files live in the output directory).
    const lib = cluster && opts.kinds?.includes('clock-skew') ? libfaketimePath() : undefined;
    const specs = brokerList.map((b) => ({
      id: b.id,
      overrides: { ...BROKER_OVERRIDES, ...b.overrides },
      diskMiB: opts.diskMiB ?? 64,
      clock: lib ? { lib, file: path.join(opts.outDir, `clock-broker-${b.id}`) } : undefined,
    }));
    const links =
      zk && !opts.brokers ? { replication: true, zookeeper: { nodes: zkNodes(zk), chroot: '/tributary' } } : {};
    brokers = await startBrokers(specs, prng(opts.seed ^ 0x5eed), links);
    return await runWith(opts, {
      cluster,
      txn,
      zk,
      brokers,
      historyFile,
      w,
      input,
      output,
      partitions,
      rate,
      log,
      python,
    });
  } finally {
    w.flush();
    for (const b of brokers) {
      writeFileSync(path.join(opts.outDir, `${b.name}.log`), b.handle.logs());
      await b.close();
    }
    if (zk) {
      writeFileSync(path.join(opts.outDir, 'zookeeper.log'), zk.logs());
      await zk.stop();
    }
  }
}

/** The ensemble's client addresses, in node order. */
const zkNodes = (zk: ZooKeeperEnsemble): string[] => zk.nodes.map((n) => n.address);

interface RunCtx {
  cluster: boolean;
  txn: boolean;
  zk: ZooKeeperEnsemble | undefined;
  brokers: ManagedBroker[];
  historyFile: string;
  w: HistoryWriter;
  input: string;
  output: string;
  partitions: number;
  rate: number;
  log: (line: string) => void;
  python: string;
}

async function runWith(opts: FaultRunOptions, ctx: RunCtx): Promise<FaultRunResult> {
  const { cluster, txn, brokers, historyFile, w, input, output, partitions, rate, log, python } = ctx;
  const bootstrap = brokers.map((b) => b.bootstrap).join(',');
  const env: FaultEnv = {
    brokers,
    zookeeper: ctx.zk ?? opts.zookeeper,
    describe: cluster ? () => describeCluster(bootstrap, input) : undefined,
    sessionMs: cluster ? SESSION_MS : undefined,
    lagMs: cluster ? LAG_MS : undefined,
    lastAck: (topic, partition) => w.lastAck(topic, partition),
  };
  const { kinds, skipped } = availableKinds(env, opts.kinds ?? (cluster ? CLUSTER_KINDS : undefined));
  for (const s of skipped) log(`fault kind ${s.name} not run: ${s.reason}`);
  const schedule = makeSchedule(
    opts.seed,
    opts.cycles,
    kinds.map((k) => k.name),
    { holdMs: opts.holdMs ?? [500, 3000], gapMs: opts.gapMs ?? [500, 2000] },
  );
  let workload: ReturnType<typeof spawnWorkload> | undefined;
  const tsProducers: TsProducer[] = [];
  try {
    const admin = new Admin({ bootstrapServers: bootstrap });
    const replicated = cluster ? { replicationFactor: 3, configs: { 'min.insync.replicas': '2' } } : {};
    await admin.createTopics([
      { topic: input, numPartitions: partitions, ...replicated },
      { topic: output, numPartitions: partitions, ...replicated },
    ]);
    await admin.close();
    if (cluster) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const view = await describeCluster(bootstrap, input).catch(() => undefined);
        if (view && view.partitions.length === partitions && view.partitions.every((p) => p.isr.length === 3)) break;
        if (Date.now() > deadline) throw new Error(`${input} has no full ISR 60 s after creation`);
        await sleep(250);
      }
    }

    const cfg = {
      bootstrap,
      input,
      output,
      partitions,
      producers: Array.from({ length: opts.pyProducers ?? 2 }, (_, i) => `ck${i}`),
      rate,
      group: 'fault-group',
      members: ['m0', 'm1'],
      ctp: txn ? 'ctp' : null,
      abort_every: 5,
      readers: txn ? ['rc0'] : [],
      seed: opts.seed,
    };
    let ready!: () => void;
    const isReady = new Promise<void>((r) => {
      ready = r;
    });
    workload = spawnWorkload(python, 'run', cfg, w, (line) => {
      if (line.includes('"msg": "ready"')) ready();
    });
    await withTimeout(Promise.race([isReady, workload.exited.then(() => {})]), 60_000, 'the Python workload start');
    for (let i = 0; i < (opts.tsProducers ?? 2); i++) {
      const p = new TsProducer(`ts${i}`, bootstrap, input, partitions, rate, w);
      p.start();
      tsProducers.push(p);
    }

    for (const c of schedule) {
      await sleep(c.gapMs);
      const kind = kinds.find((k) => k.name === c.kind)!;
      const t = Date.now();
      try {
        const active = await kind.inject(env, prng(c.seed));
        w.add({
          type: 'fault',
          t,
          cycle: c.cycle,
          kind: c.kind,
          phase: 'inject',
          target: active.target,
          detail: active.detail,
        });
        log(
          `cycle ${c.cycle}: ${c.kind} on ${active.target} for ${c.holdMs} ms${active.detail ? ` (${active.detail})` : ''}`,
        );
        await sleep(c.holdMs);
        await active.heal();
        w.add({ type: 'fault', t: Date.now(), cycle: c.cycle, kind: c.kind, phase: 'heal', target: active.target });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        w.add({ type: 'fault', t: Date.now(), cycle: c.cycle, kind: c.kind, phase: 'error', target: '?', detail: msg });
        throw new Error(`fault cycle ${c.cycle} (${c.kind}) failed: ${msg}`);
      }
      w.flush();
    }

    log(`schedule done: stopping producers${txn ? ', draining the transactional job' : ''}`);
    await sleep(2000);
    await withTimeout(Promise.all(tsProducers.map((p) => p.stop())), 120_000, 'the TypeScript producers');
    workload.proc.stdin!.end();
    const code = await withTimeout(workload.exited, 300_000, 'the Python workload');
    if (code !== 0) throw new Error(`the Python workload exited with ${code}: ${workload.stderr()}`);

    const fin = spawnWorkload(python, 'final', cfg, w);
    const fcode = await withTimeout(fin.exited, 300_000, 'the final read');
    if (fcode !== 0) throw new Error(`the final read exited with ${fcode}: ${fin.stderr()}`);
  } finally {
    // After a failure too: the Python workload goes first, then the TS producers get a bounded time to settle.
    if (workload && workload.proc.exitCode === null) workload.proc.kill('SIGKILL');
    await withTimeout(Promise.allSettled(tsProducers.map((p) => p.stop())), 60_000, 'the TypeScript producers').catch(
      (err: unknown) => log(`${err instanceof Error ? err.message : String(err)}; left behind`),
    );
    w.flush();
  }
  const result = check(readHistory(historyFile));
  const report = formatReport(result, opts.seed);
  writeFileSync(path.join(opts.outDir, 'report.txt'), `${report}\n`);
  return { result, report, historyFile, skippedKinds: skipped };
}
