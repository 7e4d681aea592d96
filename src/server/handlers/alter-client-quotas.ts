// AlterClientQuotas (49): set or remove quotas of user, client-id, user+client-id (names or defaults) and ip
// entities, stored as ClientQuotaRecords in cluster metadata, validated as Kafka's controller validates them
// (quota/entity.ts: INVALID_REQUEST with Kafka's messages for unknown keys, values not above 0, fractional byte
// rates, bad entities); validateOnly answers without writing. `kafka-configs.sh --alter --entity-type users
// --entity-name u --add-config producer_byte_rate=1024` and Admin.alterClientQuotas use it.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AlterClientQuotasRequest, AlterClientQuotasResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: ApiKey.AlterClientQuotas,
  versions: [0, 1],
  async handle(ctx, req) {
    // ACLs (when an authorizer is on): ALTER_CONFIGS on the cluster; every entry is refused otherwise.
    if (!authorizedCluster(ctx, AclOperation.ALTER_CONFIGS))
      return {
        throttleTimeMs: 0,
        entries: req.entries.map((e) => ({
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'Cluster authorization failed.',
          entity: e.entity,
        })),
      };
    const outcomes = await ctx.broker.controller.alterClientQuotas(
      req.entries.map((e) => ({
        entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
        ops: e.ops.map((o) => ({ key: o.key, value: o.remove ? null : o.value })),
      })),
      req.validateOnly,
    );
    return {
      throttleTimeMs: 0,
      entries: outcomes.map((o) => ({
        errorCode: o.errorCode,
        errorMessage: o.errorMessage,
        entity: o.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })),
      })),
    };
  },
});
