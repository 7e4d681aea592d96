// One client connection: framing with a size cap, requests handled one at a time in arrival order (like Kafka,
// which mutes a channel while a request is in flight), responses written in order.
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ApiKey } from '../protocol/apis.ts';
import { FrameReader } from '../protocol/frame-reader.ts';
import { ProtocolError } from '../protocol/io.ts';
import type { SizedBufferPools } from '../storage/read-buffers.ts';
import type { Logger } from '../util/log.ts';
import { CloseConnection, type ConnectionInfo } from './handler.ts';

/** A response frame as chunks, and what to run once the socket has written them (see onResponseSent). */
export interface ResponseFrame {
  chunks: Buffer[];
  sent?: () => void;
  /** A client quota's throttle time (KIP-219): after writing the response, read nothing from the client for so long. */
  throttleMs?: number;
}

export interface FrameProcessor {
  /** Returns the response, or null for no response. Throws to close the connection. */
  process(frame: Buffer, conn: ConnectionInfo): Promise<ResponseFrame | null>;
}

export interface ConnectionOptions {
  maxRequestBytes: number;
  /**
   * Memory reused for large Produce request frames (they are not referenced once their handler has returned:
   * the records are written to the log synchronously). Other requests may keep views into their frame (group
   * metadata, assignments), so their frames are never reused.
   */
  produceFrames?: SizedBufferPools;
  maxQueuedRequests: number;
  idleTimeoutMs: number;
}

export class Connection {
  readonly info: ConnectionInfo;
  private readonly socket: Socket;
  private readonly processor: FrameProcessor;
  private readonly log: Logger;
  private readonly opts: ConnectionOptions;
  private readonly reader: FrameReader;
  private readonly queue: Buffer[] = [];
  /** Frames in `queue` or being handled that came from `opts.produceFrames`, with the slab each is in. */
  private readonly pooled = new Map<Buffer, Buffer>();
  private processing = false;
  private closed = false;
  private paused = false;
  private idlePromiseResolve: (() => void) | undefined;
  /** Ends a mute early (set while muted). */
  private unmute: (() => void) | undefined;

  /**
   * `accepted` must be paused (a server created with pauseOnConnect, or a TLS socket just past its handshake, which
   * emits no data before a listener is added): the connection takes over its reads.
   * `onClose` runs once when the socket has closed.
   */
  constructor(
    accepted: Socket,
    info: ConnectionInfo,
    processor: FrameProcessor,
    log: Logger,
    opts: ConnectionOptions,
    onClose?: () => void,
  ) {
    this.info = info;
    this.processor = processor;
    this.log = log;
    this.opts = opts;
    const sasl = info.sasl;
    this.reader = new FrameReader({
      // Before SASL authentication only small frames (sasl.server.max.receive.size), so that an unauthenticated
      // peer cannot make the broker allocate (CVE-2022-34917).
      get maxFrameBytes() {
        return sasl && !sasl.authenticated ? sasl.config.maxReceiveSize : opts.maxRequestBytes;
      },
      onFrame: (frame) => this.queue.push(frame),
      allocFrame: (size, apiKey) => {
        const pool = opts.produceFrames;
        if (pool === undefined || apiKey !== ApiKey.Produce || size > pool.maxBytes)
          return Buffer.allocUnsafeSlow(size);
        const slab = pool.take(size);
        const frame = slab.subarray(0, size);
        this.pooled.set(frame, slab);
        return frame;
      },
      onBadSize: (size) => {
        const preAuth = sasl !== undefined && !sasl.authenticated;
        this.log.warn(
          {
            conn: this.info.id,
            remote: this.info.remoteAddress,
            size,
            max: preAuth ? sasl.config.maxReceiveSize : this.opts.maxRequestBytes,
          },
          preAuth
            ? 'request size outside 0..sasl.server.max.receive.size before authentication; closing the connection'
            : 'request size outside 0..socket.request.max.bytes; closing the connection',
        );
        this.close('bad frame size');
      },
    });
    const socket = readIntoFrames(accepted, this.reader, () => this.onFrames());
    this.socket = socket;
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle timeout'));
    socket.on('error', (e) => this.log.debug({ conn: info.id, err: e.message }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.unmute?.();
      this.queue.length = 0;
      this.pooled.clear(); // a frame half-read or never handled: its slab is left to the garbage collector
      this.idlePromiseResolve?.();
      onClose?.();
    });
    socket.resume();
  }

  get isIdle(): boolean {
    return !this.processing && this.queue.length === 0;
  }

