// The seeded fault schedule and the table of fault kinds.
//
// makeSchedule(seed, cycles, kinds) is a pure function: the same seed and kind list give the same cycles (kind,
// hold time, gap, and a per-cycle random stream for the kind's own choices: target, direction, delay). The run
// prints the seed first; rerunning with it replays the schedule (the workloads' timing still varies, as on any
// real machine).
//
// A fault kind is a row of FAULT_KINDS: `unavailable(env)` says why it cannot run here (no root for the disk, one
// broker only, no ZooKeeper ...) and `inject(env, rng)` starts it and returns how to heal it. Cluster mode
// (run.ts, `cluster: true`) adds `env.describe` (who leads / controls, asked of the cluster itself), the role kinds
// of CLUSTER_KINDS, and proxies on every broker↔broker replication path and broker→ZooKeeper path (processes.ts),
// which the link kinds cut, slow down or make lossy for one broker while clients and the other paths still work.
// Some kinds check the outcome they must cause (a cut follower leaves the ISR; no out-of-sync replica is elected; a
// broker cut from ZooKeeper loses its session) and fail the cycle when it does not happen.
import { CLOCK_SKEW } from './clock-skew.ts';
import {
  type ActiveFault,
  byId,
  type ClusterView,
  countExpired,
  type FaultEnv,
  type FaultKind,
  needsCluster,
  pick,
  ready,
  settledPartition,
  sleep,
  until,
} from './fault-env.ts';
import type { ManagedBroker } from './processes.ts';
import type { Direction, FaultProxy } from './proxy.ts';

export type { ActiveFault, ClusterView, FaultEnv, FaultKind, ZooKeeperControl } from './fault-env.ts';

/** Small, fast, seedable PRNG (mulberry32): returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function proxyFault(name: string, apply: (p: FaultProxy, rng: () => number) => string): FaultKind {
  return {
    name,
    unavailable: () => undefined,
    async inject(env, rng) {
      const b = pick(rng, env.brokers);
      const detail = apply(b.clientProxy, rng);
      return {
        target: b.clientProxy.name,
        detail,
        async heal() {
          b.clientProxy.heal();
        },
      };
    },
  };
}

const DIRECTIONS: readonly Direction[] = ['up', 'down'];

/** kill -9 of a broker chosen by role; heal restarts it once its ZooKeeper session has surely expired. */
function roleKill(name: string, choose: (env: FaultEnv, rng: () => number) => Promise<[ManagedBroker, string]>) {
  return {
    name,
    unavailable: needsCluster,
    async inject(env: FaultEnv, rng: () => number): Promise<ActiveFault> {
      const [b, role] = await choose(env, rng);
      await b.kill9();
      const killedAt = Date.now();
      return {
        target: b.name,
        detail: `${role}; SIGKILL, restarted on heal`,
        async heal() {
          const wait = killedAt + (env.sessionMs ?? 0) + 500 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await b.restart();
          await ready(b);
        },
      };
    },
  } satisfies FaultKind;
}

const needsReplicationLinks = (env: FaultEnv) =>
  env.brokers.every((b) => b.replicationIn.size > 0) ? undefined : 'needs replication through proxies (cluster mode)';

/** Every replication proxy with `b` at one end: its fetchers' links to the others, and theirs to it. */
function replicationLinks(env: FaultEnv, b: ManagedBroker): FaultProxy[] {
  const out = [...b.replicationIn].filter(([f]) => f !== b.id).map(([, p]) => p);
  for (const o of env.brokers) {
    const l = o.replicationIn.get(b.id);
    if (o !== b && l) out.push(l);
  }
  return out;
}

/** The workload partitions `id` follows now (after the cluster has settled). */
async function followedPartitions(env: FaultEnv, id: number): Promise<ClusterView['partitions']> {
  const view = await env.describe!();
  return view.partitions.filter((p) => p.leader !== id && p.replicas.includes(id));
}

