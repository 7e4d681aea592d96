// Locating and running the real Kafka clients used by the integration tests.
//
// CI (.ci/run) installs them: kcat, python3-kafka and python3-confluent-kafka from Debian, and kafkajs and
// @platformatic/kafka into interop/node_modules. A missing client is a test FAILURE with a clear message, not a skip.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './broker.ts';

export const INTEROP_DIR = path.join(REPO_ROOT, 'interop');
export const PY_DIR = path.join(REPO_ROOT, 'test', 'integration', 'py');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command to completion (SIGKILL after timeoutMs, default 60 s), collecting its output. Never rejects. */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      spawnError = e;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) stderr += `\n[spawn error] ${spawnError.message}`;
      if (timedOut) stderr += `\n[harness] killed after ${timeoutMs} ms`;
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut });
    });
    child.stdin.on('error', () => {
      // the child may exit before reading all its input; the exit status tells the story
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Formats a RunResult for an assertion message. */
export function describeRun(what: string, r: RunResult): string {
  const tail = (s: string) => (s.length > 8000 ? `[...]${s.slice(-8000)}` : s);
  return `${what}: exit code=${r.code} signal=${r.signal}${r.timedOut ? ' (TIMED OUT)' : ''}\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`;
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Absolute path of a required binary; throws a clear error when it is missing. */
export function requireBinary(bin: string, installHint: string): string {
  const p = which(bin);
  if (p === undefined) throw new Error(`required client '${bin}' not found on PATH. Install it: ${installHint}`);
  return p;
}

const pythonCache = new Map<string, string>();

/**
 * A python3 that can import `module`. Prefers Debian's /usr/bin/python3 (python3-kafka, python3-confluent-kafka live
 * in its dist-packages, which pyenv's python3 cannot see), then python3/python on PATH (pip-installed kafka-python).
 */
export function requirePython(module: string, installHint: string): string {
  const cached = pythonCache.get(module);
  if (cached !== undefined) return cached;
  const candidates = ['/usr/bin/python3', which('python3'), which('python'), '/usr/local/bin/python3'];
  const tried: string[] = [];
  for (const c of candidates) {
    if (c === undefined || tried.includes(c) || !existsSync(c)) continue;
    tried.push(c);
    const r = spawnSync(c, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 30_000 });
    if (r.status === 0) {
      pythonCache.set(module, c);
      return c;
    }
  }
  throw new Error(
    `no python can import '${module}' (tried: ${tried.join(', ') || 'none found'}). Install it: ${installHint}`,
  );
}

/** Imports a package installed in interop/node_modules (by .ci/run: `npm --prefix interop install`). */
export async function importInterop<T>(entry: string): Promise<T> {
  const file = path.join(INTEROP_DIR, 'node_modules', entry);
  if (!existsSync(file)) {
    throw new Error(
      `interop client not installed: ${file} is missing. Run: npm --prefix interop install --no-audit --no-fund`,
    );
  }
  return (await import(file)) as T;
}

/** Polls `fn` until it returns a non-undefined value or `timeoutMs` passes (then throws with the last error). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `; last error: ${String(lastErr)}` : ''}`,
  );
}
