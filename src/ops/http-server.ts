/**
 * The operations HTTP listener (`http.listeners`, node:http, or node:https for `https://` endpoints): `/health` (the
 * process is up), `/ready` (serving clients: listening, metadata loaded, registered and not fenced, every log dir
 * online) and `/metrics` (Prometheus text format). Everything it reports is read from the broker's own state at
 * request time. With `http.auth=basic` everything but /health and /ready needs a broker user's credentials
 * (http-auth.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { BrokerServices } from '../server/services.ts';
import type { BoundListener } from '../server/socket-server.ts';
import type { LogManager } from '../storage/log-manager.ts';
import type { Logger } from '../util/log.ts';
import { ConsoleApi } from './console-api.ts';
import { BASIC_CHALLENGE, HttpAuth, HttpAuthError, type HttpAuthOptions, type KafkaClients } from './http-auth.ts';
import { BrokerMetrics } from './metrics.ts';

export interface HttpEndpoint {
  host: string;
  port: number;
  /** An https:// endpoint. */
  tls?: true;
}

export interface BoundHttpListener extends HttpEndpoint {
  /** The port actually bound (differs from `port` when it was 0). */
  boundPort: number;
}

/** Parses `http://host:port` or `https://host:port` (brackets around an IPv6 host; empty host = every interface). */
export function parseHttpListener(s: string): HttpEndpoint {
  const m = /^(https?):\/\/(\[([0-9a-fA-F:.]+)\]|[^:/\s]*):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[4]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`http.listeners: expected http://host:port or https://host:port, got ${JSON.stringify(s)}`);
  const ep: HttpEndpoint = { host: m[3] ?? m[2]!, port };
  if (m[1] === 'https') ep.tls = true;
  return ep;
}

export interface OpsHttpOptions {
  services: BrokerServices;
  logs: () => LogManager | undefined;
  /** True while the broker's Kafka listeners accept connections (false before start and once stopping). */
  listening: () => boolean;
  connections: () => ReadonlyMap<string, number>;
  /** Whether this broker is the active controller (default: always, as a single node is). */
  activeController?: () => boolean;
  /** The broker's bound Kafka listeners: the console's client connects to one of them. */
  kafkaListeners?: () => readonly BoundListener[];
  /** Directory of the built web console (default: the package's dist/console). */
  consoleDir?: string;
  /** http.auth=basic: where users are checked; undefined leaves the listener open. */
  auth?: HttpAuthOptions;
  /** TLS server options for https:// endpoints (from the broker's ssl.* keys), read when one is opened. */
  tls?: () => TlsOptions;
  log: Logger;
}

/** host:port for a client inside this process: a PLAINTEXT listener first, any-address hosts as loopback. */
export function localBootstrap(listeners: readonly BoundListener[]): string {
  const l = listeners.find((x) => x.securityProtocol === 'PLAINTEXT') ?? listeners[0];
  if (l === undefined) throw new Error('the broker has no Kafka listener');
  return localAddress(l);
}

/** host:port of one bound listener for a client in this process (any-address hosts as loopback). */
export function localAddress(l: BoundListener): string {
  const host = l.host === '' || l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '::1' : l.host;
  return `${host.includes(':') ? `[${host}]` : host}:${l.boundPort}`;
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

/**
 * A route beyond the built-in ones (the console's API and assets); returns false when it does not handle the path.
 * `clients` are the authenticated user's Kafka clients (http.auth=basic).
 */
export type HttpRoute = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  clients?: KafkaClients,
) => boolean | Promise<boolean>;

export class OpsHttpServer {
  readonly metrics: BrokerMetrics;
  private readonly opts: OpsHttpOptions;
  private readonly servers: Server[] = [];
  private readonly routes: HttpRoute[] = [];
  private bound: BoundHttpListener[] = [];
  private readonly console: ConsoleApi | undefined;
  private readonly auth: HttpAuth | undefined;

  constructor(opts: OpsHttpOptions) {
    this.opts = opts;
    this.metrics = new BrokerMetrics({
      services: opts.services,
      connections: opts.connections,
      activeController: opts.activeController,
    });
    this.auth = opts.auth ? new HttpAuth(opts.auth) : undefined;
    const listeners = opts.kafkaListeners;
    if (listeners) {
      this.console = new ConsoleApi({ bootstrap: () => localBootstrap(listeners()), dir: opts.consoleDir });
      this.addRoute(this.console.route);
    }
  }

