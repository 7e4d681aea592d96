// ApiVersions (18): which APIs and versions this broker serves. Answered before authentication and with
// response header v0 for every version (KIP-511). From v5 a client may say which cluster and node it meant to reach
// (KIP-1242): a mismatch answers REBOOTSTRAP_REQUIRED, so a client whose address now points elsewhere starts over.
// v3+ also carries the features this broker supports and the cluster's finalized levels (metadata/features.ts).

import { SUPPORTED_FEATURES } from '../../metadata/features.ts';
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
  versions: [0, 5],
  handle(ctx, req) {
    if (ctx.apiVersion >= 3) {
      const valid = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;
      if (!valid.test(req.clientSoftwareName) || !valid.test(req.clientSoftwareVersion)) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: ctx.broker.apiVersions() };
      }
    }
    if (ctx.apiVersion >= 5) {
      const clusterId = ctx.broker.metadata().clusterId;
      if (
        (req.clusterId !== null && req.clusterId !== clusterId) ||
        (req.nodeId >= 0 && req.nodeId !== ctx.broker.nodeId)
      )
        return { errorCode: ErrorCode.REBOOTSTRAP_REQUIRED, apiKeys: [], throttleTimeMs: 0 };
    }
    const image = ctx.broker.metadata();
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: ctx.broker.apiVersions(),
      throttleTimeMs: 0,
      // Before v4 a supported range starting at 0 is left out, as Kafka does (older clients refuse a minimum of 0).
      supportedFeatures: [...SUPPORTED_FEATURES]
        .filter(([, [min]]) => ctx.apiVersion >= 4 || min > 0)
        .map(([name, [minVersion, maxVersion]]) => ({ name, minVersion, maxVersion })),
      // The epoch of the finalized levels is the metadata offset they were read at (Kafka: the image's offset).
      finalizedFeaturesEpoch: BigInt(image.offset),
      finalizedFeatures: [...image.features].map(([name, level]) => ({
        name,
        maxVersionLevel: level,
        minVersionLevel: level,
      })),
      zkMigrationReady: false,
    };
  },
});
