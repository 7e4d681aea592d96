// DescribeCluster (60): cluster id, controller and brokers. v2 (KIP-1073) can ask for fenced brokers too and says
// which are fenced; every broker listed here is registered and unfenced (a fenced one is never listed without v2).
// No ACL is needed (as Kafka); includeClusterAuthorizedOperations gets the cluster operations the principal may
// perform when it may DESCRIBE the cluster, else 0.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';
import { brokerEndpoints, clusterOperations } from './metadata.ts';

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
  versions: [0, 2],
  handle(ctx, req) {
    const image = ctx.broker.metadata();
    if (ctx.apiVersion >= 1 && req.endpointType !== 1)
      return {
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: 'Only broker endpoints (type 1) are served by brokers',
        endpointType: req.endpointType,
        clusterId: image.clusterId,
      };
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: 1,
      clusterId: image.clusterId,
      controllerId: ctx.broker.controller.controllerId(),
      brokers: brokerEndpoints(ctx, image, { includeFenced: true })
        .map((b) => ({
          brokerId: b.nodeId,
          host: b.host,
          port: b.port,
          rack: b.rack,
          isFenced: image.brokers.get(b.nodeId)?.fenced === true,
        }))
        .filter((b) => !b.isFenced || (ctx.apiVersion >= 2 && req.includeFencedBrokers)),
      clusterAuthorizedOperations: clusterOperations(ctx, req.includeClusterAuthorizedOperations),
    };
  },
});
