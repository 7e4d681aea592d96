// A connection to one broker speaking the public protocol: pipelined requests, responses matched by
// correlation id. The base of the TypeScript client, the CLI and the tests.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { API_SCHEMAS, type ApiSchema, encodeRequestFrame, responseHeaderVersion } from '../protocol/apis.ts';
import { decode, type Encodable } from '../protocol/codec.ts';
import { FrameReader } from '../protocol/frame-reader.ts';
import { ResponseHeaderSchema } from '../protocol/generated/messages.ts';
import { Reader } from '../protocol/io.ts';
import { KafkaClientError, UnsupportedApiError } from './errors.ts';
import { type ClientSecurity, checkSasl, reauthDelayMs, saslAuthenticate } from './security.ts';

/**
 * API versions this client speaks: [min, max]. Negotiation picks the highest version both sides support. Minimums
 * exclude forms the client does not implement (e.g. magic 0/1 produce and fetch).
 */
export const CLIENT_VERSIONS: ReadonlyMap<number, readonly [number, number]> = new Map<number, [number, number]>([
  [0, [3, 11]], // Produce
  [1, [4, 17]], // Fetch
  [2, [1, 10]], // ListOffsets
  [3, [1, 12]], // Metadata
  [8, [2, 9]], // OffsetCommit
  [9, [1, 9]], // OffsetFetch
  [10, [0, 6]], // FindCoordinator
  [11, [0, 9]], // JoinGroup
  [12, [0, 4]], // Heartbeat
  [13, [0, 5]], // LeaveGroup
  [14, [0, 5]], // SyncGroup
  [15, [0, 5]], // DescribeGroups
  [16, [0, 5]], // ListGroups
  [17, [1, 1]], // SaslHandshake (v0's bare token frames are not spoken)
  [18, [0, 4]], // ApiVersions
  [19, [2, 7]], // CreateTopics
  [20, [1, 6]], // DeleteTopics
  [22, [0, 5]], // InitProducerId
  [29, [1, 3]], // DescribeAcls
  [30, [1, 3]], // CreateAcls
  [31, [1, 3]], // DeleteAcls
  [32, [1, 4]], // DescribeConfigs
  [33, [0, 2]], // AlterConfigs
  [35, [1, 4]], // DescribeLogDirs
  [36, [0, 2]], // SaslAuthenticate
  [37, [0, 3]], // CreatePartitions
  [42, [0, 2]], // DeleteGroups
  [44, [0, 1]], // IncrementalAlterConfigs
  [47, [0, 0]], // OffsetDelete
  [48, [0, 1]], // DescribeClientQuotas
  [49, [0, 1]], // AlterClientQuotas
  [50, [0, 0]], // DescribeUserScramCredentials
  [51, [0, 0]], // AlterUserScramCredentials
  [60, [0, 1]], // DescribeCluster
]);

interface Pending {
  api: ApiSchema;
  version: number;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

/** A response larger than this is treated as a broken peer (Kafka caps fetches at fetch.max.bytes, 50 MiB). */
const MAX_RESPONSE_BYTES = 1 << 30;

export class BrokerConnection {
  private socket: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelation = 1;
  private closedError: Error | undefined;
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly security: ClientSecurity;
  /** The session lifetime the broker gave the last SASL authentication (KIP-368); 0 = none. */
  sessionLifetimeMs = 0;
  private reauthTimer: NodeJS.Timeout | undefined;
  /** The broker's [min, max] per api key, after `negotiate()`. */
  readonly brokerVersions = new Map<number, readonly [number, number]>();
  /** Milliseconds a request may wait for its response before the connection is closed. */
  requestTimeoutMs = 30000;

  constructor(host: string, port: number, clientId = 'tributary', security: ClientSecurity = {}) {
    this.host = host;
    this.port = port;
    this.clientId = clientId;
    this.security = security;
    if (security.sasl) checkSasl(security.sasl);
  }

  /**
   * Connects (over TLS when `security.ssl`); with `security.sasl` also negotiates versions and authenticates, so
   * the connection is ready for any request. Without SASL, `negotiate()` is the caller's.
   */
  static async open(
    host: string,
    port: number,
    clientId?: string,
    timeoutMs = 10000,
    security: ClientSecurity = {},
  ): Promise<BrokerConnection> {
    const c = new BrokerConnection(host, port, clientId, security);
    await c.connect(timeoutMs);
    if (security.sasl) {
      try {
        await c.negotiate();
        await c.authenticate();
      } catch (e) {
        c.close();
        throw e;
      }
    }
    return c;
  }

  /** Whether ApiVersions has been answered. */
  get negotiated(): boolean {
    return this.brokerVersions.size > 0;
  }

  /**
   * SASL authentication with `security.sasl` (after `negotiate()`); when the broker gives the session a lifetime,
   * re-authenticates on this connection before it ends (KIP-368). Requests sent meanwhile are pipelined as usual.
   */
  async authenticate(): Promise<void> {
    const sasl = this.security.sasl;
    if (!sasl) throw new Error('no SASL settings for this connection');
    const where = `${this.host}:${this.port}`;
    const lifetime = await saslAuthenticate(
      (apiKey, version, body) => this.send(apiKey, version, body as Encodable<unknown>),
      sasl,
      { handshake: this.version(17), authenticate: this.version(36) },
      where,
    );
    this.sessionLifetimeMs = lifetime;
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    this.reauthTimer = undefined;
    if (lifetime > 0 && this.isOpen) {
      this.reauthTimer = setTimeout(() => {
        this.authenticate().catch((e: Error) => {
          this.failAll(new Error(`re-authentication with ${where} failed: ${e.message}`, { cause: e }));
          this.socket?.destroy();
        });
      }, reauthDelayMs(lifetime));
      this.reauthTimer.unref();
    }
  }

