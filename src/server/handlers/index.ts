// Every API this broker serves: one file per API. ApiVersions advertises exactly this list.
import { API_SCHEMAS } from '../../protocol/apis.ts';
import type { SupportedApi } from '../dispatcher.ts';
import type { HandlerDef } from '../handler.ts';
import addOffsetsToTxn from './add-offsets-to-txn.ts';
import addPartitionsToTxn from './add-partitions-to-txn.ts';
import alterClientQuotas from './alter-client-quotas.ts';
import alterConfigs from './alter-configs.ts';
import alterPartitionReassignments from './alter-partition-reassignments.ts';
import alterReplicaLogDirs from './alter-replica-log-dirs.ts';
import alterShareGroupOffsets from './alter-share-group-offsets.ts';
import alterUserScramCredentials from './alter-user-scram-credentials.ts';
import apiVersions from './api-versions.ts';
import consumerGroupDescribe from './consumer-group-describe.ts';
import consumerGroupHeartbeat from './consumer-group-heartbeat.ts';
import createAcls from './create-acls.ts';
import createPartitions from './create-partitions.ts';
import createTopics from './create-topics.ts';
import deleteAcls from './delete-acls.ts';
import deleteGroups from './delete-groups.ts';
import deleteRecords from './delete-records.ts';
import deleteShareGroupOffsets from './delete-share-group-offsets.ts';
import deleteShareGroupState from './delete-share-group-state.ts';
import deleteTopics from './delete-topics.ts';
import describeAcls from './describe-acls.ts';
import describeClientQuotas from './describe-client-quotas.ts';
import describeCluster from './describe-cluster.ts';
import describeConfigs from './describe-configs.ts';
import describeGroups from './describe-groups.ts';
import describeLogDirs from './describe-log-dirs.ts';
import describeProducers from './describe-producers.ts';
import describeQuorum from './describe-quorum.ts';
import describeShareGroupOffsets from './describe-share-group-offsets.ts';
import describeTopicPartitions from './describe-topic-partitions.ts';
import describeTransactions from './describe-transactions.ts';
import describeUserScramCredentials from './describe-user-scram-credentials.ts';
import electLeaders from './elect-leaders.ts';
import endTxn from './end-txn.ts';
import fetch from './fetch.ts';
import findCoordinator from './find-coordinator.ts';
import heartbeat from './heartbeat.ts';
import incrementalAlterConfigs from './incremental-alter-configs.ts';
import initProducerId from './init-producer-id.ts';
import initializeShareGroupState from './initialize-share-group-state.ts';
import joinGroup from './join-group.ts';
import leaveGroup from './leave-group.ts';
import listConfigResources from './list-config-resources.ts';
import listGroups from './list-groups.ts';
import listOffsets from './list-offsets.ts';
import listPartitionReassignments from './list-partition-reassignments.ts';
import listTransactions from './list-transactions.ts';
import metadata from './metadata.ts';
import offsetCommit from './offset-commit.ts';
import offsetDelete from './offset-delete.ts';
import offsetFetch from './offset-fetch.ts';
import offsetForLeaderEpoch from './offset-for-leader-epoch.ts';
import produce from './produce.ts';
import readShareGroupState from './read-share-group-state.ts';
import readShareGroupStateSummary from './read-share-group-state-summary.ts';
import saslAuthenticate from './sasl-authenticate.ts';
import saslHandshake from './sasl-handshake.ts';
import shareAcknowledge from './share-acknowledge.ts';
import shareFetch from './share-fetch.ts';
import shareGroupDescribe from './share-group-describe.ts';
import shareGroupHeartbeat from './share-group-heartbeat.ts';
import syncGroup from './sync-group.ts';
import txnOffsetCommit from './txn-offset-commit.ts';
import updateFeatures from './update-features.ts';
import writeShareGroupState from './write-share-group-state.ts';
import writeTxnMarkers from './write-txn-markers.ts';

const HANDLERS: readonly HandlerDef<never, never>[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  deleteRecords,
  offsetForLeaderEpoch,
  updateFeatures,
  // Consumer groups (issue 4)
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  deleteGroups,
  offsetDelete,
  // The consumer group protocol (KIP-848)
  consumerGroupHeartbeat,
  consumerGroupDescribe,
  // Share groups (KIP-932, issue 18)
  shareGroupHeartbeat,
  shareGroupDescribe,
  shareFetch,
  shareAcknowledge,
  describeShareGroupOffsets,
  alterShareGroupOffsets,
  deleteShareGroupOffsets,
  // The share coordinator's state APIs (__share_group_state), between brokers
  initializeShareGroupState,
  readShareGroupState,
  readShareGroupStateSummary,
  writeShareGroupState,
  deleteShareGroupState,
  // Idempotent producers and transactions (issue 5)
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  writeTxnMarkers,
  txnOffsetCommit,
  describeProducers,
  describeTransactions,
  listTransactions,
  // Admin APIs real tools call (issue 11): one-broker answers until replication
  describeTopicPartitions,
  electLeaders,
  alterPartitionReassignments,
  listPartitionReassignments,
  alterReplicaLogDirs,
  describeQuorum,
  listConfigResources,
  // Security (issue 16)
  saslHandshake,
  saslAuthenticate,
  describeUserScramCredentials,
  alterUserScramCredentials,
  describeAcls,
  createAcls,
  deleteAcls,
  // Client quotas (issue 16)
  describeClientQuotas,
  alterClientQuotas,
] as readonly HandlerDef<never, never>[];

export function supportedApis(): SupportedApi[] {
  return HANDLERS.map((h) => {
    const api = API_SCHEMAS.get(h.apiKey);
    if (!api) throw new Error(`handler for unknown api ${h.apiKey}`);
    const [min, max] = h.versions;
    if (min < api.valid[0] || max > api.valid[1] || min > max)
      throw new Error(`${api.name}: versions ${min}-${max} are outside the defined ${api.valid[0]}-${api.valid[1]}`);
    return { api, min, max, handler: h as unknown as HandlerDef };
  });
}
