// A connection to one broker speaking the public protocol: pipelined requests, responses matched by
// correlation id. The base of the TypeScript client, the CLI and the tests.
import { connect, type Socket } from 'node:net';
import { API_SCHEMAS, type ApiSchema, encodeRequestFrame, responseHeaderVersion } from '../protocol/apis.ts';
import { decode, type Encodable } from '../protocol/codec.ts';
import { ResponseHeaderSchema } from '../protocol/generated/messages.ts';
import { Reader } from '../protocol/io.ts';

interface Pending {
  api: ApiSchema;
  version: number;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

export class BrokerConnection {
  private socket: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelation = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedError: Error | undefined;
  readonly host: string;
  readonly port: number;
  readonly clientId: string;

  constructor(host: string, port: number, clientId = 'tributary') {
    this.host = host;
    this.port = port;
    this.clientId = clientId;
  }

  static async open(host: string, port: number, clientId?: string, timeoutMs = 10000): Promise<BrokerConnection> {
    const c = new BrokerConnection(host, port, clientId);
    await c.connect(timeoutMs);
    return c;
  }

  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${this.host}:${this.port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        this.socket = s;
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('close', () => this.failAll(new ConnectionClosedError(`connection to ${this.host}:${this.port} closed`)));
      s.on('error', (e) => this.failAll(e));
    });
  }

  get isOpen(): boolean {
    return this.socket !== undefined && this.closedError === undefined;
  }

  /** Sends a request; resolves with the decoded response body. `expectResponse: false` for acks=0 produce. */
  send<Res = Record<string, unknown>, Req = unknown>(
    apiKey: number,
    version: number,
    body: Encodable<Req>,
    expectResponse = true,
  ): Promise<Res> {
    const api = API_SCHEMAS.get(apiKey);
    if (!api) return Promise.reject(new Error(`unknown api key ${apiKey}`));
    if (this.closedError || !this.socket) return Promise.reject(this.closedError ?? new Error('not connected'));
    const correlationId = this.nextCorrelation++;
    const frame = encodeRequestFrame(api, version, { correlationId, clientId: this.clientId }, body);
    const socket = this.socket;
    socket.cork();
    for (const c of frame) socket.write(c);
    socket.uncork();
    if (!expectResponse) return Promise.resolve(undefined as Res);
    return new Promise<Res>((resolve, reject) => {
      this.pending.set(correlationId, { api, version, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.chunks = [all];
      const size = all.readInt32BE(0);
      if (this.buffered < size + 4) return;
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const oldest = this.pending.keys().next().value;
    if (oldest !== correlationId) {
      // Kafka answers a connection's requests in order; anything else is a broken peer.
      this.failAll(new Error(`response ${correlationId} arrived out of order (expected ${oldest})`));
      this.socket?.destroy();
      return;
    }
    const p = this.pending.get(correlationId)!;
    this.pending.delete(correlationId);
    try {
      const r = new Reader(frame);
      decode(ResponseHeaderSchema, responseHeaderVersion(p.api, p.version), r);
      p.resolve(decode(p.api.response, p.version, r));
    } catch (e) {
      p.reject(e as Error);
    }
  }

  private failAll(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  close(): void {
    this.socket?.destroy();
    this.failAll(new ConnectionClosedError('closed by client'));
  }
}
