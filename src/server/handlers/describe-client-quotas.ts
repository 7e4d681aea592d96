// DescribeClientQuotas (48): the client quotas in the metadata image that a filter matches, as Kafka's
// ClientQuotasImage.describe answers (`kafka-configs.sh --describe --entity-type users/clients`,
// Admin.describeClientQuotas). A bad filter is INVALID_REQUEST (an unknown entity type UNSUPPORTED_VERSION) with
// Kafka's message and no entries.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from '../../protocol/generated/messages.ts';
import { describeQuotas } from '../../quota/entity.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: ApiKey.DescribeClientQuotas,
  versions: [0, 1],
  handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      entries: null,
    });
    // ACLs (when an authorizer is on): DESCRIBE_CONFIGS on the cluster.
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE_CONFIGS))
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    try {
      const found = describeQuotas(ctx.broker.metadata().clientQuotas.values(), req.components, req.strict);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        entries: found.map((e) => ({
          entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
          values: Object.entries(e.values).map(([key, value]) => ({ key, value })),
        })),
      };
    } catch (e) {
      if (e instanceof KafkaError) return fail(e.code, e.message);
      throw e;
    }
  },
});
