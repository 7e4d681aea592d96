// WriteTxnMarkers (27): writes COMMIT/ABORT control batches into partitions this broker leads, sent by transaction
// coordinators on other brokers (a single broker's coordinator writes its markers directly). A partition led
// elsewhere answers NOT_LEADER_OR_FOLLOWER (the coordinator sends it again to the leader); in a cluster each
// partition answers once its marker is committed (the HW passed it), as a produce with acks=all.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  apiKey: ApiKey.WriteTxnMarkers,
  versions: [0, 2],
  async handle(ctx, req) {
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
      markers: await Promise.all(
        req.markers.map(async (m) => {
          const partitions = m.topics.flatMap((t) =>
            t.partitionIndexes.map((partition) => ({ topic: t.name, partition })),
          );
          const written = await ctx.broker.transactions.writeMarkersCommitted(
            {
              producerId: Number(m.producerId),
              producerEpoch: m.producerEpoch,
              commit: m.transactionResult,
              // v2 (KIP-1228) says which transaction version the coordinator wrote the markers under.
              transactionVersion: m.transactionVersion,
              partitions,
            },
            partitions,
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
      ),
    };
  },
});
