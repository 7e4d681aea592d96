// A topic's compression.type other than 'producer' makes the broker recompress what producers send.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import type { FetchResponse, ProduceResponse } from '../../../src/protocol/generated/messages.ts';
import { buildBatch, iterateRecords, readBatchHeader } from '../../../src/records/index.ts';

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

async function roundTrip(topic: string, compressionType: string, sentCodec: number) {
  await conn.send(ApiKey.CreateTopics, 5, {
    topics: [
      {
        name: topic,
        numPartitions: 1,
        replicationFactor: 1,
        configs: [{ name: 'compression.type', value: compressionType }],
      },
    ],
    timeoutMs: 5000,
  });
  const records = Array.from({ length: 20 }, (_, i) => ({
    timestamp: 1_700_000_000_000 + i,
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`value ${i} `.repeat(20)),
    headers: [{ key: 'h', value: Buffer.from(String(i)) }],
  }));
  const produced = await conn.send<ProduceResponse>(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      { name: topic, partitionData: [{ index: 0, records: buildBatch({ compression: sentCodec, records }) }] },
    ],
  });
  assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);
  const fetched = await conn.send<FetchResponse>(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  const data = fetched.responses[0]!.partitions[0]!.records!;
  const read = [...iterateRecords(data)];
  assert.deepEqual(
    read.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString(), r.headers[0]?.value?.toString()]),
    records.map((r, i) => [i, r.timestamp, r.key.toString(), r.value.toString(), String(i)]),
  );
  return readBatchHeader(data, 0).compression;
}

test('compression.type=zstd recompresses an uncompressed batch; records are unchanged', async () => {
  assert.equal(await roundTrip('ct-zstd', 'zstd', 0), 4);
});

test('compression.type=uncompressed decompresses a gzip batch', async () => {
  assert.equal(await roundTrip('ct-none', 'uncompressed', 1), 0);
});

test('compression.type=producer keeps what the producer sent', async () => {
  assert.equal(await roundTrip('ct-producer', 'producer', 3), 3);
});
