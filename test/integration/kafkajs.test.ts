// kafkajs 2.2.4 (pure JS, the most widely deployed JS client), from interop/node_modules.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import type * as KafkaJSTypes from '../../interop/node_modules/kafkajs/types/index.d.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { importInterop, waitFor } from '../helpers/clients.ts';

type KafkaJS = typeof KafkaJSTypes;

describe('kafkajs', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  let kafkajs: KafkaJS;
  let kafka: KafkaJSTypes.Kafka;
  let admin: KafkaJSTypes.Admin | undefined;

  const setup = sharedSetup(async () => {
    kafkajs = (await importInterop<{ default: KafkaJS }>('kafkajs/index.js')).default;
    broker = await startBrokerProcess();
    kafka = new kafkajs.Kafka({
      clientId: 'tributary-interop',
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.ERROR,
      connectionTimeout: 5000,
      requestTimeout: 15_000,
      retry: { retries: 3, initialRetryTime: 200 },
    });
    admin = kafka.admin();
    await admin.connect();
  });
  after(async () => {
    await admin?.disconnect().catch(() => {});
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('admin createTopics, fetchTopicMetadata, listTopics, deleteTopics', { timeout: 60_000 }, async () => {
    await setup.get();
    const topic = 'kjs-admin';
    assert.equal(await admin!.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] }), true);
    const md = await admin!.fetchTopicMetadata({ topics: [topic] });
    assert.equal(md.topics.length, 1);
    assert.equal(md.topics[0]!.name, topic);
    assert.deepEqual(md.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
    assert.ok((await admin!.listTopics()).includes(topic));
    await admin!.deleteTopics({ topics: [topic], timeout: 10_000 });
    await waitFor('topic to disappear from listTopics', async () =>
      (await admin!.listTopics()).includes(topic) ? undefined : true,
    );
  });

  test('describeConfigs returns the topic configs', { timeout: 60_000 }, async () => {
    await setup.get();
    const topic = 'kjs-configs';
    await admin!.createTopics({
      topics: [
        { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '7200000' }] },
      ],
    });
    const res = await admin!.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }],
    });
    assert.equal(res.resources.length, 1);
    const r = res.resources[0]!;
    assert.equal(r.errorCode, 0);
    const entries = new Map(r.configEntries.map((e) => [e.configName, e.configValue]));
    assert.equal(entries.get('retention.ms'), '7200000');
    assert.ok(entries.has('cleanup.policy'), `configs: ${[...entries.keys()].join(', ')}`);
  });

  test('producer.send with acks -1, 1 and 0; offsets seen through fetchTopicOffsets', { timeout: 60_000 }, async () => {
    await setup.get();
    const topic = 'kjs-acks';
    await admin!.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    const producer = kafka.producer({
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      const batch = (from: number) =>
        Array.from({ length: 10 }, (_, i) => ({
          key: `k${from + i}`,
          value: `v${from + i}`,
          headers: { n: String(from + i) },
        }));
      const all = await producer.send({ topic, acks: -1, messages: batch(0) });
      assert.equal(all.length, 1);
      assert.equal(all[0]!.errorCode, 0);
      assert.equal(all[0]!.baseOffset, '0');
      let offsets = await admin!.fetchTopicOffsets(topic);
      assert.deepEqual(
        offsets.map((o) => [o.partition, o.low, o.high]),
        [[0, '0', '10']],
      );

      const leader = await producer.send({ topic, acks: 1, messages: batch(10) });
      assert.equal(leader[0]!.errorCode, 0);
      assert.equal(leader[0]!.baseOffset, '10');

      const gz = await producer.send({
        topic,
        acks: -1,
        compression: kafkajs.CompressionTypes.GZIP,
        messages: batch(20),
      });
      assert.equal(gz[0]!.baseOffset, '20');

      const none = await producer.send({ topic, acks: 0, messages: batch(30) });
      assert.deepEqual(none, [], 'acks=0 gets no response');
      offsets = await waitFor('acks=0 records to be appended', async () => {
        const o = await admin!.fetchTopicOffsets(topic);
        return o[0]?.high === '40' ? o : undefined;
      });
      assert.equal(offsets[0]!.low, '0');
    } finally {
      await producer.disconnect();
    }
  });

  test('consumer group reads back what the producer sent', {
    timeout: 60_000,
  }, async () => {
    await setup.get();
    const topic = 'kjs-group';
    await admin!.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 7}`, value: String(i) })),
    });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'kjs-group-1', sessionTimeout: 10_000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`consumer received ${seen.length} of 100 within 45 s`)),
          45_000,
        );
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(Number(message.value?.toString()));
              if (seen.length === 100) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      assert.deepEqual(
        seen.sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i),
      );
    } finally {
      await consumer.disconnect();
    }
  });
});
