// OffsetForLeaderEpoch (23): the per-partition answer (Kafka's error order and epoch fencing), through a real
// Partition whose leader epoch changes between appends, and over the wire in every version.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Partition } from '../../../src/broker/partition.ts';
import { toLogConfig } from '../../../src/broker/replica-manager.ts';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type {
  ApiVersionsResponse,
  OffsetForLeaderEpochResponse,
  ProduceResponse,
} from '../../../src/protocol/generated/messages.ts';
import { buildBatch } from '../../../src/records/index.ts';
import { answerPartition, type EpochLookup } from '../../../src/server/handlers/offset-for-leader-epoch.ts';
import { KafkaStorageError } from '../../../src/storage/errors.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { createLogger } from '../../../src/util/log.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
const noError = () => assert.fail('unexpected error path');

function fakeReplica(epoch: number) {
  return {
    checkCurrentLeaderEpoch: (c: number) =>
      c === -1 || c === epoch
        ? ErrorCode.NONE
        : c < epoch
          ? ErrorCode.FENCED_LEADER_EPOCH
          : ErrorCode.UNKNOWN_LEADER_EPOCH,
    endOffsetForEpoch: (e: number) => ({ leaderEpoch: Math.min(e, epoch), endOffset: 42 }),
  };
}

test('answerPartition follows Kafka: hosting, then current epoch fencing, then leadership, then the cache', () => {
  const fail = (errorCode: number) => ({ errorCode, leaderEpoch: -1, endOffset: -1 });
  const at = (l: EpochLookup, current = -1, epoch = 3) => answerPartition(l, current, epoch, noError);
  assert.deepEqual(at({ known: false, isLeader: false }), fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  assert.deepEqual(at({ known: true, isLeader: false }), fail(ErrorCode.NOT_LEADER_OR_FOLLOWER));
  const replica = fakeReplica(5);
  assert.deepEqual(at({ replica, known: true, isLeader: true }, 4), fail(ErrorCode.FENCED_LEADER_EPOCH));
  assert.deepEqual(at({ replica, known: true, isLeader: true }, 6), fail(ErrorCode.UNKNOWN_LEADER_EPOCH));
  // Kafka checks the epoch before leadership: a stale follower request is fenced, not redirected.
  assert.deepEqual(at({ replica, known: true, isLeader: false }, 4), fail(ErrorCode.FENCED_LEADER_EPOCH));
  assert.deepEqual(at({ replica, known: true, isLeader: false }, 5), fail(ErrorCode.NOT_LEADER_OR_FOLLOWER));
  assert.deepEqual(at({ replica, known: true, isLeader: true }, 5), { errorCode: 0, leaderEpoch: 3, endOffset: 42 });
  assert.deepEqual(at({ replica, known: true, isLeader: true }, -1), { errorCode: 0, leaderEpoch: 3, endOffset: 42 });
  const offline = {
    ...replica,
    endOffsetForEpoch: () => {
      throw new KafkaStorageError('offline');
    },
  };
  assert.deepEqual(
    answerPartition({ replica: offline, known: true, isLeader: true }, -1, 3, () => ErrorCode.KAFKA_STORAGE_ERROR),
    fail(ErrorCode.KAFKA_STORAGE_ERROR),
  );
});

test('a Partition whose leader epoch changes answers from its epoch cache', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ofle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = resolveTopicConfig(loadBrokerConfig({ env: {} }), {});
  const open = () => {
    const log = PartitionLog.open(dir, toLogConfig(cfg), { cleanShutdown: true });
    return new Partition({ topic: 't', topicId: 'id', index: 0, log, leaderEpoch: 0, config: cfg, logger });
  };
  let p = open();
  const produce = (n: number) => {
    const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) }));
    p.appendAsLeader(buildBatch({ records }), Date.now());
  };
  p.makeLeader(0);
  assert.deepEqual(p.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 0 }, 'a new leader answers before appends');
  assert.equal(existsSync(join(dir, 'leader-epoch-checkpoint')), false, 'an empty log writes no checkpoint');
  produce(5); // epoch 0: 0..4
  assert.equal(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n0 0\n');
  p.leaderEpoch = 2; // (a leader whose epoch is bumped by an append only, as a follower would see it)
  produce(3); // epoch 2: 5..7
  assert.deepEqual(p.offsetForTimestamp(-2), { offset: 0, timestamp: -1, leaderEpoch: 0 });
  p.makeLeader(3);
  assert.deepEqual(p.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 8 }, 'epoch 3 starts at the log end');
  assert.deepEqual(p.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 8 });
  produce(4); // epoch 3: 8..11
  assert.deepEqual(p.offsetForTimestamp(-1), { offset: 12, timestamp: -1, leaderEpoch: 3 });
  assert.equal(p.offsetForTimestamp(-3)?.leaderEpoch, 3);
  assert.equal(p.offsetForTimestamp(0)?.leaderEpoch, 0, 'a timestamp lookup answers its batch epoch');
  assert.deepEqual(p.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 5 });
  assert.deepEqual(p.endOffsetForEpoch(1), { leaderEpoch: 0, endOffset: 5 });
  assert.deepEqual(p.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 8 });
  assert.deepEqual(p.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 12 });
  assert.deepEqual(p.endOffsetForEpoch(9), { leaderEpoch: -1, endOffset: -1 });
  assert.equal(p.checkCurrentLeaderEpoch(2), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(p.checkCurrentLeaderEpoch(4), ErrorCode.UNKNOWN_LEADER_EPOCH);
  assert.equal(p.checkCurrentLeaderEpoch(3), ErrorCode.NONE);
  assert.equal(p.checkCurrentLeaderEpoch(-1), ErrorCode.NONE);
  p.log.close();
  p = open();
  assert.deepEqual(p.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 8 }, 'the cache survives a restart');
  p.log.close();
});

