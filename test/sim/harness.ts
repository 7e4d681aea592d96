// Shared harness of the seeded group simulations (group-sim.test.ts: classic protocol, consumer-group-sim.test.ts:
// KIP-848): seeded RNG, virtual clock with an event queue and network delays, coordinator timers, member
// incarnations, the chaos-then-calm driver, the seed loop and the checks both simulations make. Everything that
// depends on the protocol (requests, replies, what a member owns and when) stays in the simulation files.
// Determinism: a run draws from one RNG in event order, so the order of the draws here is part of each seed's run.
import assert from 'node:assert/strict';
import { type Effects, type GroupConfig, GroupShard } from '../../src/coordinator/group/shard.ts';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Virtual clock and event queue of one seeded run: events run in time order, events due at once in schedule order. */
export class Sim {
  readonly seed: number;
  readonly rnd: () => number;
  now = 0;
  /** On during the fault phase; off for the calm period at the end. */
  faults = true;
  #seq = 0;
  readonly #queue: Array<{ at: number; seq: number; fn: () => void }> = [];

  constructor(seed: number) {
    this.seed = seed;
    this.rnd = mulberry32(seed);
  }

  at = (t: number, fn: () => void): void => {
    this.#queue.push({ at: t, seq: this.#seq++, fn });
  };

  /** One network hop: 1-40 ms. */
  net = (): number => 1 + Math.floor(this.rnd() * 40);

  /** True with probability `p` while faults are on (draws nothing once they are off). */
  faultChance(p: number): boolean {
    return this.faults && this.rnd() < p;
  }

  /** Delay before the next heartbeat: `normal`, or (with probability `p` while faults are on) a gap close to or
   * beyond the session timeout. */
  heartbeatGap(p: number, sessionMs: number, normal: number): number {
    return this.faultChance(p) ? Math.floor(sessionMs * (0.6 + this.rnd() * 0.8)) : normal;
  }

  /** Runs events until none is left or the next one is due after `end`. */
  run(end: number): void {
    for (let ev = this.#next(end); ev; ev = this.#next(end)) ev();
  }

  /** As run(), for async code under test: after each event, promise continuations settle (a macrotask turn)
   * before `afterEach` runs and the next event is taken. */
  async runAsync(end: number, afterEach?: () => void): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (let ev = this.#next(end); ev; ev = this.#next(end)) {
      ev();
      await new Promise((r) => setImmediate(r));
      afterEach?.();
    }
  }

  /** Takes the next event due by `end` (advancing the clock to it), or undefined. */
  #next(end: number): (() => void) | undefined {
    const queue = this.#queue;
    if (queue.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const a = queue[i]!;
      const b = queue[best]!;
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
    }
    const ev = queue[best]!;
    if (ev.at > end) return undefined;
    queue[best] = queue[queue.length - 1]!;
    queue.pop();
    this.now = ev.at;
    return ev.fn;
  }
}

/** The coordinator under test: one GroupShard with the simulations' common limits and seed-specific member ids. */
export function simShard(seed: number, config: Pick<GroupConfig, 'initialRebalanceDelayMs' | 'consumer'>): GroupShard {
  let ids = 0;
  return new GroupShard(
    0,
    {
      minSessionTimeoutMs: 1000,
      maxSessionTimeoutMs: 60_000,
      maxSize: 100,
      offsetsRetentionMs: 3_600_000,
      maxMetadataBytes: 4096,
      ...config,
    },
    () => `s${seed}-${++ids}`,
  );
}

/** Returns a function that arms coordinator timers on the clock: `fire(key)` runs at the timer's time (not before
 * now) unless the key was armed again since, which replaces the earlier time. */
export function timerArmer(sim: Sim, fire: (key: string) => void): (timers: Effects['timers']) => void {
  const version = new Map<string, number>();
  return (timers) => {
    for (const t of timers) {
      const v = (version.get(t.key) ?? 0) + 1;
      version.set(t.key, v);
      sim.at(Math.max(sim.now, t.at), () => {
        if (version.get(t.key) !== v) return;
        fire(t.key);
      });
    }
  };
}

/** What the harness needs of a simulated client. */
export interface SimMemberBase {
  idx: number;
  /** Incremented on start and on crash/leave: replies and timers of an older incarnation are ignored. */
  incarnation: number;
  alive: boolean;
  slow: boolean;
}

/** Wraps `fn` to run only if `m` is still alive in the incarnation it has now. */
export function guard(m: SimMemberBase, fn: () => void): () => void {
  const inc = m.incarnation;
  return () => {
    if (m.alive && m.incarnation === inc) fn();
  };
}

/** Starts a new incarnation of `m`, slow with probability `slowChance` while faults are on; the caller then resets
 * its protocol state and sends the first request. */
export function beginIncarnation(sim: Sim, m: SimMemberBase, slowChance: number): void {
  m.alive = true;
  m.incarnation++;
  m.slow = sim.faultChance(slowChance);
}

/** Ends the current incarnation of `m` (crash or leave). */
export function endIncarnation(m: SimMemberBase): void {
  m.alive = false;
  m.incarnation++;
}

/** Drives a run: members start within the first 2 s; from 3 s, every 0.5-2.5 s while faults are on, a random member
 * is started if it is down, or else gets the first `chaos` action whose threshold is above a uniform draw (no action
 * above the last threshold); at `durationMs` faults stop, slow members turn normal and every member is started;
 * the run ends `calmMs` later. */
export function runChaos<M extends SimMemberBase>(
  sim: Sim,
  members: M[],
  opts: {
    durationMs: number;
    calmMs: number;
    start: (m: M) => void;
    chaos: Array<{ below: number; act: (m: M) => void }>;
  },
): void {
  for (const m of members) sim.at(Math.floor(sim.rnd() * 2000), () => opts.start(m));
  const chaos = () => {
    if (!sim.faults) return;
    const m = members[Math.floor(sim.rnd() * members.length)]!;
    const x = sim.rnd();
    if (!m.alive) opts.start(m);
    else opts.chaos.find((c) => x < c.below)?.act(m);
    sim.at(sim.now + 500 + Math.floor(sim.rnd() * 2000), chaos);
  };
  sim.at(3000, chaos);
  sim.at(opts.durationMs, () => {
    sim.faults = false;
    for (const m of members) {
      m.slow = false;
      if (!m.alive) opts.start(m);
    }
  });
  sim.run(opts.durationMs + opts.calmMs);
}

/** Records `who` as the owner of partition `p`; fails if someone else owns it already. */
export function claimPartition<K>(owners: Map<number, K>, p: number, who: K, message: (other: K) => string): void {
  const other = owners.get(p);
  assert.ok(other === undefined || other === who, message(other as K));
  owners.set(p, who);
}

/** Fails unless `owned` holds each partition 0..partitions-1 exactly once. */
export function assertEachPartitionOnce(owned: number[], partitions: number, message: string): void {
  assert.deepEqual(
    [...owned].sort((a, b) => a - b),
    Array.from({ length: partitions }, (_, i) => i),
    message,
  );
}

/** Runs seeds 1..SIM_SEEDS (default 40); `run` returns how many generations/epochs the seed went through, and the
 * seeds together must have gone through more than five each. */
export function runSeeds(unit: string, run: (seed: number) => number): void {
  const seeds = Number(process.env.SIM_SEEDS ?? 40);
  let total = 0;
  for (let seed = 1; seed <= seeds; seed++) total += run(seed);
  if (process.env.SIM_VERBOSE) console.log({ seeds, [unit]: total });
  assert.ok(total > seeds * 5, `the simulation exercised rebalances (${total} ${unit})`);
}
