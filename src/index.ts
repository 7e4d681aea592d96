// Public API of the `tributary-broker` package.
// First: on a Node.js that is too old this throws an Error naming the version needed (see util/node-version.ts).
import './util/require-node.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrokerConfig } from './config/broker-config.ts';
import { Broker } from './node/broker.ts';
import { createLogger } from './util/log.ts';

export * from './client/index.ts';
export { loadBrokerConfig } from './config/broker-config.ts';
export { Broker } from './node/broker.ts';
export {
  type ClusterBroker,
  type RunningCluster,
  type StartClusterOptions,
  startCluster,
} from './node/dev-cluster.ts';

export interface StartBrokerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Where to keep data; a fresh temporary directory (removed on stop) when omitted. */
  dataDir?: string;
  /** Extra broker configs, Kafka's keys (e.g. { 'num.partitions': '3' }). */
  config?: Record<string, string>;
  /** Log level for the embedded broker (default: warn). */
  logLevel?: string;
}

export interface RunningBroker {
  /** `host:port` for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly port: number;
  readonly broker: Broker;
  stop(): Promise<void>;
}

/** Starts a broker inside this process, e.g. for tests: `const b = await startBroker(); ...; await b.stop()`. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const host = opts.host ?? '127.0.0.1';
  const temp = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-'));
  const overrides = Object.entries({
    listeners: `PLAINTEXT://${host}:${opts.port ?? 0}`,
    // The operations HTTP listener (/metrics, /ready, console) only when asked: { 'http.listeners': 'http://...' }.
    'http.listeners': '',
    'log.dirs': dataDir,
    ...opts.config,
  }).map(([k, v]) => `${k}=${v}`);
  const logger = createLogger({ name: 'tributary', level: opts.logLevel ?? 'warn' });
  const config = loadBrokerConfig({ overrides, env: {}, logger });
  const broker = new Broker({ config, logger });
  await broker.start();
  const l = broker.listeners[0]!;
  return {
    bootstrap: `${host}:${l.boundPort}`,
    port: l.boundPort,
    broker,
    async stop() {
      await broker.stop();
      if (temp) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
