// Exclusive ownership of a data directory (each log dir and the metadata dir), as Kafka's `<dir>/.lock`.
//
// Node has no flock/fcntl, so the lock is a `.lock` file created with O_EXCL that says who holds it: pid, the
// process start time (Linux /proc/<pid>/stat, in clock ticks since boot), the boot id and pid namespace, the host
// name and a random token. A later broker that finds the file decides whether its holder still runs:
//   - the same process (an embedded broker): refused while the process-wide registry has the dir;
//   - the same machine and pid namespace: the holder runs if its pid exists *and* started at the recorded time
//     (a reused pid has another start time), so a kill -9 never blocks the next start;
//   - anything else (another container sharing the volume, another host over NFS, no /proc): the holder refreshes
//     the file's mtime every HEARTBEAT_MS; a lock not refreshed for STALE_MS is stale.
// A stale lock is replaced (unlink, create with O_EXCL again); a release removes the file only if it still holds
// our token. Two brokers racing to replace one stale lock are settled by re-reading the file after creating it.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  unlinkSync,
  utimes,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';
export const HEARTBEAT_MS = 2_000;
export const STALE_MS = 15_000;

/** Another broker (process or embedded) holds the directory. */
export class DirLockedError extends Error {
  readonly dir: string;
  constructor(dir: string, message: string) {
    super(message);
    this.name = 'DirLockedError';
    this.dir = dir;
  }
}

/** Who holds a lock, as written in the file. */
export interface LockHolder {
  pid: number;
  /** Process start time in clock ticks since boot (Linux), undefined elsewhere. */
  start?: string;
  boot?: string;
  pidns?: string;
  host?: string;
  token: string;
}

/** Everything the stale rule needs to know about the world, injectable for tests. */
export interface LockEnv {
  self: Omit<LockHolder, 'token'>;
  /** Whether a pid exists (EPERM counts as existing). */
  pidAlive(pid: number): boolean;
  /** The start time of a running pid (same format as `self.start`), undefined if unknown. */
  startOf(pid: number): string | undefined;
  now(): number;
}

// Process-wide (also across two copies of this module, e.g. src/ and dist/): directories locked by this process.
const REGISTRY_KEY = Symbol.for('tributary.dirLocks');
const globals = globalThis as Record<symbol, unknown>;
globals[REGISTRY_KEY] ??= new Map<string, string>();
const registry = globals[REGISTRY_KEY] as Map<string, string>;

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStartTime(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = stat.slice(close + 2).split(' ');
  return rest[19];
}

function procStart(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : parseProcStartTime(stat);
}

export function systemLockEnv(): LockEnv {
  let pidns: string | undefined;
  try {
    pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidns = undefined;
  }
  return {
    self: {
      pid: process.pid,
      start: procStart(process.pid),
      boot: readOr('/proc/sys/kernel/random/boot_id'),
      pidns,
      host: hostname(),
    },
    pidAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
    startOf: procStart,
    now: Date.now,
  };
}

export function formatHolder(h: LockHolder): string {
  const lines = [`pid=${h.pid}`];
  for (const k of ['start', 'boot', 'pidns', 'host'] as const) if (h[k] !== undefined) lines.push(`${k}=${h[k]}`);
  lines.push(`token=${h.token}`);
  return `${lines.join('\n')}\n`;
}

export function parseHolder(text: string): LockHolder | undefined {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const pid = Number(m.get('pid'));
  const token = m.get('token');
  if (!Number.isSafeInteger(pid) || pid <= 0 || token === undefined) return undefined;
  return { pid, start: m.get('start'), boot: m.get('boot'), pidns: m.get('pidns'), host: m.get('host'), token };
}

export type Verdict = { held: true; why: string } | { held: false; why: string };

/**
 * The stale rule. `mtimeMs` is the lock file's last refresh; `inProcess` whether this process's registry has the
 * directory (an embedded broker of this process holds it).
 */
