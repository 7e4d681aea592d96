// The full table ApiVersions advertises, pinned: one line per API, [api key, min, max]. Regenerating the protocol
// definitions (a newer Kafka) must never widen it silently; raising a version is a change to the handler's `versions`
// and to its line here, made together with the new version's semantics and tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_SCHEMAS, ApiKey } from '../../../src/protocol/apis.ts';
import { supportedApis } from '../../../src/server/handlers/index.ts';

const ADVERTISED: ReadonlyArray<readonly [number, number, number]> = [
  [ApiKey.Produce, 0, 13],
  [ApiKey.Fetch, 0, 18],
  [ApiKey.ListOffsets, 0, 11],
  [ApiKey.Metadata, 0, 13],
  [ApiKey.OffsetCommit, 0, 10],
  [ApiKey.OffsetFetch, 0, 10],
  [ApiKey.FindCoordinator, 0, 6],
  [ApiKey.JoinGroup, 0, 9],
  [ApiKey.Heartbeat, 0, 4],
  [ApiKey.LeaveGroup, 0, 5],
  [ApiKey.SyncGroup, 0, 5],
  [ApiKey.DescribeGroups, 0, 6],
  [ApiKey.ListGroups, 0, 5],
  [ApiKey.ApiVersions, 0, 5],
  [ApiKey.CreateTopics, 0, 7],
  [ApiKey.DeleteTopics, 0, 6],
  [ApiKey.DeleteRecords, 0, 2],
  [ApiKey.InitProducerId, 0, 5],
  [ApiKey.AddPartitionsToTxn, 0, 5],
  [ApiKey.AddOffsetsToTxn, 0, 4],
  [ApiKey.EndTxn, 0, 5],
  [ApiKey.WriteTxnMarkers, 0, 2],
  [ApiKey.TxnOffsetCommit, 0, 6],
  [ApiKey.DescribeConfigs, 0, 4],
  [ApiKey.AlterConfigs, 0, 2],
  [ApiKey.DescribeLogDirs, 0, 5],
  [ApiKey.CreatePartitions, 0, 3],
  [ApiKey.DeleteGroups, 0, 3],
  [ApiKey.IncrementalAlterConfigs, 0, 1],
  [ApiKey.OffsetDelete, 0, 0],
  [ApiKey.UpdateFeatures, 0, 2],
  [ApiKey.DescribeCluster, 0, 2],
  [ApiKey.DescribeProducers, 0, 0],
  [ApiKey.DescribeTransactions, 0, 0],
  [ApiKey.ListTransactions, 0, 2],
  [ApiKey.ConsumerGroupHeartbeat, 0, 1],
  [ApiKey.ConsumerGroupDescribe, 0, 1],
  [ApiKey.OffsetForLeaderEpoch, 0, 4],
  [ApiKey.AlterReplicaLogDirs, 0, 2],
  [ApiKey.ElectLeaders, 0, 2],
  [ApiKey.AlterPartitionReassignments, 0, 0],
  [ApiKey.ListPartitionReassignments, 0, 0],
  [ApiKey.DescribeQuorum, 0, 2],
  [ApiKey.ListConfigResources, 0, 1],
  [ApiKey.DescribeTopicPartitions, 0, 0],
  // Security (issue 16).
  [ApiKey.SaslHandshake, 0, 1],
  [ApiKey.SaslAuthenticate, 0, 2],
  [ApiKey.DescribeAcls, 0, 3],
  [ApiKey.CreateAcls, 0, 3],
  [ApiKey.DeleteAcls, 0, 3],
  [ApiKey.DescribeClientQuotas, 0, 1],
  [ApiKey.AlterClientQuotas, 0, 1],
  [ApiKey.DescribeUserScramCredentials, 0, 0],
  [ApiKey.AlterUserScramCredentials, 0, 0],
  // Share groups at Kafka 4.4's versions (v0 was 4.0's early access, removed in 4.1).
  [ApiKey.ShareGroupHeartbeat, 1, 1],
  [ApiKey.ShareGroupDescribe, 1, 1],
  [ApiKey.ShareFetch, 1, 2],
  [ApiKey.ShareAcknowledge, 1, 2],
  [ApiKey.DescribeShareGroupOffsets, 0, 1],
  [ApiKey.AlterShareGroupOffsets, 0, 0],
  [ApiKey.DeleteShareGroupOffsets, 0, 0],
  [ApiKey.InitializeShareGroupState, 0, 0],
  [ApiKey.ReadShareGroupState, 0, 0],
  [ApiKey.ReadShareGroupStateSummary, 0, 1],
  [ApiKey.WriteShareGroupState, 0, 0],
  [ApiKey.DeleteShareGroupState, 0, 0],
];

const name = (key: number): string => API_SCHEMAS.get(key)?.name ?? `api ${key}`;
const row = (key: number, min: number, max: number): string => `${name(key)} (${key}) ${min}-${max}`;

test('ApiVersions advertises exactly the pinned table', () => {
  const served = supportedApis()
    .map((s) => row(s.api.key, s.min, s.max))
    .sort();
  const pinned = ADVERTISED.map(([k, min, max]) => row(k, min, max)).sort();
  assert.deepStrictEqual(served, pinned);
});

test('every pinned range lies within what the definitions define', () => {
  for (const [key, min, max] of ADVERTISED) {
    const api = API_SCHEMAS.get(key);
    assert.ok(api, `api ${key} is defined`);
    assert.ok(min >= api.valid[0] && max <= api.valid[1], row(key, min, max));
  }
});
