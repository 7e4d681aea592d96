// Produce answers KIP-467 record errors (v8+): record_errors with each bad record's index and message, and the
// partition's error_message; older versions get the code alone. Nothing of a rejected batch is appended.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type { ListOffsetsResponse, ProduceResponse } from '../../../src/protocol/generated/messages.ts';
import { buildBatch } from '../../../src/records/index.ts';

let broker: RunningBroker;
let conn: BrokerConnection;
before(async () => {
  broker = await startBroker();
  conn = await BrokerConnection.open('127.0.0.1', broker.port);
  await conn.send(ApiKey.CreateTopics, 5, {
    topics: [
      {
        name: 'compacted',
        numPartitions: 1,
        replicationFactor: 1,
        configs: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
    timeoutMs: 5000,
  });
});
after(async () => {
  conn.close();
  await broker.stop();
});

async function produce(version: number, records: Buffer) {
  const r = await conn.send<ProduceResponse>(ApiKey.Produce, version, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'compacted', partitionData: [{ index: 0, records }] }],
  });
  return r.responses[0]!.partitionResponses[0]!;
}

test('keyless records to a compacted topic: INVALID_RECORD with record_errors and error_message (v8-v11)', async () => {
  const now = Date.now();
  const batch = () =>
    buildBatch({
      now,
      records: [
        { key: Buffer.from('k'), value: Buffer.from('v') },
        { key: null, value: Buffer.from('v1') },
        { key: null, value: Buffer.from('v2') },
      ],
    });
  for (let v = 8; v <= 11; v++) {
    const p = await produce(v, batch());
    assert.equal(p.errorCode, ErrorCode.INVALID_RECORD, `v${v}`);
    assert.deepEqual(
      p.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage]),
      [
        [1, 'Compacted topic cannot accept message without key in topic partition compacted-0'],
        [2, 'Compacted topic cannot accept message without key in topic partition compacted-0'],
      ],
    );
    assert.match(p.errorMessage ?? '', /rejected due to 2 record errors/);
    assert.equal(p.baseOffset, -1n);
  }
  const old = await produce(7, batch());
  assert.equal(old.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(old.recordErrors, [], 'v7 cannot carry record errors');
  const ok = await produce(9, buildBatch({ now, records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }));
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(ok.baseOffset, 0n, 'the rejected batches appended nothing');
  const end = await conn.send<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'compacted', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  assert.equal(end.topics[0]!.partitions[0]!.offset, 1n);
  assert.equal(end.topics[0]!.partitions[0]!.leaderEpoch, 0);
});

test('a timestamp beyond message.timestamp.after.max.ms: INVALID_TIMESTAMP naming the record', async () => {
  const now = Date.now();
  const p = await produce(
    11,
    buildBatch({
      now,
      records: [
        { key: Buffer.from('a'), timestamp: now },
        { key: Buffer.from('b'), timestamp: now + 2 * 3_600_000 },
      ],
    }),
  );
  assert.equal(p.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(
    p.recordErrors.map((e) => e.batchIndex),
    [1],
  );
  assert.match(p.recordErrors[0]!.batchIndexErrorMessage ?? '', /of message with offset 1 is out of range/);
  assert.equal(p.errorMessage, 'One or more records have been rejected due to invalid timestamp');
});