  connect(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // Responses are read straight into frame buffers (a large fetch response into one buffer of its size).
      const reader = new FrameReader({
        maxFrameBytes: MAX_RESPONSE_BYTES,
        onFrame: (frame) => this.onFrame(frame),
        onBadSize: (size) => {
          this.failAll(new Error(`response size ${size} from ${this.host}:${this.port} is not valid`));
          s.destroy();
        },
      });
      const tls = this.security.ssl;
      let s: Socket;
      if (tls) {
        // TLS: decrypted bytes arrive as 'data' events and are copied into the frame reader.
        const o = tls === true ? {} : tls;
        const servername = o.servername ?? (isIP(this.host) ? undefined : this.host);
        s = tlsConnect({
          host: this.host,
          port: this.port,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          passphrase: o.passphrase,
          pfx: o.pfx,
          minVersion: o.minVersion,
          maxVersion: o.maxVersion,
          ciphers: o.ciphers,
          rejectUnauthorized: o.rejectUnauthorized ?? true,
          servername,
          checkServerIdentity: o.skipHostnameCheck
            ? () => undefined
            : (host, cert) => checkServerIdentity(o.servername ?? host, cert),
        });
        s.on('data', (chunk: Buffer) => reader.push(chunk));
      } else {
        s = netConnect({
          host: this.host,
          port: this.port,
          onread: {
            buffer: () => reader.next(),
            callback: (n: number) => {
              reader.wrote(n);
              return true;
            },
          },
        });
      }
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${this.host}:${this.port} timed out`));
      }, timeoutMs);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        this.socket = s;
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.on('close', () => this.failAll(new ConnectionClosedError(`connection to ${this.host}:${this.port} closed`)));
      s.on('error', (e) => this.failAll(e));
    });
  }

  /** Asks the broker which API versions it serves (ApiVersions), as every Kafka client does first. */
  async negotiate(): Promise<void> {
    const body = { clientSoftwareName: 'tributary-js', clientSoftwareVersion: '0.1.0' };
    let res = await this.send<{
      errorCode: number;
      apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
    }>(18, 3, body);
    if (res.errorCode === 35) {
      // UNSUPPORTED_VERSION: the broker lists what it serves (in v0 form); retry with its highest ApiVersions.
      const mine = res.apiKeys.find((k) => k.apiKey === 18);
      res = await this.send(18, Math.min(3, mine?.maxVersion ?? 0), body);
    }
    if (res.errorCode !== 0) throw new KafkaClientError(res.errorCode, 'ApiVersions failed');
    this.brokerVersions.clear();
    for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, [k.minVersion, k.maxVersion]);
  }

  /** True if both sides share a version of the API. */
  supports(apiKey: number): boolean {
    const b = this.brokerVersions.get(apiKey);
    const c = CLIENT_VERSIONS.get(apiKey);
    return b !== undefined && c !== undefined && Math.max(b[0], c[0]) <= Math.min(b[1], c[1]);
  }

  /** The highest version of `apiKey` both sides support; throws UnsupportedApiError if none. */
  version(apiKey: number): number {
    const b = this.brokerVersions.get(apiKey);
    const c = CLIENT_VERSIONS.get(apiKey);
    const name = API_SCHEMAS.get(apiKey)?.name ?? `api ${apiKey}`;
    if (!c) throw new UnsupportedApiError(`the client does not implement ${name}`);
    if (!b) throw new UnsupportedApiError(`broker ${this.host}:${this.port} does not support ${name}`);
    const v = Math.min(b[1], c[1]);
    if (v < Math.max(b[0], c[0]))
      throw new UnsupportedApiError(
        `broker ${this.host}:${this.port} serves ${name} v${b[0]}-${b[1]}, the client speaks v${c[0]}-${c[1]}`,
      );
    return v;
  }

  /** Sends `body` at the negotiated version of `apiKey`. */
  request<Res = Record<string, unknown>, Req = unknown>(
    apiKey: number,
    body: Encodable<Req>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<Res> {
    return this.send<Res, Req>(apiKey, this.version(apiKey), body, true, timeoutMs);
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
    timeoutMs = this.requestTimeoutMs,
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
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              // A late answer would break the in-order matching: the connection is done.
              this.failAll(
                new KafkaClientError(7, `${api.name} to ${this.host}:${this.port} got no answer in ${timeoutMs} ms`),
              );
              this.socket?.destroy();
            }, timeoutMs)
          : undefined;
      timer?.unref();
      this.pending.set(correlationId, {
        api,
        version,
        resolve: (v) => {
          if (timer) clearTimeout(timer);
          (resolve as (v: unknown) => void)(v);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      });
    });
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
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  close(): void {
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    this.socket?.destroy();
    this.failAll(new ConnectionClosedError('closed by client'));
  }
}
