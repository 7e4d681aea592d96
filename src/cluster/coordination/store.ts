// The coordination interface: everything the cluster needs from its consensus service, in ZooKeeper's terms
// (sessions, ephemeral nodes, versioned compare-and-set, atomic multi-op transactions, sequential nodes for ordered
// append, one-shot watches). Two implementations: zookeeper/ (a real ensemble over ZooKeeper's wire protocol) and
// memory.ts (in one process: single-node clusters in tests, startCluster(), and the seeded simulations).
// Everything above this interface (controller, broker registration, metadata log) is the same code for both.

/** How a node is created. Sequential nodes get a 10-digit, zero-padded, per-parent counter appended to the path. */
export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential';

/** A node's metadata, as ZooKeeper's Stat (zxids are bigints: ZooKeeper's are 64-bit). */
export interface Stat {
  /** zxid of the transaction that created the node. */
  readonly czxid: bigint;
  /** zxid of the last change to the node's data. */
  readonly mzxid: bigint;
  /** Number of changes to the data: the version compare-and-set compares against. */
  readonly version: number;
  /** Number of changes to the children. */
  readonly cversion: number;
  /** Session id of the owner of an ephemeral node, 0n otherwise. */
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
}

/** "Any version" for setData, delete and check. */
export const ANY_VERSION = -1;

/** One operation of an atomic multi(). */
export type Op =
  | { readonly op: 'create'; readonly path: string; readonly data: Uint8Array; readonly mode: CreateMode }
  | { readonly op: 'setData'; readonly path: string; readonly data: Uint8Array; readonly version: number }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number };

export type OpResult =
  | { readonly op: 'create'; readonly path: string }
  | { readonly op: 'setData'; readonly stat: Stat }
  | { readonly op: 'delete' }
  | { readonly op: 'check' };

/** ZooKeeper's error codes that callers act on (the names of KeeperException.Code). */
export type CoordinationErrorCode =
  | 'NO_NODE'
  | 'NODE_EXISTS'
  | 'BAD_VERSION'
  | 'NOT_EMPTY'
  | 'NO_CHILDREN_FOR_EPHEMERALS'
  | 'BAD_ARGUMENTS'
  /** The session is gone for good: ephemerals deleted, watches dropped. Make a new session. */
  | 'SESSION_EXPIRED'
  /** The connection broke with the request in flight: it may or may not have been applied. The session lives on. */
  | 'CONNECTION_LOSS'
  /** The session was closed by its owner. */
  | 'SESSION_CLOSED'
  | 'OPERATION_TIMEOUT'
  | 'SYSTEM_ERROR';

export class CoordinationError extends Error {
  override name = 'CoordinationError';
  readonly code: CoordinationErrorCode;
  readonly path: string | undefined;
  /** For a failed multi(): the index of the operation that failed. */
  readonly opIndex: number | undefined;
  constructor(code: CoordinationErrorCode, path: string | undefined, message?: string, opIndex?: number) {
    super(message ?? `${code}${path !== undefined ? ` (${path})` : ''}`);
    this.code = code;
    this.path = path;
    this.opIndex = opIndex;
  }
}

export type WatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged';

/** A one-shot watch, as ZooKeeper's: it fires at most once, for the first change after it was set. */
export type Watcher = (event: { readonly type: WatchEventType; readonly path: string }) => void;

/**
 * A session's connection state. 'disconnected': the connection to the service is lost but the session may still
 * live (ephemerals stay until the session timeout); stop acting on what only the service can confirm.
 * 'connected': (re)connected with the same session. 'expired': the session is gone; it never comes back.
 */
export type SessionState = 'connected' | 'disconnected' | 'expired';

export interface CoordinationSession {
  readonly sessionId: bigint;
  /** The timeout the service granted (it may differ from the one asked for). */
  readonly sessionTimeoutMs: number;
  readonly state: SessionState;

  /** Creates a node; returns its path (with the sequence suffix for sequential nodes). Parents must exist. */
  create(path: string, data: Uint8Array, mode?: CreateMode): Promise<string>;
  /** Throws NO_NODE when there is no such node. The watcher, if given, is set only when the node exists. */
  getData(path: string, watcher?: Watcher): Promise<{ data: Uint8Array; stat: Stat }>;
  /** The node's stat or null; the watcher is set either way (it fires on creation of a missing node). */
  exists(path: string, watcher?: Watcher): Promise<Stat | null>;
  /** Child names (not paths), unordered. Throws NO_NODE. */
  getChildren(path: string, watcher?: Watcher): Promise<string[]>;
  /** Compare-and-set: fails with BAD_VERSION unless version is the node's current version or ANY_VERSION. */
  setData(path: string, data: Uint8Array, version?: number): Promise<Stat>;
  delete(path: string, version?: number): Promise<void>;
  /** All or nothing. On failure throws the first failing operation's error with its opIndex. */
  multi(ops: readonly Op[]): Promise<OpResult[]>;
  /** Listens to session state changes; returns an unsubscribe function. */
  onStateChange(listener: (state: SessionState) => void): () => void;
  /** Closes the session: its ephemeral nodes are deleted at once. */
  close(): Promise<void>;
}

export interface SessionOptions {
  readonly sessionTimeoutMs: number;
  /** How long connect() may try before giving up (zookeeper.connection.timeout.ms). */
  readonly connectionTimeoutMs?: number;
}

/** Opens sessions on one coordination service (a ZooKeeper ensemble with its chroot, or an in-memory store). */
export interface CoordinationStore {
  /** A human-readable name for logs: the connect string, or "memory". */
  readonly description: string;
  connect(options: SessionOptions): Promise<CoordinationSession>;
}

/** Creates `path` and any missing parents as persistent nodes with empty data; existing nodes are left as they are. */
export async function ensurePath(session: CoordinationSession, path: string): Promise<void> {
  const parts = path.split('/').filter((p) => p !== '');
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    try {
      await session.create(current, new Uint8Array(0), 'persistent');
    } catch (e) {
      if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
    }
  }
}
