// One ZooKeeper session over a sequence of connections (ClientCnxn's job in the Java client).
//
// - Requests get increasing xids; the server answers a connection's requests in order, so replies are matched to
//   the head of the in-flight queue (a reply for another xid means the stream is out of sync: drop the connection).
// - Pings (xid -2) go out when nothing was sent for a third of the session timeout; a connection that received
//   nothing for two thirds of it is dropped. On a lost connection every in-flight request fails CONNECTION_LOSS (it
//   may or may not have been applied), the state becomes 'disconnected', and the session reconnects to the servers
//   in turn with its id and password. Requests made while disconnected wait and are sent after the reconnect.
// - Watches live here, per path and kind (data / exist / child), and are set again on the new server with
//   SetWatches (xid -8, relative to the last zxid seen) before anything else, so none is lost across servers.
// - 'expired' when a server refuses the session (timeout 0 in the ConnectResponse) or when no server was heard for
//   4/3 of the session timeout (the server has expired it by then, unless the whole ensemble lost its quorum; being
//   early is safe, being late is not). Everything pending fails SESSION_EXPIRED and so does every later call.
// - The chroot is prefixed to every path sent and stripped from every path returned (created paths, watch events).
import {
  ANY_VERSION,
  CoordinationError,
  type CoordinationErrorCode,
  type CoordinationSession,
  type CreateMode,
  type Op,
  type OpResult,
  type SessionState,
  type Stat,
  type Watcher,
} from '../store.ts';
import { checkArgs, validatePath } from './args.ts';
import { type ConnectResponse, type FrameHandler, type ServerAddress, ZkConnection } from './connection.ts';
import { CREATE_FLAGS, errorCodeOf, JuteReader, JuteWriter, OpCode, Xid, zkErrorName } from './jute.ts';
import { WatchRegistry } from './watches.ts';

/**
 * The session's clock for its timeouts (pings, a silent connection, no server heard for 4/3 of the session timeout,
 * connect deadlines): monotonic, as ZooKeeper's own client (System.nanoTime). With the wall clock a step of it (NTP,
 * an operator's `date -s`) either way made the broker drop its connection and declare its session expired, or stop
 * pinging until the clock caught up (found by the fault harness's clock-skew kind).
 */
export const monotonicMs = (): number => performance.now();

export interface SessionConfig {
  readonly servers: readonly ServerAddress[];
  /** '' or a path like '/tributary' (no trailing slash). */
  readonly chroot: string;
  readonly sessionTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  /** Attach to an existing session (its id and password) instead of creating one. */
  readonly resume?: { readonly sessionId: bigint; readonly password: Uint8Array } | undefined;
}

const ERR_NO_NODE = -101;
const ERR_SESSION_EXPIRED = -112;
const ERR_SESSION_MOVED = -118;
/** SetWatches requests are split so none gets near jute.maxbuffer (ClientCnxn uses the same bound). */
const SET_WATCHES_MAX_CHARS = 128 * 1024;
const PING_FRAME = Buffer.from([0, 0, 0, 8, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, OpCode.ping]);

