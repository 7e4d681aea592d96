// Starts a real Tributary broker process for integration tests.
//
// Each call gets its own free port and its own temp data dir, so test files can run in parallel. The broker's
// stdout/stderr are kept in memory (last few MB) for diagnostics; `printLogsOnFailure` dumps them for a failed test.
// Brokers still running and temp dirs we created are cleaned up when the test process exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Broker entry point, relative to the repo root. TRIBUTARY_BROKER_ENTRY overrides it (e.g. for a fake broker). */
const DEFAULT_ENTRY = process.env.TRIBUTARY_BROKER_ENTRY ?? 'src/cli/main.ts';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const MAX_LOG_CHARS = 4 * 1024 * 1024;

export interface BrokerOptions {
  /** Extra `--override k=v` settings (listeners and log.dirs are set by the helper). */
  overrides?: Record<string, string>;
  /** Data dir to use; default: a fresh temp dir, removed when the test process exits. */
  dataDir?: string;
  /** Port to listen on; default: a free port. */
  port?: number;
  /** Entry script relative to the repo root (default src/cli/main.ts); for the harness's own tests. */
  entry?: string;
  /**
   * Listeners besides the PLAINTEXT one the helper probes, e.g. `SSL://127.0.0.1:9093` (their names must be in
   * listener.security.protocol.map).
   */
  extraListeners?: string;
  /** How long to wait for the broker to answer ApiVersions (default 20 s). */
  readyTimeoutMs?: number;
  /** Extra environment of the broker process (e.g. libfaketime's LD_PRELOAD and FAKETIME settings). */
  env?: Record<string, string>;
}

export interface BrokerHandle {
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  /** The current broker process (replaced by restart()). */
  readonly proc: ChildProcess;
  /** Sends `signal` (default SIGTERM), waits for exit (SIGKILL after 15 s); resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILLs the broker and waits for it to be gone. */
  kill9(): Promise<void>;
  /** Stops the broker (SIGTERM) if it runs, then starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Everything the broker wrote to stdout/stderr so far (all incarnations). */
  logs(): string;
  /** Extra environment for the next (re)start; the running process keeps the one it started with. */
  env: Record<string, string> | undefined;
}

const liveProcs = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const p of liveProcs) {
      try {
        p.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of tempDirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      // 'exit' handlers run from process.exit(); re-raise semantics: 128 + signal number.
      process.exit(128 + (os.constants.signals[sig] ?? 0));
    });
  }
}

/** Asks the OS for a free port: listen on port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not get a free port'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

export function makeTempDir(prefix = 'tributary-test-'): string {
  installExitHooks();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/**
 * Sends a hand-written ApiVersions v0 request and resolves true when a response with the same correlation id comes
 * back (any error code: the broker answered). Resolves false on connect failure, close, or timeout.
 */
