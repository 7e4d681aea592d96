// Listeners: accept connections (TCP, or TLS for SSL / SASL_SSL listeners) and hand each to a Connection bound to
// the dispatcher. A TLS connection's principal comes from its client certificate, when it presents one.
import { X509Certificate } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { ANONYMOUS, distinguishedName, mapDistinguishedName } from '../security/principal.ts';
import { FAKE_SCRAM_SECRET, type ListenerSasl, SaslSession } from '../security/sasl.ts';
import type { ScramLookup } from '../security/scram.ts';
import { type ListenerTls, usesTls } from '../security/tls.ts';
import { assert } from '../util/assert.ts';
import type { Logger } from '../util/log.ts';
import { Connection, type ConnectionOptions, type FrameProcessor } from './connection.ts';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
  /** Required for SSL and SASL_SSL listeners. */
  tls?: ListenerTls;
  /** Required for SASL_PLAINTEXT and SASL_SSL listeners. */
  sasl?: { config: ListenerSasl; scram: ScramLookup };
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when it was 0). */
  boundPort: number;
}

export interface SocketServerOptions extends ConnectionOptions {
  maxConnections: number;
  /** Accept connections but read no request until enableRequestProcessing() (a cluster broker joining). */
  holdUntilEnabled?: boolean;
  /**
   * The connection_creation_rate quota of the peer's address: 0 accepts the connection; otherwise it is closed
   * after that many ms without being read (Kafka's delayed close of a throttled connection).
   */
  connectionThrottleMs?: (ip: string) => number;
  /** Runs when a client connection has closed, with its id (share sessions end with their connection). */
  onConnectionClosed?: (id: number) => void;
}

