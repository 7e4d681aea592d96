// The short cluster fault run inside `npm test`: a real 3-node ZooKeeper ensemble and three replicating broker
// processes (2 s sessions), the workload topics with replication factor 3 and min.insync.replicas=2, every client,
// replication (follower→leader) and broker→ZooKeeper path behind its own fault proxy. One cycle of every cluster
// fault kind: kill -9 + restart of a partition's leader, of a follower, of the controller; a leader SIGSTOPped past
// its session; one broker's replication links held until it leaves the ISR, slowed, or losing bytes; a follower cut
// from its leader until out of the ISR, then the leader killed (the other follower must be elected); a ZooKeeper
// node killed or paused; ZooKeeper's quorum lost (two of three killed) for longer than a session; a broker's links
// to ZooKeeper held until its session expires. Librdkafka and TypeScript idempotent acks=all producers and a
// committing consumer group run throughout; the checker must find no violation (committed offsets going back is a
// TODO test, a known coordinator bug, below). No transactional job here: it
// needs transactions across brokers (run it with `npm run soak -- --cluster --txn`). Long mode:
// `npm run soak -- --cluster`.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RULES } from './harness/checker.ts';
import { CLUSTER_KINDS } from './harness/faults.ts';
import { type FaultRunResult, runFaults } from './harness/run.ts';

const SEED = Number(process.env.FAULT_SEED ?? 15);

let run: FaultRunResult | undefined;

test('acknowledged writes survive broker, replication-link and ZooKeeper faults', { timeout: 600_000 }, async () => {
  const outDir = path.join(os.tmpdir(), `tributary-cluster-faults-${SEED}-${process.pid}`);
  run = await runFaults({
    cluster: true,
    seed: SEED,
    cycles: CLUSTER_KINDS.length,
    outDir,
    holdMs: [500, 1500],
    gapMs: [300, 1000],
    rate: 30,
    log: (s) => process.stderr.write(`cluster faults: ${s}\n`),
  });
  process.stderr.write(`${run.report}\n`);
  const { result } = run;
  assert.deepEqual(run.skippedKinds, [], 'every cluster kind can run');
  for (const k of CLUSTER_KINDS) assert.ok(result.stats.faults[k], `${k} ran`);
  assert.ok(result.stats.acked > 300, `the producers made progress (${result.stats.acked} acknowledged)`);
  assert.ok(result.stats.reads > 0 && result.stats.commits > 0, 'the group read and committed');
  // commit-regress is judged by the next test (a known coordinator bug); every other rule here.
  for (const rule of RULES)
    if (rule !== 'commit-regress')
      assert.equal(
        result.counts[rule],
        0,
        `${rule}: ${JSON.stringify(result.violations.filter((v) => v.rule === rule).slice(0, 5))} (history: ${run.historyFile})`,
      );
  if (result.counts['commit-regress'] === 0) rmSync(outDir, { recursive: true, force: true }); // else kept for --check
});

// Known bug (found by the cluster soak, seed 20261207, cycle 71): the group coordinator answers OffsetCommit once
// the records are in its own log (src/coordinator/group/runtime.ts appends and replies), not once the ISR has them
// as Kafka does (acks=-1 on __consumer_offsets). A coordinator paused past its session wakes, acknowledges a queued
// commit, and the new leader truncates it away. A TODO until the coordinator waits for the high watermark: it runs
// and reports, but does not fail `npm test` (it fails only when a zombie coordinator had a commit in flight).
test('committed group offsets never go back under cluster faults', {
  todo: 'the group coordinator acknowledges offset commits before replication',
}, () => {
  assert.ok(run, 'the fault run above finished');
  assert.deepEqual(
    run.result.violations.filter((v) => v.rule === 'commit-regress'),
    [],
    `committed offsets went back (history: ${run.historyFile})`,
  );
});
