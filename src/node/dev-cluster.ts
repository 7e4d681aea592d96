// startCluster(): several brokers in this one process over the in-memory coordination store, for development and
// for tests of client failover. Every broker is a full Broker (own listener, log dirs, replica manager,
// coordinators, controller candidate); only the store is shared. Not a deployment: the cluster lives and dies with
// the process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCoordinationStore } from '../cluster/coordination/memory.ts';
import { loadBrokerConfig } from '../config/broker-config.ts';
import { createLogger } from '../util/log.ts';
import { Broker } from './broker.ts';

export interface StartClusterOptions {
  /** Number of brokers (default 3); node ids 1..n. */
  brokers?: number;
  host?: string;
  /** Port of the first broker (the next ones get the following ports); 0 (the default) picks free ones. */
  basePort?: number;
  /** Where to keep data (one directory per broker); a fresh temporary directory (removed on stop) when omitted. */
  dataDir?: string;
  /** Extra broker configs, Kafka's keys, for every broker. */
  config?: Record<string, string>;
  /** zookeeper.session.timeout.ms of the brokers' sessions (default 6000). */
  sessionTimeoutMs?: number;
  /** Log dirs per broker (default 1): `broker-<id>` itself, or `broker-<id>/dir-<k>` for several (JBOD). */
  logDirsPerBroker?: number;
  /** Log level (default warn). */
  logLevel?: string;
}

export interface ClusterBroker {
  readonly nodeId: number;
  readonly bootstrap: string;
  readonly port: number;
  readonly broker: Broker;
}

export interface RunningCluster {
  /** All brokers' `host:port`, comma-separated: a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly brokers: readonly ClusterBroker[];
  /** The shared in-memory store (tests can expire or pause a broker's session through it). */
  readonly store: MemoryCoordinationStore;
  /** Stops one broker (controlled shutdown: its leaderships move first). */
  stopBroker(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `brokers` brokers in this process as one cluster: `const c = await startCluster({ brokers: 3 })`. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<RunningCluster> {
  const n = opts.brokers ?? 3;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`brokers must be a positive integer, got ${n}`);
  const host = opts.host ?? '127.0.0.1';
  const temp = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-cluster-'));
  const store = new MemoryCoordinationStore();
  const logger = createLogger({ name: 'tributary', level: opts.logLevel ?? 'warn' });
  const brokers: ClusterBroker[] = [];
  const stopped = new Set<number>();
  try {
    for (let i = 1; i <= n; i++) {
      const port = opts.basePort ? opts.basePort + i - 1 : 0;
      const overrides = Object.entries({
        'node.id': String(i),
        listeners: `PLAINTEXT://${host}:${port}`,
        'log.dirs':
          (opts.logDirsPerBroker ?? 1) === 1
            ? join(dataDir, `broker-${i}`)
            : Array.from({ length: opts.logDirsPerBroker! }, (_, k) => join(dataDir, `broker-${i}`, `dir-${k}`)).join(
                ',',
              ),
        'zookeeper.session.timeout.ms': String(opts.sessionTimeoutMs ?? 6000),
        // As startBroker(): no HTTP listener unless asked (several brokers would all want the default port).
        'http.listeners': '',
        ...opts.config,
      }).map(([k, v]) => `${k}=${v}`);
      const config = loadBrokerConfig({ overrides, env: {}, logger });
      const broker = new Broker({ config, logger: logger.child({ broker: i }), store });
      await broker.start();
      const l = broker.listeners[0]!;
      brokers.push({ nodeId: i, bootstrap: `${host}:${l.boundPort}`, port: l.boundPort, broker });
    }
  } catch (e) {
    for (const b of brokers) await b.broker.stop().catch(() => {});
    if (temp) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    bootstrap: brokers.map((b) => b.bootstrap).join(','),
    brokers,
    store,
    async stopBroker(nodeId: number) {
      const b = brokers.find((x) => x.nodeId === nodeId);
      if (!b) throw new RangeError(`no broker ${nodeId}`);
      stopped.add(nodeId);
      await b.broker.stop();
    },
    async stop() {
      // One at a time, so that each controlled shutdown finds a controller.
      for (const b of brokers) if (!stopped.has(b.nodeId)) await b.broker.stop();
      if (temp) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
