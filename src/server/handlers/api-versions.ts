// ApiVersions (18): which APIs and versions this broker serves. Answered before authentication and with
// response header v0 for every version (KIP-511).
import { ApiKey } from '../../protocol/apis.ts';
import type { Encodable } from '../../protocol/codec.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

type ApiList = Array<{ apiKey: number; minVersion: number; maxVersion: number }>;

export const API_VERSIONS_ERROR_BODY = (apis: ApiList): Encodable<ApiVersionsResponse> => ({
  errorCode: ErrorCode.UNSUPPORTED_VERSION,
  apiKeys: apis,
});

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: ApiKey.ApiVersions,
  versions: [0, 4],
  handle(ctx, req) {
    if (ctx.apiVersion >= 3) {
      const valid = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;
      if (!valid.test(req.clientSoftwareName) || !valid.test(req.clientSoftwareVersion)) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: ctx.broker.apiVersions() };
      }
    }
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: ctx.broker.apiVersions(),
      throttleTimeMs: 0,
      finalizedFeaturesEpoch: -1n,
      zkMigrationReady: false,
    };
  },
});
