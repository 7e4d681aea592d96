// A loopback TCP proxy that injects network faults on one path (client→broker, broker→broker, broker→ZooKeeper).
//
// Every accepted connection is paired with a connection to the target; bytes are pumped in both directions through
// a per-direction queue, so faults apply per direction and keep the byte order of a TCP stream:
//   - delay(ms, jitter): each chunk is released `ms` (+ up to `jitter`) after it arrived, never before an earlier one
//   - cut(dir):  bytes are held (a partition TCP rides out by retransmitting); heal() releases them in order. While
//                held, the source socket is paused once the queue is large, as TCP's window would close.
//   - drop(dir): bytes are discarded (a partition long enough for TCP to give up); heal() resets every connection
//                that lost bytes, because its stream can no longer be parsed.
//   - reset(): closes every open connection now; refuse(true): new connections are closed on accept.
// All of it is controlled in-process (no iptables, no root), so a test can partition one path and not another.
import net from 'node:net';

export type Direction = 'up' | 'down' | 'both';
export type LinkMode = 'pass' | 'hold' | 'drop';

interface LinkState {
  mode: LinkMode;
  delayMs: number;
  jitterMs: number;
}

const HIGH_WATER = 1 << 20;

/** One direction of one connection: bytes from `src` queued for `dst`. */
class Pump {
  readonly queue: Array<{ chunk: Buffer; at: number }> = [];
  queued = 0;
  lastAt = 0;
  timer: NodeJS.Timeout | undefined;
  lost = false;
  readonly src: net.Socket;
  readonly dst: net.Socket;
  readonly state: () => LinkState;
  readonly rng: () => number;
  readonly onBytes: (n: number) => void;

  constructor(
    src: net.Socket,
    dst: net.Socket,
    state: () => LinkState,
    rng: () => number,
    onBytes: (n: number) => void,
  ) {
    this.src = src;
    this.dst = dst;
    this.state = state;
    this.rng = rng;
    this.onBytes = onBytes;
    src.on('data', (chunk: Buffer) => this.push(chunk));
  }

  push(chunk: Buffer): void {
    const s = this.state();
    if (s.mode === 'drop') {
      this.lost = true;
      return;
    }
    const delay = s.delayMs + (s.jitterMs > 0 ? Math.floor(this.rng() * s.jitterMs) : 0);
    const at = Math.max(this.lastAt, Date.now() + delay);
    this.lastAt = at;
    this.queue.push({ chunk, at });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.src.pause();
    this.pump();
  }

  pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const s = this.state();
    if (s.mode === 'hold') return;
    if (s.mode === 'drop') {
      // Whatever was queued when the link went down is lost too.
      if (this.queue.length > 0) this.lost = true;
      this.queue.length = 0;
      this.queued = 0;
      this.src.resume();
      return;
    }
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { chunk } = this.queue.shift()!;
      this.queued -= chunk.length;
      if (!this.dst.destroyed) this.dst.write(chunk);
      this.onBytes(chunk.length);
    }
    if (this.queued <= HIGH_WATER / 2 && this.src.isPaused()) this.src.resume();
    if (this.queue.length > 0) this.timer = setTimeout(() => this.pump(), this.queue[0]!.at - now);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface Conn {
  client: net.Socket;
  upstream: net.Socket;
  up: Pump;
  down: Pump;
}

export interface ProxyStats {
  accepted: number;
  refused: number;
  reset: number;
  bytesUp: number;
  bytesDown: number;
  open: number;
}

export interface ProxyOptions {
  /** Shown in fault histories: e.g. `client→broker-0`. */
  name: string;
  target: { host: string; port: number };
  /** Random source for jitter (seeded by the fault schedule). Default Math.random. */
  rng?: () => number;
}

export class FaultProxy {
  readonly name: string;
  target: { host: string; port: number };
  readonly stats: ProxyStats = { accepted: 0, refused: 0, reset: 0, bytesUp: 0, bytesDown: 0, open: 0 };
  #server: net.Server;
  #conns = new Set<Conn>();
  #up: LinkState = { mode: 'pass', delayMs: 0, jitterMs: 0 };
  #down: LinkState = { mode: 'pass', delayMs: 0, jitterMs: 0 };
  #refuse = false;
  #rng: () => number;
  #port = 0;

