// One TCP connection to one ZooKeeper server: the session handshake (ConnectRequest → ConnectResponse) and the
// length-prefixed frames after it. The session (session.ts) owns everything above: xids, pings, watches, reconnects.
import net from 'node:net';
import { JuteReader, JuteWriter } from './jute.ts';

/** ZooKeeper's default jute.maxbuffer is 1 MiB of data; leave room for the records around it. */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConnectRequest {
  readonly lastZxidSeen: bigint;
  readonly timeoutMs: number;
  /** 0n for a new session. */
  readonly sessionId: bigint;
  /** 16 zero bytes for a new session. */
  readonly password: Uint8Array;
}

export interface ConnectResponse {
  /** 0 or less: the session has expired (only when sessionId was given). */
  readonly timeoutMs: number;
  readonly sessionId: bigint;
  readonly password: Uint8Array;
}

export interface FrameHandler {
  /** One reply frame (ReplyHeader + body) after the handshake. Throwing drops the connection. */
  onFrame(connection: ZkConnection, frame: Buffer): void;
  /** The connection is gone (called once, not after close()). */
  onClose(connection: ZkConnection, reason: string): void;
}

const EMPTY = Buffer.alloc(0);

export class ZkConnection {
  readonly server: ServerAddress;
  /** performance.now() of the last frame received / written: monotonic, as the session's timeouts (monotonicMs). */
  lastRecv = 0;
  lastSend = 0;
  readonly #socket: net.Socket;
  #handler: FrameHandler | undefined;
  #rest: Buffer = EMPTY;
  #closed = false;
  /** Frames after the ConnectResponse wait until the session has adopted the connection (release()). */
  #held = false;

  private constructor(server: ServerAddress, socket: net.Socket) {
    this.server = server;
    this.#socket = socket;
  }

  /**
   * Connects, sends the ConnectRequest (read-only false) and waits for the ConnectResponse, all within timeoutMs.
   * Frames after the handshake go to `handler` once the caller calls release().
   */
  static open(
    server: ServerAddress,
    request: ConnectRequest,
    timeoutMs: number,
    handler: FrameHandler,
  ): Promise<{ connection: ZkConnection; response: ConnectResponse }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: server.host, port: server.port, noDelay: true });
      const conn = new ZkConnection(server, socket);
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.#closed = true;
        socket.destroy();
        reject(new Error(`${server.host}:${server.port}: ${reason}`));
      };
      const timer = setTimeout(() => fail(`no session handshake within ${timeoutMs} ms`), timeoutMs);
      socket.once('connect', () => {
        const w = new JuteWriter(64);
        w.begin();
        w.int(0) // protocolVersion
          .long(request.lastZxidSeen)
          .int(request.timeoutMs)
          .long(request.sessionId)
          .buffer(request.password)
          .bool(false); // readOnly: never accept a read-only server
        conn.write(w.finish());
      });
      socket.on('error', (e) => {
        if (!settled) fail(e.message);
        else conn.#lost(e.message);
      });
      socket.on('close', () => {
        if (!settled) fail('connection closed during the session handshake');
        else conn.#lost('connection closed by the server');
      });
      // The first frame is the ConnectResponse; the handler takes over after it.
      conn.#handler = {
        onFrame(_conn, frame) {
          const r = new JuteReader(frame);
          r.int(); // protocolVersion
          const timeout = r.int();
          const sessionId = r.long();
          const password = r.buffer();
          // readOnly follows on servers since 3.4; a read-only session is never asked for.
          settled = true;
          clearTimeout(timer);
          conn.#handler = handler;
          conn.#held = true;
          resolve({ connection: conn, response: { timeoutMs: timeout, sessionId, password } });
        },
        onClose(_conn, reason) {
          fail(reason);
        },
      };
      socket.on('data', (chunk: Buffer) => conn.#onData(chunk));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(frame: Buffer): void {
    if (this.#closed) return;
    this.lastSend = performance.now();
    this.#socket.write(frame);
  }

  /** Starts delivering frames to the handler (those that arrived with the ConnectResponse first). */
  release(): void {
    this.#held = false;
    if (this.#rest.length > 0) this.#onData(EMPTY);
  }

  /** Closes without calling onClose. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
  }

  #lost(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#handler?.onClose(this, reason);
  }

  #onData(chunk: Buffer): void {
    if (chunk.length > 0) this.lastRecv = performance.now();
    let buf = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    let pos = 0;
    while (buf.length - pos >= 4 && !this.#closed && !this.#held) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > MAX_FRAME_BYTES) {
        this.#lost(`bad frame length ${size}`);
        return;
      }
      if (buf.length - pos - 4 < size) break;
      const frame = buf.subarray(pos + 4, pos + 4 + size);
      pos += 4 + size;
      try {
        this.#handler?.onFrame(this, frame);
      } catch (e) {
        this.#lost(`bad reply: ${(e as Error).message}`);
        return;
      }
    }
    if (pos === buf.length) buf = EMPTY;
    else if (pos > 0) buf = buf.subarray(pos);
    this.#rest = buf;
  }
}
