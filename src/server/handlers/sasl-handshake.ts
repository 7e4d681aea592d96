// SaslHandshake (17): the client names its mechanism. v0 means the SASL tokens follow as bare frames, v1 that they
// come in SaslAuthenticate requests. On an authenticated connection (v1) it starts a re-authentication (KIP-368).
// An unsupported mechanism is answered with the enabled list, then the connection closes, as Kafka does.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SaslHandshake,
  versions: [0, 1],
  handle(ctx, req) {
    const sasl = ctx.connection.sasl;
    if (sasl === undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const mechanisms = [...sasl.config.mechanisms];
    if (sasl.authenticated && ctx.apiVersion === 0) {
      sasl.closeAfterResponse = true; // re-authentication needs SaslAuthenticate (v1 handshakes)
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    if (!sasl.handshake(req.mechanism, ctx.apiVersion === 0)) {
      ctx.broker.log.info(
        { remote: ctx.connection.remoteAddress, mechanism: req.mechanism, enabled: mechanisms.join(',') },
        'SASL mechanism not enabled on this listener',
      );
      sasl.closeAfterResponse = true;
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
});
