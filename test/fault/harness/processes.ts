// Process control for fault runs: N broker processes (test/helpers/broker.ts), each behind its own client-link
// fault proxy, with kill -9 / restart / SIGSTOP / SIGCONT and a disk that can be filled.
//
// Clients reach a broker only through its proxy: the broker advertises the proxy's address (advertised.listeners),
// so Metadata sends clients back through it. The disk is a tmpfs of a few dozen MB mounted on the broker's log dir
// (needs root; without it the disk-full fault is unavailable and says so): filling it is one fallocate, freeing it
// one unlink, and close() unmounts it.
//
// ZooKeeper is not started here: run.ts's cluster mode starts test/helpers/zookeeper.ts's ensemble, which plugs in
// as `ZooKeeperControl` (see faults.ts).
//
// Cluster links (`startBrokers(specs, rng, links)`), so the fault table can hit one broker's paths and not others:
//   - replication: broker L has one replication listener per broker F of the cluster, REPLICATION_FROM_<F>, and
//     advertises it at a proxy of its own (F→L); broker F sets inter.broker.listener.name=REPLICATION_FROM_<F>, so
//     its replica fetchers reach every leader L through that pair's proxy (L.replicationIn.get(F)). Clients and
//     ZooKeeper do not go through these proxies, so cutting them partitions brokers from each other only. The
//     listeners bind port 0 and the proxies learn the bound ports from the broker's "listening" log lines after
//     each start (ports picked ahead and released could be taken by then, even by one of these proxies).
//   - zookeeper: broker B reaches each ZooKeeper node through a proxy of its own (B.zkLinks), and its
//     zookeeper.connect lists those proxies; cutting them partitions B from ZooKeeper only.
import { spawnSync } from 'node:child_process';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BrokerHandle, makeTempDir, probeApiVersions, startBrokerProcess } from '../../helpers/broker.ts';
import { faketimeEnv, offsetSpec } from './clock-skew.ts';
import { FaultProxy } from './proxy.ts';

export interface BrokerSpec {
  /** broker.id; also names the broker in fault histories (`broker-<id>`). */
  id: number;
  overrides?: Record<string, string>;
  /** Size of the tmpfs log dir in MiB (0: a plain temp dir, no disk-full fault). Default 0. */
  diskMiB?: number;
  /** Start under libfaketime (`lib`) with the wall-clock offset in `file` ("+0s" at first; clock-skew.ts). */
  clock?: { lib: string; file: string };
}

/** Which of the brokers' paths go through proxies besides the client link (see the header). */
export interface ClusterLinks {
  /** One proxy per (follower → leader) pair on the replication path. */
  replication?: boolean;
  /** The ZooKeeper nodes (host:port each) and the chroot: one proxy per (broker → node). */
  zookeeper?: { nodes: readonly string[]; chroot: string };
}

/** The replication listener a follower's fetchers use (inter.broker.listener.name of broker `follower`). */
export const replicationListener = (follower: number): string => `REPLICATION_FROM_${follower}`;

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
  /** Follower id → the proxy its fetchers use to reach this broker (cluster links; empty without them). */
  readonly replicationIn: ReadonlyMap<number, FaultProxy>;
  /** This broker's proxies to the ZooKeeper nodes, in node order (cluster links; empty without them). */
  readonly zkLinks: readonly FaultProxy[];
  /** Why the disk cannot be filled, or undefined when it can. */
  readonly diskUnavailable: string | undefined;
  /** The libfaketime clock file of this broker (its wall-clock offset), when it runs under libfaketime. */
  clockFile: string | undefined;
  paused = false;
  diskFull = false;

  constructor(
    id: number,
    handle: BrokerHandle,
    proxies: { client: FaultProxy; replicationIn: ReadonlyMap<number, FaultProxy>; zkLinks: readonly FaultProxy[] },
    diskUnavailable: string | undefined,
  ) {
    this.id = id;
    this.handle = handle;
    this.clientProxy = proxies.client;
    this.replicationIn = proxies.replicationIn;
    this.zkLinks = proxies.zkLinks;
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
    await this.syncReplicationPorts();
  }

  /** Points the proxies in front of the replication listeners at the ports the current process bound. */
  async syncReplicationPorts(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const logs = this.handle.logs();
      const current = logs.slice(logs.lastIndexOf('[harness] starting'));
      let all = true;
      for (const [f, proxy] of this.replicationIn) {
        const m = new RegExp(`listening listener=${replicationListener(f)} host=\\S+ port=(\\d+)`).exec(current);
        if (m) proxy.target.port = Number(m[1]);
        else all = false;
      }
      if (all) return;
      if (Date.now() > deadline) throw new Error(`${this.name} logged no bound port for some replication listener`);
      await new Promise((r) => setTimeout(r, 50));
    }
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
    for (const p of [this.clientProxy, ...this.replicationIn.values(), ...this.zkLinks]) await p.close();
    this.freeDisk();
    if (mounted.has(this.handle.dataDir)) unmount(this.handle.dataDir);
  }
}

