// The checker: a pure function from a recorded history to violations and a summary.
//
// Rules (each has a crafted failing history in checker.test.ts):
//   lost            an acknowledged write is not in the final log, or not at the offset it was acknowledged with
//   duplicate       a value appears more than once in a partition's final log (every value is written once)
//   reorder         one producer's values on a partition appear out of send order (values are `<proc>:<seq>`)
//   offset-gap      offsets not contiguous: a topic without transactions has no hole between log start and high
//                   watermark; a transactional topic may skip offsets only for control markers (at most one per
//                   partition per ended transaction), and never has an offset at or past the high watermark
//   read-not-in-log a consumer read a record that is not in the final log at that offset (it saw data that vanished)
//   commit-regress  a committed group offset went back: an acknowledged commit lower than one acknowledged before it,
//                   or a member assigned the partition fetched a committed offset lower than one acknowledged before
//                   its fetch was sent
//   aborted-read    a read_committed reader (or the final read_committed dump) saw a record of an aborted transaction
//   ctp-exactly-once the transactional copy does not hold every input record exactly once (committed output), or
//                   the job did not drain its input
import type {
  AckEvent,
  CommitEvent,
  CommittedEvent,
  FaultEvent,
  FinalEvent,
  HistoryEvent,
  ReadEvent,
  RunEvent,
  TxnEvent,
} from './history.ts';

export type Rule =
  | 'lost'
  | 'duplicate'
  | 'reorder'
  | 'offset-gap'
  | 'read-not-in-log'
  | 'commit-regress'
  | 'aborted-read'
  | 'ctp-exactly-once';

export const RULES: readonly Rule[] = [
  'lost',
  'duplicate',
  'reorder',
  'offset-gap',
  'read-not-in-log',
  'commit-regress',
  'aborted-read',
  'ctp-exactly-once',
];

export interface Violation {
  rule: Rule;
  msg: string;
}

export interface CheckResult {
  ok: boolean;
  violations: Violation[];
  /** Violations per rule (all rules listed, 0 when clean). */
  counts: Record<Rule, number>;
  stats: {
    acked: number;
    failed: number;
    reads: number;
    commits: number;
    transactions: { commit: number; abort: number; unknown: number };
    faults: Record<string, number>;
    finalRecords: number;
    /** Reorder violations per producer. */
    reorderByProc: Record<string, number>;
  };
  faults: FaultEvent[];
}

const tp = (topic: string, partition: number) => `${topic}-${partition}`;
const MAX_REPORTED_PER_RULE = 20;

