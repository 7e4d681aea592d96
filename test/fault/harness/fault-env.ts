// The fault table's shared vocabulary: what a fault kind sees of the run (FaultEnv: the brokers, the ensemble, who
// leads what), the kind's shape, and the small helpers every kind uses (choose a settled partition, wait for an
// outcome, wait for a broker to answer again). faults.ts holds the table; kinds in files of their own (clock-skew.ts)
// import from here.
import type { ManagedBroker } from './processes.ts';

/**
 * The ZooKeeper ensemble: the shape of `ZooKeeperEnsemble` from test/helpers/zookeeper.ts (written with the
 * cluster), so its handle plugs in as it is. Node indexes are positions in `nodes`.
 */
export interface ZooKeeperControl {
  readonly nodes: readonly unknown[];
  kill9(node: number): Promise<void>;
  /** Starts the node again (after kill9) and waits until the ensemble serves. */
  restart(node: number): Promise<void>;
  pause(node: number): void | Promise<void>;
  resume(node: number): void;
}

/** Who leads what, as the cluster itself reports it (Metadata / DescribeCluster through a live broker). */
export interface ClusterView {
  controller: number;
  /** The workload partitions: leader and replicas by broker id. */
  partitions: Array<{ topic: string; partition: number; leader: number; replicas: number[]; isr: number[] }>;
}

export interface FaultEnv {
  brokers: ManagedBroker[];
  /** Cluster mode: asks the cluster who leads; absent with one broker. */
  describe?: () => Promise<ClusterView>;
  /** Cluster mode: ZooKeeper session timeout; a zombie is paused longer than this, a killed broker restarts after it. */
  sessionMs?: number;
  zookeeper?: ZooKeeperControl;
  /** Cluster mode: replica.lag.time.max.ms; a replication cut lasts longer than this, so the ISR must shrink. */
  lagMs?: number;
  /** When the last write to a partition was acknowledged (harness clock), from the recorded history. */
  lastAck?: (topic: string, partition: number) => number;
  /** How long a kind waits, beyond lagMs / sessionMs, for the outcome it must cause. Default 20 s. */
  outcomeMs?: number;
}

export interface ActiveFault {
  target: string;
  detail?: string;
  heal(): Promise<void>;
}

export interface FaultKind {
  name: string;
  /** Why this kind cannot run in `env`, or undefined. */
  unavailable(env: FaultEnv): string | undefined;
  inject(env: FaultEnv, rng: () => number): Promise<ActiveFault>;
}

export const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

/** Waits for a restarted or resumed broker to answer, so the next fault hits a running system. */
export async function ready(b: ManagedBroker): Promise<void> {
  if (!(await b.waitReady(60_000))) throw new Error(`${b.name} did not answer ApiVersions 60 s after healing`);
}

export const needsCluster = (env: FaultEnv) =>
  env.describe && env.brokers.length >= 3 ? undefined : 'needs a cluster of 3+ brokers (cluster mode)';

/** The broker with id `id` (cluster roles are found by id). */
export function byId(env: FaultEnv, id: number): ManagedBroker {
  const b = env.brokers.find((x) => x.id === id);
  if (!b) throw new Error(`the cluster named broker ${id}, which the harness did not start`);
  return b;
}

/** A workload partition with a live leader and a full ISR, chosen by rng (asks again while a failover settles). */
export async function settledPartition(env: FaultEnv, rng: () => number): Promise<ClusterView['partitions'][number]> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const view = await env.describe!();
      const ok = view.partitions.filter((p) => p.leader >= 0 && p.isr.length === p.replicas.length);
      if (ok.length > 0) return pick(rng, ok);
      last = JSON.stringify(view.partitions);
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no workload partition with a leader and a full ISR within 60 s (${last})`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 250 ms until it holds; throws `what` after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} (waited ${timeoutMs} ms)`);
    await sleep(250);
  }
}

/** How many times the broker has logged that its ZooKeeper session expired (src/node/broker.ts). */
export const countExpired = (b: ManagedBroker): number => b.handle.logs().split('ZooKeeper session expired').length - 1;
