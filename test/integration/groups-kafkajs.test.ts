// kafkajs 2.2.4 against the group coordinator, the two cases its own test suite found (issue 11):
//  - consume-transform-produce: a consumer in a group, a transactional producer sending its offsets with
//    sendOffsets (TxnOffsetCommit v0: no member id, no generation) while the consumer is an active member;
//  - a member that got MEMBER_ID_REQUIRED rejoins with that id after another member completed a generation (two
//    consumers starting together with group.initial.rebalance.delay.ms=0): accepted, one more rebalance, no
//    UNKNOWN_MEMBER_ID.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import type * as KafkaJSTypes from '../../interop/node_modules/kafkajs/types/index.d.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { importInterop, waitFor } from '../helpers/clients.ts';

type KafkaJS = typeof KafkaJSTypes;

describe('kafkajs and the group coordinator', { timeout: 240_000 }, () => {
  let broker: BrokerHandle | undefined;
  let kafkajs: KafkaJS;
  let kafka: KafkaJSTypes.Kafka;
  /** Every kafkajs log line at warn or error, as "namespace: message". */
  const logged: string[] = [];

  const setup = sharedSetup(async () => {
    kafkajs = (await importInterop<{ default: KafkaJS }>('kafkajs/index.js')).default;
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
    kafka = new kafkajs.Kafka({
      clientId: 'tributary-groups',
      brokers: [broker.bootstrap],
      logLevel: kafkajs.logLevel.WARN,
      logCreator: () => (entry) => {
        logged.push(`${entry.namespace}: ${entry.log.message} ${entry.log.error ?? ''}`);
      },
      retry: { retries: 5, initialRetryTime: 200 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'ctp-in', numPartitions: 2, replicationFactor: 1 },
        { topic: 'ctp-out', numPartitions: 1, replicationFactor: 1 },
        { topic: 'pending-join', numPartitions: 4, replicationFactor: 1 },
      ],
    });
    await admin.disconnect();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('consume-transform-produce: sendOffsets from a transaction while the consumer is a member', async () => {
    await setup.get();
    logged.length = 0;
    const input = kafka.producer();
    await input.connect();
    await input.send({
      topic: 'ctp-in',
      messages: Array.from({ length: 20 }, (_, i) => ({ value: `in-${i}`, partition: i % 2 })),
    });
    await input.disconnect();

    const consumer = kafka.consumer({ groupId: 'ctp', maxWaitTimeInMs: 200 });
    const producer = kafka.producer({ transactionalId: 'ctp-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: 'ctp-in', fromBeginning: true });
    let done = 0;
    const failures: unknown[] = [];
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const tx = await producer.transaction();
        try {
          await tx.send({ topic: 'ctp-out', messages: [{ value: `out-${message.value!.toString()}` }] });
          await tx.sendOffsets({
            consumerGroupId: 'ctp',
            topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }],
          });
          await tx.commit();
          done++;
        } catch (e) {
          failures.push(e);
          await tx.abort().catch(() => {});
          throw e;
        }
      },
    });
    try {
      await waitFor(
        '20 records transformed',
        async () => (done >= 20 || failures.length > 0 ? true : undefined),
        60_000,
      );
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
    assert.deepEqual(failures, [], 'no transaction failed');
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'ctp', topics: ['ctp-in'] });
    const end = await admin.fetchTopicOffsets('ctp-out');
    await admin.disconnect();
    assert.deepEqual(
      offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort(),
      [
        [0, '10'],
        [1, '10'],
      ],
      'the offsets sent in committed transactions are the group offsets',
    );
    assert.equal(end[0]!.high, '40', '20 records and 20 commit markers in the output');
    assert.deepEqual(
      logged.filter((l) => /UNKNOWN_MEMBER_ID|not aware of this member/i.test(l)),
      [],
    );
  });

  test('two consumers starting together: the one given a member id joins after the first generation', async () => {
    await setup.get();
    logged.length = 0;
    const owned = new Map<string, number[]>();
    const consumers = ['a', 'b'].map((name) => {
      const c = kafka.consumer({ groupId: 'pending-join', maxWaitTimeInMs: 200, heartbeatInterval: 500 });
      c.on(c.events.GROUP_JOIN, (e) => {
        const parts = e.payload.memberAssignment['pending-join'] ?? [];
        owned.set(name, parts);
      });
      return c;
    });
    try {
      await Promise.all(consumers.map((c) => c.connect()));
      await Promise.all(consumers.map((c) => c.subscribe({ topic: 'pending-join' })));
      await Promise.all(consumers.map((c) => c.run({ eachMessage: async () => {} })));
      await waitFor(
        'both consumers own two partitions each',
        async () => {
          const a = owned.get('a') ?? [];
          const b = owned.get('b') ?? [];
          return a.length === 2 && b.length === 2 ? true : undefined;
        },
        60_000,
      );
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
    assert.deepEqual([...(owned.get('a') ?? []), ...(owned.get('b') ?? [])].sort(), [0, 1, 2, 3]);
    assert.deepEqual(
      logged.filter((l) => /UNKNOWN_MEMBER_ID|not aware of this member/i.test(l)),
      [],
      'no member was refused',
    );
  });
});