/** `id` is out of the ISR of every partition in `parts`, as `view` reports them. */
function outOfIsr(view: ClusterView, id: number, parts: ClusterView['partitions']): boolean {
  return parts.every((q) => {
    const now = view.partitions.find((x) => x.topic === q.topic && x.partition === q.partition);
    return now !== undefined && !now.isr.includes(id);
  });
}

/**
 * A fault on a set of replication proxies, from inject to heal. With `before()` (the outcome the fault must cause),
 * the hold is stretched past replica.lag.time.max.ms (plus a second) so the ISR has to react, and `before()` is
 * awaited before the links heal.
 */
function linkKind(
  name: string,
  start: (
    env: FaultEnv,
    rng: () => number,
  ) => Promise<{ target: string; detail: string; links: FaultProxy[]; before?: () => Promise<void> }>,
): FaultKind {
  return {
    name,
    unavailable: (env) => needsCluster(env) ?? needsReplicationLinks(env),
    async inject(env, rng) {
      const f = await start(env, rng);
      const at = Date.now();
      return {
        target: f.target,
        detail: f.detail,
        async heal() {
          const wait = at + (env.lagMs ?? 0) + 1000 - Date.now();
          if (f.before && wait > 0) await sleep(wait);
          try {
            await f.before?.();
          } finally {
            for (const l of f.links) l.heal();
          }
        },
      };
    },
  };
}

/** Cluster kinds: roles found by asking the cluster (env.describe), links cut through the cluster's proxies. */
export const CLUSTER_KINDS: readonly string[] = [
  'leader-kill',
  'follower-kill',
  'controller-kill',
  'leader-zombie',
  'zk-node-kill',
  'broker-partition',
  'replication-slow',
  'replication-drop',
  'follower-cut-leader-kill',
  'zk-node-pause',
  'zk-quorum-loss',
  'zk-link-partition',
  'cluster-disk-full',
];

/** Cluster kinds run only when asked for (`--kinds`): clock-skew needs libfaketime (clock-skew.ts). */
export const OPTIONAL_CLUSTER_KINDS: readonly string[] = ['clock-skew'];