export function check(history: readonly HistoryEvent[]): CheckResult {
  const violations: Violation[] = [];
  const counts = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<Rule, number>;
  const violate = (rule: Rule, msg: string) => {
    counts[rule]++;
    if (counts[rule] <= MAX_REPORTED_PER_RULE) violations.push({ rule, msg });
  };

  let run: RunEvent | undefined;
  const acks: AckEvent[] = [];
  const reads: ReadEvent[] = [];
  const commits: CommitEvent[] = [];
  const fetched: CommittedEvent[] = [];
  const txns: TxnEvent[] = [];
  const faults: FaultEvent[] = [];
  const finals = new Map<string, FinalEvent>(); // key: isolation/tp
  let failed = 0;
  let ctpDone: { drained: boolean } | undefined;
  for (const ev of history) {
    switch (ev.type) {
      case 'run':
        run = ev;
        break;
      case 'ack':
        acks.push(ev);
        break;
      case 'fail':
        failed++;
        break;
      case 'read':
        reads.push(ev);
        break;
      case 'commit':
        commits.push(ev);
        break;
      case 'committed':
        fetched.push(ev);
        break;
      case 'txn':
        txns.push(ev);
        break;
      case 'ctp-done':
        ctpDone = ev;
        break;
      case 'final':
        finals.set(`${ev.isolation}/${tp(ev.topic, ev.partition)}`, ev);
        break;
      case 'fault':
        faults.push(ev);
        break;
      default:
        break;
    }
  }
  if (run === undefined) throw new Error('history has no run header');

  // The final log of each partition, read_uncommitted: offset → value, value → offsets.
  const logs = new Map<string, { byOffset: Map<number, string>; offsetOf: Map<string, number>; final: FinalEvent }>();
  const txnEnds = txns.length;
  let finalRecords = 0;
  const reorderByProc: Record<string, number> = {};
  for (const [topic, meta] of Object.entries(run.topics)) {
    for (let p = 0; p < meta.partitions; p++) {
      const final = finals.get(`read_uncommitted/${tp(topic, p)}`);
      if (final === undefined) {
        violate('lost', `no final read of ${tp(topic, p)}: nothing can be confirmed`);
        continue;
      }
      finalRecords += final.records.length;
      const byOffset = new Map<number, string>();
      const seen = new Map<string, number>();
      const lastSeq = new Map<string, number>();
      let prev = final.logStart - 1;
      let skipped = 0;
      for (const [offset, value] of final.records) {
        if (offset <= prev) violate('offset-gap', `${tp(topic, p)}: offset ${offset} after ${prev} (not increasing)`);
        else skipped += offset - prev - 1;
        if (!meta.transactional && offset !== prev + 1)
          violate(
            'offset-gap',
            `${tp(topic, p)}: offsets jump from ${prev} to ${offset} in a topic without transactions`,
          );
        prev = offset;
        byOffset.set(offset, value);
        const before = seen.get(value);
        if (before !== undefined) violate('duplicate', `${tp(topic, p)}: ${value} at offsets ${before} and ${offset}`);
        else seen.set(value, offset);
        const sep = value.lastIndexOf(':');
        if (sep > 0 && !meta.transactional) {
          const proc = value.slice(0, sep);
          const seq = Number(value.slice(sep + 1));
          const last = lastSeq.get(proc);
          if (last !== undefined && seq < last) {
            reorderByProc[proc] = (reorderByProc[proc] ?? 0) + 1;
            violate('reorder', `${tp(topic, p)}: ${value} at offset ${offset} after ${proc}:${last}`);
          }
          lastSeq.set(proc, seq);
        }
      }
      if (prev >= final.high)
        violate('offset-gap', `${tp(topic, p)}: offset ${prev} at or past the high watermark ${final.high}`);
      if (!meta.transactional && prev !== final.high - 1 && final.high > final.logStart)
        violate('offset-gap', `${tp(topic, p)}: log ends at ${prev} but the high watermark is ${final.high}`);
      if (meta.transactional) {
        skipped += final.high - 1 - prev;
        if (skipped > txnEnds)
          violate(
            'offset-gap',
            `${tp(topic, p)}: ${skipped} offsets without records but only ${txnEnds} transactions ended (markers)`,
          );
      }
      logs.set(tp(topic, p), { byOffset, offsetOf: seen, final });
    }
  }

  for (const a of acks) {
    const log = logs.get(tp(a.topic, a.partition));
    if (log === undefined) continue;
    if (a.offset === null) {
      // Acknowledged without an offset: it must be in the log (where is not known; duplicates are judged above).
      if (!log.offsetOf.has(a.value))
        violate(
          'lost',
          `${tp(a.topic, a.partition)}: ${a.value} (acknowledged by ${a.proc}, no offset) is not in the log`,
        );
      continue;
    }
    const at = log.byOffset.get(a.offset);
    if (at !== a.value) {
      const where = log.offsetOf.get(a.value);
      violate(
        'lost',
        `${tp(a.topic, a.partition)}: ${a.value} (acknowledged at ${a.offset} by ${a.proc}) ${where === undefined ? 'is not in the log' : `is at offset ${where}`}${at !== undefined ? `; ${at} is there` : ''}`,
      );
    }
  }

  for (const r of reads) {
    const log = logs.get(tp(r.topic, r.partition));
    if (log === undefined || r.offset < log.final.logStart) continue;
    const at = log.byOffset.get(r.offset);
    if (at !== r.value)
      violate(
        'read-not-in-log',
        `${r.proc} read ${r.value} at ${tp(r.topic, r.partition)}@${r.offset}; the log has ${at ?? 'nothing'} there`,
      );
  }

  // Committed offsets: acknowledged commits never go back, and a fetch sees at least every commit acknowledged
  // before it was sent.
  const byGroupTp = new Map<string, Array<CommitEvent | CommittedEvent>>();
  for (const e of [...commits, ...fetched]) {
    const k = `${e.group}/${tp(e.topic, e.partition)}`;
    const list = byGroupTp.get(k) ?? [];
    list.push(e);
    byGroupTp.set(k, list);
  }
  for (const [k, list] of byGroupTp) {
    const acked = list.filter((e): e is CommitEvent => e.type === 'commit').sort((a, b) => a.t - b.t);
    let high = -1;
    let highAt = 0;
    for (const c of acked) {
      if (c.offset < high && c.t0 > highAt)
        violate('commit-regress', `${k}: ${c.proc} committed ${c.offset} after ${high} was acknowledged`);
      if (c.offset > high) {
        high = c.offset;
        highAt = c.t;
      }
    }
    for (const f of list) {
      if (f.type !== 'committed') continue;
      const before = acked.filter((c) => c.t < f.t0).reduce((m, c) => Math.max(m, c.offset), -1);
      if (f.offset < before)
        violate(
          'commit-regress',
          `${k}: ${f.proc} fetched committed offset ${f.offset}; ${before} was acknowledged before`,
        );
    }
  }

  // Transactions of the consume-transform-produce job: output values are `<txn>|<input value>`.
  const aborted = new Set(txns.filter((x) => x.outcome === 'abort').map((x) => x.txn));
  const txnOf = (v: string) => v.slice(0, Math.max(0, v.indexOf('|')));
  const committedReads = [
    ...reads.filter((r) => r.isolation === 'read_committed'),
    ...[...finals.values()]
      .filter((f) => f.isolation === 'read_committed')
      .flatMap((f) =>
        f.records.map(([offset, value]) => ({ proc: 'final', topic: f.topic, partition: f.partition, offset, value })),
      ),
  ];
  for (const r of committedReads) {
    if (aborted.has(txnOf(r.value)))
      violate(
        'aborted-read',
        `${r.proc} (read_committed) saw ${r.value} at ${tp(r.topic, r.partition)}@${r.offset}, from aborted transaction ${txnOf(r.value)}`,
      );
  }

  if (run.ctp !== undefined) {
    const { input, output } = run.ctp;
    if (ctpDone === undefined || !ctpDone.drained)
      violate('ctp-exactly-once', `the transactional job did not report that it consumed ${input} to the end`);
    const copies = new Map<string, number>();
    for (let p = 0; p < (run.topics[output]?.partitions ?? 0); p++) {
      const f = finals.get(`read_committed/${tp(output, p)}`);
      if (f === undefined) {
        violate('ctp-exactly-once', `no final read_committed read of ${tp(output, p)}`);
        continue;
      }
      for (const [, v] of f.records) {
        const src = v.slice(v.indexOf('|') + 1);
        copies.set(src, (copies.get(src) ?? 0) + 1);
      }
    }
    const inputs = new Set<string>();
    for (let p = 0; p < (run.topics[input]?.partitions ?? 0); p++) {
      for (const [, v] of logs.get(tp(input, p))?.final.records ?? []) inputs.add(v);
    }
    for (const v of inputs) {
      const n = copies.get(v) ?? 0;
      if (n !== 1) violate('ctp-exactly-once', `input ${v} is in the committed copy ${n} times`);
    }
    for (const v of copies.keys())
      if (!inputs.has(v)) violate('ctp-exactly-once', `the committed copy holds ${v}, which is not in ${input}`);
  }

  const faultCounts: Record<string, number> = {};
  for (const f of faults) if (f.phase === 'inject') faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
  return {
    ok: violations.length === 0,
    violations,
    counts,
    stats: {
      acked: acks.length,
      failed,
      reads: reads.length,
      commits: commits.length,
      transactions: {
        commit: txns.filter((x) => x.outcome === 'commit').length,
        abort: aborted.size,
        unknown: txns.filter((x) => x.outcome === 'unknown').length,
      },
      faults: faultCounts,
      finalRecords,
      reorderByProc,
    },
    faults,
  };
}

