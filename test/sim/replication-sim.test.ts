// Seeded simulation of partition replication (src/replication/) in a three-broker cluster with a simulated
// controller, network and disk (replication-cluster.ts): random faults over many seeds, the historical failures as
// scripted scenarios, and each protection switched off to show the checks catch what it prevents.
// SIM_SEEDS=n sets the number of random seeds; a failing seed prints its fault history.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterOptions } from './replication-cluster.ts';
import { CONTROLLER, ReplicationCluster, Violation } from './replication-cluster.ts';

const DURATION_MS = 6000;
const CALM_MS = 4000;
/** Flush intervals the seeds cycle through: a power loss keeps a random part of what came after the last flush. */
const FLUSH_INTERVALS = [50, 400, 3000];

/** One random run: two acks=all producers, a consumer, and crashes, power losses, pauses and network cuts. */
function randomRun(opts: ClusterOptions): ReplicationCluster {
  const c = new ReplicationCluster(opts);
  const { sim } = c;
  for (const b of c.brokers) sim.at(Math.floor(sim.rnd() * 100), () => c.start(b));
  for (let p = 0; p < 2; p++) {
    const loop = () => {
      if (!sim.faults) return;
      c.produce(p, c.guessLeader(), 1 + Math.floor(sim.rnd() * 3));
      sim.at(sim.now + 20 + Math.floor(sim.rnd() * 60), loop);
    };
    sim.at(300, loop);
  }
  const consume = () => {
    c.consume(c.guessLeader());
    sim.at(sim.now + 100 + Math.floor(sim.rnd() * 100), consume);
  };
  sim.at(500, consume);
  const chaos = () => {
    if (!sim.faults) return;
    const b = c.brokers[Math.floor(sim.rnd() * 3)]!;
    const x = sim.rnd();
    const later = (fn: () => void) => sim.at(sim.now + 300 + Math.floor(sim.rnd() * 2200), fn);
    if (!c.mayFault(b)) {
      // only the damaged broker may be hit until it is back in the ISR
    } else if (x < 0.25 && b.up) {
      const y = sim.rnd();
      if (y < 0.25 && !b.paused) c.stop(b);
      else c.crash(b, y < 0.55 && c.mayLosePower(b));
      later(() => c.start(b));
    } else if (x < 0.4 && b.up) {
      c.pause(b);
      later(() => c.resume(b));
    } else if (x < 0.65) {
      const peers = [CONTROLLER, ...c.brokers.map((o) => o.id).filter((id) => id !== b.id)];
      const cut = sim.rnd() < 0.3 ? peers : [peers[Math.floor(sim.rnd() * peers.length)]!];
      const dir = sim.rnd();
      const keys: string[] = [];
      for (const o of cut) {
        if (dir < 0.7) keys.push(`${b.id}>${o}`);
        if (dir >= 0.35) keys.push(`${o}>${b.id}`);
      }
      for (const k of keys) c.cuts.add(k);
      c.note(`cut ${keys.join(' ')}`);
      later(() => {
        for (const k of keys) c.cuts.delete(k);
      });
    }
    sim.at(sim.now + 200 + Math.floor(sim.rnd() * 800), chaos);
  };
  sim.at(800, chaos);
  sim.at(DURATION_MS, () => {
    sim.faults = false;
    c.cuts.clear();
    for (const b of c.brokers) {
      if (b.paused) c.resume(b);
      if (!b.up) c.start(b);
    }
  });
  try {
    sim.run(DURATION_MS + CALM_MS);
    c.finalCheck();
  } catch (e) {
    if (e instanceof Violation) e.message += `\nlast events of seed ${opts.seed}:\n${c.history.slice(-30).join('\n')}`;
    throw e;
  }
  return c;
}

/** The first seed in 1..max whose run finds a violation, or undefined. */
function findViolation(opts: Omit<ClusterOptions, 'seed'>, max: number): { seed: number; message: string } | undefined {
  for (let seed = 1; seed <= max; seed++) {
    try {
      randomRun({ ...opts, seed });
    } catch (e) {
      if (e instanceof Violation) return { seed, message: e.message.split('\n')[0]! };
      throw e;
    }
  }
  return undefined;
}

describe('replication simulation (random faults)', () => {
  test('acknowledged records survive, logs agree below the HW, consumers never see a record disappear', () => {
    const seeds = Number(process.env.SIM_SEEDS ?? 3000);
    let acked = 0;
    let elections = 0;
    let truncations = 0;
    const stats: Record<string, number> = {};
    for (let seed = 1; seed <= seeds; seed++) {
      // Half the seeds with eligible leader replicas (KIP-966, on in a new Kafka 4.4 cluster), half without.
      const c = randomRun({
        seed,
        flushIntervalMs: FLUSH_INTERVALS[seed % FLUSH_INTERVALS.length],
        elr: seed % 2 === 0,
      });
      acked += c.acked.size;
      elections += c.elections;
      truncations += c.truncations;
      for (const [k, v] of Object.entries(c.stats)) stats[k] = (stats[k] ?? 0) + v;
    }
    if (process.env.SIM_VERBOSE) console.log({ seeds, acked, elections, truncations, ...stats });
    assert.ok(acked > seeds * 20, `records were acknowledged (${acked})`);
    assert.ok(elections > seeds, `leaders changed (${elections})`);
    assert.ok(truncations > seeds / 10, `followers truncated on divergence (${truncations})`);
    assert.ok(stats.elrElections! > seeds / 50, `leaders elected from the ELR (${stats.elrElections})`);
    assert.ok(
      stats.uncleanShutdownsSeen! > seeds / 10,
      `unclean shutdowns left the ELR (${stats.uncleanShutdownsSeen})`,
    );
  });
});

describe('replication simulation: each protection switched off is caught', () => {
  test('truncating to the HW instead of by leader epochs (pre-KIP-101) loses data', () => {
    const found = findViolation({ unsafe: { truncateToHighWatermark: true } }, 2000);
    if (process.env.SIM_VERBOSE) console.log(found);
    assert.ok(found, 'a violation was found');
  });

  test('advancing the HW over an ISR the controller has not committed loses data', () => {
    const found = findViolation({ unsafe: { hwOnProposedIsr: true } }, 300);
    if (process.env.SIM_VERBOSE) console.log(found);
    assert.ok(found, 'a violation was found');
  });

  test('with ELR, advancing the HW while the ISR is below min.insync.replicas (pre-KIP-966) loses data', () => {
    const found = findViolation({ elr: true, unsafe: { hwBelowMinIsr: true } }, 1000);
    if (process.env.SIM_VERBOSE) console.log(found);
    assert.ok(found, 'a violation was found');
  });

  test('with ELR, keeping a broker back from an unclean shutdown in the ELR loses data', () => {
    const found = findViolation({ elr: true, keepUncleanInElr: true }, 3000);
    if (process.env.SIM_VERBOSE) console.log(found);
    assert.ok(found, 'a violation was found');
  });

  test('electing a leader outside the ISR loses data', () => {
    const found = findViolation({ electOutsideIsr: true }, 300);
    if (process.env.SIM_VERBOSE) console.log(found);
    assert.ok(found, 'a violation was found');
  });
});