export const FAULT_KINDS: readonly FaultKind[] = [
  {
    name: 'kill9-restart',
    unavailable: () => undefined,
    async inject(env, rng) {
      const b = pick(rng, env.brokers);
      await b.kill9();
      return {
        target: b.name,
        detail: 'SIGKILL; restarted on heal',
        async heal() {
          await b.restart();
        },
      };
    },
  },
  {
    name: 'pause',
    unavailable: () => undefined,
    async inject(env, rng) {
      const b = pick(rng, env.brokers);
      b.pause();
      return {
        target: b.name,
        detail: 'SIGSTOP; SIGCONT on heal',
        async heal() {
          b.resume();
          await ready(b);
        },
      };
    },
  },
  proxyFault('client-partition', (p) => {
    p.cut('both');
    return 'both directions held';
  }),
  proxyFault('client-oneway', (p, rng) => {
    const dir = pick(rng, DIRECTIONS);
    p.cut(dir);
    return `${dir === 'up' ? 'requests' : 'responses'} held`;
  }),
  proxyFault('client-drop', (p, rng) => {
    const dir = pick(rng, [...DIRECTIONS, 'both'] as const);
    p.drop(dir);
    return `bytes dropped (${dir}); connections that lost bytes reset on heal`;
  }),
  proxyFault('client-slow', (p, rng) => {
    const ms = 20 + Math.floor(rng() * 280);
    const jitter = Math.floor(rng() * 100);
    p.delay(ms, jitter);
    return `delay ${ms} ms + up to ${jitter} ms`;
  }),
  proxyFault('client-reset', (p) => {
    p.reset();
    p.refuse(true);
    return 'open connections reset, new ones refused until heal';
  }),
  {
    name: 'disk-full',
    unavailable: (env) =>
      env.brokers.some((b) => b.diskUnavailable === undefined)
        ? undefined
        : (env.brokers[0]?.diskUnavailable ?? 'no broker with a size-limited log dir'),
    async inject(env, rng) {
      const b = pick(
        rng,
        env.brokers.filter((x) => x.diskUnavailable === undefined),
      );
      const bytes = b.fillDisk();
      return {
        target: b.name,
        detail: `log dir filled (${bytes} bytes): it goes offline and the broker shuts down; on heal: freed, restarted`,
        async heal() {
          b.freeDisk();
          await b.restart();
        },
      };
    },
  },
  {
    // One broker's only log dir fills up (a leader's or a follower's, by the seed): the write that hits ENOSPC takes
    // the dir offline, and a broker with every log dir offline shuts down (src/node/broker.ts, as Kafka's does), so
    // the controller moves its leaderships to the other ISR members and acks=all continues on the two left
    // (min.insync.replicas=2). The kind checks each step; on heal the disk is freed and the broker restarted.
    name: 'cluster-disk-full',
    unavailable: (env) =>
      needsCluster(env) ??
      (env.brokers.every((b) => b.diskUnavailable === undefined)
        ? undefined
        : (env.brokers.find((b) => b.diskUnavailable !== undefined)!.diskUnavailable ?? 'no size-limited log dir')),
    async inject(env, rng) {
      // Every workload partition with its full ISR first: the broker leaving must not take a partition's last ISR
      // member with it (an earlier fault may still be healing).
      await until(
        async () => {
          const view = await env.describe!().catch(() => undefined);
          return view?.partitions.every((q) => q.leader >= 0 && q.isr.length === q.replicas.length) === true;
        },
        60_000,
        'the workload partitions did not all get their full ISR back',
      );
      const p = await settledPartition(env, rng);
      const leader = rng() < 0.5;
      const id = leader
        ? p.leader
        : pick(
            rng,
            p.replicas.filter((r) => r !== p.leader),
          );
      const b = byId(env, id);
      const name = `${p.topic}-${p.partition}`;
      const role = leader ? `leader of ${name}` : `follower of ${name} (leader ${p.leader})`;
      const bytes = b.fillDisk();
      // The next write there (a produce as leader, a fetched batch as follower: the workload writes all the time).
      await until(
        () => b.handle.proc.exitCode !== null || b.handle.proc.signalCode !== null,
        env.outcomeMs ?? 20_000,
        `${b.name} (${role}) still runs with its only log dir full`,
      );
      const exitedAt = Date.now();
      if (!b.handle.logs().includes('Shutdown broker because all log dirs in'))
        throw new Error(`${b.name} exited without logging that all its log dirs failed`);
      await until(
        async () => {
          const view = await env.describe!().catch(() => undefined);
          return view?.partitions.every((q) => q.leader !== id && q.leader >= 0 && !q.isr.includes(id)) === true;
        },
        (env.sessionMs ?? 0) + (env.outcomeMs ?? 20_000),
        `the cluster still names ${b.name}, whose log dir failed, as a leader or in an ISR`,
      );
      const outAt = Date.now();
      if (env.lastAck)
        await until(
          () => env.lastAck!(p.topic, p.partition) > outAt,
          env.outcomeMs ?? 20_000,
          `no write to ${name} acknowledged after ${b.name} shut down (min.insync.replicas=2 is met by the other two)`,
        );
      return {
        target: b.name,
        detail: `${role}; log dir filled (${bytes} bytes), the broker shut down, leaderships moved, acks=all continued; on heal: freed, restarted`,
        async heal() {
          b.freeDisk();
          // Were its controlled shutdown cut short, its session must have expired before it registers again.
          const wait = exitedAt + (env.sessionMs ?? 0) + 500 - Date.now();
          if (wait > 0) await sleep(wait);
          await b.restart();
          await ready(b);
        },
      };
    },
  },
  roleKill('leader-kill', async (env, rng) => {
    const p = await settledPartition(env, rng);
    return [byId(env, p.leader), `leader of ${p.topic}-${p.partition}`];
  }),
  roleKill('follower-kill', async (env, rng) => {
    const p = await settledPartition(env, rng);
    const f = pick(
      rng,
      p.replicas.filter((r) => r !== p.leader),
    );
    return [byId(env, f), `follower of ${p.topic}-${p.partition} (leader ${p.leader})`];
  }),
  roleKill('controller-kill', async (env) => {
    const view = await env.describe!();
    if (view.controller < 0) throw new Error('the cluster reports no controller');
    return [byId(env, view.controller), 'controller'];
  }),
  {
    // A zombie leader: SIGSTOPped longer than its ZooKeeper session, so the controller moves leadership away; on
    // SIGCONT it still believes it leads until it learns its epoch is stale.
    name: 'leader-zombie',
    unavailable: needsCluster,
    async inject(env, rng) {
      const p = await settledPartition(env, rng);
      const b = byId(env, p.leader);
      b.pause();
      const at = Date.now();
      return {
        target: b.name,
        detail: `leader of ${p.topic}-${p.partition}; SIGSTOP past its session, SIGCONT on heal`,
        async heal() {
          const wait = at + (env.sessionMs ?? 0) * 1.5 + 500 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          b.resume();
          await ready(b);
        },
      };
    },
  },
  // Cluster kinds: need the ensemble (test/helpers/zookeeper.ts) passed in as env.zookeeper.
  {
    name: 'zk-node-kill',
    unavailable: (env) => (env.zookeeper ? undefined : 'needs a ZooKeeper ensemble (the cluster, issue 13)'),
    async inject(env, rng) {
      const zk = env.zookeeper!;
      const n = Math.floor(rng() * zk.nodes.length);
      await zk.kill9(n);
      return { target: `zookeeper-${n}`, detail: 'SIGKILL; restarted on heal', heal: () => zk.restart(n) };
    },
  },
  {
    name: 'zk-node-pause',
    unavailable: (env) => (env.zookeeper ? undefined : 'needs a ZooKeeper ensemble (the cluster, issue 13)'),
    async inject(env, rng) {
      const zk = env.zookeeper!;
      const n = Math.floor(rng() * zk.nodes.length);
      await zk.pause(n);
      return {
        target: `zookeeper-${n}`,
        detail: 'SIGSTOP; SIGCONT on heal',
        async heal() {
          zk.resume(n);
        },
      };
    },
  },
  {
    name: 'zk-quorum-loss',
    unavailable: (env) =>
      env.zookeeper && env.zookeeper.nodes.length >= 3 ? undefined : 'needs a ZooKeeper ensemble of 3+ nodes',
    async inject(env, rng) {
      const zk = env.zookeeper!;
      const size = zk.nodes.length;
      const majority = Math.floor(size / 2) + 1;
      const first = Math.floor(rng() * size);
      const nodes = Array.from({ length: majority }, (_, i) => (first + i) % size);
      for (const n of nodes) await zk.kill9(n);
      const at = Date.now();
      return {
        target: nodes.map((n) => `zookeeper-${n}`).join(','),
        detail:
          'a majority SIGKILLed (no quorum: acks=all may stall, nothing acknowledged may be lost); restarted on heal',
        async heal() {
          // "For a while": longer than a broker's session, which cannot expire while there is no quorum.
          const wait = at + (env.sessionMs ?? 0) + 500 - Date.now();
          if (wait > 0) await sleep(wait);
          for (const n of nodes) await zk.restart(n);
        },
      };
    },
  },
  {
    // A broker cut from ZooKeeper (clients and the other brokers still reach it) past its session: it must learn the
    // session expired (its log says so) once the link heals; meanwhile leadership moves and it is a zombie.
    name: 'zk-link-partition',
    unavailable: (env) =>
      needsCluster(env) ??
      (env.brokers.every((b) => b.zkLinks.length > 0) ? undefined : 'needs brokers reaching ZooKeeper through proxies'),
    async inject(env, rng) {
      let b: ManagedBroker;
      let role: string;
      if (rng() < 0.5) {
        const p = await settledPartition(env, rng);
        b = byId(env, p.leader);
        role = `leader of ${p.topic}-${p.partition}`;
      } else {
        const view = await env.describe!();
        if (view.controller < 0) throw new Error('the cluster reports no controller');
        b = byId(env, view.controller);
        role = 'controller';
      }
      const expiredBefore = countExpired(b);
      for (const z of b.zkLinks) z.cut('both');
      const at = Date.now();
      return {
        target: b.name,
        detail: `${role}; every broker→ZooKeeper link held past its session, clients and replication untouched`,
        async heal() {
          const wait = at + (env.sessionMs ?? 0) * 1.5 + 500 - Date.now();
          if (wait > 0) await sleep(wait);
          for (const z of b.zkLinks) z.heal();
          await until(
            () => countExpired(b) > expiredBefore,
            env.outcomeMs ?? 20_000,
            `${b.name} did not report its ZooKeeper session expired after the link healed`,
          );
          await ready(b);
        },
      };
    },
  },
  linkKind('broker-partition', async (env, rng) => {
    const b = pick(rng, env.brokers);
    const dir = pick(rng, ['both', 'both', 'up', 'down'] as const);
    const links = replicationLinks(env, b);
    for (const l of links) l.cut(dir);
    const followed = await followedPartitions(env, b.id);
    return {
      target: b.name,
      detail: `replication links to and from it held (${dir === 'both' ? 'both ways' : dir === 'up' ? 'requests' : 'responses'}); must leave the ISR of ${followed.length} followed partition(s)`,
      links,
      async before() {
        // Past replica.lag.time.max.ms every leader must have dropped it from the ISR.
        await until(
          async () => {
            const view = await env.describe!().catch(() => undefined);
            return view !== undefined && outOfIsr(view, b.id, followed);
          },
          (env.lagMs ?? 0) + (env.outcomeMs ?? 20_000),
          `${b.name}, cut from the other brokers, still in the ISR of ${followed.map((p) => `${p.topic}-${p.partition}`).join(', ')}`,
        );
      },
    };
  }),
  linkKind('replication-slow', async (env, rng) => {
    const b = pick(rng, env.brokers);
    const ms = 20 + Math.floor(rng() * 280);
    const jitter = Math.floor(rng() * 100);
    const links = replicationLinks(env, b);
    for (const l of links) l.delay(ms, jitter);
    return { target: b.name, detail: `replication links delayed ${ms} ms + up to ${jitter} ms`, links };
  }),
  linkKind('replication-drop', async (env, rng) => {
    const b = pick(rng, env.brokers);
    const dir = pick(rng, ['both', 'up', 'down'] as const);
    const links = replicationLinks(env, b);
    for (const l of links) l.drop(dir);
    return {
      target: b.name,
      detail: `replication bytes dropped (${dir}); connections that lost bytes reset on heal`,
      links,
    };
  }),
  {
    // Issue 15's scenario: one follower's link to its leader is cut until it leaves the ISR (acks=all keeps working
    // on the other two with min.insync.replicas=2), then the leader is killed: the other follower, which has every
    // acknowledged record, must be elected, never the cut one (unclean election is off).
    name: 'follower-cut-leader-kill',
    unavailable: (env) => needsCluster(env) ?? needsReplicationLinks(env),
    async inject(env, rng) {
      const p = await settledPartition(env, rng);
      const leader = byId(env, p.leader);
      const followerId = pick(
        rng,
        p.replicas.filter((r) => r !== p.leader),
      );
      const link = leader.replicationIn.get(followerId)!;
      const dir = pick(rng, ['both', 'up', 'down'] as const);
      link.cut(dir);
      const name = `${p.topic}-${p.partition}`;
      await until(
        async () => {
          const view = await env.describe!().catch(() => undefined);
          return view !== undefined && outOfIsr(view, followerId, [p]);
        },
        (env.lagMs ?? 0) + (env.outcomeMs ?? 20_000),
        `broker-${followerId}, cut from the leader of ${name}, still in its ISR`,
      );
      // With min.insync.replicas=2, acks=all must still succeed on the leader and the other follower.
      const outAt = Date.now();
      if (env.lastAck)
        await until(
          () => env.lastAck!(p.topic, p.partition) > outAt,
          env.outcomeMs ?? 20_000,
          `no write to ${name} acknowledged while broker-${followerId} was out of its ISR (min.insync.replicas=2 is met by the other two)`,
        );
      await leader.kill9();
      const killedAt = Date.now();
      // Wait for the election (or the partition staying offline): the cut follower must not be the new leader.
      let elected = -1;
      await until(
        async () => {
          const view = await env.describe!().catch(() => undefined);
          const now = view?.partitions.find((x) => x.partition === p.partition);
          if (now === undefined || now.leader === p.leader) return false;
          elected = now.leader;
          return now.leader >= 0;
        },
        (env.sessionMs ?? 0) + (env.outcomeMs ?? 20_000),
        `no new leader of ${name} after its leader broker-${p.leader} was killed`,
      );
      if (elected === followerId)
        throw new Error(`broker-${followerId} was elected leader of ${name} while out of its ISR (unclean election)`);
      return {
        target: `${link.name}, then ${leader.name}`,
        detail: `${name}: follower broker-${followerId} cut (${dir}) until out of the ISR, acks=all still answered, then leader broker-${p.leader} SIGKILLed; broker-${elected} elected; restarted and link healed on heal`,
        async heal() {
          const wait = killedAt + (env.sessionMs ?? 0) + 500 - Date.now();
          if (wait > 0) await sleep(wait);
          await leader.restart();
          link.heal();
          await ready(leader);
        },
      };
    },
  },
  CLOCK_SKEW,
];

