// The in-memory coordination store: ZooKeeper's data model and semantics in one process, for single-process
// clusters (startCluster()), unit tests and the seeded simulations. Clock and scheduler are injected, so a
// simulation decides when session timeouts fire and when (and in which order) watch events and state changes reach
// their sessions. Test controls stand in for the faults of a real ensemble: expire a session, disconnect and
// reconnect it, pause its owner (a GC pause or SIGSTOP: heartbeats stop, so the session expires after its timeout).
//
// Semantics kept from ZooKeeper: one global zxid per transaction (a multi is one transaction), data versions for
// compare-and-set, cversion per parent (also the counter of sequential children), ephemerals deleted when their
// session ends, no children under ephemerals, one-shot data and child watches fired after the change is applied
// (each callback once per event), ZooKeeper's argument checks (BAD_ARGUMENTS), operations on a disconnected session
// failing with CONNECTION_LOSS and on an expired one with SESSION_EXPIRED. The conformance suite
// (test/helpers/coordination-conformance.ts) holds this store to the same contract as a real ensemble.
//
// Delivery order: by default a session gets its watch events and state changes in order, and a watch event before
// the answer to the request whose change triggered it (and before any later answer), as ZooKeeper guarantees. A
// simulation may pass deliveryDelayMs to delay and reorder deliveries instead: a harsher world than ZooKeeper's.
import {
  ANY_VERSION,
  CoordinationError,
  type CoordinationSession,
  type CoordinationStore,
  type CreateMode,
  type Op,
  type OpResult,
  type SessionOptions,
  type SessionState,
  type Stat,
  type WatchEventType,
  type Watcher,
} from './store.ts';

/** Runs `fn` after `delayMs` of the injected clock; returns a cancel function. */
export type Schedule = (delayMs: number, fn: () => void) => () => void;

export interface MemoryStoreOptions {
  /** Current time in ms (default Date.now). */
  readonly now?: () => number;
  /** Timer source (default setTimeout, unref'd). */
  readonly schedule?: Schedule;
  /** Delay before a watch event or state change reaches its session. Unset (the default): no timer, deliveries in
   * order and ahead of the answers that follow them, as ZooKeeper. Set (a simulation draws it at random): each
   * delivery on its own timer, so they are reordered and may reach the session after later answers. */
  readonly deliveryDelayMs?: () => number;
  /** Time a request takes to reach the ensemble (default 0: applied at once). A simulation draws it at random, so
   * an owner's requests may be in flight when it pauses or its session expires. */
  readonly requestDelayMs?: () => number;
  /** Bounds of the session timeout granted (ZooKeeper: 2 and 20 ticks). */
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  /** Observes every committed transaction (simulation checkers). Called synchronously before watches fire. */
  readonly onCommit?: (c: CommittedTxn) => void;
}

export interface CommittedTxn {
  readonly zxid: bigint;
  readonly sessionId: bigint;
  readonly ops: readonly Op[];
  readonly results: readonly OpResult[];
}

interface ZNode {
  data: Uint8Array;
  czxid: bigint;
  mzxid: bigint;
  version: number;
  cversion: number;
  ephemeralOwner: bigint;
  children: Set<string>;
}

interface WatchEntry {
  readonly session: MemorySession;
  readonly watcher: Watcher;
}

const realSchedule: Schedule = (delayMs, fn) => {
  const t = setTimeout(fn, delayMs);
  t.unref();
  return () => clearTimeout(t);
};

function cloneNode(n: ZNode): ZNode {
  return { ...n, children: new Set(n.children) };
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === 0 ? '/' : path.slice(0, i);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Why `path` is not a valid node path, or undefined when it is: ZooKeeper's PathUtils rules (a sequential create
 * validates path + "1"). `characters`: also refuse the characters ZooKeeper's server refuses where it validates the
 * whole path (create, setData, check); reads and delete of such a path answer as for any missing node, as they do
 * against a real server through our client (checked against ZooKeeper 3.8).
 */
