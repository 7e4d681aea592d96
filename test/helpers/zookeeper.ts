// Starts a real Apache ZooKeeper ensemble (1 or 3 nodes) for tests, from Debian's `zookeeper` package
// (/usr/share/java/zookeeper.jar; .ci/run installs it). Each node is one JVM on 127.0.0.1 with its own free client,
// quorum and election ports and its own temp dataDir (myid). Nodes can be killed (-9), paused (SIGSTOP), resumed and
// restarted on the same ports and data. Everything started here is killed when the test process exits.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, makeTempDir } from './broker.ts';

const JAVA_DIR = '/usr/share/java';
/** zookeeper.jar's manifest names its own dependencies; slf4j-simple makes its log lines readable on stderr. */
const CLASSPATH = [`${JAVA_DIR}/zookeeper.jar`, `${JAVA_DIR}/slf4j-simple.jar`].join(':');
const READY_TIMEOUT_MS = 30_000;
const MAX_LOG_CHARS = 1024 * 1024;

export interface EnsembleOptions {
  /** 1 (standalone) or 3 (a quorum). Default 3. */
  nodes?: 1 | 3;
  /** ZooKeeper's tick; sessions may last 2..20 ticks by default, so tests use a small one. Default 100 ms. */
  tickTimeMs?: number;
}

export interface ZooKeeperNode {
  readonly id: number;
  readonly clientPort: number;
  readonly address: string;
  readonly dataDir: string;
  readonly proc: ChildProcess | undefined;
  readonly paused: boolean;
}

