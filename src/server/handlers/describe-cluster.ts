// DescribeCluster (60): cluster id, controller and brokers.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';
import { brokerEndpoints } from './metadata.ts';

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
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
      brokers: brokerEndpoints(ctx, image).map((b) => ({
        brokerId: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
      clusterAuthorizedOperations: -2147483648,
    };
  },
});
