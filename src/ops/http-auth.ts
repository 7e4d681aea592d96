/**
 * `http.auth=basic`: HTTP Basic credentials on /metrics and the web console, checked against the broker's own SASL
 * users by authenticating to its SASL_PLAINTEXT (else SASL_SSL) listener with them — PLAIN users of the listener's JAAS config,
 * SCRAM users of the cluster metadata — so there is no second user database and no second password check. The
 * clients opened for a user (Admin, and the Producer and Consumers the console uses) stay authenticated as that
 * principal: every console action is authorized by the broker's ACLs exactly as the same request from any Kafka
 * client would be. A user's clients are kept while in use and closed after an idle minute.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Admin } from '../client/admin.ts';
import type { ClientOptions } from '../client/cluster.ts';
import { KafkaClientError } from '../client/errors.ts';
import { Producer } from '../client/producer.ts';
import type { ClientTls, SaslMechanism } from '../client/security.ts';
import { ErrorCode } from '../protocol/errors.ts';

const IDLE_MS = 60_000;

/** The Kafka clients the console works through, all connected as one principal. */
export class KafkaClients {
  /** `User:<name>` when authenticated, null for the console's own anonymous clients. */
  readonly principal: string | null;
  readonly common: ClientOptions;
  readonly admin: Admin;
  private producerClient: Producer | undefined;
  lastUsed = Date.now();

  constructor(common: ClientOptions, principal: string | null) {
    this.common = common;
    this.principal = principal;
    this.admin = new Admin(common);
  }

  producer(): Producer {
    this.producerClient ??= new Producer({ ...this.common, lingerMs: 0 });
    return this.producerClient;
  }

  async close(): Promise<void> {
    await Promise.all([this.producerClient?.close(), this.admin.close()]);
  }
}

/** Where and how the console's clients reach the broker as a user. */
export interface SaslEndpoint {
  /** host:port of a SASL_PLAINTEXT or SASL_SSL listener of this broker. */
  bootstrap: string;
  /** TLS to the listener when it is SASL_SSL. */
  ssl?: ClientTls;
  /** The listener's enabled mechanisms, in its order. */
  mechanisms: readonly string[];
}

export interface HttpAuthOptions {
  /** The SASL listener to authenticate at; undefined when the broker has none. */
  endpoint: () => SaslEndpoint | undefined;
  /** The SCRAM mechanisms `user` has a credential for (from the metadata image). */
  scramMechanisms: (user: string) => readonly string[];
}

/** Why a request gets no clients: 401 with this message (and a Basic challenge), or 503 when it cannot work. */
export class HttpAuthError extends Error {
  readonly status: 401 | 503;
  constructor(status: 401 | 503, message: string) {
    super(message);
    this.status = status;
  }
}

export const BASIC_CHALLENGE = 'Basic realm="Tributary", charset="UTF-8"';

export class HttpAuth {
  private readonly opts: HttpAuthOptions;
  /** By user and a digest of the password: a changed password never reuses a session. */
  private readonly sessions = new Map<string, Promise<KafkaClients>>();
  private readonly timer: NodeJS.Timeout;

  constructor(opts: HttpAuthOptions) {
    this.opts = opts;
    this.timer = setInterval(() => void this.closeIdle(), IDLE_MS / 4);
    this.timer.unref();
  }

  /** The authenticated clients of the request's Basic credentials; throws HttpAuthError otherwise. */
  async authenticate(req: IncomingMessage): Promise<KafkaClients> {
    const creds = parseBasic(req.headers.authorization);
    if (creds === undefined)
      throw new HttpAuthError(401, 'credentials required (HTTP Basic, a SASL user of the broker)');
    const key = `${creds.user}\0${createHash('sha256').update(creds.password).digest('base64')}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = this.open(creds.user, creds.password);
      this.sessions.set(key, session);
      session.catch(() => {
        if (this.sessions.get(key) === session) this.sessions.delete(key);
      });
    }
    const clients = await session;
    clients.lastUsed = Date.now();
    return clients;
  }

  private async open(user: string, password: string): Promise<KafkaClients> {
    const ep = this.opts.endpoint();
    if (ep === undefined)
      throw new HttpAuthError(
        503,
        'http.auth=basic needs a SASL_PLAINTEXT or SASL_SSL listener on this broker to check users',
      );
    const scram = this.opts.scramMechanisms(user);
    // A SCRAM credential of the user on a mechanism the listener enables, else PLAIN (the JAAS users).
    const mechanism = (ep.mechanisms.find((m) => m.startsWith('SCRAM-') && scram.includes(m)) ??
      (ep.mechanisms.includes('PLAIN') ? 'PLAIN' : undefined)) as SaslMechanism | undefined;
    if (mechanism === undefined) throw new HttpAuthError(401, `authentication failed for ${user}`);
    const clients = new KafkaClients(
      {
        bootstrapServers: ep.bootstrap,
        clientId: 'tributary-console',
        retries: 2,
        sasl: { mechanism, username: user, password },
        ssl: ep.ssl,
      },
      `User:${user}`,
    );
    try {
      await clients.admin.cluster.any();
    } catch (e) {
      await clients.close().catch(() => {});
      if (authFailure(e)) throw new HttpAuthError(401, `authentication failed for ${user}`);
      throw e;
    }
    return clients;
  }

  private async closeIdle(): Promise<void> {
    const now = Date.now();
    for (const [key, p] of this.sessions) {
      const c = await p.catch(() => undefined);
      if (c === undefined || now - c.lastUsed < IDLE_MS) continue;
      if (this.sessions.get(key) === p) this.sessions.delete(key);
      await c.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => {})));
  }
}

/** user and password of an `Authorization: Basic ...` header (RFC 7617, UTF-8); undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Whether `e` (or an error it wraps) is the broker refusing the SASL credentials. */
function authFailure(e: unknown): boolean {
  for (let x = e; x instanceof Error; x = x.cause) {
    if (x instanceof KafkaClientError)
      return x.code === ErrorCode.SASL_AUTHENTICATION_FAILED || x.code === ErrorCode.UNSUPPORTED_SASL_MECHANISM;
  }
  return false;
}
