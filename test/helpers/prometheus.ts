// Parses Prometheus exposition text with a real parser: the Python client's (prometheus_client.parser), installed by
// the tests themselves with `pip install --target .cache/pylibs/prometheus-client` (.cache/ is git-ignored); a failed
// install is a test failure, never a skip. Also finds the port of a broker's operations HTTP listener.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type BrokerHandle, REPO_ROOT } from './broker.ts';
import { describeRun, PY_DIR, runProcess } from './clients.ts';

const DIR = path.join(REPO_ROOT, '.cache', 'pylibs', 'prometheus-client');
const VERSION = '0.26.0';
const PYTHON = '/usr/bin/python3';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  /** Family name → type as the parser read it from `# TYPE` (counter families are named without `_total`). */
  types: Record<string, string>;
  samples: Sample[];
}

let pending: Promise<NodeJS.ProcessEnv> | undefined;

function install(): Promise<NodeJS.ProcessEnv> {
  pending ??= (async () => {
    const env = { ...process.env, PYTHONPATH: DIR, PYTHONNOUSERSITE: '1' };
    const probe = () =>
      runProcess(PYTHON, ['-c', 'import prometheus_client.parser'], { env, timeoutMs: 30_000 }).then(
        (r) => r.code === 0,
      );
    if (existsSync(DIR) && (await probe())) return env;
    // Install beside the target and rename, so a concurrent test file never sees a half-installed package.
    const staging = `${DIR}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(path.dirname(DIR), { recursive: true });
    const r = await runProcess(
      PYTHON,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--target',
        staging,
        `prometheus-client==${VERSION}`,
      ],
      { timeoutMs: 300_000 },
    );
    if (r.code !== 0)
      throw new Error(`${describeRun('pip install prometheus-client', r)}\nInstall pip and allow access to PyPI.`);
    rmSync(DIR, { recursive: true, force: true });
    renameSync(staging, DIR);
    if (!(await probe())) throw new Error(`prometheus_client is not importable from ${DIR}`);
    return env;
  })();
  return pending;
}

/** Parses exposition text; rejects (with the parser's message) when the text is not valid. */
export async function parseMetrics(text: string): Promise<ParsedMetrics> {
  const env = await install();
  const r = await runProcess(PYTHON, [path.join(PY_DIR, 'parse_metrics.py')], { env, input: text, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(describeRun('parse_metrics.py', r));
  return JSON.parse(r.stdout) as ParsedMetrics;
}

/** The value of one sample (labels must match exactly the given ones, others ignored); undefined when absent. */
export function sample(m: ParsedMetrics, name: string, labels: Record<string, string> = {}): number | undefined {
  return m.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The port of the broker's first operations HTTP listener, read from its start-up log line. */
export function httpPort(broker: BrokerHandle): number {
  const m = /http listener started.* port=(\d+)/.exec(broker.logs());
  if (!m) throw new Error(`no "http listener started" line in the broker's log:\n${broker.logs()}`);
  return Number(m[1]);
}
