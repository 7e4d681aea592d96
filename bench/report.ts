// The single-node bench's report (bench/run.ts): which figures the table shows, the median (min–max) of the runs,
// the Markdown page and the chart. Also small helpers the other bench modes use (median, fmt).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export type Metrics = Record<string, number | string | null>;
export type RunResult = Record<string, Metrics>;

// The disk ceiling is the best of the synced sequential writes (fio and dd with fdatasync).
export function diskCeilingOf(c: Record<string, Metrics>): number | undefined {
  const v = [c.disk?.fioSeqWriteFsyncMbPerSec, c.disk?.ddFdatasyncMbPerSec].filter((x) => typeof x === 'number');
  return v.length ? Math.max(...(v as number[])) : undefined;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// What each table row reports, and whether higher is better.
export const rows: { key: string; metric: string; label: string; unit: string; higher: boolean }[] = [
  {
    key: 'produce-1k-acks1/rdkafka',
    metric: 'mbPerSec',
    label: '(1) produce 1 KiB, acks=1 — librdkafka',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acks1/java',
    metric: 'mbPerSec',
    label: '(1) produce 1 KiB, acks=1 — Java perf-test',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acks1/java',
    metric: 'p99Ms',
    label: '(1) … Java producer p99 send latency',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'produce-1k-acksall/rdkafka',
    metric: 'mbPerSec',
    label: '(2) produce 1 KiB, acks=all — librdkafka',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-acksall/java',
    metric: 'mbPerSec',
    label: '(2) produce 1 KiB, acks=all — Java perf-test',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'produce-1k-defaults/java',
    metric: 'mbPerSec',
    label: '(2) … Java client defaults (acks=all, idempotent)',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'consume-1k/rdkafka',
    metric: 'mbPerSec',
    label: '(3) consume from start — librdkafka (no group)',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'consume-1k/rdkafka',
    metric: 'streamMbPerSec',
    label: '(3) … from the first record to the last — librdkafka',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'consume-1k/java',
    metric: 'fetchMbPerSec',
    label: '(3) consume from start — Java perf-test (group), fetch phase',
    unit: 'MB/s',
    higher: true,
  },
  {
    key: 'e2e-latency-20MBps/rdkafka',
    metric: 'p50Ms',
    label: '(4) end-to-end latency at 20 MiB/s — p50',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'e2e-latency-20MBps/rdkafka',
    metric: 'p99Ms',
    label: '(4) end-to-end latency at 20 MiB/s — p99',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'e2e-latency-20MBps/rdkafka',
    metric: 'p999Ms',
    label: '(4) end-to-end latency at 20 MiB/s — p99.9',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'e2e-latency-sync/java',
    metric: 'p99Ms',
    label: '(4) Java EndToEndLatency (1 in flight) — p99',
    unit: 'ms',
    higher: false,
  },
  {
    key: 'produce-100b-acks1/rdkafka',
    metric: 'recordsPerSec',
    label: '(5) produce 100 B, acks=1 — librdkafka',
    unit: 'rec/s',
    higher: true,
  },
  {
    key: 'produce-100b-acks1/java',
    metric: 'recordsPerSec',
    label: '(5) produce 100 B, acks=1 — Java perf-test',
    unit: 'rec/s',
    higher: true,
  },
  {
    key: 'startup',
    metric: 'timeToFirstProduceMs',
    label: '(6) start-up to first acknowledged produce',
    unit: 'ms',
    higher: false,
  },
  { key: 'startup', metric: 'idleRssMb', label: '(6) idle RSS', unit: 'MB', higher: false },
  { key: 'startup', metric: 'peakRssMb', label: '(6) peak RSS', unit: 'MB', higher: false },
  ...(
    [
      ['produce-1k-acks1/rdkafka', '(1) librdkafka produce'],
      ['produce-1k-acks1/java', '(1) Java produce'],
      ['consume-1k/rdkafka', '(3) librdkafka consume'],
      ['consume-1k/java', '(3) Java consume'],
      ['produce-100b-acks1/rdkafka', '(5) librdkafka 100 B produce'],
      ['produce-100b-acks1/java', '(5) Java 100 B produce'],
    ] as const
  ).map(([key, what]) => ({
    key,
    metric: 'brokerCpuSecPerGB',
    label: `broker CPU per GB, ${what}`,
    unit: 'CPU s/GB',
    higher: false,
  })),
];

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
  errors: number;
}
export function summarise(
  results: Record<string, RunResult[]>,
  kind: string,
  key: string,
  metric: string,
): Summary | null {
  const vals: number[] = [];
  let errors = 0;
  for (const r of results[kind] ?? []) {
    const v = r[key]?.[metric];
    if (typeof v === 'number' && Number.isFinite(v)) vals.push(v);
    else errors++;
  }
  if (vals.length === 0) return null;
  return { median: median(vals), min: Math.min(...vals), max: Math.max(...vals), n: vals.length, errors };
}