export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly listenerNames: string[] = [];
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private readonly processor: FrameProcessor;
  private readonly log: Logger;
  private readonly opts: SocketServerOptions;
  /** Connections accepted before enableRequestProcessing(), not yet read from (null once processing is on). */
  private held: Array<() => void> | null;
  private heldSockets = new Set<Socket>();
  /** TLS listeners' servers and the settings they serve, by listener name. */
  private readonly tlsServers = new Map<string, TlsServer>();
  private readonly tls = new Map<string, ListenerTls>();

  constructor(processor: FrameProcessor, log: Logger, opts: SocketServerOptions) {
    this.processor = processor;
    this.log = log;
    this.opts = opts;
    this.held = opts.holdUntilEnabled ? [] : null;
  }

  /** Whether requests are being processed (false while connections are held at start-up). */
  get processing(): boolean {
    return this.held === null;
  }

  /** Connections accepted and waiting for enableRequestProcessing(). */
  get heldConnections(): number {
    return this.heldSockets.size;
  }

  /**
   * Starts processing requests on the connections held since listen() (as Kafka's SocketServer
   * enableRequestProcessing: a cluster broker binds its ports first, to register the ports it got, and reads no
   * request until its own metadata shows it registered and unfenced).
   */
  enableRequestProcessing(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    this.heldSockets.clear();
    for (const start of held) start();
  }

  async listen(specs: ListenerSpec[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const spec of specs) {
      if (spec.securityProtocol.startsWith('SASL_') && spec.sasl === undefined)
        throw new Error(`listener ${spec.name} uses SASL but has no SASL settings`);
      let server: Server;
      if (usesTls(spec.securityProtocol)) {
        const tls = spec.tls;
        if (tls === undefined) throw new Error(`listener ${spec.name} uses TLS but has no TLS settings`);
        this.tls.set(spec.name, tls);
        const tlsServer = createTlsServer(tls.options, (socket) => this.acceptTls(socket, spec));
        this.tlsServers.set(spec.name, tlsServer);
        server = tlsServer;
        server.on('tlsClientError', (err, socket) =>
          this.log.info(
            { listener: spec.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message },
            'TLS handshake failed',
          ),
        );
      } else {
        // Paused until the Connection takes over the socket's reads (see readIntoFrames in connection.ts).
        server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket, spec, ANONYMOUS));
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: spec.host === '' ? undefined : spec.host, port: spec.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : spec.port;
      this.servers.push(server);
      this.listenerNames.push(spec.name);
      bound.push({ ...spec, boundPort });
      this.log.info({ listener: spec.name, host: spec.host, port: boundPort }, 'listening');
    }
    return bound;
  }

  /** The TLS settings a listener serves now (its start-up ones, or the last reload's). */
  servedTls(listener: string): ListenerTls | undefined {
    return this.tls.get(listener);
  }

  /**
   * Replaces a TLS listener's key and trust stores (a dynamic reconfiguration): connections accepted from now on
   * get the new secure context, open ones keep theirs. Client authentication and principal rules are not part of a
   * reload (Kafka does not reconfigure them in place), so `tls` must keep the listener's.
   */
  reloadTls(listener: string, tls: ListenerTls): void {
    const server = this.tlsServers.get(listener);
    const current = this.tls.get(listener);
    assert(server !== undefined && current !== undefined, `no TLS listener named ${listener}`);
    assert(tls.clientAuth === current.clientAuth, 'a TLS reload keeps the listener client authentication');
    server.setSecureContext(tls.options);
    this.tls.set(listener, tls);
  }

  /** A TLS connection after its handshake: checks the client certificate and maps it to the principal. */
  private acceptTls(socket: TLSSocket, spec: ListenerSpec): void {
    const tls = this.tls.get(spec.name)!;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const raw = tls.clientAuth === 'none' ? undefined : socket.getPeerCertificate()?.raw;
    let principal = ANONYMOUS;
    if (raw !== undefined && raw.length > 0) {
      // 'requested' lets a client without a certificate in, but not one whose certificate fails verification.
      if (!socket.authorized) {
        this.log.info(
          { listener: spec.name, remote, err: String(socket.authorizationError) },
          'client certificate rejected',
        );
        socket.destroy();
        return;
      }
      const dn = distinguishedName(new X509Certificate(raw));
      try {
        principal = `User:${mapDistinguishedName(tls.principalRules, dn)}`;
      } catch (e) {
        this.log.info({ listener: spec.name, remote, dn, err: (e as Error).message }, 'SSL authentication failed');
        socket.destroy();
        return;
      }
    }
    this.accept(socket, spec, principal);
  }

  private accept(socket: Socket, spec: ListenerSpec, principal: string): void {
    if (this.held !== null) {
      // Not processing yet: the socket stays unread (the client waits, as on a Kafka broker still starting).
      const held = this.held;
      this.heldSockets.add(socket);
      socket.once('close', () => {
        this.heldSockets.delete(socket);
        const i = held.indexOf(start);
        if (i >= 0) held.splice(i, 1);
      });
      const start = () => {
        if (!socket.destroyed) this.accept(socket, spec, principal);
      };
      held.push(start);
      return;
    }
    if (this.connections.size >= this.opts.maxConnections) {
      this.log.warn({ max: this.opts.maxConnections }, 'max.connections reached; refusing a connection');
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? '';
    const throttleMs = this.opts.connectionThrottleMs?.(address.startsWith('::ffff:') ? address.slice(7) : address);
    if (throttleMs !== undefined && throttleMs > 0) {
      this.log.debug({ remote: address, throttleMs }, 'connection_creation_rate exceeded; closing the connection');
      setTimeout(() => socket.destroy(), throttleMs).unref();
      return;
    }
    const conn = new Connection(
      socket,
      {
        id: this.nextId++,
        remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
        listenerName: spec.name,
        securityProtocol: spec.securityProtocol,
        principal,
        sasl: spec.sasl ? new SaslSession(spec.sasl.config, spec.sasl.scram, FAKE_SCRAM_SECRET) : undefined,
      },
      this.processor,
      this.log,
      this.opts,
      () => {
        this.connections.delete(conn);
        this.opts.onConnectionClosed?.(conn.info.id);
      },
    );
    this.connections.add(conn);
  }

  /** Open connections per listener name (for metrics). */
  connectionCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.listenerNames.map((n) => [n, 0]));
    for (const c of this.connections) counts.set(c.info.listenerName, (counts.get(c.info.listenerName) ?? 0) + 1);
    return counts;
  }

  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes every connection. */
  async shutdown(timeoutMs: number): Promise<void> {
    for (const s of this.servers) s.close();
    for (const s of this.heldSockets) s.destroy();
    this.heldSockets.clear();
    if (this.held !== null) this.held = [];
    for (const c of this.connections) c.stopReading();
    const idle = Promise.all([...this.connections].map((c) => c.whenIdle()));
    await Promise.race([idle, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    for (const c of this.connections) c.close('shutdown');
    this.connections.clear();
  }
}