export function probeApiVersions(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const correlationId = 0x7472_6962; // 'trib'
    let done = false;
    let buf = Buffer.alloc(0);
    const sock = net.connect({ port, host });
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
    sock.once('connect', () => {
      // Request header v1: int16 api_key, int16 api_version, int32 correlation_id, nullable string client_id.
      const req = Buffer.alloc(4 + 10);
      req.writeInt32BE(10, 0); // size
      req.writeInt16BE(18, 4); // ApiVersions
      req.writeInt16BE(0, 6); // v0
      req.writeInt32BE(correlationId, 8);
      req.writeInt16BE(-1, 12); // client_id = null
      sock.write(req);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // Response: int32 size, int32 correlation_id (header v0), int16 error_code, ...
      if (buf.length < 10) return;
      const size = buf.readInt32BE(0);
      finish(size >= 6 && buf.readInt32BE(4) === correlationId);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class BrokerProcess implements BrokerHandle {
  port: number;
  readonly dataDir: string;
  proc!: ChildProcess;
  readonly #overrides: Record<string, string>;
  readonly #entry: string;
  readonly #readyTimeoutMs: number;
  readonly #fixedPort: boolean;
  readonly #extraListeners: string | undefined;
  #log = '';
  #exited: Promise<number | null> = Promise.resolve(null);
  #running = false;
  env: Record<string, string> | undefined;

  constructor(opts: BrokerOptions, port: number, dataDir: string) {
    this.port = port;
    this.dataDir = dataDir;
    this.#overrides = { ...(opts.overrides ?? {}) };
    this.#entry = opts.entry ?? DEFAULT_ENTRY;
    this.#readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
    this.#fixedPort = opts.port !== undefined;
    this.#extraListeners = opts.extraListeners;
    this.env = opts.env;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  logs(): string {
    return this.#log;
  }

  #append(text: string): void {
    this.#log += text;
    if (this.#log.length > MAX_LOG_CHARS) this.#log = `[...truncated...]\n${this.#log.slice(-MAX_LOG_CHARS)}`;
  }

  #args(): string[] {
    const overrides: Record<string, string> = {
      // No operations HTTP listener unless a test asks (its default port 9644 is one per machine).
      'http.listeners': '',
      ...this.#overrides,
      listeners: `PLAINTEXT://127.0.0.1:${this.port}${this.#extraListeners ? `,${this.#extraListeners}` : ''}`,
      'log.dirs': this.dataDir,
    };
    const args = [this.#entry, 'broker'];
    for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
    return args;
  }

  /** Spawns the broker and waits until it answers ApiVersions; retries on another port if the port was taken. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#startOnce();
        return;
      } catch (err) {
        const portTaken = /EADDRINUSE/.test(this.#log.slice(-20_000));
        if (!portTaken || this.#fixedPort || attempt >= 3) throw err;
        this.#append(`\n[harness] port ${this.port} was taken, retrying on another port\n`);
        this.port = await freePort();
      }
    }
  }

  async #startOnce(): Promise<void> {
    const args = this.#args();
    const extra =
      this.env === undefined
        ? ''
        : `${Object.entries(this.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')} `;
    this.#append(`[harness] starting: ${extra}${path.basename(process.execPath)} ${args.join(' ')}\n`);
    const proc = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test', ...this.env },
    });
    this.proc = proc;
    this.#running = true;
    liveProcs.add(proc);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (s: string) => this.#append(s));
    proc.stderr?.on('data', (s: string) => this.#append(s));
    let exitInfo: string | undefined;
    this.#exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        exitInfo = `code=${code} signal=${signal}`;
        this.#append(`[harness] broker pid ${proc.pid} exited (${exitInfo})\n`);
        liveProcs.delete(proc);
        this.#running = false;
        resolve(code);
      });
      proc.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        this.#append(`[harness] ${exitInfo}\n`);
        liveProcs.delete(proc);
        this.#running = false;
        resolve(null);
      });
    });

    const deadline = Date.now() + this.#readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exitInfo !== undefined) {
        await sleep(50); // let the last stderr chunks arrive
        throw new Error(
          `broker exited before it was ready (${exitInfo}); command: node ${args.join(' ')}\n--- broker logs ---\n${this.#log}--- end of broker logs ---`,
        );
      }
      if (await probeApiVersions(this.port, '127.0.0.1', 1000)) return;
      await sleep(100);
    }
    await this.kill9();
    throw new Error(
      `broker did not answer ApiVersions on ${this.bootstrap} within ${this.#readyTimeoutMs} ms; command: node ${args.join(' ')}\n--- broker logs ---\n${this.#log}--- end of broker logs ---`,
    );
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.#running) return this.#exited;
    this.proc.kill(signal);
    const timer = setTimeout(() => {
      this.#append(`[harness] broker did not exit ${STOP_TIMEOUT_MS} ms after ${signal}; sending SIGKILL\n`);
      this.proc.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill9(): Promise<void> {
    if (!this.#running) return;
    this.proc.kill('SIGKILL');
    await this.#exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.#startOnce();
  }
}

/** Starts a broker on a free port with a fresh data dir and waits until it answers ApiVersions (up to 20 s). */
export async function startBrokerProcess(opts: BrokerOptions = {}): Promise<BrokerHandle> {
  installExitHooks();
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? makeTempDir('tributary-broker-');
  const broker = new BrokerProcess(opts, port, dataDir);
  await broker.start();
  return broker;
}

/**
 * For `afterEach((t) => printLogsOnFailure(t, broker))`: prints the broker's logs to stderr when the test failed.
 * (`passed` is on TestContext at runtime since Node 24.16 but not in every @types/node.)
 */
export function printLogsOnFailure(t: { name: string }, broker: BrokerHandle | undefined): void {
  if (broker === undefined) return;
  const passed = (t as { passed?: boolean }).passed;
  if (passed === true) return;
  process.stderr.write(
    `\n--- broker logs for failed test "${t.name}" (${broker.bootstrap}, ${broker.dataDir}) ---\n${broker.logs()}\n--- end of broker logs ---\n`,
  );
}

/**
 * Memoizes an async setup (start a broker, locate a client) shared by the tests of a file. Call it at the start of
 * each test rather than in `before()`: a failing `before()` only marks tests "cancelled" (and the summary says
 * `fail 0`), while a failing setup inside a test is a counted failure. The first failing test gets the full error
 * (with the broker logs); later ones get a one-line pointer to it.
 */
export function sharedSetup<T>(fn: () => Promise<T>): { get(): Promise<T>; value(): T | undefined } {
  let promise: Promise<T> | undefined;
  let value: T | undefined;
  let reported = false;
  return {
    async get(): Promise<T> {
      promise ??= fn().then((v) => {
        value = v;
        return v;
      });
      try {
        return await promise;
      } catch (err) {
        if (!reported) {
          reported = true;
          throw err;
        }
        const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        throw new Error(`setup failed (full error and logs in the first failing test of this file): ${first}`);
      }
    },
    value: () => value,
  };
}
