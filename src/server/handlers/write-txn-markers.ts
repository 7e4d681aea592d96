// WriteTxnMarkers (27): writes COMMIT/ABORT control batches into partitions (sent by transaction coordinators; ours
// calls the same replica manager path directly).
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  apiKey: ApiKey.WriteTxnMarkers,
  versions: [0, 2],
  handle(ctx, req) {
    // ACLs (when an authorizer is on): only brokers write markers (CLUSTER_ACTION on the cluster).
    if (!authorizedCluster(ctx, AclOperation.CLUSTER_ACTION))
      return {
        markers: req.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({
              partitionIndex: p,
              errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            })),
          })),
        })),
      };
    return {
      markers: req.markers.map((m) => {
        const written = ctx.broker.transactions.writeMarkers(
          {
            producerId: Number(m.producerId),
            producerEpoch: m.producerEpoch,
            commit: m.transactionResult,
            // v2 (KIP-1228) says which transaction version the coordinator wrote the markers under.
            transactionVersion: m.transactionVersion,
            partitions: m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))),
          },
          m.coordinatorEpoch,
        );
        let i = 0;
        return {
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: written[i++]!.errorCode })),
          })),
        };
      }),
    };
  },
});
