// The controller over the in-memory store under crashes, session expiries, paused controllers, disconnections and
// delayed, reordered deliveries (controller-sim.ts), with every invariant checked after every step
// (controller-checks.ts). SIM_SEEDS=n runs more seeds; SIM_VERBOSE=1 prints totals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runControllerSim } from './controller-sim.ts';

test('seeded controller simulation: no invariant broken, and the cluster settles after the faults', async () => {
  const seeds = Number(process.env.SIM_SEEDS ?? 1000);
  let elections = 0;
  let fenced = 0;
  let partitions = 0;
  let snapshots = 0;
  let deleted = 0;
  let elr = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const r = await runControllerSim(seed);
    assert.deepEqual(r.violations, [], `seed ${seed}`);
    elections += r.elections;
    fenced += r.fencedWrites;
    partitions += r.partitions;
    snapshots += r.snapshots;
    deleted += r.deletedLogNodes;
    elr += r.elrElections;
  }
  if (process.env.SIM_VERBOSE) console.log({ seeds, elections, fenced, partitions, snapshots, deleted, elr });
  // The runs exercised what they are about: controller failovers, zombie writes refused, partitions to lead.
  assert.ok(elections > seeds * 1.5, `${elections} elections`);
  // About one seed in a hundred has a zombie controller write the fence refuses (zombie.test.ts shows it alone).
  if (seeds >= 1000) assert.ok(fenced > 0, 'some zombie controller write was refused by the epoch fence');
  assert.ok(partitions > seeds * 5, `${partitions} partitions`);
  assert.ok(snapshots > seeds / 10 && deleted > seeds, `${snapshots} snapshots, ${deleted} log nodes deleted`);
  // ELR (KIP-966, on in a new cluster) was used: leaders elected from it after their ISR emptied.
  assert.ok(elr > seeds / 20, `${elr} elections from the ELR`);
});

test('without the /controller_epoch fence (test-only switch) the simulation finds a zombie controller write', async () => {
  let found: { seed: number; violations: string[] } | undefined;
  for (let seed = 1; seed <= 400 && !found; seed++) {
    const r = await runControllerSim(seed, { unsafeSkipEpochCheck: true, pauseChance: 0.3 });
    if (r.violations.length > 0) found = { seed, violations: r.violations };
  }
  assert.ok(found, 'a seed broke an invariant');
  assert.match(
    found.violations[0]!,
    /write of controller epoch \d+ accepted in epoch \d+/,
    found.violations.join('\n'),
  );
});
