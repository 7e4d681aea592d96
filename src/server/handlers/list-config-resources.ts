// ListConfigResources (74; ListClientMetricsResources before Kafka 4.1): the config resources that exist. The
// generated protocol still has the v0 shape, which lists client-metrics subscriptions only (configs of resource
// type CLIENT_METRICS). This broker keeps no client-metrics subscriptions (KIP-714 telemetry is not built), so
// the list is empty: that is the true answer, not a placeholder. Once the protocol is regenerated from Kafka 4.4
// (v1: resource types, names of topics, brokers, groups and client metrics), this handler answers those types.

import { ErrorCode } from '../../protocol/errors.ts';
import type {
  ListClientMetricsResourcesRequest,
  ListClientMetricsResourcesResponse,
} from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

const API_KEY = 74; // ListConfigResources (ListClientMetricsResources in the v0 definitions)

export default defineHandler<ListClientMetricsResourcesRequest, ListClientMetricsResourcesResponse>({
  apiKey: API_KEY,
  versions: [0, 0],
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, clientMetricsResources: [] };
  },
});