async function listening(name: string, host: string, port: number, rng: () => number): Promise<FaultProxy> {
  const p = new FaultProxy({ name, target: { host, port }, rng });
  await p.listen();
  return p;
}

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/**
 * Starts the brokers one after another, each behind a client-link proxy, and with `links` behind replication and
 * ZooKeeper proxies too (every proxy exists before the first broker starts: brokers advertise them); rng seeds the
 * proxies' jitter.
 */
export async function startBrokers(
  specs: BrokerSpec[],
  rng: () => number,
  links: ClusterLinks = {},
): Promise<ManagedBroker[]> {
  const out: ManagedBroker[] = [];
  const pending: FaultProxy[] = [];
  const track = (p: FaultProxy) => {
    pending.push(p);
    return p;
  };
  try {
    const ids = specs.map((s) => s.id);
    const plan = new Map<
      number,
      {
        client: FaultProxy;
        replicationIn: Map<number, FaultProxy>;
        zkLinks: FaultProxy[];
      }
    >();
    for (const id of ids) {
      const client = track(await listening(`client→broker-${id}`, '127.0.0.1', 0, rng));
      // Target ports are set once the broker has bound its listeners (syncReplicationPorts). The pair id→id is
      // never used (a broker does not fetch from itself), but every listener name must be advertised.
      const replicationIn = new Map<number, FaultProxy>();
      if (links.replication)
        for (const f of ids)
          replicationIn.set(f, track(await listening(`broker-${f}→broker-${id}`, '127.0.0.1', 0, rng)));
      const zkLinks: FaultProxy[] = [];
      for (const [n, addr] of (links.zookeeper?.nodes ?? []).entries()) {
        const { host, port } = hostPort(addr);
        zkLinks.push(track(await listening(`broker-${id}→zookeeper-${n}`, host, port, rng)));
      }
      plan.set(id, { client, replicationIn, zkLinks });
    }
    for (const spec of specs) {
      const p = plan.get(spec.id)!;
      const dataDir = makeTempDir(`fault-broker-${spec.id}-`);
      const diskUnavailable = spec.diskMiB ? mountTmpfs(dataDir, spec.diskMiB) : 'no disk limit configured';
      const overrides: Record<string, string> = {
        'broker.id': String(spec.id),
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.client.port}`,
        ...spec.overrides,
      };
      let extraListeners: string | undefined;
      if (links.replication) {
        // Listener REPLICATION_FROM_<F> on a port of its own; advertised at the F→this proxy.
        const names = ids.map(replicationListener);
        extraListeners = ids.map((f) => `${replicationListener(f)}://127.0.0.1:0`).join(',');
        const advertised = ids.map((f) => `${replicationListener(f)}://127.0.0.1:${p.replicationIn.get(f)!.port}`);
        overrides['advertised.listeners'] = [overrides['advertised.listeners'], ...advertised].join(',');
        overrides['listener.security.protocol.map'] = ['PLAINTEXT', ...names].map((n) => `${n}:PLAINTEXT`).join(',');
        overrides['inter.broker.listener.name'] = replicationListener(spec.id);
      }
      if (links.zookeeper) {
        overrides['zookeeper.connect'] = p.zkLinks.map((z) => z.address).join(',') + links.zookeeper.chroot;
      }
      if (spec.clock) writeFileSync(spec.clock.file, offsetSpec(0));
      const env = spec.clock ? faketimeEnv(spec.clock.lib, spec.clock.file) : undefined;
      const handle = await startBrokerProcess({ dataDir, overrides, extraListeners, env });
      p.client.target.port = handle.port;
      const b = new ManagedBroker(
        spec.id,
        handle,
        { client: p.client, replicationIn: p.replicationIn, zkLinks: p.zkLinks },
        diskUnavailable,
      );
      b.clockFile = spec.clock?.file;
      out.push(b);
      await b.syncReplicationPorts();
    }
    return out;
  } catch (err) {
    for (const b of out) await b.close();
    for (const p of pending) await p.close().catch(() => {});
    throw err;
  }
}
