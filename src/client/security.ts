// Client-side security: TLS options for node:tls and the SASL exchange (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER with a
// token the application supplies) a connection runs
// after ApiVersions, as Kafka's SaslClientAuthenticator: SaslHandshake v1, then the mechanism's tokens in
// SaslAuthenticate requests. The broker's session lifetime (KIP-368) is returned so the connection can re-authenticate.
import type { ConnectionOptions } from 'node:tls';
import { clientInitialResponse } from '../security/oauthbearer.ts';
import { ScramClient, scramMechanismByName } from '../security/scram.ts';
import { ErrorCode, KafkaClientError } from './errors.ts';

/** TLS to the broker (node:tls options under Kafka's names). `ssl: true` means TLS with the system's CAs. */
export interface ClientTls {
  /** Trusted CA certificates (PEM). Default: Node's bundled roots. */
  ca?: ConnectionOptions['ca'];
  /** Client certificate chain (PEM), for listeners with ssl.client.auth (mTLS). */
  cert?: ConnectionOptions['cert'];
  /** Client private key (PEM); `passphrase` when it is encrypted. */
  key?: ConnectionOptions['key'];
  passphrase?: string;
  /** A PKCS12 key store instead of `cert` and `key`. */
  pfx?: ConnectionOptions['pfx'];
  /** TLS versions and cipher suites (OpenSSL names) allowed; Node's defaults otherwise. */
  minVersion?: ConnectionOptions['minVersion'];
  maxVersion?: ConnectionOptions['maxVersion'];
  ciphers?: string;
  /** Verify the broker's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** SNI and the name the certificate is checked against (default: the host connected to). */
  servername?: string;
  /** Skip the host name check only (Kafka's `ssl.endpoint.identification.algorithm=`), keeping chain verification. */
  skipHostnameCheck?: boolean;
}

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ClientSaslPassword {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** OAUTHBEARER: the bearer token (a JWT), or a function giving the current one (called at each (re-)authentication). */
export interface ClientSaslOAuth {
  mechanism: 'OAUTHBEARER';
  token: string | (() => string | Promise<string>);
}

export type ClientSasl = ClientSaslPassword | ClientSaslOAuth;

/** Security settings shared by the producer, consumer and admin options and by BrokerConnection. */
export interface ClientSecurity {
  ssl?: boolean | ClientTls;
  sasl?: ClientSasl;
}

export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** What the SASL exchange needs of a connection: one request at a given version. */
export type SendFn = <Res>(apiKey: number, version: number, body: unknown) => Promise<Res>;

interface HandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}
interface AuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: bigint;
}

/** Checks a SASL setting before any connection is made; throws a readable error. */
export function checkSasl(sasl: ClientSasl): void {
  if (sasl.mechanism === 'OAUTHBEARER') {
    if (!sasl.token) throw new Error('SASL/OAUTHBEARER needs a token');
    return;
  }
  if (!SASL_MECHANISMS.includes(sasl.mechanism))
    throw new Error(`SASL mechanism ${String(sasl.mechanism)} is not supported (use ${SASL_MECHANISMS.join(', ')})`);
  if (!sasl.username) throw new Error('SASL needs a username');
  if (!sasl.password) throw new Error('SASL needs a password');
}

/**
 * Runs one SASL authentication on a connection whose ApiVersions is done. `handshakeVersion` / `authVersion` are the
 * negotiated versions (SaslHandshake ≥ 1, SaslAuthenticate 0..2). Resolves the session lifetime in ms (0 = none);
 * rejects with KafkaClientError(SASL_AUTHENTICATION_FAILED / UNSUPPORTED_SASL_MECHANISM) and the broker's message.
 */
export async function saslAuthenticate(
  send: SendFn,
  sasl: ClientSasl,
  versions: { handshake: number; authenticate: number },
  where: string,
): Promise<number> {
  const hs = await send<HandshakeResponse>(17, versions.handshake, { mechanism: sasl.mechanism });
  if (hs.errorCode !== 0)
    throw new KafkaClientError(
      hs.errorCode,
      hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM
        ? `${where} does not enable SASL mechanism ${sasl.mechanism} (enabled: ${hs.mechanisms.join(', ')})`
        : `SaslHandshake to ${where} failed`,
    );
  const step = async (token: Buffer): Promise<AuthenticateResponse> => {
    const r = await send<AuthenticateResponse>(36, versions.authenticate, { authBytes: token });
    if (r.errorCode !== 0)
      throw new KafkaClientError(r.errorCode, r.errorMessage ?? `SASL authentication with ${where} failed`);
    return r;
  };
  let last: AuthenticateResponse;
  if (sasl.mechanism === 'OAUTHBEARER') {
    const token = typeof sasl.token === 'function' ? await sasl.token() : sasl.token;
    const r = await send<AuthenticateResponse>(36, versions.authenticate, { authBytes: clientInitialResponse(token) });
    if (r.errorCode === 0 && r.authBytes.length > 0) {
      // RFC 7628's error challenge: acknowledge it with %x01; the broker then fails the exchange.
      const status = r.authBytes.toString('utf8');
      const ack = await send<AuthenticateResponse>(36, versions.authenticate, { authBytes: Buffer.from([1]) });
      throw new KafkaClientError(
        ack.errorCode !== 0 ? ack.errorCode : ErrorCode.SASL_AUTHENTICATION_FAILED,
        `${where} refused the OAUTHBEARER token: ${ack.errorMessage ?? status}`,
      );
    }
    if (r.errorCode !== 0)
      throw new KafkaClientError(r.errorCode, r.errorMessage ?? `SASL authentication with ${where} failed`);
    last = r;
  } else if (sasl.mechanism === 'PLAIN') {
    last = await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'));
  } else {
    const m = scramMechanismByName(sasl.mechanism)!;
    const client = new ScramClient(m, sasl.username, sasl.password);
    const serverFirst = await step(Buffer.from(client.first(), 'utf8'));
    const final = client.final(serverFirst.authBytes.toString('utf8'));
    last = await step(Buffer.from(final, 'utf8'));
    if (!client.verify(last.authBytes.toString('utf8')))
      throw new KafkaClientError(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `${where} did not prove it knows the SCRAM credential (invalid server signature)`,
      );
  }
  return Number(last.sessionLifetimeMs ?? 0n);
}

/**
 * When to re-authenticate a session of `lifetimeMs`: as Kafka's client, at a random point between 85% and 95% of
 * the lifetime, so a fleet of clients does not re-authenticate at once and there is time left for the exchange.
 */
export function reauthDelayMs(lifetimeMs: number, random: () => number = Math.random): number {
  return Math.floor(lifetimeMs * (0.85 + 0.1 * random()));
}
