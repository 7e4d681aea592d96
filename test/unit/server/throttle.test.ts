// Client quotas on the request path, in-process (KIP-219): a Produce over producer_byte_rate is answered at once
// with throttle_time_ms and the connection is then muted (a pipelined request waits out the throttle); a consumer
// Fetch over consumer_byte_rate is answered empty, its bytes not counted; clients without a quota are untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type {
  AlterClientQuotasResponse,
  FetchResponse,
  MetadataResponse,
  ProduceResponse,
} from '../../../src/protocol/generated/messages.ts';
import { buildBatch } from '../../../src/records/index.ts';

let broker: RunningBroker;
before(async () => {
  // Two samples of one second: the minimum window is one second, so throttle times are easy to predict.
  broker = await startBroker({ config: { 'quota.window.num': '2', 'num.partitions': '1' } });
  const c = await BrokerConnection.open('127.0.0.1', broker.port, 'admin');
  try {
    const res = await c.send<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
      entries: [
        {
          entity: [{ entityType: 'client-id', entityName: 'p' }],
          ops: [{ key: 'producer_byte_rate', value: 1000, remove: false }],
        },
        {
          entity: [{ entityType: 'client-id', entityName: 'c' }],
          ops: [{ key: 'consumer_byte_rate', value: 100, remove: false }],
        },
      ],
      validateOnly: false,
    });
    assert.deepEqual(
      res.entries.map((e) => e.errorCode),
      [0, 0],
    );
  } finally {
    c.close();
  }
});
after(async () => {
  await broker.stop();
});

const batch = () => buildBatch({ records: [{ key: null, value: Buffer.alloc(5000, 1) }] });
const produce = (c: BrokerConnection) =>
  c.send<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: 'throttled', partitionData: [{ index: 0, records: batch() }] }],
  });
const metadata = (c: BrokerConnection) =>
  c.send<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'throttled' }],
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false,
  });

test('a Produce over producer_byte_rate: throttle_time_ms at once, then the channel is muted', async () => {
  const free = await BrokerConnection.open('127.0.0.1', broker.port, 'free');
  const p = await BrokerConnection.open('127.0.0.1', broker.port, 'p');
  try {
    await metadata(free); // creates the topic
    const unthrottled = await produce(free);
    assert.equal(unthrottled.throttleTimeMs, 0);
    // ~5 KB over a one-second window against 1000 B/s: about four seconds of throttle.
    const first = produce(p);
    const second = metadata(p); // pipelined behind the throttled produce
    const r1 = await first;
    const answeredAt = Date.now();
    assert.equal(r1.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    assert.ok(r1.throttleTimeMs > 3000 && r1.throttleTimeMs < 5000, `throttle ${r1.throttleTimeMs}`);
    await second;
    // The muted connection read nothing until the throttle time had passed (a lower bound: timers never fire early).
    const waited = Date.now() - answeredAt;
    assert.ok(waited >= r1.throttleTimeMs - 100, `second answer after ${waited} ms, throttle ${r1.throttleTimeMs}`);
    // Another client on another connection was never held back.
    assert.equal((await produce(free)).throttleTimeMs, 0);
  } finally {
    free.close();
    p.close();
  }
});

test('a Fetch over consumer_byte_rate is answered empty with a throttle time', async () => {
  const c = await BrokerConnection.open('127.0.0.1', broker.port, 'c');
  try {
    const fetch = () =>
      c.send<FetchResponse>(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: 'throttled',
            partitions: [
              {
                partition: 0,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1 << 20,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
    const r = await fetch();
    assert.ok(r.throttleTimeMs > 0, `throttle ${r.throttleTimeMs}`);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(r.responses, []);
  } finally {
    c.close();
  }
});
