// SASL authentication of a client connection (KIP-152: SaslHandshake v1, then the mechanism's exchange in
// SaslAuthenticate requests): PLAIN, and SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, the client side in
// security/scram.ts), over a plain TCP connection (the client has no TLS: SASL_PLAINTEXT listeners).
import { ApiKey } from '../protocol/apis.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { ScramClient, scramMechanismByName } from '../security/scram.ts';
import type { BrokerConnection } from './connection.ts';
import { KafkaClientError } from './errors.ts';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

interface AuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

/** Authenticates `conn` (after ApiVersions); throws KafkaClientError (SASL_AUTHENTICATION_FAILED, ...) on refusal. */
export async function saslAuthenticate(conn: BrokerConnection, o: SaslOptions): Promise<void> {
  const hs = await conn.send<{ errorCode: number; mechanisms: string[] }>(ApiKey.SaslHandshake, 1, {
    mechanism: o.mechanism,
  });
  if (hs.errorCode !== ErrorCode.NONE)
    throw new KafkaClientError(
      hs.errorCode,
      `${o.mechanism} is not enabled on ${conn.host}:${conn.port} (it offers ${hs.mechanisms.join(', ') || 'none'})`,
    );
  const step = async (bytes: Buffer): Promise<Buffer> => {
    const r = await conn.send<AuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: bytes });
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaClientError(r.errorCode, r.errorMessage);
    return r.authBytes;
  };
  if (o.mechanism === 'PLAIN') {
    await step(Buffer.from(`\0${o.username}\0${o.password}`, 'utf8'));
    return;
  }
  const m = scramMechanismByName(o.mechanism);
  if (m === undefined) throw new Error(`unknown SASL mechanism ${o.mechanism}`);
  const scram = new ScramClient(m, o.username, o.password);
  const serverFirst = await step(Buffer.from(scram.first(), 'utf8'));
  const serverFinal = await step(Buffer.from(scram.final(serverFirst.toString('utf8')), 'utf8'));
  if (!scram.verify(serverFinal.toString('utf8')))
    throw new KafkaClientError(
      ErrorCode.SASL_AUTHENTICATION_FAILED,
      'the server did not prove it knows the credential',
    );
}
