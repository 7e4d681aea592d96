// The long fault run: `npm run soak -- --cycles 100 --seed N [--kinds a,b] [--rate R] [--out DIR]`;
// `npm run soak -- --check DIR/history.jsonl` re-checks a recorded history. `--cluster`: a 3-node ZooKeeper
// ensemble and 3 replicating brokers (RF 3, min.insync.replicas=2) with the cluster fault kinds; `--txn` adds the
// transactional copy job there (it needs transactions across brokers; on one broker it always runs).
//
// Starts the broker(s) behind fault proxies, runs the workloads, plays the seeded fault schedule, checks the
// history, prints the summary and the fault history, and exits 1 on any violation (2 when the run itself broke).
// A failing seed reruns the same schedule: `npm run soak -- --cycles N --seed <the printed seed>`.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { check, formatReport } from '../test/fault/harness/checker.ts';
import { readHistory } from '../test/fault/harness/history.ts';
import { runFaults } from '../test/fault/harness/run.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '100' },
    seed: { type: 'string' },
    kinds: { type: 'string' },
    rate: { type: 'string', default: '50' },
    'ts-producers': { type: 'string', default: '2' },
    'py-producers': { type: 'string', default: '2' },
    out: { type: 'string' },
    check: { type: 'string' },
    cluster: { type: 'boolean', default: false },
    txn: { type: 'boolean' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run soak -- [--cluster [--txn]] [--cycles 100] [--seed N] [--kinds kill9-restart,pause,...] [--rate 50] [--ts-producers 2] [--py-producers 2] [--out DIR]\n       npm run soak -- --check DIR/history.jsonl   (re-check a recorded history)\n',
  );
  process.exit(0);
}
if (values.check !== undefined) {
  // Re-check a recorded history offline (e.g. after changing the checker).
  const history = readHistory(values.check);
  const first = history[0];
  const r = check(history);
  process.stdout.write(`${formatReport(r, first?.type === 'run' ? first.seed : -1)}\n`);
  process.exit(r.ok ? 0 : 1);
}
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const cycles = Number(values.cycles);
if (!Number.isInteger(seed) || !Number.isInteger(cycles) || cycles < 1) {
  process.stderr.write('--seed and --cycles must be integers (cycles >= 1)\n');
  process.exit(2);
}
const outDir = values.out ?? path.join(os.tmpdir(), `tributary-soak-${seed}-${Date.now()}`);
process.stdout.write(`soak: seed ${seed}, ${cycles} cycles, output in ${outDir}\n`);
const started = Date.now();
try {
  const r = await runFaults({
    seed,
    cycles,
    outDir,
    cluster: values.cluster,
    txn: values.txn,
    rate: Number(values.rate),
    tsProducers: Number(values['ts-producers']),
    pyProducers: Number(values['py-producers']),
    kinds: values.kinds?.split(','),
    log: (s) => process.stdout.write(`${s}\n`),
  });
  process.stdout.write(`${r.report}\n`);
  for (const s of r.skippedKinds) process.stdout.write(`not run: ${s.name}: ${s.reason}\n`);
  process.stdout.write(`soak: ${((Date.now() - started) / 1000).toFixed(0)} s; history ${r.historyFile}\n`);
  process.exit(r.result.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`soak: the run broke (seed ${seed}): ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
}
