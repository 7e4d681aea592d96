// The short fault run inside `npm test`: one broker process behind a fault proxy, every fault kind available here
// once (kill -9 + restart, SIGSTOP/SIGCONT, client-link partitions, one-way cuts, drops, slow links, resets, a full
// disk), while librdkafka idempotent producers, a consumer group, the transactional consume-transform-produce job
// and a read_committed reader run, plus the TypeScript client's idempotent producers. The checker must find no
// violation. The long mode is `npm run soak -- --cycles 100 --seed N`; the seed below reruns this exact schedule.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RULES } from './harness/checker.ts';
import { CLUSTER_KINDS, FAULT_KINDS, OPTIONAL_CLUSTER_KINDS } from './harness/faults.ts';
import { type FaultRunResult, runFaults } from './harness/run.ts';

const SEED = Number(process.env.FAULT_SEED ?? 15);

let run: FaultRunResult | undefined;

test('acknowledged writes, offsets, commits and transactions survive one cycle of every fault kind', {
  timeout: 600_000,
}, async () => {
  const outDir = path.join(os.tmpdir(), `tributary-faults-${SEED}-${process.pid}`);
  run = await runFaults({
    seed: SEED,
    // Two rounds of the single-node kinds (the cluster kinds are not available here).
    cycles: 2 * (FAULT_KINDS.length - CLUSTER_KINDS.length - OPTIONAL_CLUSTER_KINDS.length),
    outDir,
    holdMs: [500, 2000],
    gapMs: [300, 1000],
    rate: 40,
    log: (s) => process.stderr.write(`faults: ${s}\n`),
  });
  process.stderr.write(`${run.report}\n`);
  const { result } = run;
  // Every kind that can run here ran (the cluster kinds wait for ZooKeeper).
  for (const k of FAULT_KINDS)
    if (!run.skippedKinds.some((s) => s.name === k.name)) assert.ok(result.stats.faults[k.name], `${k.name} ran`);
  assert.ok(result.stats.acked > 500, `the producers made progress (${result.stats.acked} acknowledged)`);
  assert.ok(result.stats.reads > 0 && result.stats.commits > 0, 'the group read and committed');
  assert.ok(
    result.stats.transactions.commit > 0 && result.stats.transactions.abort > 0,
    'transactions ended both ways',
  );
  // Reorders of the TypeScript producers are judged by the next test (a known client bug); everything else here.
  const tsReorders = Object.entries(result.stats.reorderByProc)
    .filter(([p]) => p.startsWith('ts'))
    .reduce((n, [, c]) => n + c, 0);
  for (const rule of RULES) {
    const n = rule === 'reorder' ? result.counts.reorder - tsReorders : result.counts[rule];
    assert.equal(
      n,
      0,
      `${rule}: ${JSON.stringify(result.violations.filter((v) => v.rule === rule).slice(0, 5))} (history: ${run.historyFile})`,
    );
  }
  rmSync(outDir, { recursive: true, force: true }); // kept when the run failed, for `npm run soak -- --check`
});

test('the TypeScript idempotent producer keeps each partition in send order under faults', {}, () => {
  assert.ok(run, 'the fault run above finished');
  const ts = Object.entries(run.result.stats.reorderByProc).filter(([p]) => p.startsWith('ts'));
  assert.deepEqual(ts, [], 'no reorders of the TypeScript producers');
});