interface Request {
  readonly xid: number;
  readonly opcode: number;
  readonly frame: Buffer;
  /** The path as the caller gave it (for errors); '' for requests without one. */
  readonly path: string;
  /** The path as sent (with the chroot): the key of a watch set by this request. */
  readonly serverPath: string;
  readonly watcher: Watcher | undefined;
  readonly ops: readonly Op[] | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** First-in first-out without shifting the array on every reply. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  drain(): T[] {
    const out = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ZooKeeperSession implements CoordinationSession, FrameHandler {
  readonly #config: SessionConfig;
  readonly #servers: ServerAddress[];
  #nextServer = 0;
  #sessionId = 0n;
  #password: Uint8Array = new Uint8Array(16);
  #timeoutMs: number;
  #lastZxid = 0n;
  #lastHeard = 0;
  #state: SessionState = 'disconnected';
  #closing = false;
  #closed = false;
  #conn: ZkConnection | undefined;
  #reconnecting = false;
  #timer: NodeJS.Timeout | undefined;
  #tickMs = 0;
  #lastTick = 0;
  #xid = 1;
  readonly #writer = new JuteWriter();
  readonly #reader = new JuteReader();
  readonly #inflight = new Fifo<Request>();
  /** Requests made while disconnected, sent after the reconnect (their xids are already assigned, in order). */
  readonly #outbox = new Fifo<Request>();
  readonly #watches = new WatchRegistry();
  readonly #listeners = new Set<(state: SessionState) => void>();

  constructor(config: SessionConfig) {
    this.#config = config;
    // Spread sessions over the ensemble: start at a random server, then go round.
    this.#servers = [...config.servers];
    this.#nextServer = Math.floor(Math.random() * this.#servers.length);
    this.#timeoutMs = config.sessionTimeoutMs;
    if (config.resume !== undefined) {
      this.#sessionId = config.resume.sessionId;
      this.#password = config.resume.password;
    }
  }

  get sessionId(): bigint {
    return this.#sessionId;
  }

  /** The session's password: with the id, another connection can attach to the session (tests use this). */
  get password(): Uint8Array {
    return this.#password;
  }

  get sessionTimeoutMs(): number {
    return this.#timeoutMs;
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The server the session is connected to, for logs ('' when disconnected). */
  get server(): string {
    const c = this.#conn;
    return c === undefined ? '' : `${c.server.host}:${c.server.port}`;
  }

  /** Establishes the session (first connection). Rejects with CONNECTION_LOSS when no server answers in time. */
  async open(): Promise<void> {
    this.#lastHeard = monotonicMs();
    const deadline = monotonicMs() + this.#config.connectionTimeoutMs;
    this.#reconnecting = true;
    const reason = await this.#connectLoop(deadline).finally(() => {
      this.#reconnecting = false;
    });
    if (this.#state === 'connected') {
      // Fine enough that a dead connection is noticed soon after 2/3 of the timeout: the session then has the last
      // third to reach another server before the ensemble expires it.
      this.#tickMs = Math.max(10, Math.min(200, Math.floor(this.#timeoutMs / 20)));
      this.#lastTick = monotonicMs();
      this.#timer = setInterval(() => this.#tick(), this.#tickMs);
      return;
    }
    this.#stop();
    if (this.#state === 'expired') {
      throw new CoordinationError('SESSION_EXPIRED', undefined, 'the session to resume has expired');
    }
    throw new CoordinationError(
      'CONNECTION_LOSS',
      undefined,
      `could not connect to ZooKeeper (${this.#servers.map((s) => `${s.host}:${s.port}`).join(',')}) within ${this.#config.connectionTimeoutMs} ms: ${reason}`,
    );
  }

  // ---- the CoordinationSession API ----

  create(path: string, data: Uint8Array, mode: CreateMode = 'persistent'): Promise<string> {
    try {
      checkArgs(path, data, mode, undefined);
      const serverPath = this.#abs(path, mode === 'persistent_sequential' || mode === 'ephemeral_sequential');
      const w = this.#begin(OpCode.create);
      w.ustring(serverPath).buffer(data).openAcl().int(CREATE_FLAGS[mode]);
      return this.#send(OpCode.create, path, serverPath, undefined, undefined) as Promise<string>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Uint8Array; stat: Stat }> {
    try {
      const serverPath = this.#abs(path, false);
      this.#begin(OpCode.getData)
        .ustring(serverPath)
        .bool(watcher !== undefined);
      return this.#send(OpCode.getData, path, serverPath, watcher, undefined) as Promise<{
        data: Uint8Array;
        stat: Stat;
      }>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    try {
      const serverPath = this.#abs(path, false);
      this.#begin(OpCode.exists)
        .ustring(serverPath)
        .bool(watcher !== undefined);
      return this.#send(OpCode.exists, path, serverPath, watcher, undefined) as Promise<Stat | null>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    try {
      const serverPath = this.#abs(path, false);
      this.#begin(OpCode.getChildren)
        .ustring(serverPath)
        .bool(watcher !== undefined);
      return this.#send(OpCode.getChildren, path, serverPath, watcher, undefined) as Promise<string[]>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  setData(path: string, data: Uint8Array, version: number = ANY_VERSION): Promise<Stat> {
    try {
      checkArgs(path, data, undefined, version);
      const serverPath = this.#abs(path, false);
      this.#begin(OpCode.setData).ustring(serverPath).buffer(data).int(version);
      return this.#send(OpCode.setData, path, serverPath, undefined, undefined) as Promise<Stat>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  delete(path: string, version: number = ANY_VERSION): Promise<void> {
    try {
      checkArgs(path, undefined, undefined, version);
      const serverPath = this.#abs(path, false);
      this.#begin(OpCode.delete).ustring(serverPath).int(version);
      return this.#send(OpCode.delete, path, serverPath, undefined, undefined) as Promise<void>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  multi(ops: readonly Op[]): Promise<OpResult[]> {
    try {
      // Validate every path before anything is encoded (the writer holds one frame at a time).
      const serverPaths = ops.map((op) => {
        if (op.op === 'create') checkArgs(op.path, op.data, op.mode, undefined);
        else if (op.op === 'setData') checkArgs(op.path, op.data, undefined, op.version);
        else if (op.op === 'delete' || op.op === 'check') checkArgs(op.path, undefined, undefined, op.version);
        else throw new CoordinationError('BAD_ARGUMENTS', undefined, `unknown multi operation ${JSON.stringify(op)}`);
        return this.#abs(
          op.path,
          op.op === 'create' && (op.mode === 'persistent_sequential' || op.mode === 'ephemeral_sequential'),
        );
      });
      if (ops.length === 0) {
        this.#usable();
        return Promise.resolve([]);
      }
      const w = this.#begin(OpCode.multi);
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i] as Op;
        const serverPath = serverPaths[i] as string;
        switch (op.op) {
          case 'create':
            w.int(OpCode.create).bool(false).int(-1);
            w.ustring(serverPath).buffer(op.data).openAcl().int(CREATE_FLAGS[op.mode]);
            break;
          case 'setData':
            w.int(OpCode.setData).bool(false).int(-1);
            w.ustring(serverPath).buffer(op.data).int(op.version);
            break;
          case 'delete':
            w.int(OpCode.delete).bool(false).int(-1);
            w.ustring(serverPath).int(op.version);
            break;
          case 'check':
            w.int(OpCode.check).bool(false).int(-1);
            w.ustring(serverPath).int(op.version);
            break;
        }
      }
      w.int(-1).bool(true).int(-1);
      return this.#send(OpCode.multi, '', '', undefined, ops) as Promise<OpResult[]>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * ZooKeeper's sync: resolves once the server this session reads from has applied every change committed before
   * the call, so reads after it see changes other sessions made through other servers. (Not in the interface:
   * ZooKeeper gives each session its own ordered view; only tests that read across sessions need this.)
   */
  sync(path = '/'): Promise<void> {
    try {
      const serverPath = this.#abs(path, false);
      this.#begin(OpCode.sync).ustring(serverPath);
      return this.#send(OpCode.sync, path, serverPath, undefined, undefined) as Promise<void>;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  onStateChange(listener: (state: SessionState) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Sends CloseSession and waits for its answer (at most the session timeout), so the server deletes the ephemeral
   * nodes at once. While disconnected nothing can be sent: the session then ends by expiring on the server.
   */
  async close(): Promise<void> {
    if (this.#closing || this.#closed) return;
    if (this.#state === 'expired') {
      this.#closed = true;
      this.#stop();
      return;
    }
    let closeReply: Promise<unknown> | undefined;
    if (this.#conn !== undefined) {
      this.#begin(OpCode.closeSession);
      closeReply = this.#send(OpCode.closeSession, '', '', undefined, undefined).catch(() => undefined);
    }
    this.#closing = true;
    // Nothing waiting for a reconnect will be sent now.
    for (const r of this.#outbox.drain()) r.reject(new CoordinationError('SESSION_CLOSED', r.path || undefined));
    if (closeReply !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closeReply, new Promise<void>((r) => (timer = setTimeout(r, this.#timeoutMs)))]);
      clearTimeout(timer);
    }
    this.#closed = true;
    this.#stop();
    this.#failAll('SESSION_CLOSED', 'the session was closed');
  }

  // ---- requests ----

  /** Throws unless requests may be made: the session is neither closed nor expired. */
  #usable(): void {
    if (this.#closing || this.#closed)
      throw new CoordinationError('SESSION_CLOSED', undefined, 'the session is closed');
    if (this.#state === 'expired') {
      throw new CoordinationError(
        'SESSION_EXPIRED',
        undefined,
        `session 0x${this.#sessionId.toString(16)} has expired`,
      );
    }
  }

  /** Starts a request frame (RequestHeader with the next xid) in the shared writer. */
  #begin(opcode: number): JuteWriter {
    this.#usable();
    const xid = this.#xid;
    // Negative xids are reserved (notification, ping, auth, SetWatches).
    this.#xid = xid === 0x7fffffff ? 1 : xid + 1;
    this.#writer.begin();
    return this.#writer.int(xid).int(opcode);
  }

  #send(
    opcode: number,
    path: string,
    serverPath: string,
    watcher: Watcher | undefined,
    ops: readonly Op[] | undefined,
  ): Promise<unknown> {
    const frame = this.#writer.finish();
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const request: Request = {
      xid: frame.readInt32BE(4),
      opcode,
      frame,
      path,
      serverPath,
      watcher,
      ops,
      resolve,
      reject,
    };
    const conn = this.#conn;
    if (conn !== undefined && this.#state === 'connected') {
      this.#inflight.push(request);
      conn.write(frame);
    } else {
      this.#outbox.push(request);
    }
    return promise;
  }

  // ---- replies ----

  onFrame(conn: ZkConnection, frame: Buffer): void {
    if (conn !== this.#conn) return;
    this.#lastHeard = monotonicMs();
    const r = this.#reader;
    r.reset(frame);
    const xid = r.int();
    const zxid = r.long();
    const err = r.int();
    if (xid === Xid.notification) {
      const type = r.int();
      r.int(); // keeper state: always SyncConnected on a live connection
      this.#notify(type, r.ustring());
      return;
    }
    if (xid === Xid.ping) return;
    if (xid === Xid.setWatches) {
      if (err !== 0) this.#drop(`SetWatches failed: ${zkErrorName(err)}`);
      return;
    }
    const request = this.#inflight.shift();
    if (request === undefined || request.xid !== xid) {
      if (request !== undefined) this.#failRequest(request, 'CONNECTION_LOSS', 'reply out of order');
      throw new Error(`reply for xid ${xid}, expected ${request?.xid ?? 'none'}`);
    }
    if (zxid > this.#lastZxid) this.#lastZxid = zxid;
    this.#complete(request, err, r);
  }

  onClose(conn: ZkConnection, reason: string): void {
    if (conn !== this.#conn) return;
    this.#drop(reason);
  }

  #complete(req: Request, err: number, r: JuteReader): void {
    if (err === 0) {
      let value: unknown;
      switch (req.opcode) {
        case OpCode.create:
          value = this.#rel(r.ustring());
          break;
        case OpCode.getData: {
          const data = r.buffer();
          value = { data, stat: r.stat() };
          if (req.watcher !== undefined) this.#watches.add('data', req.serverPath, req.watcher);
          break;
        }
        case OpCode.exists:
          value = r.stat();
          if (req.watcher !== undefined) this.#watches.add('data', req.serverPath, req.watcher);
          break;
        case OpCode.getChildren:
          value = r.ustrings();
          if (req.watcher !== undefined) this.#watches.add('child', req.serverPath, req.watcher);
          break;
        case OpCode.setData:
          value = r.stat();
          break;
        case OpCode.multi:
          this.#completeMulti(req, r);
          return;
        default:
          value = undefined;
      }
      req.resolve(value);
      return;
    }
    if (err === ERR_NO_NODE && req.opcode === OpCode.exists) {
      if (req.watcher !== undefined) this.#watches.add('exist', req.serverPath, req.watcher);
      req.resolve(null);
      return;
    }
    req.reject(new CoordinationError(errorCodeOf(err), req.path || undefined, this.#message(req.path, err)));
    if (err === ERR_SESSION_EXPIRED) this.#expire('the server reports the session expired');
    else if (err === ERR_SESSION_MOVED) this.#drop('the session moved to another server');
  }

  /** MultiResponse: (MultiHeader, result)* ending with a header whose done is true. */
  #completeMulti(req: Request, r: JuteReader): void {
    const ops = req.ops as readonly Op[];
    const results: OpResult[] = [];
    let failed = -1;
    let failedErr = 0;
    for (let i = 0; ; i++) {
      const type = r.int();
      const done = r.bool();
      r.int(); // err in the header; an error result carries its own
      if (done) break;
      switch (type) {
        case OpCode.create:
          results.push({ op: 'create', path: this.#rel(r.ustring()) });
          break;
        case 15: // create2
          results.push({ op: 'create', path: this.#rel(r.ustring()) });
          r.stat();
          break;
        case OpCode.setData:
          results.push({ op: 'setData', stat: r.stat() });
          break;
        case OpCode.delete:
          results.push({ op: 'delete' });
          break;
        case OpCode.check:
          results.push({ op: 'check' });
          break;
        case OpCode.error: {
          // The failing operation has its error; those before it 0, those after it RuntimeInconsistency.
          const e = r.int();
          if (e !== 0 && failed < 0) {
            failed = i;
            failedErr = e;
          }
          break;
        }
        default:
          throw new Error(`unexpected result type ${type} in a multi response`);
      }
    }
    if (failed < 0) {
      req.resolve(results);
      return;
    }
    const op = ops[failed];
    const message = `${errorCodeOf(failedErr)} (${op?.path}): multi operation ${failed} (${op?.op}) failed: ZooKeeper ${zkErrorName(failedErr)}`;
    req.reject(new CoordinationError(errorCodeOf(failedErr), op?.path, message, failed));
  }

  #message(path: string, err: number): string {
    const code = errorCodeOf(err);
    return `${code}${path !== '' ? ` (${path})` : ''}: ZooKeeper ${zkErrorName(err)}`;
  }

  #failRequest(req: Request, code: CoordinationErrorCode, why: string): void {
    req.reject(
      new CoordinationError(code, req.path || undefined, `${code}${req.path ? ` (${req.path})` : ''}: ${why}`),
    );
  }

  #failAll(code: CoordinationErrorCode, why: string): void {
    for (const r of this.#inflight.drain()) this.#failRequest(r, code, why);
    for (const r of this.#outbox.drain()) this.#failRequest(r, code, why);
  }

  // ---- watches ----

  #notify(type: number, serverPath: string): void {
    const fired = this.#watches.take(type, serverPath);
    if (fired === undefined || fired.watchers.size === 0) return;
    const event = { type: fired.type, path: this.#rel(serverPath) };
    for (const watcher of fired.watchers) {
      try {
        watcher(event);
      } catch (e) {
        // A watcher's bug must not break the session's bookkeeping; it still surfaces as an uncaught error.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** SetWatches for every watch held, in batches, before any other request on a new connection. */
  #resendWatches(conn: ZkConnection): void {
    const { data, exist, child } = this.#watches.paths();
    const lists = [data, exist, child];
    const batch: string[][] = [[], [], []];
    let chars = 0;
    const flush = () => {
      const w = this.#writer;
      w.begin();
      w.int(Xid.setWatches).int(OpCode.setWatches).long(this.#lastZxid);
      for (const paths of batch) w.ustrings(paths);
      conn.write(w.finish());
      for (const paths of batch) paths.length = 0;
      chars = 0;
    };
    for (let k = 0; k < 3; k++) {
      for (const path of lists[k] as string[]) {
        (batch[k] as string[]).push(path);
        chars += path.length;
        if (chars >= SET_WATCHES_MAX_CHARS) flush();
      }
    }
    if (batch.some((paths) => paths.length > 0)) flush();
  }

  // ---- connection life ----

  /**
   * Tries the servers in turn until one accepts the session, the session expires, it is closed, or `deadline`
   * passes (the first connect only). Returns the last failure's reason.
   */
  async #connectLoop(deadline: number | undefined): Promise<string> {
    let reason = 'no server tried';
    let failures = 0;
    const n = this.#servers.length;
    while (!this.#closing && !this.#closed && this.#state !== 'expired') {
      const server = this.#servers[this.#nextServer] as ServerAddress;
      this.#nextServer = (this.#nextServer + 1) % n;
      const attemptTimeout = Math.max(100, Math.floor(this.#timeoutMs / n));
      try {
        const { connection, response } = await ZkConnection.open(
          server,
          {
            lastZxidSeen: this.#lastZxid,
            timeoutMs: this.#timeoutMs,
            sessionId: this.#sessionId,
            password: this.#password,
          },
          attemptTimeout,
          this,
        );
        // Adopted, unless it was lost again while held frames were delivered: then keep trying.
        if (this.#established(connection, response) && this.#conn === connection) return '';
        if ((this.#state as SessionState) === 'expired') return 'the session expired';
      } catch (e) {
        reason = (e as Error).message;
      }
      if (deadline !== undefined && monotonicMs() >= deadline) return reason;
      if (++failures % n === 0) await sleep(Math.max(20, Math.min(250, Math.floor(this.#timeoutMs / 20))));
    }
    return reason;
  }

  /** A connection completed the handshake: adopt it (true), or drop it if the session cannot use it. */
  #established(conn: ZkConnection, response: ConnectResponse): boolean {
    if (this.#closing || this.#closed || this.#state === 'expired') {
      conn.close();
      return false;
    }
    if (response.timeoutMs <= 0 || (this.#sessionId !== 0n && response.sessionId !== this.#sessionId)) {
      conn.close();
      this.#expire(`the server refused session 0x${this.#sessionId.toString(16)}: it has expired`);
      return false;
    }
    this.#sessionId = response.sessionId;
    this.#password = response.password;
    this.#timeoutMs = response.timeoutMs;
    this.#lastHeard = monotonicMs(); // the ensemble has just confirmed the session
    if (conn.closed) return false; // gone again already: try the next server
    conn.lastRecv = this.#lastHeard;
    this.#conn = conn;
    this.#resendWatches(conn);
    for (let r = this.#outbox.shift(); r !== undefined; r = this.#outbox.shift()) {
      this.#inflight.push(r);
      conn.write(r.frame);
    }
    this.#setState('connected');
    conn.release();
    return true;
  }

  /** Drops the current connection: in-flight requests fail CONNECTION_LOSS, then reconnect. */
  #drop(reason: string): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    this.#conn = undefined;
    conn.close();
    for (const r of this.#inflight.drain()) {
      this.#failRequest(r, 'CONNECTION_LOSS', `connection to ${conn.server.host}:${conn.server.port} lost: ${reason}`);
    }
    if (this.#closing || this.#closed) return;
    this.#setState('disconnected');
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    this.#connectLoop(undefined)
      .catch(() => '')
      .finally(() => {
        this.#reconnecting = false;
      });
  }

  #tick(): void {
    const now = monotonicMs();
    const late = now - this.#lastTick > 3 * this.#tickMs;
    this.#lastTick = now;
    // The process did not run for a while (a long GC, a blocked loop, SIGSTOP): replies may be waiting in the socket,
    // so let I/O run before judging the connection silent. The next tick judges.
    if (late) return;
    const conn = this.#conn;
    if (conn !== undefined) {
      const readTimeout = Math.floor((this.#timeoutMs * 2) / 3);
      if (now - conn.lastRecv > readTimeout) {
        this.#drop(`nothing received for ${now - conn.lastRecv} ms`);
      } else if (now - conn.lastSend >= this.#timeoutMs / 3) {
        conn.write(PING_FRAME);
      }
    } else if (this.#state === 'disconnected' && now - this.#lastHeard > (this.#timeoutMs * 4) / 3) {
      this.#expire(`no ZooKeeper server reachable for ${now - this.#lastHeard} ms`);
      this.#endAbandoned();
    }
  }

  /**
   * After an expiry decided here (no server heard for 4/3 of the timeout), the ensemble may still hold the session:
   * if it lost its quorum meanwhile, it restarts every session's clock when it recovers. Its ephemeral nodes would
   * then linger for another timeout and block the owner's re-registration under a new session (KAFKA-7165's class of
   * bug). So once a server answers, attach to the old session with its id and password and close it. Best effort,
   * for at most twice the session timeout; a server that already expired it refuses the attach, which is fine.
   */
  #endAbandoned(): void {
    const twin = new ZooKeeperSession({
      servers: this.#servers,
      chroot: '',
      sessionTimeoutMs: this.#timeoutMs,
      connectionTimeoutMs: 2 * this.#timeoutMs,
      resume: { sessionId: this.#sessionId, password: this.#password },
    });
    twin.open().then(
      () => twin.close(),
      () => undefined,
    );
  }

  #expire(reason: string): void {
    if (this.#state === 'expired') return;
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.close();
    this.#stop();
    this.#watches.clear();
    this.#setState('expired');
    this.#failAll('SESSION_EXPIRED', `session 0x${this.#sessionId.toString(16)} expired: ${reason}`);
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.close();
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of this.#listeners) {
      try {
        listener(state);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  // ---- chroot ----

  #abs(path: string, sequential: boolean): string {
    validatePath(path, sequential);
    const chroot = this.#config.chroot;
    if (chroot === '') return path;
    return path === '/' ? chroot : chroot + path;
  }

  #rel(serverPath: string): string {
    const chroot = this.#config.chroot;
    if (chroot === '' || !serverPath.startsWith(chroot)) return serverPath;
    if (serverPath.length === chroot.length) return '/';
    return serverPath[chroot.length] === '/' ? serverPath.slice(chroot.length) : serverPath;
  }
}