/** A human-readable report: summary, violations, fault history. */
export function formatReport(r: CheckResult, seed: number): string {
  const lines = [
    `fault run seed=${seed}: ${r.ok ? 'OK, no violations' : `${r.violations.length}+ VIOLATIONS`}`,
    `  acknowledged writes ${r.stats.acked}, unknown outcome ${r.stats.failed}, records in final logs ${r.stats.finalRecords}`,
    `  reads ${r.stats.reads}, acknowledged offset commits ${r.stats.commits}, transactions committed ${r.stats.transactions.commit} / aborted ${r.stats.transactions.abort} / unknown ${r.stats.transactions.unknown}`,
    `  faults injected: ${
      Object.entries(r.stats.faults)
        .map(([k, n]) => `${k}×${n}`)
        .join(', ') || 'none'
    }`,
    `  violations per rule: ${RULES.map((x) => `${x}=${r.counts[x]}`).join(' ')}`,
  ];
  const byProc = Object.entries(r.stats.reorderByProc);
  if (byProc.length > 0) lines.push(`  reorders per producer: ${byProc.map(([p, n]) => `${p}=${n}`).join(' ')}`);
  for (const v of r.violations) lines.push(`  VIOLATION ${v.rule}: ${v.msg}`);
  lines.push('fault history:');
  const t0 = r.faults[0]?.t ?? 0;
  for (const f of r.faults)
    lines.push(
      `  +${((f.t - t0) / 1000).toFixed(1)}s cycle ${f.cycle} ${f.phase} ${f.kind} ${f.target}${f.detail ? ` (${f.detail})` : ''}`,
    );
  return lines.join('\n');
}
