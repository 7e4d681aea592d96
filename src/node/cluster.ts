// Cluster helpers of the composition root: the cluster id kept in the store, controlled shutdown.
import { CoordinationError } from '../cluster/coordination/store.ts';
import type { SessionKeeper } from '../controller/session-keeper.ts';
import { newUuid } from '../metadata/controller.ts';
import type { Logger } from '../util/log.ts';
import type { ClusterMetadata } from './cluster-metadata.ts';

const CLUSTER_ID_PATH = '/cluster/id';

/** The cluster's id, /cluster/id {"version":"1","id":...} as Kafka keeps it; the first broker creates it (with the
 * id of its log dirs when they have one). */
export async function clusterIdFromStore(keeper: SessionKeeper, proposed: string | null): Promise<string> {
  const read = async (): Promise<string | null> => {
    try {
      const { data } = await keeper.run((s) => s.getData(CLUSTER_ID_PATH));
      return (JSON.parse(new TextDecoder().decode(data)) as { id: string }).id;
    } catch (e) {
      if (e instanceof CoordinationError && e.code === 'NO_NODE') return null;
      throw e;
    }
  };
  const found = await read();
  if (found) return found;
  const id = proposed ?? newUuid();
  try {
    if (!(await keeper.run((s) => s.exists('/cluster'))))
      await keeper.run((s) => s.create('/cluster', new Uint8Array(0), 'persistent'));
  } catch (e) {
    if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
  }
  try {
    await keeper.run((s) =>
      s.create(CLUSTER_ID_PATH, new TextEncoder().encode(JSON.stringify({ version: '1', id })), 'persistent'),
    );
    return id;
  } catch (e) {
    if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
    return (await read())!;
  }
}

/**
 * Kafka's controlled shutdown: asks the controller to move this broker's leaderships to other ISR members, again
 * while some remain (a partition whose only live replica is this one keeps it), for at most `maxMs`.
 */
export async function controlledShutdown(
  metadata: ClusterMetadata,
  brokerId: number,
  brokerEpoch: bigint,
  log: Logger,
  maxMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + maxMs;
  let before = Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await metadata.call<{ remainingLeaders?: number; errorCode: number }>({
        op: 'controlledShutdown',
        brokerId,
        brokerEpoch: String(brokerEpoch),
      });
      const remaining = r.remainingLeaders ?? 0;
      if (remaining === 0) {
        log.info({ attempt }, 'controlled shutdown: no partition led here any more');
        return;
      }
      log.info({ attempt, remaining }, 'controlled shutdown: partitions still led here (no other live ISR member)');
      if (remaining >= before) return; // no progress: those partitions have no other live replica to move to
      before = remaining;
    } catch (e) {
      log.warn({ err: e, attempt }, 'controlled shutdown request failed');
    }
    if (Date.now() + 500 >= deadline) {
      log.warn('controlled shutdown incomplete: leaving anyway');
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Runs a start-up step against ZooKeeper again while it fails for a transient reason (the connection dropped, or the
 * session expired and the keeper is opening a new one), as Kafka's KafkaZkClient retries requests until connected:
 * a ZooKeeper node restarting or resyncing while a broker starts must not make the broker exit. Gives up after
 * `patienceMs` of failures; other errors are thrown at once. `fn` must be safe to repeat (registration is: it
 * accepts its own ephemeral node).
 */
export async function retryWhileDisconnected<T>(
  fn: () => Promise<T>,
  patienceMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => number = Date.now,
): Promise<T> {
  const deadline = now() + patienceMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const transient =
        e instanceof CoordinationError && (e.code === 'CONNECTION_LOSS' || e.code === 'SESSION_EXPIRED');
      if (!transient || now() >= deadline) throw e;
      await sleep(250);
    }
  }
}
