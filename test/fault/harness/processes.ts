// Process control for fault runs: N broker processes (test/helpers/broker.ts), each behind its own client-link
// fault proxy, with kill -9 / restart / SIGSTOP / SIGCONT and a disk that can be filled.
//
// Clients reach a broker only through its proxy: the broker advertises the proxy's address (advertised.listeners),
// so Metadata sends clients back through it. The disk is a tmpfs of a few dozen MB mounted on the broker's log dir
// (needs root; without it the disk-full fault is unavailable and says so): filling it is one fallocate, freeing it
// one unlink, and close() unmounts it.
//
// ZooKeeper is not started here: run.ts's cluster mode starts test/helpers/zookeeper.ts's ensemble, which plugs in
// as `ZooKeeperControl` (see faults.ts), and brokers get `zookeeper.connect` through `overrides`.
import { spawnSync } from 'node:child_process';
import { rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { type BrokerHandle, makeTempDir, probeApiVersions, startBrokerProcess } from '../../helpers/broker.ts';
import { FaultProxy } from './proxy.ts';

export interface BrokerSpec {
  /** broker.id; also names the broker in fault histories (`broker-<id>`). */
  id: number;
  overrides?: Record<string, string>;
  /** Size of the tmpfs log dir in MiB (0: a plain temp dir, no disk-full fault). Default 0. */
  diskMiB?: number;
}

const FILLER = '.fault-harness-disk-filler';
const mounted = new Set<string>();
let exitHook = false;

/** Unmounts the tmpfs and removes the (now empty) mount point. */
function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
  mounted.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** A size-limited tmpfs on a fresh temp dir, or the reason there is none. */
function mountTmpfs(dir: string, mib: number): string | undefined {
  if (process.getuid?.() !== 0) return 'the disk-full fault needs root (it mounts a small tmpfs as the log dir)';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs failed: ${r.stderr.trim()}`;
  mounted.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const d of [...mounted]) unmount(d);
    });
  }
  return undefined;
}

export class ManagedBroker {
  readonly id: number;
  readonly handle: BrokerHandle;
  readonly clientProxy: FaultProxy;
  /** Why the disk cannot be filled, or undefined when it can. */
  readonly diskUnavailable: string | undefined;
  paused = false;
  diskFull = false;

  constructor(id: number, handle: BrokerHandle, clientProxy: FaultProxy, diskUnavailable: string | undefined) {
    this.id = id;
    this.handle = handle;
    this.clientProxy = clientProxy;
    this.diskUnavailable = diskUnavailable;
  }

  get name(): string {
    return `broker-${this.id}`;
  }

  /** What clients use: the proxy. */
  get bootstrap(): string {
    return this.clientProxy.address;
  }

  async kill9(): Promise<void> {
    if (this.paused) this.resume();
    await this.handle.kill9();
  }

  /** Starts the broker again (SIGTERM first if it runs) on the same port and log dir. */
  async restart(): Promise<void> {
    if (this.paused) this.resume();
    await this.handle.restart();
    this.clientProxy.target.port = this.handle.port;
  }

  pause(): void {
    this.handle.proc.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.handle.proc.kill('SIGCONT');
    this.paused = false;
  }

  /** Fills the log dir's filesystem to the last byte. */
  fillDisk(): number {
    if (this.diskUnavailable !== undefined) throw new Error(this.diskUnavailable);
    const st = statfsSync(this.handle.dataDir);
    const free = Number(st.bavail) * Number(st.bsize);
    const r = spawnSync('fallocate', ['-l', String(free), path.join(this.handle.dataDir, FILLER)], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`fallocate failed: ${r.stderr.trim()}`);
    this.diskFull = true;
    return free;
  }

  freeDisk(): void {
    rmSync(path.join(this.handle.dataDir, FILLER), { force: true });
    this.diskFull = false;
  }

  /** Waits until the broker answers ApiVersions on its own port (not through the proxy). */
  async waitReady(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await probeApiVersions(this.handle.port, '127.0.0.1', 1000)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  async close(): Promise<void> {
    if (this.paused) this.resume();
    await this.handle.kill9();
    await this.clientProxy.close();
    this.freeDisk();
    if (mounted.has(this.handle.dataDir)) unmount(this.handle.dataDir);
  }
}

/** Starts the brokers one after another, each behind a client-link proxy; rng seeds the proxies' jitter. */
export async function startBrokers(specs: BrokerSpec[], rng: () => number): Promise<ManagedBroker[]> {
  const out: ManagedBroker[] = [];
  try {
    for (const spec of specs) {
      const proxy = new FaultProxy({ name: `client→broker-${spec.id}`, target: { host: '127.0.0.1', port: 0 }, rng });
      await proxy.listen();
      const dataDir = makeTempDir(`fault-broker-${spec.id}-`);
      const diskUnavailable = spec.diskMiB ? mountTmpfs(dataDir, spec.diskMiB) : 'no disk limit configured';
      const handle = await startBrokerProcess({
        dataDir,
        overrides: {
          'broker.id': String(spec.id),
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`,
          ...spec.overrides,
        },
      });
      proxy.target.port = handle.port;
      out.push(new ManagedBroker(spec.id, handle, proxy, diskUnavailable));
    }
    return out;
  } catch (err) {
    for (const b of out) await b.close();
    throw err;
  }
}
