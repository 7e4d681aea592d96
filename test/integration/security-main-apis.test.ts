// ACLs on APIs built after the security work: the share-group APIs (KIP-932, served at v0) — with the built-in
// authorizer, a principal denied the group gets GROUP_AUTHORIZATION_FAILED from ShareGroupHeartbeat,
// ShareGroupDescribe, ShareFetch and ShareAcknowledge, and one denied DESCRIBE on a topic cannot subscribe to it
// (TOPIC_AUTHORIZATION_FAILED) — and UpdateFeatures (ALTER on the cluster). Raw requests over PLAINTEXT, so the
// principal is User:ANONYMOUS; allow.everyone.if.no.acl.found=true lets it create the topics and the DENY ACLs.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  AlterShareGroupOffsetsResponse,
  CreateAclsResponse,
  CreateTopicsResponse,
  DeleteShareGroupOffsetsResponse,
  DescribeShareGroupOffsetsResponse,
  ShareAcknowledgeResponse,
  ShareFetchResponse,
  ShareGroupDescribeResponse,
  ShareGroupHeartbeatResponse,
  UpdateFeaturesResponse,
} from '../../src/protocol/generated/messages.ts';
import { AclOperation, AclPermission, CLUSTER_NAME, PatternType, ResourceType } from '../../src/security/authorizer.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';

describe('ACLs on the share-group APIs and UpdateFeatures', { timeout: 120_000 }, () => {
  let broker: BrokerHandle | undefined;
  let conn: BrokerConnection;
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess({
      overrides: {
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'allow.everyone.if.no.acl.found': 'true',
      },
    });
    conn = await BrokerConnection.open('127.0.0.1', broker.port);
    const topics = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'open', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'secret', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    for (const t of topics.topics) assert.equal(t.errorCode, ErrorCode.NONE);
    const deny = (resourceType: number, resourceName: string, operation: number = AclOperation.ALL) => ({
      resourceType,
      resourceName,
      resourcePatternType: PatternType.LITERAL,
      principal: 'User:ANONYMOUS',
      host: '*',
      operation,
      permissionType: AclPermission.DENY,
    });
    const acls = await conn.send<CreateAclsResponse>(ApiKey.CreateAcls, 3, {
      creations: [
        deny(ResourceType.GROUP, 'locked'),
        deny(ResourceType.TOPIC, 'secret'),
        deny(ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER),
      ],
    });
    for (const r of acls.results) assert.equal(r.errorCode, ErrorCode.NONE);
  });
  after(async () => {
    conn?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const heartbeat = (groupId: string, subscribedTopicNames: string[]) =>
    conn.send<ShareGroupHeartbeatResponse>(ApiKey.ShareGroupHeartbeat, 1, {
      groupId,
      memberId: 'm-1',
      memberEpoch: 0,
      rackId: null,
      subscribedTopicNames,
    });

  test('a denied group: heartbeat, describe, fetch and acknowledge answer GROUP_AUTHORIZATION_FAILED', async () => {
    await setup.get();
    const hb = await heartbeat('locked', ['open']);
    assert.equal(hb.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    assert.match(hb.errorMessage ?? '', /locked/);
    const d = await conn.send<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, 1, {
      groupIds: ['locked'],
      includeAuthorizedOperations: false,
    });
    assert.equal(d.groups[0]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const fetch = await conn.send<ShareFetchResponse>(ApiKey.ShareFetch, 2, {
      groupId: 'locked',
      memberId: 'm-1',
      shareSessionEpoch: 0,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: 500,
      batchSize: 500,
      shareAcquireMode: 0,
      isRenewAck: false,
      topics: [],
      forgottenTopicsData: [],
    });
    assert.equal(fetch.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    assert.deepEqual(fetch.responses, []);
    const ack = await conn.send<ShareAcknowledgeResponse>(ApiKey.ShareAcknowledge, 2, {
      groupId: 'locked',
      memberId: 'm-1',
      shareSessionEpoch: 1,
      isRenewAck: false,
      topics: [],
    });
    assert.equal(ack.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });

  test('share-group offsets: a denied group or topic is refused per group, per topic or per partition', async () => {
    await setup.get();
    assert.equal((await heartbeat('share-acl', ['open'])).errorCode, ErrorCode.NONE);
    const describe = await conn.send<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, 1, {
      groups: [
        { groupId: 'locked', topics: null },
        { groupId: 'share-acl', topics: [{ topicName: 'secret', partitions: [0] }] },
      ],
    });
    assert.equal(describe.groups[0]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    assert.equal(describe.groups[1]!.topics[0]!.partitions[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const alter = await conn.send<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, {
      groupId: 'locked',
      topics: [{ topicName: 'open', partitions: [{ partitionIndex: 0, startOffset: 0n }] }],
    });
    assert.equal(alter.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const alterSecret = await conn.send<AlterShareGroupOffsetsResponse>(ApiKey.AlterShareGroupOffsets, 0, {
      groupId: 'empty-share',
      topics: [{ topicName: 'secret', partitions: [{ partitionIndex: 0, startOffset: 0n }] }],
    });
    assert.equal(alterSecret.responses[0]!.partitions[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const del = await conn.send<DeleteShareGroupOffsetsResponse>(ApiKey.DeleteShareGroupOffsets, 0, {
      groupId: 'locked',
      topics: [{ topicName: 'open' }],
    });
    assert.equal(del.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  });

  test('subscribing to a topic one may not DESCRIBE: TOPIC_AUTHORIZATION_FAILED; an allowed one joins', async () => {
    await setup.get();
    const denied = await heartbeat('g', ['open', 'secret']);
    assert.equal(denied.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.match(denied.errorMessage ?? '', /secret/);
    const ok = await heartbeat('g', ['open']);
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.ok(ok.memberEpoch > 0);
  });

  test('UpdateFeatures without ALTER on the cluster: CLUSTER_AUTHORIZATION_FAILED', async () => {
    await setup.get();
    const r = await conn.send<UpdateFeaturesResponse>(ApiKey.UpdateFeatures, 1, {
      timeoutMs: 5000,
      featureUpdates: [{ feature: 'group.version', maxVersionLevel: 0, allowDowngrade: false, upgradeType: 2 }],
      validateOnly: false,
    });
    assert.equal(r.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(
      r.results.map((x) => x.errorCode),
      [ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
    );
  });
});
