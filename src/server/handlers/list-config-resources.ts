// ListConfigResources (74; ListClientMetricsResources before Kafka 4.1): the config resources that exist.
// v0 lists client-metrics subscriptions only; v1 lists the resource types asked for (all supported ones when the
// list is empty): topics, brokers, groups that have dynamic configs, and client-metrics subscriptions. This broker
// keeps no client-metrics subscriptions (KIP-714 telemetry is not built), so that type is always empty: the true
// answer, not a placeholder. Other resource types are refused with INVALID_REQUEST (logged with the types).
// As Kafka, the principal needs DESCRIBE_CONFIGS on the cluster (else CLUSTER_AUTHORIZATION_FAILED).

import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListConfigResourcesRequest, ListConfigResourcesResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

/** Kafka's ConfigResource.Type ids. */
const TOPIC = 2;
const BROKER = 4;
const CLIENT_METRICS = 16;
const GROUP = 32;
const SUPPORTED = [TOPIC, BROKER, CLIENT_METRICS, GROUP];

export default defineHandler<ListConfigResourcesRequest, ListConfigResourcesResponse>({
  apiKey: ApiKey.ListConfigResources,
  versions: [0, 1],
  handle(ctx, req) {
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE_CONFIGS))
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, configResources: [] };
    const types = ctx.apiVersion === 0 ? [CLIENT_METRICS] : req.resourceTypes.length ? req.resourceTypes : SUPPORTED;
    const unsupported = types.filter((t) => !SUPPORTED.includes(t));
    if (unsupported.length > 0) {
      // The response has no message field: the broker log says why.
      ctx.broker.log.warn(
        { resourceTypes: unsupported },
        'ListConfigResources: unsupported resource types (TOPIC 2, BROKER 4, CLIENT_METRICS 16 and GROUP 32 are listed)',
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, configResources: [] };
    }
    const image = ctx.broker.metadata();
    const configResources: ListConfigResourcesResponse['configResources'] = [];
    for (const t of new Set(types)) {
      if (t === TOPIC)
        for (const name of [...image.topics.keys()].sort())
          configResources.push({ resourceName: name, resourceType: t });
      else if (t === BROKER)
        for (const id of [...image.brokers.keys()].sort((a, b) => a - b))
          configResources.push({ resourceName: String(id), resourceType: t });
      else if (t === GROUP)
        for (const g of [...image.groupConfigs.keys()].sort())
          configResources.push({ resourceName: g, resourceType: t });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, configResources };
  },
});
