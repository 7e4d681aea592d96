// Large Produce frames are read into reused slabs (server/connection.ts, produceFrames). Pipelined requests on
// several connections must each be written to the log exactly as sent: a slab reused too early would show as
// one request's bytes in another's records.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import type { FetchResponse, ProduceResponse } from '../../../src/protocol/generated/messages.ts';
import { buildBatch, iterateRecords } from '../../../src/records/index.ts';

let broker: RunningBroker;
const conns: BrokerConnection[] = [];
before(async () => {
  broker = await startBroker();
  for (let i = 0; i < 3; i++) conns.push(await BrokerConnection.open('127.0.0.1', broker.port));
});
after(async () => {
  for (const c of conns) c.close();
  await broker.stop();
});

const REQUESTS = 20;
const value = (conn: number, req: number, rec: number) => Buffer.alloc(20_000, `c${conn} q${req} r${rec} `);

test('pipelined large produce requests from several connections are appended exactly as sent', async () => {
  await conns[0]!.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'frames', numPartitions: conns.length, replicationFactor: 1, configs: [] }],
    timeoutMs: 5000,
  });
  // Each connection sends all its requests without waiting (about 200 KB each), so frames queue up while earlier
  // ones are handled.
  const sends = conns.flatMap((c, ci) =>
    Array.from({ length: REQUESTS }, (_, q) =>
      c.send<ProduceResponse>(ApiKey.Produce, 9, {
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          {
            name: 'frames',
            partitionData: [
              {
                index: ci,
                records: buildBatch({
                  records: Array.from({ length: 10 }, (_, r) => ({
                    timestamp: 1,
                    key: null,
                    value: value(ci, q, r),
                    headers: [],
                  })),
                }),
              },
            ],
          },
        ],
      }),
    ),
  );
  for (const res of await Promise.all(sends)) assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
  for (let ci = 0; ci < conns.length; ci++) {
    let offset = 0;
    while (offset < REQUESTS * 10) {
      const res = await conns[0]!.send<FetchResponse>(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 22,
        isolationLevel: 0,
        topics: [{ topic: 'frames', partitions: [{ partition: ci, fetchOffset: offset, partitionMaxBytes: 1 << 22 }] }],
      });
      const recs = [...iterateRecords(res.responses[0]!.partitions[0]!.records!)].filter((r) => r.offset >= offset);
      assert.ok(recs.length > 0);
      for (const r of recs) {
        const want = value(ci, Math.floor(r.offset / 10), r.offset % 10);
        assert.ok(r.value!.equals(want), `partition ${ci} offset ${r.offset}`);
      }
      offset = recs.at(-1)!.offset + 1;
    }
  }
});
