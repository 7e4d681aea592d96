// Jute, ZooKeeper's binary serialization (zookeeper-jute/src/main/resources/zookeeper.jute): big-endian int (4
// bytes), long (8), boolean (1), buffer and ustring (int32 length, -1 for null, then bytes / UTF-8), vector (int32
// count, -1 for null, then the items). Records are their fields in order, with nothing between them.
//
// Also here: the opcodes, error codes and record layouts of the client protocol this client speaks.
import type { CoordinationErrorCode, CreateMode, Stat } from '../store.ts';

/** Request types (ZooDefs.OpCode). */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  sync: 9,
  ping: 11,
  check: 13,
  multi: 14,
  setWatches: 101,
  closeSession: -11,
  error: -1,
} as const;

/** Reserved xids (ClientCnxn): replies with these are not answers to a numbered request. */
export const Xid = { notification: -1, ping: -2, setWatches: -8 } as const;

/** Watch event types in a notification (Watcher.Event.EventType). */
export const EventType = { created: 1, deleted: 2, dataChanged: 3, childrenChanged: 4 } as const;

export const CREATE_FLAGS: Readonly<Record<CreateMode, number>> = {
  persistent: 0,
  ephemeral: 1,
  persistent_sequential: 2,
  ephemeral_sequential: 3,
};

/** ZooKeeper's error codes (KeeperException.Code) mapped to ours; anything else is SYSTEM_ERROR. */
export function errorCodeOf(err: number): CoordinationErrorCode {
  switch (err) {
    case -101:
      return 'NO_NODE';
    case -110:
      return 'NODE_EXISTS';
    case -103:
      return 'BAD_VERSION';
    case -111:
      return 'NOT_EMPTY';
    case -108:
      return 'NO_CHILDREN_FOR_EPHEMERALS';
    case -8:
      return 'BAD_ARGUMENTS';
    case -112:
      return 'SESSION_EXPIRED';
    case -4:
    case -118: // SESSIONMOVED: the session is now served by another connection; this one is stale
      return 'CONNECTION_LOSS';
    case -7:
      return 'OPERATION_TIMEOUT';
    default:
      return 'SYSTEM_ERROR';
  }
}

const ZK_ERROR_NAMES: Readonly<Record<number, string>> = {
  [-1]: 'SystemError',
  [-2]: 'RuntimeInconsistency',
  [-3]: 'DataInconsistency',
  [-4]: 'ConnectionLoss',
  [-5]: 'MarshallingError',
  [-6]: 'Unimplemented',
  [-7]: 'OperationTimeout',
  [-8]: 'BadArguments',
  [-12]: 'UnknownSession',
  [-100]: 'APIError',
  [-101]: 'NoNode',
  [-102]: 'NoAuth',
  [-103]: 'BadVersion',
  [-108]: 'NoChildrenForEphemerals',
  [-110]: 'NodeExists',
  [-111]: 'NotEmpty',
  [-112]: 'SessionExpired',
  [-114]: 'InvalidACL',
  [-115]: 'AuthFailed',
  [-118]: 'SessionMoved',
  [-119]: 'NotReadOnly',
  [-120]: 'EphemeralOnLocalSession',
  [-122]: 'RequestTimeout',
  [-125]: 'QuotaExceeded',
  [-127]: 'Throttled',
};

export function zkErrorName(err: number): string {
  return `${ZK_ERROR_NAMES[err] ?? 'error'} (${err})`;
}

const EMPTY = Buffer.alloc(0);

/** Appends jute values to one growing buffer, reused for every frame of a connection. */
export class JuteWriter {
  #buf: Buffer;
  #pos = 0;

  constructor(initialSize = 1024) {
    this.#buf = Buffer.allocUnsafe(initialSize);
  }

  /** Starts a frame: reserves the int32 length prefix. */
  begin(): void {
    this.#pos = 4;
  }

  /** Ends the frame: writes its length and returns a copy the socket may keep. */
  finish(): Buffer {
    this.#buf.writeInt32BE(this.#pos - 4, 0);
    return Buffer.from(this.#buf.subarray(0, this.#pos));
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  int(v: number): this {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#pos);
    this.#pos += 4;
    return this;
  }

  long(v: bigint): this {
    this.#ensure(8);
    this.#buf.writeBigInt64BE(v, this.#pos);
    this.#pos += 8;
    return this;
  }

  bool(v: boolean): this {
    this.#ensure(1);
    this.#buf[this.#pos++] = v ? 1 : 0;
    return this;
  }

  buffer(v: Uint8Array | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.#ensure(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
    return this;
  }

  ustring(v: string | null): this {
    if (v === null) return this.int(-1);
    const n = Buffer.byteLength(v, 'utf8');
    this.int(n);
    this.#ensure(n);
    this.#buf.write(v, this.#pos, n, 'utf8');
    this.#pos += n;
    return this;
  }

  ustrings(v: readonly string[]): this {
    this.int(v.length);
    for (const s of v) this.ustring(s);
    return this;
  }

  /** The ACL list every node gets: world:anyone with all permissions (Ids.OPEN_ACL_UNSAFE). */
  openAcl(): this {
    return this.int(1).int(31).ustring('world').ustring('anyone');
  }
}

/** Thrown when a frame is shorter than its records: the connection is out of sync and must be dropped. */
export class JuteError extends Error {
  override name = 'JuteError';
}

/** Reads jute values from one frame. */
export class JuteReader {
  #buf: Buffer;
  #pos: number;

  constructor(buf: Buffer = EMPTY, pos = 0) {
    this.#buf = buf;
    this.#pos = pos;
  }

  reset(buf: Buffer, pos = 0): void {
    this.#buf = buf;
    this.#pos = pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) {
      throw new JuteError(`frame too short: need ${n} bytes at ${this.#pos} of ${this.#buf.length}`);
    }
  }

  int(): number {
    this.#need(4);
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  long(): bigint {
    this.#need(8);
    const v = this.#buf.readBigInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }

  bool(): boolean {
    this.#need(1);
    return this.#buf[this.#pos++] !== 0;
  }

  /** A copy of the bytes (the caller may keep it; the frame's buffer is not pinned). Null reads as empty. */
  buffer(): Uint8Array {
    const n = this.int();
    if (n <= 0) return new Uint8Array(0);
    this.#need(n);
    const out = new Uint8Array(n);
    out.set(this.#buf.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return out;
  }

  ustring(): string {
    const n = this.int();
    if (n <= 0) return '';
    this.#need(n);
    const s = this.#buf.toString('utf8', this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }

  ustrings(): string[] {
    const n = this.int();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.ustring());
    return out;
  }

  /** data.Stat: czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid. */
  stat(): Stat {
    const czxid = this.long();
    const mzxid = this.long();
    this.#need(16);
    this.#pos += 16; // ctime, mtime
    const version = this.int();
    const cversion = this.int();
    this.int(); // aversion
    const ephemeralOwner = this.long();
    const dataLength = this.int();
    const numChildren = this.int();
    this.long(); // pzxid
    return { czxid, mzxid, version, cversion, ephemeralOwner, dataLength, numChildren };
  }
}