export interface Cycle {
  cycle: number;
  kind: string;
  /** How long the fault lasts. */
  holdMs: number;
  /** Quiet time before it. */
  gapMs: number;
  /** Seed of the kind's own choices in this cycle. */
  seed: number;
}

export interface ScheduleOptions {
  holdMs: [min: number, max: number];
  gapMs: [min: number, max: number];
}

/**
 * The schedule: kinds are dealt in shuffled rounds (every kind once per round, so a run of `kinds.length` cycles
 * covers them all), hold and gap times drawn from their ranges.
 */
export function makeSchedule(seed: number, cycles: number, kinds: readonly string[], opts: ScheduleOptions): Cycle[] {
  if (kinds.length === 0) throw new Error('no fault kinds to schedule');
  const rng = prng(seed);
  const out: Cycle[] = [];
  let round: string[] = [];
  const span = ([lo, hi]: [number, number]) => lo + Math.floor(rng() * (hi - lo + 1));
  for (let i = 0; i < cycles; i++) {
    if (round.length === 0) {
      round = [...kinds];
      for (let j = round.length - 1; j > 0; j--) {
        const k = Math.floor(rng() * (j + 1));
        [round[j], round[k]] = [round[k]!, round[j]!];
      }
    }
    out.push({
      cycle: i,
      kind: round.shift()!,
      holdMs: span(opts.holdMs),
      gapMs: span(opts.gapMs),
      seed: Math.floor(rng() * 2 ** 32),
    });
  }
  return out;
}

/** The kinds that can run in `env` (optionally only those named), and why the others cannot. */
export function availableKinds(
  env: FaultEnv,
  only?: readonly string[],
): { kinds: FaultKind[]; skipped: Array<{ name: string; reason: string }> } {
  const kinds: FaultKind[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const k of FAULT_KINDS) {
    if (only && !only.includes(k.name)) continue;
    const why = k.unavailable(env);
    if (why === undefined) kinds.push(k);
    else skipped.push({ name: k.name, reason: why });
  }
  if (only)
    for (const n of only) if (!FAULT_KINDS.some((k) => k.name === n)) throw new Error(`unknown fault kind ${n}`);
  return { kinds, skipped };
}