export function judge(holder: LockHolder | undefined, mtimeMs: number, inProcess: boolean, env: LockEnv): Verdict {
  if (inProcess) return { held: true, why: 'another broker in this process uses it' };
  const age = env.now() - mtimeMs;
  if (holder === undefined) {
    // Unreadable or half-written: give its writer the stale period to finish, as for a foreign holder.
    return age > STALE_MS
      ? { held: false, why: 'unreadable lock file not refreshed' }
      : { held: true, why: 'another broker is taking it (lock file being written)' };
  }
  const self = env.self;
  const sameMachine =
    holder.boot !== undefined && holder.boot === self.boot && holder.pidns !== undefined && holder.pidns === self.pidns;
  if (sameMachine) {
    const who = `pid ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}`;
    if (holder.pid === self.pid) {
      // Our pid: either this very process (a broker of ours that never released: not in the registry, so stale)
      // or an earlier process whose pid we reuse.
      return { held: false, why: `left by ${holder.start === self.start ? 'this process' : 'an earlier process'}` };
    }
    if (!env.pidAlive(holder.pid)) return { held: false, why: `${who} is not running` };
    const start = env.startOf(holder.pid);
    if (holder.start !== undefined && start !== undefined && start !== holder.start)
      return { held: false, why: `${who} is not running (the pid was reused by another process)` };
    return { held: true, why: `another broker uses it (${who})` };
  }
  const where = holder.host ?? 'an unknown host';
  if (age > STALE_MS) return { held: false, why: `holder pid ${holder.pid} on ${where} stopped refreshing it` };
  return {
    held: true,
    why:
      `another broker uses it (pid ${holder.pid} on ${where}, another host or container; refreshed ` +
      `${Math.max(0, Math.round(age / 1000))} s ago, stale ${STALE_MS / 1000} s after its last refresh)`,
  };
}

/** A held directory lock; `release()` removes the lock file (if it is still ours) and stops refreshing it. */
export class DirLock {
  readonly dir: string;
  readonly path: string;
  private readonly token: string;
  private readonly realDir: string;
  private readonly timer: NodeJS.Timeout;
  private released = false;

  constructor(dir: string, realDir: string, token: string) {
    this.dir = dir;
    this.realDir = realDir;
    this.path = join(dir, LOCK_FILE);
    this.token = token;
    this.timer = setInterval(() => {
      const t = new Date();
      utimes(this.path, t, t, () => {});
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    if (registry.get(this.realDir) === this.token) registry.delete(this.realDir);
    const text = readOr(this.path);
    if (text !== undefined && parseHolder(text)?.token === this.token) {
      try {
        unlinkSync(this.path);
      } catch {
        // gone already
      }
    }
  }
}

/**
 * Takes the lock of `dir` (created if missing), or throws DirLockedError naming the directory and its holder.
 * Nothing else in the directory is touched.
 */
export function lockDir(dir: string, env: LockEnv = systemLockEnv()): DirLock {
  mkdirSync(dir, { recursive: true });
  const realDir = realpathSync(dir);
  const path = join(dir, LOCK_FILE);
  const token = randomBytes(12).toString('hex');
  const mine = formatHolder({ ...env.self, token });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (registry.has(realDir))
      throw new DirLockedError(dir, `${dir} is locked: another broker in this process uses it`);
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const text = readOr(path);
      let mtime: number;
      try {
        mtime = statSync(path).mtimeMs;
      } catch {
        continue; // removed meanwhile: try again
      }
      const verdict = judge(text === undefined ? undefined : parseHolder(text), mtime, false, env);
      if (verdict.held)
        throw new DirLockedError(
          dir,
          `${dir} is locked: ${verdict.why}. Each data directory can be used by one broker at a time`,
        );
      // Stale: replace it, unless someone else replaced it since we read it.
      if (readOr(path) !== text) continue;
      try {
        unlinkSync(path);
      } catch {
        // someone else removed it
      }
      continue;
    }
    try {
      writeSync(fd, mine);
    } finally {
      closeSync(fd);
    }
    // Settles a race between two brokers replacing the same stale lock: the file must still be ours.
    if (readOr(path) !== mine.trim()) continue;
    registry.set(realDir, token);
    return new DirLock(dir, realDir, token);
  }
  throw new DirLockedError(dir, `${dir} is locked: another broker keeps taking it`);
}

/** Locks every directory (duplicates once) or none: on failure the ones already taken are released. */
export function lockDirs(dirs: readonly string[], env: LockEnv = systemLockEnv()): DirLock[] {
  const out: DirLock[] = [];
  try {
    for (const d of new Set(dirs)) out.push(lockDir(d, env));
  } catch (e) {
    for (const l of out) l.release();
    throw e;
  }
  return out;
}