  /** Resolves when no request is in flight (used by shutdown to finish in-flight work). */
  whenIdle(): Promise<void> {
    if (this.isIdle || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.idlePromiseResolve = resolve;
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.debug({ conn: this.info.id, reason }, 'closing connection');
    this.socket.destroy();
  }

  /** Stops reading new requests (shutdown); in-flight ones finish. */
  stopReading(): void {
    this.socket.pause();
    this.paused = true;
    this.queue.length = 0;
    this.unmute?.();
  }

  /**
   * A throttled client (KIP-219): its response went out at once; now its channel is muted, reading and handling
   * nothing, until the throttle time has passed (or the connection stops).
   */
  private async mute(ms: number): Promise<void> {
    this.socket.pause();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.unmute = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.unmute = undefined;
    if (!this.paused && !this.closed) this.socket.resume();
  }

  /** After each read: stop reading while too many requests wait, and start handling them. */
  private onFrames(): void {
    if (this.closed) return;
    if (this.queue.length >= this.opts.maxQueuedRequests && !this.paused) {
      this.socket.pause();
      this.paused = true;
    }
    if (!this.processing && this.queue.length > 0) void this.drain();
  }

  /** Gives a handled Produce frame's memory back for the next one. */
  private recycle(frame: Buffer): void {
    const slab = this.pooled.get(frame);
    if (slab === undefined) return;
    this.pooled.delete(frame);
    this.opts.produceFrames!.give(slab);
  }

  private async drain(): Promise<void> {
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const frame = this.queue.shift()!;
        let response: ResponseFrame | null;
        try {
          response = await this.processor.process(frame, this.info);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (e instanceof CloseConnection)
            this.log.info({ conn: this.info.id, reason: msg }, 'closing the connection');
          else if (e instanceof ProtocolError) this.log.warn({ conn: this.info.id, err: msg }, 'malformed request');
          else this.log.error({ conn: this.info.id, err: e }, 'request failed; closing the connection');
          this.close(msg);
          return;
        } finally {
          this.recycle(frame); // the handler is done with the frame
        }
        if (response && response.chunks.length > 0 && !this.closed) {
          const { chunks, sent } = response;
          this.socket.cork();
          for (let i = 0; i < chunks.length; i++)
            this.socket.write(chunks[i]!, i === chunks.length - 1 && sent ? () => sent() : undefined);
          this.socket.uncork();
        } else if (response && response.chunks.length > 0) response.sent?.();
        if (response?.throttleMs && !this.closed) await this.mute(response.throttleMs);
        if (this.info.sasl?.closeAfterResponse) {
          // A failed authentication: the client reads the answer, then the connection closes after a delay that
          // slows password guessing (connection.failed.authentication.delay.ms); nothing more is read meanwhile.
          this.stopReading();
          setTimeout(() => this.close('authentication failed'), this.info.sasl.config.failedAuthDelayMs).unref();
          return;
        }
        if (this.paused && this.queue.length < this.opts.maxQueuedRequests / 2 && !this.closed) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } finally {
      this.processing = false;
      const r = this.idlePromiseResolve;
      this.idlePromiseResolve = undefined;
      r?.();
    }
  }
}

/**
 * Makes the kernel read `accepted`'s bytes straight into the buffers `reader` chooses. net.Socket's documented
 * `onread` option does this, but net.Server has no way to pass it to the sockets it accepts, so the accepted
 * (still paused) socket's handle is moved into a new Socket created with it. If the handle is not reachable (a
 * runtime that hides it), the bytes arrive as 'data' chunks and are copied into the reader instead.
 * The returned socket must be resumed to start reading.
 */
function readIntoFrames(accepted: Socket, reader: FrameReader, afterRead: () => void): Socket {
  const handle = (accepted as unknown as { _handle?: unknown })._handle;
  // A TLS socket's bytes must pass through its decryption: only its 'data' events carry the plaintext.
  if (
    !(accepted instanceof TLSSocket) &&
    handle &&
    typeof handle === 'object' &&
    'readStart' in handle &&
    'useUserBuffer' in handle
  ) {
    // The old Socket object keeps a reference to the handle but is never used again (it is paused, has no
    // listeners, and is not destroyed: destroying it would close the handle the new socket now owns).
    return new Socket({
      handle: handle as never,
      onread: {
        buffer: () => reader.next(),
        callback: (n: number) => {
          reader.wrote(n);
          afterRead();
          return true;
        },
      },
    });
  }
  accepted.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    afterRead();
  });
  return accepted;
}
