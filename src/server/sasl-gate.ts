// The pre-authentication gate of SASL listeners (Kafka's SaslServerAuthenticator): until a connection has
// authenticated, only ApiVersions and SaslHandshake (then SaslAuthenticate) are accepted, and after a v0 handshake
// the SASL tokens arrive as bare size-prefixed frames. Anything else closes the connection. A session past its
// lifetime (connections.max.reauth.ms, KIP-368) may only re-authenticate.
import { ApiKey } from '../protocol/apis.ts';
import type { SaslSession } from '../security/sasl.ts';
import type { Logger } from '../util/log.ts';
import type { ResponseFrame } from './connection.ts';
import { CloseConnection, type ConnectionInfo } from './handler.ts';

const AUTH_APIS = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/**
 * Returns the answer to a bare SASL token frame, undefined when the frame is a request the dispatcher may handle,
 * or throws CloseConnection.
 */
export function saslGate(
  sasl: SaslSession,
  frame: Buffer,
  conn: ConnectionInfo,
  log: Logger,
  now: number = Date.now(),
): ResponseFrame | undefined {
  if (sasl.state === 'authenticate-raw') {
    const step = sasl.authenticate(frame);
    if (step.error !== undefined) {
      log.warn(
        { conn: conn.id, remote: conn.remoteAddress, listener: conn.listenerName, mechanism: sasl.mechanism },
        `Failed authentication (${step.reason ?? step.error})`,
      );
      // A v0 exchange has no way to carry the error: the connection just closes.
      throw new CloseConnection(`SASL authentication failed: ${step.error}`);
    }
    if (step.principal !== undefined) {
      conn.principal = step.principal;
      log.debug({ conn: conn.id, principal: step.principal }, 'SASL authenticated');
    }
    const size = Buffer.alloc(4);
    size.writeInt32BE(step.response.length);
    return { chunks: step.response.length > 0 ? [size, step.response] : [size] };
  }
  const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
  if (sasl.authenticated) {
    if (now < sasl.expiresAt || AUTH_APIS.has(apiKey)) return undefined;
    throw new CloseConnection('the SASL session expired (connections.max.reauth.ms) without re-authentication');
  }
  const allowed =
    sasl.state === 'handshake'
      ? apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake
      : apiKey === ApiKey.SaslAuthenticate;
  if (!allowed) {
    log.info(
      { conn: conn.id, remote: conn.remoteAddress, apiKey, state: sasl.state },
      'request before SASL authentication; closing the connection',
    );
    throw new CloseConnection(`Unexpected Kafka request of type ${apiKey} during SASL handshake.`);
  }
  return undefined;
}
