// Fetch reads into pooled memory (storage/read-buffers.ts) that is reused once a response is written. A response
// the socket cannot take yet (its reader is slow) keeps its slabs: other fetches must not write over them.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import type { FetchResponse, ProduceResponse } from '../../../src/protocol/generated/messages.ts';
import { buildBatch, iterateRecords } from '../../../src/records/index.ts';

let broker: RunningBroker;
let slow: BrokerConnection;
let fast: BrokerConnection;
before(async () => {
  broker = await startBroker();
  slow = await BrokerConnection.open('127.0.0.1', broker.port);
  fast = await BrokerConnection.open('127.0.0.1', broker.port);
});
after(async () => {
  slow.close();
  fast.close();
  await broker.stop();
});

const PARTITIONS = 12;
const BATCHES = 10;
const RECORDS = 10;
const value = (topic: string, p: number, offset: number) => Buffer.alloc(10_000, `${topic} p${p} o${offset} `);

async function fill(topic: string): Promise<void> {
  await fast.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1, configs: [] }],
    timeoutMs: 5000,
  });
  for (let b = 0; b < BATCHES; b++) {
    const partitionData = Array.from({ length: PARTITIONS }, (_, p) => ({
      index: p,
      records: buildBatch({
        records: Array.from({ length: RECORDS }, (_, r) => ({
          timestamp: 1,
          key: null,
          value: value(topic, p, b * RECORDS + r),
          headers: [],
        })),
      }),
    }));
    const res = await fast.send<ProduceResponse>(ApiKey.Produce, 9, {
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData }],
    });
    assert.ok(res.responses[0]!.partitionResponses.every((p) => p.errorCode === 0));
  }
}

const fetchAll = (c: BrokerConnection, topic: string) =>
  c.send<FetchResponse>(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 26,
    isolationLevel: 0,
    topics: [
      {
        topic,
        partitions: Array.from({ length: PARTITIONS }, (_, p) => ({
          partition: p,
          fetchOffset: 0,
          partitionMaxBytes: 1 << 20,
        })),
      },
    ],
  });

function check(res: FetchResponse, topic: string): void {
  for (const part of res.responses[0]!.partitions) {
    assert.equal(part.errorCode, 0);
    const recs = [...iterateRecords(part.records!)];
    assert.ok(recs.length > 0);
    for (const r of recs)
      assert.ok(r.value!.equals(value(topic, part.partitionIndex, r.offset)), `${topic} ${r.offset}`);
  }
}

test('a response waiting for a slow reader keeps its pooled memory; all of it comes back afterwards', async () => {
  await fill('slow');
  await fill('other');
  const pool = broker.broker.readBuffers!;
  const socket = (slow as unknown as { socket: Socket }).socket;
  socket.pause(); // about 12 MB of response: more than the loopback socket buffers hold
  const pending = fetchAll(slow, 'slow');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(pool.outstanding > 0, 'the unwritten response still holds its slabs');
  // Other fetches meanwhile read different bytes into whatever slabs are free.
  for (let i = 0; i < 5; i++) check(await fetchAll(fast, 'other'), 'other');
  socket.resume();
  check(await pending, 'slow');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(pool.outstanding, 0, 'every slab handed out for a fetch came back');
  assert.ok(pool.freeSlabs > 0, 'fetches used the pool');
});
