// DeleteRecords (API 21) from a real client (kafkajs admin.deleteTopicRecords), and what Fetch and ListOffsets
// answer afterwards: the low watermark moves, earliest is the new log start, a fetch below it is out of range.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import type * as KafkaJSTypes from '../../interop/node_modules/kafkajs/types/index.d.ts';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { importInterop } from '../helpers/clients.ts';

type KafkaJS = typeof KafkaJSTypes;

describe('DeleteRecords', { timeout: 120_000 }, () => {
  const setup = sharedSetup(async () => {
    const kafkajs = (await importInterop<{ default: KafkaJS }>('kafkajs/index.js')).default;
    const broker = await startBrokerProcess();
    const kafka = new kafkajs.Kafka({
      clientId: 'tributary-log-test',
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const admin = kafka.admin();
    await admin.connect();
    return { kafkajs, broker, kafka, admin };
  });
  after(async () => {
    const s = setup.value();
    await s?.admin.disconnect().catch(() => {});
    await s?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  test('moves the low watermark; earliest follows it; -1 means the high watermark', async () => {
    const { kafka, admin } = await setup.get();
    const topic = 'dr-basic';
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'segment.bytes', value: '2048' }] },
      ],
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 10 }, (_, j) => ({
          key: `k${i * 10 + j}`,
          value: `v${i * 10 + j}`.padEnd(100, '.'),
        })),
      });
    }
    await producer.disconnect();
    await admin.fetchTopicOffsets(topic); // kafkajs needs the topic's metadata cached before deleteTopicRecords
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '55' }] });
    const offs = await admin.fetchTopicOffsets(topic);
    assert.equal(offs[0]!.low, '55');
    assert.equal(offs[0]!.high, '100');
    const earliest = await admin.fetchTopicOffsetsByTimestamp(topic, 0);
    assert.equal(earliest[0]!.offset, '55', 'a timestamp lookup never answers below the log start');

    // Reading from the beginning starts at 55 and sees every later record once.
    const consumer = kafka.consumer({ groupId: 'dr-basic-g' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; saw ${seen.length}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(Number(message.offset));
          if (seen.length >= 45) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    assert.deepEqual(
      seen,
      Array.from({ length: 45 }, (_, i) => 55 + i),
    );

    // DeleteRecords above the high watermark is refused; -1 means the high watermark.
    await assert.rejects(admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '500' }] }));
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] });
    const after = await admin.fetchTopicOffsets(topic);
    assert.equal(after[0]!.low, '100');
  });

  test('a consumer seeking below the log start is told OFFSET_OUT_OF_RANGE and resets to it', async () => {
    const { kafka, admin } = await setup.get();
    const topic = 'dr-oor';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '12' }] });
    // A consumer that starts at 3 with no reset policy other than "earliest" gets reset to the log start.
    const consumer = kafka.consumer({ groupId: 'dr-oor-g' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const first = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(Number(message.offset));
        },
      });
      consumer.seek({ topic, partition: 0, offset: '3' });
    });
    await consumer.disconnect();
    assert.equal(first, 12, 'the consumer was told offset 3 is out of range and reset to the log start');
  });
});
