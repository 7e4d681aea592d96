// SASL on SASL_PLAINTEXT / SASL_SSL listeners, as Kafka's SaslServerAuthenticator: the listener's settings (enabled
// mechanisms, PLAIN users from its JAAS config, the pre-authentication size cap, the session lifetime) and the state
// of one connection's authentication (handshake → authenticate → authenticated; re-authentication, KIP-368).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { ConfigError } from '../config/errors.ts';
import { listenerValue } from '../config/listener-config.ts';
import { JaasError, PLAIN_LOGIN_MODULE, parseJaasConfig, plainUsers } from './jaas.ts';
import type { JwksLog } from './jwks.ts';
import { errorChallenge, parseClientInitialResponse, TokenError } from './oauthbearer.ts';
import { type ListenerOAuth, listenerOAuth } from './oauthbearer-config.ts';
import { type ScramLookup, ScramServer, scramMechanismByName } from './scram.ts';

export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

export interface ListenerSasl {
  readonly mechanisms: readonly string[];
  /** PLAIN's users and passwords (from the JAAS config), when PLAIN is enabled. */
  readonly plainUsers: ReadonlyMap<string, string>;
  /** sasl.server.max.receive.size: largest frame before authentication. */
  readonly maxReceiveSize: number;
  /** connections.max.reauth.ms; 0 = sessions do not expire. */
  readonly reauthMs: number;
  readonly failedAuthDelayMs: number;
  /** OAUTHBEARER's token validator, when OAUTHBEARER is enabled. */
  readonly oauth?: ListenerOAuth;
}

/** Reads a SASL listener's settings; throws ConfigError naming the key for what cannot work. */
export function listenerSasl(cfg: BrokerConfig, listener: Listener, log?: JwksLog): ListenerSasl {
  const name = listener.name.toLowerCase();
  const prefixed = (key: string) => `listener.name.${name}.${key}`;
  const keyName = (key: string) => (cfg.isSet(prefixed(key)) ? prefixed(key) : key);
  const mechanisms = listenerValue(cfg, listener.name, 'sasl.enabled.mechanisms') as string[];
  const unsupported = mechanisms.filter((m) => !SUPPORTED_MECHANISMS.includes(m));
  if (unsupported.length > 0 || mechanisms.length === 0)
    throw new ConfigError(
      keyName('sasl.enabled.mechanisms'),
      mechanisms.join(','),
      `listener ${listener.name}: ${unsupported.length > 0 ? `${unsupported.join(', ')} not supported; ` : ''}` +
        `enable any of ${SUPPORTED_MECHANISMS.join(', ')}`,
    );
  // As KafkaConfig: the inter-broker listener must offer the inter-broker mechanism.
  const interMechanism = cfg.get('sasl.mechanism.inter.broker.protocol') as string;
  if (listener.name === cfg.interBrokerListenerName && !mechanisms.includes(interMechanism))
    throw new ConfigError(
      'sasl.mechanism.inter.broker.protocol',
      interMechanism,
      `sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for ` +
        `inter-broker communication (listener ${listener.name} enables ${mechanisms.join(',')})`,
    );
  let users = new Map<string, string>();
  if (mechanisms.includes('PLAIN')) {
    // Kafka's lookup: listener.name.<l>.plain.sasl.jaas.config, then sasl.jaas.config.
    const key = cfg.isSet(prefixed('plain.sasl.jaas.config'))
      ? prefixed('plain.sasl.jaas.config')
      : cfg.isSet(prefixed('sasl.jaas.config'))
        ? prefixed('sasl.jaas.config')
        : 'sasl.jaas.config';
    const text = cfg.get(key) as string | null;
    if (text === null || text === undefined)
      throw new ConfigError(
        prefixed('plain.sasl.jaas.config'),
        null,
        `listener ${listener.name} enables PLAIN: set a ${PLAIN_LOGIN_MODULE} required user_<name>="<password>"; entry`,
      );
    try {
      const entry = parseJaasConfig(text);
      if (entry.loginModule !== PLAIN_LOGIN_MODULE)
        throw new JaasError(`PLAIN needs ${PLAIN_LOGIN_MODULE}, not ${entry.loginModule}`);
      users = plainUsers(entry);
    } catch (e) {
      if (!(e instanceof JaasError)) throw e;
      throw new ConfigError(key, '[hidden]', e.message); // never echo a JAAS config: it holds passwords
    }
  }
  return {
    mechanisms,
    plainUsers: users,
    oauth: mechanisms.includes('OAUTHBEARER') ? listenerOAuth(cfg, listener, log) : undefined,
    maxReceiveSize: listenerValue(cfg, listener.name, 'sasl.server.max.receive.size') as number,
    reauthMs: listenerValue(cfg, listener.name, 'connections.max.reauth.ms') as number,
    failedAuthDelayMs: cfg.get('connection.failed.authentication.delay.ms') as number,
  };
}

