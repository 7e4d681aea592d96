// A cluster for process tests: a real ZooKeeper ensemble (test/helpers/zookeeper.ts) and broker processes with ids
// 1..N joined to it (test/helpers/broker.ts), started in order and returned once every broker's Metadata lists all
// of them. A broker answers no request before its own metadata shows it registered (it holds them until then), so
// each broker lists itself and those started before it; the brokers started before it learn of it through their
// own watch of the metadata log a moment later, which is what the last wait is for.
// `stopZooKeeperCluster` kills the brokers and stops the ensemble.
import { Admin } from '../../src/index.ts';
import { type BrokerHandle, startBrokerProcess } from './broker.ts';
import { startZooKeeper, type ZooKeeperEnsemble } from './zookeeper.ts';

export interface ZooKeeperCluster {
  zk: ZooKeeperEnsemble;
  brokers: BrokerHandle[];
}

export interface ZooKeeperClusterOptions {
  zookeeperNodes: 1 | 3;
  brokers: number;
  sessionTimeoutMs: number;
  /** ZooKeeper's tick (default 100 ms); it grants sessions of 2 to 20 ticks. */
  tickTimeMs?: number;
  /** Broker configs on top of broker.id, zookeeper.connect (chroot /tributary) and the session timeout. */
  overrides?: Record<string, string>;
  /**
   * Listeners besides the PLAINTEXT one the helper probes, per broker (e.g. an SASL_SSL inter-broker listener on a
   * port of its own); their names must be in `listener.security.protocol.map`.
   */
  extraListeners?: (brokerId: number) => string | Promise<string>;
  /** Configs of one broker on top of `overrides` (e.g. its broker.rack). */
  brokerOverrides?: (id: number) => Record<string, string>;
  /** Called as soon as the ensemble and each broker are up, so a failed start can still be cleaned up. */
  onProgress?: (partial: ZooKeeperCluster) => void;
}

export async function startZooKeeperCluster(o: ZooKeeperClusterOptions): Promise<ZooKeeperCluster> {
  const zk = await startZooKeeper({ nodes: o.zookeeperNodes, tickTimeMs: o.tickTimeMs ?? 100 });
  const cluster: ZooKeeperCluster = { zk, brokers: [] };
  o.onProgress?.(cluster);
  for (let id = 1; id <= o.brokers; id++) {
    cluster.brokers.push(
      await startBrokerProcess({
        extraListeners: await o.extraListeners?.(id),
        overrides: {
          'broker.id': String(id),
          'zookeeper.connect': zk.connectString('/tributary'),
          'zookeeper.session.timeout.ms': String(o.sessionTimeoutMs),
          ...o.overrides,
          ...o.brokerOverrides?.(id),
        },
      }),
    );
    o.onProgress?.(cluster);
  }
  const want = Array.from({ length: o.brokers }, (_, i) => i + 1).join();
  const deadline = Date.now() + 30_000;
  for (const b of cluster.brokers) {
    for (;;) {
      const ids = (await brokerIds(b.bootstrap)).join();
      if (ids === want) break;
      if (Date.now() > deadline) throw new Error(`broker at ${b.bootstrap} lists brokers [${ids}] after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return cluster;
}

export async function stopZooKeeperCluster(c: ZooKeeperCluster | undefined): Promise<void> {
  for (const b of c?.brokers ?? []) await b.stop('SIGKILL').catch(() => {});
  await c?.zk.stop();
}

async function brokerIds(bootstrap: string): Promise<number[]> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  } finally {
    await admin.close();
  }
}
