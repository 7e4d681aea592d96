// SaslAuthenticate (36): one SASL token after a v1 SaslHandshake. A failure answers SASL_AUTHENTICATION_FAILED
// with Kafka's message, is logged with the peer address (never the secret) and closes the connection.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

const EMPTY = Buffer.alloc(0);

export default defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKey.SaslAuthenticate,
  versions: [0, 2],
  handle(ctx, req) {
    const conn = ctx.connection;
    const sasl = conn.sasl;
    if (sasl === undefined || sasl.state !== 'authenticate') {
      if (sasl) sasl.closeAfterResponse = true;
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'Unexpected SaslAuthenticate request: no SaslHandshake (v1) preceded it on this connection',
        authBytes: EMPTY,
        sessionLifetimeMs: 0n,
      };
    }
    const reauthenticating = sasl.authenticated;
    const step = sasl.authenticate(req.authBytes);
    if (step.error !== undefined) {
      ctx.broker.log.warn(
        { conn: conn.id, remote: conn.remoteAddress, listener: conn.listenerName, mechanism: sasl.mechanism },
        `Failed authentication with ${conn.remoteAddress} (${step.reason ?? step.error})`,
      );
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: step.error,
        authBytes: EMPTY,
        sessionLifetimeMs: 0n,
      };
    }
    if (step.principal !== undefined) {
      conn.principal = step.principal;
      if (reauthenticating)
        ctx.broker.log.info({ conn: conn.id, principal: step.principal }, 'SASL re-authenticated (KIP-368)');
      else ctx.broker.log.debug({ conn: conn.id, principal: step.principal }, 'SASL authenticated');
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      authBytes: step.response,
      sessionLifetimeMs: BigInt(step.principal !== undefined ? sasl.sessionLifetimeMs : 0),
    };
  },
});
