// kafkajs 2.2.4 transactional producer: commit and abort, sendOffsets; read back with readUncommitted false/true.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import type * as KafkaJSTypes from '../../interop/node_modules/kafkajs/types/index.d.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { importInterop, waitFor } from '../helpers/clients.ts';

type KafkaJS = typeof KafkaJSTypes;

describe('kafkajs transactions', { timeout: 200_000 }, () => {
  let broker: BrokerHandle | undefined;
  let kafkajs: KafkaJS;
  let kafka: KafkaJSTypes.Kafka;

  const setup = sharedSetup(async () => {
    kafkajs = (await importInterop<{ default: KafkaJS }>('kafkajs/index.js')).default;
    broker = await startBrokerProcess();
    kafka = new kafkajs.Kafka({
      clientId: 'tributary-txn',
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.ERROR,
      retry: { retries: 5, initialRetryTime: 200 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-txn', numPartitions: 2, replicationFactor: 1 }] });
    await admin.disconnect();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  async function readAll(readUncommitted: boolean, expected: number): Promise<string[]> {
    const consumer = kafka.consumer({
      groupId: `kjs-reader-${readUncommitted}`,
      readUncommitted,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs-txn', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
      },
    });
    try {
      await waitFor(`${expected} records`, async () => (seen.length >= expected ? true : undefined), 40_000);
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  test('commit is visible to read_committed, abort never; sendOffsets inside a transaction', {
    timeout: 150_000,
  }, async () => {
    await setup.get();
    const producer = kafka.producer({ transactionalId: 'kjs-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const send = async (prefix: string, commit: boolean) => {
      const tx = await producer.transaction();
      await tx.send({
        topic: 'kjs-txn',
        messages: Array.from({ length: 10 }, (_, i) => ({ value: `${prefix}-${i}`, partition: i % 2 })),
      });
      if (prefix === 'c2')
        await tx.sendOffsets({
          consumerGroupId: 'kjs-offsets',
          topics: [{ topic: 'kjs-txn', partitions: [{ partition: 0, offset: '5' }] }],
        });
      if (commit) await tx.commit();
      else await tx.abort();
    };
    await send('c1', true);
    await send('a', false);
    await send('c2', true);
    await producer.disconnect();

    const committed = await readAll(false, 20);
    assert.equal(committed.filter((v) => v.startsWith('a-')).length, 0, 'aborted records are invisible');
    assert.equal(committed.length, 20);
    const all = await readAll(true, 30);
    assert.equal(all.filter((v) => v.startsWith('a-')).length, 10);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-offsets', topics: ['kjs-txn'] });
    await admin.disconnect();
    const p0 = offsets[0]!.partitions.find((p) => p.partition === 0);
    assert.equal(p0?.offset, '5', 'offsets sent in the committed transaction are visible');
  });
});
