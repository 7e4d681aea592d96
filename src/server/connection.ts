// One client connection: framing with a size cap, requests handled one at a time in arrival order (like Kafka,
// which mutes a channel while a request is in flight), responses written in order.
import type { Socket } from 'node:net';
import { ProtocolError } from '../protocol/io.ts';
import type { Logger } from '../util/log.ts';
import { CloseConnection, type ConnectionInfo } from './handler.ts';

/** A response frame as chunks, and what to run once the socket has written them (see onResponseSent). */
export interface ResponseFrame {
  chunks: Buffer[];
  sent?: () => void;
}

export interface FrameProcessor {
  /** Returns the response, or null for no response. Throws to close the connection. */
  process(frame: Buffer, conn: ConnectionInfo): Promise<ResponseFrame | null>;
}

export interface ConnectionOptions {
  maxRequestBytes: number;
  maxQueuedRequests: number;
  idleTimeoutMs: number;
}

export class Connection {
  readonly info: ConnectionInfo;
  private readonly socket: Socket;
  private readonly processor: FrameProcessor;
  private readonly log: Logger;
  private readonly opts: ConnectionOptions;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly queue: Buffer[] = [];
  private processing = false;
  private closed = false;
  private paused = false;
  private idlePromiseResolve: (() => void) | undefined;

  constructor(socket: Socket, info: ConnectionInfo, processor: FrameProcessor, log: Logger, opts: ConnectionOptions) {
    this.socket = socket;
    this.info = info;
    this.processor = processor;
    this.log = log;
    this.opts = opts;
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle timeout'));
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.log.debug({ conn: info.id, err: e.message }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
      this.idlePromiseResolve?.();
    });
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
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks);
      if (head !== this.chunks[0]) this.chunks = [head];
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.opts.maxRequestBytes) {
        this.log.warn(
          { conn: this.info.id, remote: this.info.remoteAddress, size, max: this.opts.maxRequestBytes },
          'request size outside 0..socket.request.max.bytes; closing the connection',
        );
        this.close('bad frame size');
        return;
      }
      if (this.buffered < size + 4) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.queue.push(frame);
    }
    if (this.queue.length >= this.opts.maxQueuedRequests && !this.paused) {
      this.socket.pause();
      this.paused = true;
    }
    if (!this.processing) void this.drain();
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
        }
        if (response && !this.closed) {
          const { chunks, sent } = response;
          this.socket.cork();
          for (let i = 0; i < chunks.length; i++)
            this.socket.write(chunks[i]!, i === chunks.length - 1 && sent ? () => sent() : undefined);
          this.socket.uncork();
        } else response?.sent?.();
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