export type SaslState = 'handshake' | 'authenticate' | 'authenticate-raw' | 'authenticated';

export interface SaslStep {
  readonly response: Buffer;
  /** Set when the exchange failed: Kafka's message for the client (never a secret). */
  readonly error?: string;
  /** Why, for the broker's log when it says more than `error` (never the secret). */
  readonly reason?: string;
  /** Set once authentication succeeded. */
  readonly principal?: string;
  /** When the credential expires (ms since the epoch): an OAUTHBEARER token's exp. */
  readonly expiresAtMs?: number;
}

/** Kafka's message for a failed SCRAM exchange (SaslServerAuthenticator wraps the SaslException so). */
const scramFailed = (mechanism: string) =>
  `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;

/**
 * The SASL state of one connection. `authenticated` stays true during a re-authentication (the client sends no
 * other requests meanwhile); `expiresAt` is when the session ends (KIP-368; Infinity without a lifetime).
 */
export class SaslSession {
  readonly config: ListenerSasl;
  private readonly scram: ScramLookup;
  private readonly fakeSecret: Buffer;
  private readonly clock: () => number;
  state: SaslState = 'handshake';
  authenticated = false;
  mechanism = '';
  expiresAt = Number.POSITIVE_INFINITY;
  /** The response being written is the last: close the connection after it (a failed authentication). */
  closeAfterResponse = false;
  private scramServer: ScramServer | undefined;
  private principal = '';
  private lifetimeMs = 0;
  /** OAUTHBEARER: the error challenge sent, awaiting the client's %x01, and why the token was refused. */
  private oauthError: { challenge: string; reason: string } | undefined;

  constructor(config: ListenerSasl, scram: ScramLookup, fakeSecret: Buffer, clock: () => number = Date.now) {
    this.config = config;
    this.scram = scram;
    this.fakeSecret = fakeSecret;
    this.clock = clock;
  }

  /** SaslHandshake: picks the mechanism; `raw` (v0) means the tokens follow as bare frames. */
  handshake(mechanism: string, raw: boolean): boolean {
    if (!this.config.mechanisms.includes(mechanism)) return false;
    this.mechanism = mechanism;
    const m = scramMechanismByName(mechanism);
    this.scramServer = m ? new ScramServer(m, this.scram, this.fakeSecret) : undefined;
    this.oauthError = undefined;
    this.state = raw ? 'authenticate-raw' : 'authenticate';
    return true;
  }

  /** One SASL token from the client; on failure the connection is to be closed after the answer. */
  authenticate(token: Buffer): SaslStep {
    const now = this.clock();
    const step =
      this.mechanism === 'PLAIN'
        ? this.plain(token)
        : this.mechanism === 'OAUTHBEARER'
          ? this.oauthStep(token, now)
          : this.scramStep(token);
    if (step.error !== undefined) {
      this.closeAfterResponse = true;
      this.state = 'handshake';
      return step;
    }
    if (step.principal !== undefined) {
      if (this.authenticated && step.principal !== this.principal) {
        this.closeAfterResponse = true;
        return { response: Buffer.alloc(0), error: 'Cannot change principals during re-authentication' };
      }
      this.principal = step.principal;
      this.authenticated = true;
      this.state = 'authenticated';
      // KIP-368, as SaslServerAuthenticator: the lifetime is connections.max.reauth.ms, capped by the credential's
      // expiry when it has one (an OAUTHBEARER token's exp), even when re-authentication is otherwise off.
      const reauth = this.config.reauthMs;
      const credential = step.expiresAtMs === undefined ? undefined : Math.max(0, Math.floor(step.expiresAtMs - now));
      this.lifetimeMs = credential === undefined ? reauth : reauth > 0 ? Math.min(reauth, credential) : credential;
      this.expiresAt = credential !== undefined || reauth > 0 ? now + this.lifetimeMs : Number.POSITIVE_INFINITY;
    }
    return step;
  }

  /** The session lifetime SaslAuthenticate v1+ reports (0 = none). */
  get sessionLifetimeMs(): number {
    return this.lifetimeMs;
  }

  /**
   * OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer: a refused token is answered with the JSON error
   * challenge, and the client's %x01 that follows ends the exchange with that JSON as the failure message.
   */
  private oauthStep(token: Buffer, now: number): SaslStep {
    const fail = (error: string, reason?: string): SaslStep => ({ response: Buffer.alloc(0), error, reason });
    if (token.length === 1 && token[0] === 1 && this.oauthError !== undefined)
      return fail(this.oauthError.challenge, `invalid OAUTHBEARER token: ${this.oauthError.reason}`);
    this.oauthError = undefined;
    const oauth = this.config.oauth!;
    let authzid: string;
    let tokenValue: string;
    try {
      ({ authzid, token: tokenValue } = parseClientInitialResponse(token));
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      return fail(e.message);
    }
    try {
      const valid = oauth.validator.validate(tokenValue, now);
      if (authzid !== '' && authzid !== valid.principal)
        return fail(
          `Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${valid.principal})`,
        );
      return { response: Buffer.alloc(0), principal: `User:${valid.principal}`, expiresAtMs: valid.expiresAtMs };
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      const challenge = errorChallenge(e);
      this.oauthError = { challenge, reason: e.message };
      return { response: Buffer.from(challenge, 'utf8') };
    }
  }

  /** PLAIN (RFC 4616): `authzid NUL authcid NUL passwd`, checked as Kafka's PlainSaslServer. */
  private plain(token: Buffer): SaslStep {
    const parts = token.toString('utf8').split('\u0000');
    const fail = (error: string): SaslStep => ({ response: Buffer.alloc(0), error });
    if (parts.length !== 3) return fail(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '') return fail('Authentication failed: username not specified');
    if (password === '') return fail('Authentication failed: password not specified');
    if (authzid !== '' && authzid !== user)
      return fail('Authentication failed: Client requested an authorization id that is different from username');
    const expected = this.config.plainUsers.get(user);
    // Constant time whatever the lengths: compare digests of equal size.
    const digest = (x: string) => createHash('sha256').update(x, 'utf8').digest();
    const same = timingSafeEqual(digest(password), digest(expected ?? ''));
    if (expected === undefined || !same) return fail('Authentication failed: Invalid username or password');
    return { response: Buffer.alloc(0), principal: `User:${user}` };
  }

  private scramStep(token: Buffer): SaslStep {
    const server = this.scramServer!;
    try {
      if (server.stage === 'first') return { response: Buffer.from(server.first(token.toString('utf8')), 'utf8') };
      const last = server.final(token.toString('utf8'));
      return { response: Buffer.from(last, 'utf8'), principal: `User:${server.user}` };
    } catch {
      return { response: Buffer.alloc(0), error: scramFailed(this.mechanism) };
    }
  }
}

/** A per-broker secret for the made-up salts of unknown SCRAM users (stable for the process's lifetime). */
export const FAKE_SCRAM_SECRET = randomBytes(32);
