// UpdateFeatures (57): raises (or, with a downgrade type, lowers) finalized feature levels through the controller
// (`kafka-features.sh upgrade|downgrade`). v0 says AllowDowngrade, v1+ an UpgradeType and ValidateOnly; v2 answers
// with the top-level error only, v0-1 also repeat it for each feature, as Kafka does.
import { UpgradeType } from '../../metadata/features.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { UpdateFeaturesRequest, UpdateFeaturesResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<UpdateFeaturesRequest, UpdateFeaturesResponse>({
  apiKey: ApiKey.UpdateFeatures,
  versions: [0, 2],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const updates = req.featureUpdates.map((u) => ({
      feature: u.feature,
      level: u.maxVersionLevel,
      upgradeType: v === 0 ? (u.allowDowngrade ? UpgradeType.SAFE_DOWNGRADE : UpgradeType.UPGRADE) : u.upgradeType,
    }));
    // ACLs (when an authorizer is on): ALTER on the cluster.
    const r = authorizedCluster(ctx, AclOperation.ALTER)
      ? await ctx.broker.controller.updateFeatures(updates, v >= 1 && req.validateOnly)
      : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      results:
        v >= 2
          ? []
          : updates.map((u) => ({ feature: u.feature, errorCode: r.errorCode, errorMessage: r.errorMessage })),
    };
  },
});