export const fmt = (v: number): string =>
  v >= 10_000 ? Math.round(v).toLocaleString('en-US') : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
export const cell = (s: Summary | null): string =>
  s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})${s.errors ? ` ⚠${s.errors} failed` : ''}` : 'n/a';

export function markdown(report: {
  date: string;
  machine: Metrics;
  settings: Record<string, unknown>;
  ceilings: Record<string, Metrics>;
  results: Record<string, RunResult[]>;
}): string {
  const L: string[] = [];
  L.push(`# Tributary vs Apache Kafka — ${report.date}`, '');
  L.push(
    `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, ${report.machine.kernel}, disk ${report.machine.disk}.`,
  );
  L.push(
    `Versions: Tributary ${report.machine.tributaryCommit}${report.machine.tributaryDirty === 'yes' ? ' (+ uncommitted src changes)' : ''} on Node ${report.machine.node}; Apache Kafka ${report.machine.kafka} (KRaft, single node, defaults) on ${report.machine.java}; librdkafka ${report.machine.librdkafka}.`,
  );
  L.push(
    `Runs: ${report.settings.runs} per broker (alternating), each on a fresh data dir; cells are median (min–max). 6 partitions, RF 1, clients on the same 2-core machine.`,
  );
  L.push('');
  L.push('| Workload | Tributary | Kafka | Tributary ÷ Kafka | better |');
  L.push('| --- | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const t = summarise(report.results, 'tributary', r.key, r.metric);
    const k = summarise(report.results, 'kafka', r.key, r.metric);
    const ratio = t && k && k.median > 0 ? (t.median / k.median).toFixed(2) : 'n/a';
    const good = t && k ? (r.higher ? t.median >= k.median : t.median <= k.median) : null;
    L.push(
      `| ${r.label} (${r.unit}) | ${cell(t)} | ${cell(k)} | ${ratio}× | ${r.higher ? 'higher' : 'lower'}${good == null ? '' : good ? ' ✅' : ' ❌'} |`,
    );
  }
  L.push('', '## Physical ceilings (same run)', '');
  const c = report.ceilings;
  L.push('| Ceiling | MB/s |', '| --- | ---: |');
  for (const [group, m] of Object.entries(c)) {
    for (const [k, v] of Object.entries(m))
      if (typeof v === 'number' && /PerSec/.test(k)) L.push(`| ${group}: ${k} | ${fmt(v)} |`);
  }
  const t1 = summarise(report.results, 'tributary', 'produce-1k-acks1/rdkafka', 'mbPerSec');
  const disk = diskCeilingOf(c);
  if (t1 && disk)
    L.push(
      '',
      `Tributary acks=1 produce (librdkafka) = ${(t1.median / disk).toFixed(2)}× the disk's sequential write ceiling.`,
    );
  L.push('', '## Settings', '');
  for (const [k, v] of Object.entries(report.settings)) L.push(`- ${k}: ${v}`);
  const errs: string[] = [];
  for (const [kind, rs] of Object.entries(report.results))
    rs.forEach((r, i) => {
      for (const [k, m] of Object.entries(r))
        if (m.error) errs.push(`- ${kind} run ${i + 1} ${k}: ${String(m.error).split('\n')[0]}`);
    });
  if (errs.length) L.push('', '## Failures', '', ...errs);
  L.push('');
  return L.join('\n');
}

/** Draws the chart with bench/chart.py (matplotlib, installed from PyPI into bench/cache/pylib when missing). */
export function chart(jsonFile: string, pngFile: string, benchDir: string, log: (...a: unknown[]) => void): void {
  const pylib = path.join(benchDir, 'cache', 'pylib');
  const env = { ...process.env, PYTHONPATH: pylib };
  const has = () => spawnSync('python3', ['-c', 'import matplotlib'], { env }).status === 0;
  if (!has()) {
    log('installing matplotlib from PyPI into bench/cache/pylib');
    const r = spawnSync('python3', ['-m', 'pip', 'install', '-q', '--target', pylib, 'matplotlib'], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0 || !has()) {
      log(`no chart: matplotlib unavailable (${(r.stderr ?? '').slice(-300)})`);
      return;
    }
  }
  const r = spawnSync('python3', [path.join(benchDir, 'chart.py'), jsonFile, pngFile], { env, encoding: 'utf8' });
  if (r.status !== 0) log(`chart failed: ${r.stderr}`);
}
