// Signals reach the broker however npm started it: SIGTERM or SIGINT to the npm process (what `kill`, a process
// manager or Ctrl-C reach) stops the broker cleanly — it leaves no process behind and writes the clean-shutdown
// marker. `npm start` execs the broker; `npm exec -c` (as npx does) keeps a shell between npm and the broker.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { freePort, makeTempDir, probeApiVersions, REPO_ROOT } from '../helpers/broker.ts';

const NODE_DIR = path.dirname(process.execPath);

/** The process ids below `pid` (children, grandchildren, ...), from ps. */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of rows)
      if (parent === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startViaNpm(npmArgs: (brokerArgs: string[]) => string[]) {
  const port = await freePort();
  const dataDir = makeTempDir('tributary-npm-start-');
  const overrides = ['--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dataDir}`];
  // An environment as a user's shell has it: Node 24 first on PATH, no npm_* variables from an enclosing npm.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const npm = spawn('npm', npmArgs(overrides), {
    cwd: REPO_ROOT,
    env: { ...env, PATH: `${NODE_DIR}${path.delimiter}${env.PATH ?? ''}`, npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  npm.stdout!.on('data', (d) => (logs += d));
  npm.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise<void>((r) => npm.once('exit', () => r()));
  const t0 = Date.now();
  while (!(await probeApiVersions(port))) {
    assert.ok(npm.exitCode === null && Date.now() - t0 < 60_000, `broker did not start under npm:\n${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { npm, dataDir, exited, logs: () => logs };
}

async function stopsCleanly(
  started: { npm: ChildProcess; dataDir: string; exited: Promise<void>; logs(): string },
  signal: NodeJS.Signals,
) {
  const { npm, dataDir, exited, logs } = started;
  const below = descendants(npm.pid!);
  assert.ok(below.length > 0, 'npm has started the broker');
  try {
    npm.kill(signal);
    await exited;
    // The broker may still be finishing its shutdown when npm is gone (e.g. behind a shell): give it a moment.
    const t0 = Date.now();
    while (below.some(alive) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(below.filter(alive), [], `no process left behind after ${signal} to npm:\n${logs()}`);
    assert.ok(existsSync(path.join(dataDir, '.kafka_cleanshutdown')), `clean-shutdown marker written:\n${logs()}`);
  } finally {
    for (const p of below.filter(alive)) process.kill(p, 'SIGKILL');
  }
}

describe('signals to npm reach the broker', { timeout: 180_000 }, () => {
  test('npm start, then SIGTERM to npm', async () => {
    const s = await startViaNpm((o) => ['start', '--', ...o]);
    await stopsCleanly(s, 'SIGTERM');
    assert.match(s.logs(), /received signal.*SIGTERM[\s\S]*shutdown complete/);
  });

  test('npm start, then SIGINT (Ctrl-C) to npm', async () => {
    const s = await startViaNpm((o) => ['start', '--', ...o]);
    await stopsCleanly(s, 'SIGINT');
    assert.match(s.logs(), /shutdown complete/);
  });

  test('a shell between npm and the broker (npm exec -c, as npx runs a package binary), then SIGTERM to npm', async () => {
    const s = await startViaNpm((o) => ['exec', '-c', `node src/cli/bin.ts broker ${o.join(' ')}`]);
    await stopsCleanly(s, 'SIGTERM');
  });
});
