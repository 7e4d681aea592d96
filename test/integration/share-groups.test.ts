// Share groups (KIP-932) through raw requests against a broker process: ShareGroupHeartbeat joins, heartbeats,
// leaves and times out members, and the share assignor gives five members of one single-partition topic the same
// partition; ShareGroupDescribe shows them. Both are served at v1 (Kafka 4.4's), and only while the share.version
// feature is finalized at 1 (a new cluster's level); at 0 they answer UNSUPPORTED_VERSION. The Java
// KafkaShareConsumer runs in share-clients.test.ts.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  ApiVersionsResponse,
  CreateTopicsResponse,
  IncrementalAlterConfigsResponse,
  ReadShareGroupStateResponse,
  ShareGroupDescribeResponse,
  ShareGroupHeartbeatResponse,
  UpdateFeaturesResponse,
} from '../../src/protocol/generated/messages.ts';
import {
  type BrokerHandle,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, runProcess } from '../helpers/clients.ts';

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

const HEARTBEAT = 76;
const DESCRIBE = 77;

describe('share groups: ShareGroupHeartbeat and ShareGroupDescribe', { timeout: 120_000 }, () => {
  let broker: BrokerHandle | undefined;
  let conn: BrokerConnection;
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess({
      overrides: {
        'group.share.min.session.timeout.ms': '1000',
        'group.share.session.timeout.ms': '2000',
        'group.share.min.heartbeat.interval.ms': '200',
        'group.share.heartbeat.interval.ms': '500',
      },
    });
    conn = await BrokerConnection.open('127.0.0.1', broker.port);
    const res = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'queue', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'wide', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    for (const t of res.topics) assert.equal(t.errorCode, ErrorCode.NONE);
  });
  after(async () => {
    conn?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const heartbeat = (body: {
    groupId: string;
    memberId: string;
    memberEpoch: number;
    subscribedTopicNames?: string[] | null;
  }) =>
    conn.send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, {
      rackId: null,
      subscribedTopicNames: null,
      ...body,
    });
  const describeGroup = async (groupId: string) =>
    (
      await conn.send<ShareGroupDescribeResponse>(DESCRIBE, 1, {
        groupIds: [groupId],
        includeAuthorizedOperations: false,
      })
    ).groups[0]!;

  test('ApiVersions advertises ShareGroupHeartbeat and ShareGroupDescribe v1 (the only version of Kafka 4.4)', async () => {
    await setup.get();
    const v = await conn.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
      clientSoftwareName: 'test',
      clientSoftwareVersion: '1',
    });
    for (const key of [HEARTBEAT, DESCRIBE]) {
      const a = v.apiKeys.find((k) => k.apiKey === key);
      assert.deepEqual([a?.minVersion, a?.maxVersion], [1, 1], `api ${key}`);
    }
  });

  test('share.version: finalized at 1 on a new cluster; at 0 the share-group APIs answer UNSUPPORTED_VERSION', async () => {
    await setup.get();
    const level = async () => {
      const v = await conn.send<ApiVersionsResponse>(ApiKey.ApiVersions, 4, {
        clientSoftwareName: 'test',
        clientSoftwareVersion: '1',
      });
      assert.deepEqual(
        v.supportedFeatures.find((f) => f.name === 'share.version'),
        { name: 'share.version', minVersion: 0, maxVersion: 1 },
      );
      return v.finalizedFeatures.find((f) => f.name === 'share.version')?.maxVersionLevel ?? 0;
    };
    const update = (maxVersionLevel: number, upgradeType: number) =>
      conn.send<UpdateFeaturesResponse>(ApiKey.UpdateFeatures, 1, {
        timeoutMs: 5000,
        featureUpdates: [{ feature: 'share.version', maxVersionLevel, allowDowngrade: false, upgradeType }],
        validateOnly: false,
      });
    assert.equal(await level(), 1);
    assert.equal((await update(0, 2)).errorCode, ErrorCode.NONE);
    try {
      assert.equal(await level(), 0);
      const hb = await heartbeat({
        groupId: 'off',
        memberId: 'm-off',
        memberEpoch: 0,
        subscribedTopicNames: ['queue'],
      });
      assert.equal(hb.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      assert.match(hb.errorMessage ?? '', /share\.version/);
      assert.equal((await describeGroup('off')).errorCode, ErrorCode.UNSUPPORTED_VERSION);
    } finally {
      assert.equal((await update(1, 1)).errorCode, ErrorCode.NONE);
    }
    assert.equal(await level(), 1);
    const hb = await heartbeat({ groupId: 'off', memberId: 'm-off', memberEpoch: 0, subscribedTopicNames: ['queue'] });
    assert.equal(hb.errorCode, ErrorCode.NONE);
    await heartbeat({ groupId: 'off', memberId: 'm-off', memberEpoch: -1 });
  });

  test('five members share the single partition; a leave and a session timeout remove members', async () => {
    await setup.get();
    const ids: string[] = [];
    const epochs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await heartbeat({
        groupId: 'sg',
        memberId: `member-${i}`,
        memberEpoch: 0,
        subscribedTopicNames: ['queue'],
      });
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
      assert.equal(r.heartbeatIntervalMs, 500);
      ids.push(r.memberId!);
      epochs.push(r.memberEpoch);
    }
    assert.deepEqual(epochs, [1, 2, 3, 4, 5]);
    let d = await describeGroup('sg');
    assert.equal(d.errorCode, ErrorCode.NONE);
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.groupEpoch, 5);
    assert.equal(d.assignorName, 'simple');
    assert.equal(d.members.length, 5);
    for (const m of d.members) {
      assert.deepEqual(
        m.assignment.topicPartitions.map((t) => [t.topicName, t.partitions]),
        [['queue', [0]]],
        `${m.memberId} reads queue-0`,
      );
    }
    // member-0 leaves; member-1 goes silent; the others keep heartbeating past member-1's session timeout.
    const left = await heartbeat({ groupId: 'sg', memberId: ids[0]!, memberEpoch: -1 });
    assert.equal(left.errorCode, ErrorCode.NONE);
    assert.equal(left.memberEpoch, -1);
    const deadline = Date.now() + 3500;
    while (Date.now() < deadline) {
      for (const id of ids.slice(2)) {
        const r = await heartbeat({ groupId: 'sg', memberId: id, memberEpoch: (await describeMember('sg', id)) ?? 0 });
        assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    d = await describeGroup('sg');
    assert.deepEqual(d.members.map((m) => m.memberId).sort(), ids.slice(2).sort());
    const gone = await heartbeat({ groupId: 'sg', memberId: ids[1]!, memberEpoch: 5 });
    assert.equal(gone.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  const describeMember = async (groupId: string, id: string) =>
    (await describeGroup(groupId)).members.find((m) => m.memberId === id)?.memberEpoch;

  test('partitions of a wide topic are spread over its members', async () => {
    await setup.get();
    for (const id of ['a', 'b']) {
      const r = await heartbeat({ groupId: 'wide-g', memberId: id, memberEpoch: 0, subscribedTopicNames: ['wide'] });
      assert.equal(r.errorCode, ErrorCode.NONE);
    }
    // a takes its share of the assignment b's join made on its next heartbeat.
    const again = await heartbeat({ groupId: 'wide-g', memberId: 'a', memberEpoch: 1 });
    assert.equal(again.memberEpoch, 2);
    assert.equal(again.assignment?.topicPartitions[0]?.partitions.length, 2);
    const d = await describeGroup('wide-g');
    const parts = d.members.flatMap((m) => m.assignment.topicPartitions.flatMap((t) => t.partitions)).sort();
    assert.deepEqual(parts, [0, 1, 2, 3]);
    assert.deepEqual(
      d.members.map((m) => m.assignment.topicPartitions[0]!.partitions.length),
      [2, 2],
    );
  });

  test('bad input and group-type conflicts get Kafka error codes with messages', async () => {
    await setup.get();
    const noTopics = await heartbeat({ groupId: 'x', memberId: 'm', memberEpoch: 0, subscribedTopicNames: [] });
    assert.equal(noTopics.errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(noTopics.errorMessage ?? '', /SubscribedTopicNames/);
    const empty = await heartbeat({ groupId: '', memberId: 'm', memberEpoch: 0, subscribedTopicNames: ['queue'] });
    assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST);
    const unknown = await heartbeat({ groupId: 'never', memberId: 'm', memberEpoch: 3 });
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // A consumer-protocol (KIP-848) group of the same id is not a share group.
    const cg = await conn.send<{ errorCode: number }>(ApiKey.ConsumerGroupHeartbeat, 0, {
      groupId: 'kip848',
      memberId: 'c1',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30000,
      subscribedTopicNames: ['queue'],
      serverAssignor: null,
      topicPartitions: [],
    });
    assert.equal(cg.errorCode, ErrorCode.NONE);
    const conflict = await heartbeat({
      groupId: 'kip848',
      memberId: 's1',
      memberEpoch: 0,
      subscribedTopicNames: ['queue'],
    });
    assert.equal(conflict.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match(conflict.errorMessage ?? '', /not a share group/);
    const missing = await describeGroup('no-such-share-group');
    assert.equal(missing.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  test('ListGroups and the tributary share-groups CLI list, describe and delete share groups', async () => {
    await setup.get();
    const cli = async (args: string[], code = 0) => {
      const r = await runProcess(process.execPath, [CLI, ...args, '-b', broker!.bootstrap], { timeoutMs: 60_000 });
      assert.equal(r.code, code, describeRun(`tributary ${args.join(' ')}`, r));
      return r;
    };
    // A GROUP config keeps these members for a minute (the broker's share session timeout here is 2 s).
    const cfg = await conn.send<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: 32,
          resourceName: 'cli-g',
          configs: [{ name: 'share.session.timeout.ms', configOperation: 0, value: '60000' }],
        },
      ],
      validateOnly: false,
    });
    assert.equal(cfg.responses[0]!.errorCode, ErrorCode.NONE, cfg.responses[0]!.errorMessage ?? '');
    const epochs = new Map<string, number>();
    for (const id of ['a', 'b']) {
      const r = await heartbeat({ groupId: 'cli-g', memberId: id, memberEpoch: 0, subscribedTopicNames: ['wide'] });
      assert.equal(r.errorCode, ErrorCode.NONE);
      epochs.set(id, r.memberEpoch);
    }
    const a = await heartbeat({ groupId: 'cli-g', memberId: 'a', memberEpoch: 1 });
    epochs.set('a', a.memberEpoch);
    const listed = JSON.parse((await cli(['share-groups', 'list', '--json'])).stdout) as Array<{ groupId: string }>;
    assert.ok(
      listed.some((l) => l.groupId === 'cli-g'),
      `share groups listed: ${JSON.stringify(listed)}`,
    );
    assert.ok(!listed.some((l) => l.groupId === 'kip848'), 'a consumer group is not a share group');
    const members = (await cli(['share-groups', 'describe', '-g', 'cli-g', '--members'])).stdout;
    assert.match(members, /MEMBER-ID/);
    assert.match(members, /cli-g\s+a\s/);
    assert.match(members, /wide:\d,\d/);
    const summary = (await cli(['share-groups', 'describe', '-g', 'cli-g'])).stdout;
    assert.match(summary, /cli-g\s+Stable\s+2\s+2\s+simple\s+2/);
    const missing = await cli(['share-groups', 'describe', '-g', 'nope'], 1);
    assert.match(missing.stderr, /GROUP_ID_NOT_FOUND|not found/);
    const busy = await cli(['share-groups', 'delete', '-g', 'cli-g'], 1);
    assert.match(busy.stderr, /NON_EMPTY_GROUP/);
    for (const id of ['a', 'b']) {
      const r = await heartbeat({ groupId: 'cli-g', memberId: id, memberEpoch: -1 });
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
    }
    assert.match((await cli(['share-groups', 'delete', '-g', 'cli-g'])).stdout, /Deleted share group 'cli-g'/);
    assert.equal((await describeGroup('cli-g')).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match((await cli(['share-groups', 'delete', '-g', 'kip848'], 1)).stderr, /does not exist/);
  });

  test('the share coordinator APIs: Initialize, Write, Read, fencing and Delete of share-partition state', async () => {
    await setup.get();
    const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const init = await conn.send<{ results: Array<{ partitions: Array<{ errorCode: number }> }> }>(83, 0, {
      groupId: 'state-g',
      topics: [{ topicId, partitions: [{ partition: 0, stateEpoch: 1, startOffset: 10n }] }],
    });
    assert.equal(init.results[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const write = (stateEpoch: number) =>
      conn.send<{ results: Array<{ partitions: Array<{ errorCode: number }> }> }>(85, 0, {
        groupId: 'state-g',
        topics: [
          {
            topicId,
            partitions: [
              {
                partition: 0,
                stateEpoch,
                leaderEpoch: 0,
                startOffset: 12n,
                stateBatches: [{ firstOffset: 12n, lastOffset: 14n, deliveryState: 0, deliveryCount: 2 }],
              },
            ],
          },
        ],
      });
    assert.equal((await write(1)).results[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await write(0)).results[0]!.partitions[0]!.errorCode, ErrorCode.FENCED_STATE_EPOCH);
    const read = () =>
      conn.send<ReadShareGroupStateResponse>(84, 0, {
        groupId: 'state-g',
        topics: [{ topicId, partitions: [{ partition: 0, leaderEpoch: 0 }] }],
      });
    const r = (await read()).results[0]!.partitions[0]!;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.stateEpoch, 1);
    assert.equal(r.startOffset, 12n);
    assert.deepEqual(r.stateBatches, [{ firstOffset: 12n, lastOffset: 14n, deliveryState: 0, deliveryCount: 2 }]);
    const del = await conn.send<{ results: Array<{ partitions: Array<{ errorCode: number }> }> }>(86, 0, {
      groupId: 'state-g',
      topics: [{ topicId, partitions: [{ partition: 0 }] }],
    });
    assert.equal(del.results[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await read()).results[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