const liveProcs = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackProcess(p: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // makeTempDir (broker.ts) installs the SIGINT/SIGTERM → exit hooks and removes the temp dirs.
    process.on('exit', () => {
      for (const proc of liveProcs) {
        try {
          proc.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  liveProcs.add(p);
  p.once('exit', () => liveProcs.delete(p));
}

/** Sends a four-letter command and returns the server's answer ('' when it cannot be reached in time). */
export function fourLetter(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    let done = false;
    const sock = net.connect({ port, host: '127.0.0.1' });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    sock.once('error', finish);
    sock.once('close', finish);
    sock.once('connect', () => sock.write(command));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Linux: every task of the process is in state T (stopped) or t (traced). */
function allThreadsStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true; // gone
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      // "pid (comm) S ...": the state follows the last ')', as comm may contain spaces and parentheses.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'T' && state !== 't') return false;
    } catch {
      // the thread exited
    }
  }
  return true;
}

class Node implements ZooKeeperNode {
  readonly id: number;
  readonly clientPort: number;
  readonly dataDir: string;
  readonly configFile: string;
  proc: ChildProcess | undefined;
  paused = false;
  #log = '';

  constructor(id: number, clientPort: number, dataDir: string, configFile: string) {
    this.id = id;
    this.clientPort = clientPort;
    this.dataDir = dataDir;
    this.configFile = configFile;
  }

  get address(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  logs(): string {
    return this.#log;
  }

  start(): void {
    const args = [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-Dzookeeper.jmx.log4j.disable=true',
      '-cp',
      CLASSPATH,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      this.configFile,
    ];
    const proc = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackProcess(proc);
    const append = (d: Buffer) => {
      this.#log += d.toString('utf8');
      if (this.#log.length > MAX_LOG_CHARS) this.#log = this.#log.slice(-MAX_LOG_CHARS);
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    proc.once('exit', (code, signal) => {
      this.#log += `\n[zookeeper ${this.id} exited: code ${code} signal ${signal}]\n`;
    });
    this.proc = proc;
    this.paused = false;
  }

  async kill9(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    this.proc = undefined;
    this.paused = false;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await exited;
  }

  /** The mode `srvr` reports ('leader', 'follower', 'standalone'), or undefined when the node does not serve. */
  async mode(): Promise<string | undefined> {
    if (this.proc === undefined || this.paused) return undefined;
    const answer = await fourLetter(this.clientPort, 'srvr');
    return /^Mode: (\w+)/m.exec(answer)?.[1];
  }
}

export class ZooKeeperEnsemble {
  readonly nodes: readonly ZooKeeperNode[];
  readonly #nodes: Node[];

  constructor(nodes: Node[]) {
    this.#nodes = nodes;
    this.nodes = nodes;
  }

  /** `host:port,host:port,...` plus the chroot, if given (e.g. '/tributary'). */
  connectString(chroot = ''): string {
    return this.#nodes.map((n) => n.address).join(',') + chroot;
  }

  /** Resolves once every running, unpaused node serves requests (is leader, follower or standalone). */
  async waitServing(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const modes = await Promise.all(this.#nodes.map((n) => (n.proc && !n.paused ? n.mode() : 'down')));
      if (modes.every((m) => m !== undefined)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `ZooKeeper ensemble not serving within ${timeoutMs} ms (modes: ${modes.join(', ')})\n${this.logs()}`,
        );
      }
      for (const n of this.#nodes) {
        if (n.proc !== undefined && n.proc.exitCode !== null) {
          throw new Error(`ZooKeeper node ${n.id} exited during startup\n${n.logs()}`);
        }
      }
      await sleep(100);
    }
  }

  /** Index (into nodes) of the current leader (the standalone node for a 1-node ensemble). */
  async leader(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const modes = await Promise.all(this.#nodes.map((n) => n.mode()));
      const i = modes.findIndex((m) => m === 'leader' || m === 'standalone');
      if (i >= 0) return i;
      if (Date.now() > deadline) throw new Error(`no ZooKeeper leader within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  kill9(i: number): Promise<void> {
    return this.#node(i).kill9();
  }

  /**
   * SIGSTOP: the node keeps its sockets open but answers nothing. Resolves once every thread of the JVM is stopped
   * (a thread busy on another core may otherwise still answer a request sent right after the signal).
   */
  async pause(i: number): Promise<void> {
    const n = this.#node(i);
    const pid = n.proc?.pid;
    if (n.proc === undefined || pid === undefined || n.paused) return;
    n.proc.kill('SIGSTOP');
    n.paused = true;
    const deadline = Date.now() + 5000;
    while (!allThreadsStopped(pid)) {
      if (Date.now() > deadline) throw new Error(`ZooKeeper node ${n.id} (pid ${pid}) did not stop`);
      await sleep(5);
    }
  }

  resume(i: number): void {
    const n = this.#node(i);
    if (n.proc === undefined || !n.paused) return;
    n.proc.kill('SIGCONT');
    n.paused = false;
  }

  /** Starts a node that was killed (same ports, same data). Call waitServing() to wait for it. */
  start(i: number): void {
    const n = this.#node(i);
    if (n.proc !== undefined) throw new Error(`ZooKeeper node ${n.id} is running`);
    n.start();
  }

  async restart(i: number): Promise<void> {
    await this.kill9(i);
    this.start(i);
    await this.waitServing();
  }

  logs(): string {
    return this.#nodes.map((n) => `--- zookeeper ${n.id} ---\n${n.logs()}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.#nodes.map((n) => n.kill9()));
  }

  #node(i: number): Node {
    const n = this.#nodes[i];
    if (n === undefined) throw new Error(`no ZooKeeper node ${i}`);
    return n;
  }
}

/** Starts an ensemble and waits until every node serves. Stop it with `ensemble.stop()` (also done on exit). */
export async function startZooKeeper(options: EnsembleOptions = {}): Promise<ZooKeeperEnsemble> {
  if (!existsSync(`${JAVA_DIR}/zookeeper.jar`)) {
    throw new Error(
      `${JAVA_DIR}/zookeeper.jar not found: install Debian's ZooKeeper (apt-get install -y --no-install-recommends zookeeper)`,
    );
  }
  const count = options.nodes ?? 3;
  const tick = options.tickTimeMs ?? 100;
  const root = makeTempDir('tributary-zk-');
  const ports: { client: number; quorum: number; election: number }[] = [];
  for (let i = 0; i < count; i++) {
    ports.push({ client: await freePort(), quorum: await freePort(), election: await freePort() });
  }
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const id = i + 1;
    const dataDir = path.join(root, `zk${id}`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'myid'), `${id}\n`);
    const lines = [
      `tickTime=${tick}`,
      'initLimit=50',
      'syncLimit=10',
      `dataDir=${dataDir}`,
      `clientPort=${ports[i]?.client}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,ruok',
      `minSessionTimeout=${2 * tick}`,
      'maxSessionTimeout=30000',
      'forceSync=no',
      'preAllocSize=1024',
      'autopurge.purgeInterval=0',
    ];
    if (count > 1) {
      for (let j = 0; j < count; j++) {
        lines.push(`server.${j + 1}=127.0.0.1:${ports[j]?.quorum}:${ports[j]?.election}`);
      }
    }
    const configFile = path.join(root, `zoo${id}.cfg`);
    writeFileSync(configFile, `${lines.join('\n')}\n`);
    nodes.push(new Node(id, ports[i]?.client ?? 0, dataDir, configFile));
  }
  for (const n of nodes) n.start();
  const ensemble = new ZooKeeperEnsemble(nodes);
  try {
    await ensemble.waitServing();
  } catch (e) {
    await ensemble.stop();
    throw e;
  }
  return ensemble;
}
