// @platformatic/kafka 2.x (pure TS client, modern API versions), from interop/node_modules.
//
// Its Consumer.consume() always joins a consumer group (issue 4), so records are read back with Consumer.fetch(),
// which sends a plain Fetch to the partition leader without joining any group.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import type { FetchResponse } from '../../interop/node_modules/@platformatic/kafka/dist/apis/consumer/fetch-v17.js';
import type * as PlatformaticTypes from '../../interop/node_modules/@platformatic/kafka/dist/index.js';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { importInterop, waitFor } from '../helpers/clients.ts';

type Platformatic = typeof PlatformaticTypes;

describe('@platformatic/kafka', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  let pk: Platformatic;
  let admin: PlatformaticTypes.Admin | undefined;
  const closers: (() => Promise<void>)[] = [];

  const base = () => ({
    clientId: 'tributary-interop',
    bootstrapBrokers: [broker!.bootstrap],
    timeout: 10_000,
    retries: 3,
  });

  const setup = sharedSetup(async () => {
    pk = await importInterop<Platformatic>('@platformatic/kafka/dist/index.js');
    broker = await startBrokerProcess();
    admin = new pk.Admin(base());
    closers.push(() => admin!.close());
  });
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('Admin createTopics, listTopics, deleteTopics', { timeout: 60_000 }, async () => {
    await setup.get();
    const topic = 'pk-admin';
    const created = await admin!.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    assert.equal(created.length, 1);
    assert.equal(created[0]!.name, topic);
    assert.equal(created[0]!.partitions, 3);
    assert.ok((await admin!.listTopics()).includes(topic));
    await admin!.deleteTopics({ topics: [topic] });
    await waitFor('topic to disappear from listTopics', async () =>
      (await admin!.listTopics()).includes(topic) ? undefined : true,
    );
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    test(`Producer.send (acks=all, ${compression}) then Consumer.fetch without a group`, {
      timeout: 60_000,
    }, async () => {
      await setup.get();
      const topic = `pk-rt-${compression}`;
      const n = 30;
      await admin!.createTopics({ topics: [topic], partitions: 1, replicas: 1 });

      const producer = new pk.Producer({ ...base(), serializers: pk.stringSerializers, idempotent: false });
      closers.push(() => producer.close());
      const res = await producer.send({
        acks: pk.ProduceAcks.ALL,
        compression,
        messages: Array.from({ length: n }, (_, i) => ({
          topic,
          partition: 0,
          key: `k${i}`,
          value: `v${i}`,
          headers: { h: String(i) },
        })),
      });
      assert.ok(
        res.offsets && res.offsets.length > 0,
        JSON.stringify(res, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
      );
      assert.equal(res.offsets[0]!.topic, topic);
      assert.equal(res.offsets[0]!.partition, 0);
      assert.equal(res.offsets[0]!.offset, 0n);

      const consumer = new pk.Consumer({
        ...base(),
        groupId: 'unused-fetch-only',
        deserializers: pk.stringDeserializers,
      });
      closers.push(() => consumer.close(true));
      const md = await consumer.metadata({ topics: [topic] });
      const tmd = md.topics.get(topic);
      assert.ok(tmd, 'metadata has the topic');
      const leader = tmd.partitions[0]!.leader;

      const offsets = await consumer.listOffsets({ topics: [topic] });
      assert.deepEqual([...(offsets.get(topic) ?? [])], [BigInt(n)], 'high watermark');

      const got: { offset: bigint; key: string; value: string; headers: [string, string][] }[] = [];
      let next = 0n;
      const deadline = Date.now() + 20_000;
      while (got.length < n && Date.now() < deadline) {
        const resp: FetchResponse = await consumer.fetch({
          node: leader,
          maxWaitTime: 500,
          topics: [
            {
              topicId: tmd.id,
              partitions: [
                {
                  partition: 0,
                  fetchOffset: next,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 1 << 20,
                },
              ],
            },
          ],
        });
        const part = resp.responses[0]?.partitions[0];
        assert.ok(part, 'fetch response has the partition');
        assert.equal(part.errorCode, 0, 'fetch error code');
        for (const batch of part.records ?? []) {
          for (const r of batch.records) {
            const offset: bigint = batch.firstOffset + BigInt(r.offsetDelta);
            if (offset < next) continue;
            got.push({
              offset,
              key: r.key?.toString() ?? '',
              value: r.value?.toString() ?? '',
              headers: r.headers.map(([k, v]) => [k?.toString() ?? '', v?.toString() ?? '']),
            });
            next = offset + 1n;
          }
        }
      }
      assert.deepEqual(
        got,
        Array.from({ length: n }, (_, i) => ({
          offset: BigInt(i),
          key: `k${i}`,
          value: `v${i}`,
          headers: [['h', String(i)]],
        })),
      );
    });
  }

  test('Consumer.consume through a consumer group', {
    timeout: 60_000,
  }, async () => {
    await setup.get();
    const topic = 'pk-group';
    await admin!.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    const producer = new pk.Producer({ ...base(), serializers: pk.stringSerializers });
    closers.push(() => producer.close());
    await producer.send({
      messages: Array.from({ length: 50 }, (_, i) => ({ topic, key: `k${i}`, value: String(i) })),
    });
    const consumer = new pk.Consumer({ ...base(), groupId: 'pk-group-1', deserializers: pk.stringDeserializers });
    closers.push(() => consumer.close(true));
    const stream = await consumer.consume({ topics: [topic], mode: pk.MessagesStreamModes.EARLIEST, autocommit: true });
    const seen: number[] = [];
    for await (const m of stream) {
      seen.push(Number(m.value));
      if (seen.length === 50) break;
    }
    await stream.close();
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});