  get listeners(): readonly BoundHttpListener[] {
    return this.bound;
  }

  addRoute(route: HttpRoute): void {
    this.routes.push(route);
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    const s = this.opts.services;
    if (!this.opts.listening()) reasons.push('the Kafka listeners are not accepting connections');
    const image = s.metadata();
    const me = image.brokers.get(s.nodeId);
    if (me === undefined) reasons.push(`broker ${s.nodeId} is not registered in the cluster metadata`);
    else if (me.fenced) reasons.push(`broker ${s.nodeId} is fenced`);
    const logs = this.opts.logs();
    if (logs === undefined) reasons.push('the logs are not loaded');
    else for (const [dir, err] of logs.offlineDirs) reasons.push(`log dir ${dir} is offline: ${err.message}`);
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Binds every endpoint. A port already taken is logged and skipped, not fatal: the Kafka listeners matter more
   * than this one, and two brokers on one machine with the default setting would otherwise refuse to start.
   */
  async listen(endpoints: readonly HttpEndpoint[]): Promise<BoundHttpListener[]> {
    for (const ep of endpoints) {
      const scheme = ep.tls ? 'https' : 'http';
      const onRequest = (req: IncomingMessage, res: ServerResponse) => {
        this.handle(req, res).catch((err: unknown) => {
          this.opts.log.error({ err, url: req.url }, 'http request failed');
          if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message ?? String(err) });
          else res.destroy();
        });
      };
      let server: Server;
      try {
        if (ep.tls && this.opts.tls === undefined) throw new Error('https:// needs the broker ssl.keystore.* keys');
        server = ep.tls ? createHttpsServer(this.opts.tls!(), onRequest) : createServer(onRequest);
      } catch (err) {
        this.opts.log.error(
          { err, host: ep.host, port: ep.port },
          `http listener ${scheme}://${ep.host}:${ep.port} could not be opened: ${(err as Error).message}`,
        );
        continue;
      }
      server.keepAliveTimeout = 5000;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: ep.host === '' ? undefined : ep.host, port: ep.port }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        this.opts.log.error(
          { err, host: ep.host, port: ep.port },
          `http listener ${scheme}://${ep.host}:${ep.port} could not be opened; /health, /ready and /metrics are not served there`,
        );
        continue;
      }
      server.on('error', (err) => this.opts.log.error({ err }, 'http listener error'));
      const addr = server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : ep.port;
      this.servers.push(server);
      this.bound.push({ ...ep, boundPort });
      this.opts.log.info(
        { scheme, host: ep.host, port: boundPort, auth: this.auth ? 'basic' : 'none' },
        'http listener started (console, /health, /ready, /metrics)',
      );
    }
    return this.bound;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const get = req.method === 'GET' || req.method === 'HEAD';
    switch (url.pathname) {
      case '/health':
        if (!get) return methodNotAllowed(res);
        return sendJson(res, 200, { status: 'UP' });
      case '/ready': {
        if (!get) return methodNotAllowed(res);
        const r = this.readiness();
        return sendJson(
          res,
          r.ready ? 200 : 503,
          r.ready ? { status: 'READY' } : { status: 'NOT_READY', reasons: r.reasons },
        );
      }
    }
    // Everything else is the broker's data: with http.auth=basic only for a user of the broker.
    let clients: KafkaClients | undefined;
    if (this.auth !== undefined) {
      try {
        clients = await this.auth.authenticate(req);
      } catch (e) {
        if (!(e instanceof HttpAuthError)) throw e;
        if (e.status === 401) res.setHeader('www-authenticate', BASIC_CHALLENGE);
        return sendJson(res, e.status, { error: e.message });
      }
    }
    switch (url.pathname) {
      case '/metrics': {
        if (!get) return methodNotAllowed(res);
        const text = await this.metrics.scrape();
        res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
        return;
      }
    }
    for (const route of this.routes) if (await route(req, res, url, clients)) return;
    sendJson(res, 404, { error: `no such path: ${url.pathname}` });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers.length = 0;
    this.bound = [];
    await Promise.all([this.console?.close(), this.auth?.close()]);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function methodNotAllowed(res: ServerResponse): void {
  res.setHeader('allow', 'GET, HEAD');
  sendJson(res, 405, { error: 'method not allowed' });
}