function pathProblem(path: unknown, sequential: boolean, characters: boolean): string | undefined {
  if (typeof path !== 'string') return 'not a string';
  if (path.length === 0) return 'empty';
  if (path[0] !== '/') return 'must start with /';
  const p = sequential ? `${path}1` : path;
  if (p === '/') return undefined;
  if (p.endsWith('/')) return 'must not end with /';
  for (const name of p.slice(1).split('/')) {
    if (name === '') return 'empty node name';
    if (name === '.' || name === '..') return 'relative paths are not allowed';
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0) return 'null character';
      if (!characters) continue;
      // The characters ZooKeeper refuses in names: controls, surrogates and the private use area, specials.
      if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) {
        return `invalid character U+${c.toString(16).padStart(4, '0')}`;
      }
    }
  }
  return undefined;
}

const CREATE_MODES: ReadonlySet<unknown> = new Set<CreateMode>([
  'persistent',
  'ephemeral',
  'persistent_sequential',
  'ephemeral_sequential',
]);

function isSequential(mode: CreateMode): boolean {
  return mode === 'persistent_sequential' || mode === 'ephemeral_sequential';
}

/** Checks a call's arguments as ZooKeeper (client, then server) does: the path, create mode, data (bytes) and
 * version (an int32 of -1 or more). Throws BAD_ARGUMENTS (with `opIndex` inside a multi). */
function checkArgs(
  path: unknown,
  parts: { data?: unknown; mode?: unknown; version?: unknown; sequential?: boolean; characters?: boolean },
  opIndex?: number,
): void {
  const bad = (why: string): never => {
    throw new CoordinationError(
      'BAD_ARGUMENTS',
      typeof path === 'string' ? path : undefined,
      `${why} (${JSON.stringify(path)})`,
      opIndex,
    );
  };
  if ('mode' in parts && !CREATE_MODES.has(parts.mode)) bad(`unknown create mode ${JSON.stringify(parts.mode)}`);
  const problem = pathProblem(path, parts.sequential ?? false, parts.characters ?? false);
  if (problem !== undefined) bad(`invalid path: ${problem}`);
  if ('data' in parts && !(parts.data instanceof Uint8Array)) bad('data must be a Uint8Array');
  if ('version' in parts) {
    const v = parts.version;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < ANY_VERSION || v > 0x7fffffff) {
      bad(`bad version ${String(v)}: an integer from -1 to 2^31-1`);
    }
  }
}

/** Checks one operation of a multi() (or of a single-operation call) before anything is applied. */
function checkOp(op: Op, opIndex?: number): void {
  const o = op as Partial<Record<string, unknown>> | null;
  switch (o?.op) {
    case 'create':
      checkArgs(
        o.path,
        { data: o.data, mode: o.mode, sequential: isSequential(o.mode as CreateMode), characters: true },
        opIndex,
      );
      return;
    case 'setData':
      checkArgs(o.path, { data: o.data, version: o.version, characters: true }, opIndex);
      return;
    case 'check':
      checkArgs(o.path, { version: o.version, characters: true }, opIndex);
      return;
    case 'delete':
      checkArgs(o.path, { version: o.version }, opIndex);
      return;
    default:
      throw new CoordinationError(
        'BAD_ARGUMENTS',
        undefined,
        `unknown multi operation ${JSON.stringify(o?.op)}`,
        opIndex,
      );
  }
}

export class MemoryCoordinationStore implements CoordinationStore {
  readonly description = 'memory';
  readonly #nodes = new Map<string, ZNode>();
  readonly #sessions = new Map<bigint, MemorySession>();
  readonly #dataWatches = new Map<string, Map<Watcher, WatchEntry>>();
  readonly #childWatches = new Map<string, Map<Watcher, WatchEntry>>();
  #zxid = 0n;
  #nextSession = 0x1_0000_0000n;
  readonly now: () => number;
  readonly schedule: Schedule;
  readonly #deliveryDelay: (() => number) | undefined;
  readonly #opts: MemoryStoreOptions;