let broker: RunningBroker;
let conn: BrokerConnection;
before(async () => {
  broker = await startBroker();
  conn = await BrokerConnection.open('127.0.0.1', broker.port);
});
after(async () => {
  conn.close();
  await broker.stop();
});

test('over the wire: ApiVersions advertises 23 v0-4; every version answers epochs, errors and fencing', async () => {
  const versions = await conn.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
    clientSoftwareName: 't',
    clientSoftwareVersion: '1',
  });
  const api = versions.apiKeys.find((k) => k.apiKey === ApiKey.OffsetForLeaderEpoch);
  assert.deepEqual([api?.minVersion, api?.maxVersion], [0, 4]);

  await conn.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'ofle', numPartitions: 1, replicationFactor: 1, configs: [] }],
    timeoutMs: 5000,
  });
  const records = Array.from({ length: 7 }, (_, i) => ({ value: Buffer.from(`v${i}`) }));
  const produced = await conn.send<ProduceResponse>(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'ofle', partitionData: [{ index: 0, records: buildBatch({ records }) }] }],
  });
  assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);

  for (let v = 0; v <= 4; v++) {
    const r = await conn.send<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, v, {
      replicaId: -1,
      topics: [
        {
          topic: 'ofle',
          partitions: [
            { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
            { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 4 },
            { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 },
            { partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 },
          ],
        },
        { topic: 'no-such-topic', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    const got = r.topics.map((t) => [t.topic, t.partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset])]);
    const epoch = (e: number) => (v >= 1 ? e : -1); // v0 has no leader_epoch in its answer
    assert.deepEqual(
      got,
      [
        [
          'ofle',
          [
            [ErrorCode.NONE, epoch(0), 7n],
            [ErrorCode.NONE, -1, -1n],
            // v0-1 cannot carry current_leader_epoch: the request's 1 is not sent, so nothing is fenced.
            v >= 2 ? [ErrorCode.UNKNOWN_LEADER_EPOCH, epoch(-1), -1n] : [ErrorCode.NONE, epoch(0), 7n],
            [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
          ],
        ],
        ['no-such-topic', [[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n]]],
      ],
      `version ${v}`,
    );
  }
});
