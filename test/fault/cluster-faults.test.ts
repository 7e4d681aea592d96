// The short cluster fault run inside `npm test`: a real 3-node ZooKeeper ensemble and three replicating broker
// processes (2 s sessions), the workload topics with replication factor 3 and min.insync.replicas=2, every client,
// replication (follower→leader) and broker→ZooKeeper path behind its own fault proxy. One cycle of every cluster
// fault kind: kill -9 + restart of a partition's leader, of a follower, of the controller; a leader SIGSTOPped past
// its session; one broker's replication links held until it leaves the ISR, slowed, or losing bytes; a follower cut
// from its leader until out of the ISR, then the leader killed (the other follower must be elected); a ZooKeeper
// node killed or paused; ZooKeeper's quorum lost (two of three killed) for longer than a session; a broker's links
// to ZooKeeper held until its session expires; a leader's or follower's only log dir (a tmpfs) filled until the
// broker shuts down and leadership leaves it. Librdkafka and TypeScript idempotent acks=all producers and a
// committing consumer group and the transactional copy job (consume-transform-produce across partitions led by
// different brokers, with read_committed readers) run throughout; the checker must find no violation. Long mode:
// `npm run soak -- --cluster [--txn]`.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RULES } from './harness/checker.ts';
import { CLUSTER_KINDS } from './harness/faults.ts';
import { runFaults } from './harness/run.ts';

const SEED = Number(process.env.FAULT_SEED ?? 15);

test('acknowledged writes survive broker, replication-link and ZooKeeper faults', { timeout: 600_000 }, async () => {
  const outDir = path.join(os.tmpdir(), `tributary-cluster-faults-${SEED}-${process.pid}`);
  const run = await runFaults({
    cluster: true,
    txn: true,
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
  assert.ok(result.stats.transactions.commit > 0, 'transactions committed across brokers');
  // Every rule, commit-regress included: the group coordinator answers OffsetCommit only once the ISR has the
  // records (found by the cluster soak, seed 20261207, cycle 71, when it answered after its own append: a coordinator
  // paused past its session woke, acknowledged a queued commit, and the new leader truncated it away).
  for (const rule of RULES)
    assert.equal(
      result.counts[rule],
      0,
      `${rule}: ${JSON.stringify(result.violations.filter((v) => v.rule === rule).slice(0, 5))} (history: ${run.historyFile})`,
    );
  rmSync(outDir, { recursive: true, force: true }); // kept on failure, for --check
});