  constructor(opts: MemoryStoreOptions = {}) {
    this.#opts = opts;
    this.now = opts.now ?? Date.now;
    this.schedule = opts.schedule ?? realSchedule;
    this.#deliveryDelay = opts.deliveryDelayMs;
    this.#nodes.set('/', {
      data: new Uint8Array(0),
      czxid: 0n,
      mzxid: 0n,
      version: 0,
      cversion: 0,
      ephemeralOwner: 0n,
      children: new Set(),
    });
  }

  async connect(options: SessionOptions): Promise<CoordinationSession> {
    return this.openSession(options);
  }

  /** connect() without the promise: the session exists when this returns. */
  openSession(options: SessionOptions): MemorySession {
    const min = this.#opts.minSessionTimeoutMs ?? 1;
    const max = this.#opts.maxSessionTimeoutMs ?? 2 ** 31 - 1;
    const timeout = Math.min(max, Math.max(min, options.sessionTimeoutMs));
    const s = new MemorySession(this, this.#nextSession++, timeout);
    this.#sessions.set(s.sessionId, s);
    return s;
  }

  // ---- test controls ----

  session(id: bigint): MemorySession {
    const s = this.#sessions.get(id);
    if (!s) throw new CoordinationError('SESSION_EXPIRED', undefined, `no session ${id.toString(16)}`);
    return s;
  }

  /** The ensemble expires the session now (as after its timeout): ephemerals go, watches are dropped, and the
   * owner hears 'expired' as soon as it is connected and running. */
  expireSession(id: bigint): void {
    this.#sessions.get(id)?.serverExpire();
  }
  /** The owner loses its connection: it hears 'disconnected'; the session expires after its timeout unless
   * reconnectSession comes first. */
  disconnectSession(id: bigint): void {
    this.#sessions.get(id)?.disconnect();
  }
  reconnectSession(id: bigint): void {
    this.#sessions.get(id)?.reconnect();
  }
  /** The owner stops (GC pause, SIGSTOP): no heartbeats, so the session expires after its timeout; nothing is
   * delivered to it and its requests wait until resumeSession. */
  pauseSession(id: bigint): void {
    this.#sessions.get(id)?.pause();
  }
  resumeSession(id: bigint): void {
    this.#sessions.get(id)?.resume();
  }

  /** Reads a node synchronously, outside any session (checkers, tests). */
  peek(path: string): { data: Uint8Array; stat: Stat } | undefined {
    const n = this.#nodes.get(path);
    return n ? { data: n.data, stat: statOf(n) } : undefined;
  }
  peekChildren(path: string): string[] | undefined {
    const n = this.#nodes.get(path);
    return n ? [...n.children] : undefined;
  }
  get lastZxid(): bigint {
    return this.#zxid;
  }

  // ---- used by sessions ----

  /** @internal */
  read(path: string): ZNode {
    checkArgs(path, {});
    const n = this.#nodes.get(path);
    if (!n) throw new CoordinationError('NO_NODE', path);
    return n;
  }

  /** @internal */
  hasNode(path: string): ZNode | undefined {
    checkArgs(path, {});
    return this.#nodes.get(path);
  }

  /** @internal */
  addWatch(kind: 'data' | 'child', path: string, session: MemorySession, watcher: Watcher): void {
    const table = kind === 'data' ? this.#dataWatches : this.#childWatches;
    let m = table.get(path);
    if (!m) {
      m = new Map();
      table.set(path, m);
    }
    m.set(watcher, { session, watcher });
  }

  /** @internal Applies ops atomically for `session`; throws the first failure (with opIndex when `multi`). */
  transact(session: MemorySession, ops: readonly Op[], multi: boolean): OpResult[] {
    const overlay = new Map<string, ZNode | null>();
    const get = (p: string): ZNode | undefined => {
      const o = overlay.get(p);
      if (o !== undefined) return o ?? undefined;
      return this.#nodes.get(p);
    };
    const writable = (p: string): ZNode => {
      const o = overlay.get(p);
      if (o) return o;
      const n = cloneNode(get(p)!);
      overlay.set(p, n);
      return n;
    };
    const zxid = this.#zxid + 1n;
    const results: OpResult[] = [];
    const triggers: Array<{ kind: 'data' | 'child'; path: string; type: WatchEventType }> = [];
    // Every operation's arguments first, as ZooKeeper's client checks them all before sending the multi.
    for (let i = 0; i < ops.length; i++) checkOp(ops[i]!, multi ? i : undefined);
    const deletedEphemerals: Array<{ path: string; owner: bigint }> = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const fail = (code: CoordinationError['code'], message?: string): never => {
        throw new CoordinationError(code, op.path, message, multi ? i : undefined);
      };
      const sequential = op.op === 'create' && isSequential(op.mode);
      switch (op.op) {
        case 'create': {
          if (op.path === '/' && !sequential) fail('NODE_EXISTS');
          const parentPath = parentOf(op.path);
          const parent = get(parentPath);
          if (!parent) fail('NO_NODE', `parent ${parentPath} does not exist`);
          if (parent!.ephemeralOwner !== 0n) fail('NO_CHILDREN_FOR_EPHEMERALS');
          let path = op.path;
          if (sequential) path += String(parent!.cversion).padStart(10, '0');
          if (get(path)) fail('NODE_EXISTS');
          const p = writable(parentPath);
          p.children.add(nameOf(path));
          p.cversion++;
          const ephemeral = op.mode === 'ephemeral' || op.mode === 'ephemeral_sequential';
          overlay.set(path, {
            data: op.data.slice(),
            czxid: zxid,
            mzxid: zxid,
            version: 0,
            cversion: 0,
            ephemeralOwner: ephemeral ? session.sessionId : 0n,
            children: new Set(),
          });
          triggers.push(
            { kind: 'data', path, type: 'created' },
            { kind: 'child', path: parentPath, type: 'childrenChanged' },
          );
          results.push({ op: 'create', path });
          break;
        }
        case 'setData': {
          const n = get(op.path);
          if (!n) fail('NO_NODE');
          if (op.version !== ANY_VERSION && op.version !== n!.version) fail('BAD_VERSION');
          const w = writable(op.path);
          w.data = op.data.slice();
          w.version++;
          w.mzxid = zxid;
          triggers.push({ kind: 'data', path: op.path, type: 'dataChanged' });
          results.push({ op: 'setData', stat: statOf(w) });
          break;
        }
        case 'delete': {
          if (op.path === '/') fail('BAD_ARGUMENTS', 'cannot delete the root');
          const n = get(op.path);
          if (!n) fail('NO_NODE');
          if (op.version !== ANY_VERSION && op.version !== n!.version) fail('BAD_VERSION');
          if (n!.children.size > 0) fail('NOT_EMPTY');
          const parentPath = parentOf(op.path);
          const p = writable(parentPath);
          p.children.delete(nameOf(op.path));
          p.cversion++;
          if (n!.ephemeralOwner !== 0n) deletedEphemerals.push({ path: op.path, owner: n!.ephemeralOwner });
          overlay.set(op.path, null);
          triggers.push(
            { kind: 'data', path: op.path, type: 'deleted' },
            { kind: 'child', path: op.path, type: 'deleted' },
            { kind: 'child', path: parentPath, type: 'childrenChanged' },
          );
          results.push({ op: 'delete' });
          break;
        }
        case 'check': {
          const n = get(op.path);
          if (!n) fail('NO_NODE');
          if (op.version !== ANY_VERSION && op.version !== n!.version) fail('BAD_VERSION');
          results.push({ op: 'check' });
          break;
        }
      }
    }
    if (overlay.size === 0) return results; // only checks: nothing to commit, no zxid used
    this.#zxid = zxid;
    for (const [p, n] of overlay) {
      if (n === null) this.#nodes.delete(p);
      else this.#nodes.set(p, n);
    }
    for (const [p, n] of overlay)
      if (n && n.ephemeralOwner !== 0n) this.#sessions.get(n.ephemeralOwner)?.ephemerals.add(p);
    for (const d of deletedEphemerals) this.#sessions.get(d.owner)?.ephemerals.delete(d.path);
    this.#opts.onCommit?.({ zxid, sessionId: session.sessionId, ops, results });
    this.#fire(triggers);
    return results;
  }

  /** Removes the watches the transaction triggered and delivers one event per watcher and event: a callback that
   * watches a deleted node both as data and as child watch hears 'deleted' once (ZooKeeper's client does the same). */
  #fire(triggers: ReadonlyArray<{ kind: 'data' | 'child'; path: string; type: WatchEventType }>): void {
    // Per session and event, the callbacks already told.
    const told = new Map<string, Set<Watcher>>();
    for (const t of triggers) {
      const table = t.kind === 'data' ? this.#dataWatches : this.#childWatches;
      const m = table.get(t.path);
      if (!m) continue;
      table.delete(t.path);
      for (const e of m.values()) {
        const key = `${e.session.sessionId} ${t.type} ${t.path}`;
        const watchers = told.get(key) ?? new Set<Watcher>();
        told.set(key, watchers);
        if (watchers.has(e.watcher)) continue;
        watchers.add(e.watcher);
        const event = { type: t.type, path: t.path };
        e.session.deliverWatch(() => e.watcher(event));
      }
    }
  }

  /** @internal The session ended (expired or closed): its ephemerals are deleted in one transaction. */
  endSession(session: MemorySession): void {
    for (const table of [this.#dataWatches, this.#childWatches])
      for (const [p, m] of table) {
        for (const [w, e] of m) if (e.session === session) m.delete(w);
        if (m.size === 0) table.delete(p);
      }
    const paths = [...session.ephemerals].sort().reverse();
    session.ephemerals.clear();
    if (paths.length > 0)
      this.transact(
        session,
        paths.map((path) => ({ op: 'delete', path, version: ANY_VERSION })),
        true,
      );
    // Kept in the table for the test controls (an expired session's owner may still reconnect or resume to learn
    // its fate); dropped when closed.
    if (session.isClosed) this.#sessions.delete(session.sessionId);
  }

  /** @internal The delay drawn for one delivery, or undefined in the default, ordered mode. */
  deliveryDelay(): number | undefined {
    return this.#deliveryDelay?.();
  }

  /** @internal */
  requestDelay(): number {
    return this.#opts.requestDelayMs?.() ?? 0;
  }
}

function statOf(n: ZNode): Stat {
  return {
    czxid: n.czxid,
    mzxid: n.mzxid,
    version: n.version,
    cversion: n.cversion,
    ephemeralOwner: n.ephemeralOwner,
    dataLength: n.data.length,
    numChildren: n.children.size,
  };
}

export class MemorySession implements CoordinationSession {
  readonly sessionId: bigint;
  readonly sessionTimeoutMs: number;
  /** @internal Paths of this session's ephemeral nodes. */
  readonly ephemerals = new Set<string>();
  readonly #store: MemoryCoordinationStore;
  #state: SessionState = 'connected';
  /** The ensemble still holds the session. */
  #alive = true;
  #closed = false;
  #paused = false;
  #cancelExpiry: (() => void) | undefined;
  readonly #listeners: Array<(state: SessionState) => void> = [];
  /** Ordered mode: watch events and state changes not yet delivered, in the order they happened. */
  #outbox: Array<{ readonly watch: boolean; readonly fn: () => void }> = [];
  /** Watch events waiting for the owner to reconnect or resume. */
  #heldEvents: Array<() => void> = [];
  /** Requests made while paused, run on resume. */
  #heldOps: Array<() => void> = [];

  constructor(store: MemoryCoordinationStore, id: bigint, timeoutMs: number) {
    this.#store = store;
    this.sessionId = id;
    this.sessionTimeoutMs = timeoutMs;
  }

  get state(): SessionState {
    return this.#state;
  }
  /** Whether the ensemble still holds the session (the owner may not know yet). */
  get alive(): boolean {
    return this.#alive;
  }
  get isClosed(): boolean {
    return this.#closed;
  }
  get paused(): boolean {
    return this.#paused;
  }

  /** Runs `fn` as a request to the ensemble; `check` validates the arguments first, as the client does before it
   * sends anything (so bad arguments get BAD_ARGUMENTS whatever the session's state). */
  #request<T>(fn: () => T, check?: () => void): Promise<T> {
    try {
      check?.();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      // The answer reaches the owner when it is running.
      const answer = (settle: () => void) => {
        if (this.#paused) this.#heldOps.push(settle);
        else settle();
      };
      const run = () => {
        try {
          if (this.#closed) throw new CoordinationError('SESSION_CLOSED', undefined);
          if (this.#state === 'disconnected') throw new CoordinationError('CONNECTION_LOSS', undefined);
          if (!this.#alive) throw new CoordinationError('SESSION_EXPIRED', undefined);
          const v = fn();
          answer(() => resolve(v));
        } catch (e) {
          answer(() => reject(e));
        }
      };
      const send = () => {
        const delay = this.#store.requestDelay();
        if (delay > 0) this.#store.schedule(delay, run);
        else run();
      };
      if (this.#paused) this.#heldOps.push(send);
      else send();
    });
  }

  create(path: string, data: Uint8Array, mode: CreateMode = 'persistent'): Promise<string> {
    return this.#request(
      () => {
        const r = this.#store.transact(this, [{ op: 'create', path, data, mode }], false)[0]!;
        return (r as { path: string }).path;
      },
      () => checkArgs(path, { data, mode, sequential: isSequential(mode), characters: true }),
    );
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Uint8Array; stat: Stat }> {
    return this.#request(
      () => {
        const n = this.#store.read(path);
        if (watcher) this.#store.addWatch('data', path, this, watcher);
        return { data: n.data.slice(), stat: statOf(n) };
      },
      () => checkArgs(path, {}),
    );
  }

  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    return this.#request(
      () => {
        const n = this.#store.hasNode(path);
        if (watcher) this.#store.addWatch('data', path, this, watcher);
        return n ? statOf(n) : null;
      },
      () => checkArgs(path, {}),
    );
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.#request(
      () => {
        const n = this.#store.read(path);
        if (watcher) this.#store.addWatch('child', path, this, watcher);
        return [...n.children];
      },
      () => checkArgs(path, {}),
    );
  }

  setData(path: string, data: Uint8Array, version: number = ANY_VERSION): Promise<Stat> {
    return this.#request(
      () => {
        const r = this.#store.transact(this, [{ op: 'setData', path, data, version }], false)[0]!;
        return (r as { stat: Stat }).stat;
      },
      () => checkArgs(path, { data, version, characters: true }),
    );
  }

  delete(path: string, version: number = ANY_VERSION): Promise<void> {
    return this.#request(
      () => {
        this.#store.transact(this, [{ op: 'delete', path, version }], false);
      },
      () => checkArgs(path, { version }),
    );
  }

  multi(ops: readonly Op[]): Promise<OpResult[]> {
    return this.#request(
      () => this.#store.transact(this, ops, true),
      () => {
        if (!Array.isArray(ops)) throw new CoordinationError('BAD_ARGUMENTS', undefined, 'multi() takes an array');
        for (let i = 0; i < ops.length; i++) checkOp(ops[i]!, i);
      },
    );
  }

  onStateChange(listener: (state: SessionState) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelExpiry?.();
    this.#heldEvents = [];
    this.#alive = false;
    this.#store.endSession(this);
    this.#state = 'expired';
  }

  // ---- driven by the store's test controls ----

  /** @internal */
  deliverWatch(fn: () => void): void {
    if (!this.#alive || this.#closed) return;
    if (this.#paused || this.#state !== 'connected') {
      this.#heldEvents.push(fn);
      return;
    }
    this.#post(true, fn);
  }

  #setState(state: SessionState): void {
    if (this.#state === state || this.#state === 'expired') return;
    this.#state = state;
    const listeners = this.#listeners.slice();
    this.#post(false, () => {
      for (const l of listeners) l(state);
    });
  }

  /**
   * Sends a watch event or state change to the owner. Ordered (default): through the session's outbox, drained in
   * a microtask queued no later than the answer to the request that caused it, so the owner sees events in order
   * and before that answer (and before any later one), as ZooKeeper guarantees. With deliveryDelayMs (simulations):
   * each on its own timer after a drawn delay, so deliveries are reordered and may come after later answers.
   */
  #post(watch: boolean, fn: () => void): void {
    const delay = this.#store.deliveryDelay();
    if (delay !== undefined) {
      this.#store.schedule(delay, () => this.#arrive(watch, fn));
      return;
    }
    this.#outbox.push({ watch, fn });
    if (this.#outbox.length === 1) queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    const batch = this.#outbox;
    this.#outbox = [];
    for (const d of batch) {
      try {
        this.#arrive(d.watch, d.fn);
      } catch (e) {
        // A throwing callback is the caller's bug: report it as uncaught, but deliver the rest.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** A delivery reaches the owner: dropped once the session is over, held while it cannot be delivered. */
  #arrive(watch: boolean, fn: () => void): void {
    if (this.#closed) return;
    if (watch) {
      if (this.#state === 'expired') return;
      if (this.#paused || this.#state !== 'connected') {
        this.#heldEvents.push(fn);
        return;
      }
    }
    fn();
  }

  #armExpiry(): void {
    if (this.#cancelExpiry || !this.#alive) return;
    this.#cancelExpiry = this.#store.schedule(this.sessionTimeoutMs, () => {
      this.#cancelExpiry = undefined;
      this.serverExpire();
    });
  }

  #disarmExpiry(): void {
    this.#cancelExpiry?.();
    this.#cancelExpiry = undefined;
  }

  /** @internal */
  serverExpire(): void {
    if (!this.#alive || this.#closed) return;
    this.#disarmExpiry();
    this.#alive = false;
    this.#heldEvents = [];
    this.#store.endSession(this);
    // The owner learns it when it is connected and running.
    if (!this.#paused && this.#state === 'connected') this.#setState('expired');
  }

  /** @internal */
  disconnect(): void {
    if (this.#closed || this.#state !== 'connected') return;
    this.#setState('disconnected');
    this.#armExpiry();
  }

  /** @internal */
  reconnect(): void {
    if (this.#closed || this.#state !== 'disconnected') return;
    if (!this.#alive) {
      this.#setState('expired');
      return;
    }
    if (!this.#paused) this.#disarmExpiry();
    this.#setState('connected');
    this.#flushEvents();
  }

  /** @internal */
  pause(): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.#armExpiry();
  }

  /** @internal */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#alive && this.#state === 'connected') this.#disarmExpiry();
    if (!this.#alive && this.#state === 'connected') this.#setState('expired');
    this.#flushEvents();
    const ops = this.#heldOps;
    this.#heldOps = [];
    for (const run of ops) run();
  }

  #flushEvents(): void {
    if (this.#paused || this.#state !== 'connected') return;
    const held = this.#heldEvents;
    this.#heldEvents = [];
    for (const fn of held) this.deliverWatch(fn);
  }
}