  constructor(opts: ProxyOptions) {
    this.name = opts.name;
    this.target = { ...opts.target };
    this.#rng = opts.rng ?? Math.random;
    this.#server = net.createServer((c) => this.#accept(c));
  }

  get port(): number {
    return this.#port;
  }

  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Listens on 127.0.0.1 (port 0: any free port); resolves to the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this.#port;
  }

  /** Current state of each direction, for fault histories. */
  describe(): { up: LinkState; down: LinkState; refuse: boolean } {
    return { up: { ...this.#up }, down: { ...this.#down }, refuse: this.#refuse };
  }

  #states(dir: Direction): LinkState[] {
    return dir === 'up' ? [this.#up] : dir === 'down' ? [this.#down] : [this.#up, this.#down];
  }

  /** Holds bytes in `dir` until heal(). */
  cut(dir: Direction = 'both'): void {
    for (const s of this.#states(dir)) s.mode = 'hold';
    this.#kick();
  }

  /** Discards bytes in `dir`; heal() then resets the connections that lost bytes. */
  drop(dir: Direction = 'both'): void {
    for (const s of this.#states(dir)) s.mode = 'drop';
    this.#kick();
  }

  /** Delays every chunk in `dir` by `ms` plus up to `jitterMs` (order kept). */
  delay(ms: number, jitterMs = 0, dir: Direction = 'both'): void {
    for (const s of this.#states(dir)) {
      s.delayMs = ms;
      s.jitterMs = jitterMs;
    }
  }

  /** New connections are closed on accept while on. */
  refuse(on: boolean): void {
    this.#refuse = on;
  }

  /** Back to a clean link: held bytes flow, delays end, connections that lost bytes are reset. */
  heal(): void {
    for (const s of [this.#up, this.#down]) {
      s.mode = 'pass';
      s.delayMs = 0;
      s.jitterMs = 0;
    }
    this.#refuse = false;
    for (const c of [...this.#conns]) {
      if (c.up.lost || c.down.lost) this.#destroy(c);
    }
    this.#kick();
  }

  /** Closes every open connection (both ends see a reset). */
  reset(): void {
    for (const c of [...this.#conns]) this.#destroy(c);
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #kick(): void {
    for (const c of this.#conns) {
      c.up.pump();
      c.down.pump();
    }
  }

  #destroy(c: Conn): void {
    if (!this.#conns.delete(c)) return;
    this.stats.reset++;
    this.stats.open = this.#conns.size;
    c.up.stop();
    c.down.stop();
    c.client.resetAndDestroy();
    c.upstream.resetAndDestroy();
  }

  #accept(client: net.Socket): void {
    if (this.#refuse) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const conn: Conn = {
      client,
      upstream,
      up: new Pump(
        client,
        upstream,
        () => this.#up,
        this.#rng,
        (n) => {
          this.stats.bytesUp += n;
        },
      ),
      down: new Pump(
        upstream,
        client,
        () => this.#down,
        this.#rng,
        (n) => {
          this.stats.bytesDown += n;
        },
      ),
    };
    this.#conns.add(conn);
    this.stats.open = this.#conns.size;
    const close = () => {
      if (!this.#conns.delete(conn)) return;
      this.stats.open = this.#conns.size;
      conn.up.stop();
      conn.down.stop();
      client.destroy();
      upstream.destroy();
    };
    // A half close is passed on once the queued bytes of that direction went out; errors close both ends.
    client.on('end', () => this.#whenDrained(conn.up, () => upstream.end()));
    upstream.on('end', () => this.#whenDrained(conn.down, () => client.end()));
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  #whenDrained(p: Pump, fn: () => void): void {
    if (p.queue.length === 0) {
      fn();
      return;
    }
    const t = setInterval(() => {
      if (p.queue.length === 0 || p.dst.destroyed) {
        clearInterval(t);
        fn();
      }
    }, 20);
  }
}
