// The TypeScript client against the in-process broker: admin, producer (codecs, keys, acks), consumer (assign,
// seek, pause/resume, groups with eager and cooperative assignors, commits).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Admin,
  Consumer,
  type ConsumerMessage,
  jsonDeserializer,
  jsonSerializer,
  type KafkaClientError,
  Producer,
  partitionForKey,
  type RunningBroker,
  startBroker,
} from '../../src/index.ts';

async function collect<K, V>(c: Consumer<K, V>, n: number, timeoutMs = 10000): Promise<ConsumerMessage<K, V>[]> {
  const out: ConsumerMessage<K, V>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) out.push(...(await c.poll(Math.max(1, deadline - Date.now()))));
  return out;
}

describe('client against the embedded broker', { timeout: 120_000 }, () => {
  let broker: RunningBroker;
  let admin: Admin;
  before(async () => {
    broker = await startBroker({ config: { 'num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' } });
    admin = new Admin({ bootstrapServers: broker.bootstrap });
  });
  after(async () => {
    await admin?.close();
    await broker?.stop();
  });

  test('embedded broker: start to first acknowledged produce', async () => {
    const t0 = performance.now();
    const b = await startBroker();
    const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 0 });
    const [r] = await p.send({ topic: 'first', messages: [{ value: 'hello' }] });
    const ms = performance.now() - t0;
    await p.close();
    await b.stop();
    assert.equal(r!.offset, 0);
    // The figure is reported by bench/client-startup.ts; here only a loose bound against regressions.
    assert.ok(ms < 2000, `start to first produce took ${ms.toFixed(1)} ms`);
  });

  test('admin: create, list, describe, configs, partitions, delete', async () => {
    assert.deepEqual(
      await admin.createTopics([{ topic: 'adm', numPartitions: 2, configs: { 'retention.ms': '3600000' } }]),
      ['adm'],
    );
    await assert.rejects(
      admin.createTopics([{ topic: 'adm' }]),
      (e: KafkaClientError) => e.name === 'TOPIC_ALREADY_EXISTS',
    );
    assert.deepEqual(await admin.createTopics([{ topic: 'adm' }], { ifNotExists: true }), []);
    assert.ok((await admin.listTopics()).includes('adm'));
    const [d] = await admin.describeTopics(['adm']);
    assert.equal(d!.partitions.length, 2);
    assert.equal(d!.partitions[0]!.leader, 1);
    const cfg = await admin.describeConfigs({ type: 'topic', name: 'adm' });
    assert.equal(cfg.find((c) => c.name === 'retention.ms')?.value, '3600000');
    assert.equal(cfg.find((c) => c.name === 'retention.ms')?.source, 'DYNAMIC_TOPIC_CONFIG');
    await admin.alterConfigs({ type: 'topic', name: 'adm' }, [
      { name: 'retention.ms', op: 'delete' },
      { name: 'cleanup.policy', value: 'compact' },
    ]);
    const cfg2 = await admin.describeConfigs({ type: 'topic', name: 'adm' }, ['retention.ms', 'cleanup.policy']);
    assert.equal(cfg2.find((c) => c.name === 'cleanup.policy')?.value, 'compact');
    assert.equal(cfg2.find((c) => c.name === 'retention.ms')?.source, 'DEFAULT_CONFIG');
    await assert.rejects(
      admin.alterConfigs({ type: 'topic', name: 'adm' }, [{ name: 'retention.ms', value: 'soon' }]),
      (e: KafkaClientError) => e.name === 'INVALID_CONFIG',
    );
    await admin.createPartitions([{ topic: 'adm', count: 5 }]);
    assert.equal((await admin.describeTopics(['adm']))[0]!.partitions.length, 5);
    const cluster = await admin.describeCluster();
    assert.equal(cluster.brokers.length, 1);
    assert.equal(cluster.brokers[0]!.port, broker.port);
    await admin.deleteTopics(['adm']);
    assert.ok(!(await admin.listTopics()).includes('adm'));
    await assert.rejects(admin.deleteTopics(['adm']), (e: KafkaClientError) => e.name === 'UNKNOWN_TOPIC_OR_PARTITION');
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    test(`produce and consume with ${compression}: keys, headers, timestamps, murmur2 partitions`, async () => {
      const topic = `codec-${compression}`;
      await admin.createTopics([{ topic, numPartitions: 4 }]);
      const p = new Producer({ bootstrapServers: broker.bootstrap, compression, batchSize: 2048 });
      const n = 200;
      const ts = Date.now() - 60_000;
      const meta = await p.send({
        topic,
        messages: Array.from({ length: n }, (_, i) => ({
          key: `key-${i}`,
          value: `value-${i}-${'x'.repeat(i)}`,
          headers: { idx: String(i), both: ['a', 'b'] },
          timestamp: ts + i,
        })),
      });
      await p.close();
      for (let i = 0; i < n; i++) assert.equal(meta[i]!.partition, partitionForKey(Buffer.from(`key-${i}`), 4));
      const c = new Consumer({ bootstrapServers: broker.bootstrap });
      c.assign([0, 1, 2, 3].map((partition) => ({ topic, partition, from: 'earliest' as const })));
      const got = await collect(c, n);
      await c.close();
      assert.equal(got.length, n);
      for (const m of got) {
        const i = Number(m.key!.toString().slice(4));
        assert.equal(m.value!.toString(), `value-${i}-${'x'.repeat(i)}`);
        assert.equal(m.partition, meta[i]!.partition);
        assert.equal(m.offset, meta[i]!.offset);
        assert.equal(m.timestamp, ts + i);
        assert.deepEqual(
          m.headers.map((h) => [h.key, h.value!.toString()]),
          [
            ['idx', String(i)],
            ['both', 'a'],
            ['both', 'b'],
          ],
        );
      }
    });
  }

  test('acks 0 and 1, keyless sticky batches, JSON serializers', async () => {
    await admin.createTopics([{ topic: 'json', numPartitions: 3 }]);
    const p0 = new Producer({ bootstrapServers: broker.bootstrap, acks: 0, valueSerializer: jsonSerializer });
    const r0 = await p0.send({ topic: 'json', messages: [{ value: { n: 0 }, partition: 0 }] });
    assert.equal(r0[0]!.offset, -1);
    await p0.close();
    const p1 = new Producer({ bootstrapServers: broker.bootstrap, acks: 1, valueSerializer: jsonSerializer });
    const r1 = await p1.send({
      topic: 'json',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: { n: i + 1 } })),
    });
    // Keyless records of one send fill one sticky partition.
    assert.equal(new Set(r1.map((r) => r.partition)).size, 1);
    await p1.close();
    const c = new Consumer({ bootstrapServers: broker.bootstrap, valueDeserializer: jsonDeserializer });
    c.assign([0, 1, 2].map((partition) => ({ topic: 'json', partition, from: 'earliest' as const })));
    const got = await collect(c, 11);
    await c.close();
    assert.deepEqual(
      got.map((m) => (m.value as { n: number }).n).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  });

  test('errors carry the Kafka error name', async () => {
    const p = new Producer({ bootstrapServers: broker.bootstrap, allowAutoTopicCreation: false, retries: 1 });
    await assert.rejects(
      p.send({ topic: 'nope-not-here', messages: [{ value: 'x' }] }),
      (e: Error) => e.name === 'UNKNOWN_TOPIC_OR_PARTITION',
    );
    await admin.createTopics([{ topic: 'small', configs: { 'max.message.bytes': '1000' } }]);
    await assert.rejects(
      p.send({ topic: 'small', messages: [{ value: 'x'.repeat(5000) }] }),
      (e: Error) => e.name === 'MESSAGE_TOO_LARGE',
    );
    await p.close();
  });

  test('seek (offset, earliest, latest, timestamp), pause and resume, for await', async () => {
    await admin.createTopics([{ topic: 'seek', numPartitions: 2 }]);
    const p = new Producer({ bootstrapServers: broker.bootstrap });
    const base = Date.now() - 100_000;
    await p.send({
      topic: 'seek',
      messages: Array.from({ length: 20 }, (_, i) => ({
        value: `v${i}`,
        partition: i % 2,
        timestamp: base + i * 1000,
      })),
    });
    await p.close();
    const c = new Consumer({ bootstrapServers: broker.bootstrap });
    c.assign([{ topic: 'seek', partition: 0, offset: 5 }]);
    const [first] = await c.poll(5000);
    assert.equal(first!.offset, 5);
    assert.equal(first!.value!.toString(), 'v10');
    c.seek({ topic: 'seek', partition: 0, offset: { timestamp: base + 14_500 } });
    assert.equal((await c.poll(5000))[0]!.value!.toString(), 'v16');
    c.seek({ topic: 'seek', partition: 0, offset: 'latest' });
    assert.equal(await c.position({ topic: 'seek', partition: 0 }), 10);
    c.assign([
      { topic: 'seek', partition: 0, from: 'earliest' },
      { topic: 'seek', partition: 1, from: 'earliest' },
    ]);
    c.pause([{ topic: 'seek', partition: 1 }]);
    const only0 = await collect(c, 10);
    assert.ok(only0.every((m) => m.partition === 0));
    assert.equal((await c.poll(200)).length, 0);
    c.resume([{ topic: 'seek', partition: 1 }]);
    let n = 0;
    for await (const m of c) {
      assert.equal(m.partition, 1);
      if (++n === 10) break;
    }
    await c.close();
  });

  for (const assigner of ['range', 'roundrobin', 'cooperative-sticky'] as const) {
    test(`consumer group (${assigner}): two members split the partitions, commits resume`, async () => {
      const topic = `grp-${assigner}`;
      const groupId = `g-${assigner}`;
      await admin.createTopics([{ topic, numPartitions: 4 }]);
      const p = new Producer({ bootstrapServers: broker.bootstrap });
      await p.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      const opts = {
        bootstrapServers: broker.bootstrap,
        groupId,
        autoOffsetReset: 'earliest' as const,
        partitionAssigners: [assigner],
        heartbeatIntervalMs: 100,
        sessionTimeoutMs: 6000,
        rebalanceTimeoutMs: 5000,
      };
      const a = new Consumer(opts);
      await a.subscribe([topic]);
      const firstA = await collect(a, 40);
      assert.equal(firstA.length, 40);
      assert.equal(a.assignment().length, 4);
      await a.commit();
      const b = new Consumer(opts);
      await b.subscribe([topic]);
      // Both poll until the group settles with two partitions each.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && (a.assignment().length !== 2 || b.assignment().length !== 2))
        await Promise.all([a.poll(100), b.poll(100)]);
      assert.equal(a.assignment().length, 2);
      assert.equal(b.assignment().length, 2);
      const owned = [...a.assignment(), ...b.assignment()].map((x) => x.partition).sort();
      assert.deepEqual(owned, [0, 1, 2, 3]);
      await p.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `w${i}` })) });
      const got: ConsumerMessage[] = [];
      const d2 = Date.now() + 10_000;
      while (got.length < 40 && Date.now() < d2)
        for (const r of await Promise.all([a.poll(100), b.poll(100)])) got.push(...r);
      assert.equal(got.length, 40);
      assert.ok(got.every((m) => m.value!.toString().startsWith('w')));
      await a.close();
      await b.close();
      const lag = await admin.describeGroupLag(groupId);
      assert.equal(lag.length, 4);
      assert.ok(
        lag.every((l) => l.lag === 0),
        JSON.stringify(lag),
      );
      // A new member resumes from the committed offsets: nothing to read.
      const c = new Consumer(opts);
      await c.subscribe([topic]);
      assert.equal((await collect(c, 1, 1500)).length, 0);
      await c.close();
      await p.close();
    });
  }

  test('admin groups: list, describe, reset offsets, delete', async () => {
    await admin.createTopics([{ topic: 'gadmin', numPartitions: 2 }]);
    const p = new Producer({ bootstrapServers: broker.bootstrap });
    await p.send({
      topic: 'gadmin',
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
    });
    await p.close();
    const c = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'gadmin-g', autoOffsetReset: 'earliest' });
    await c.subscribe(['gadmin']);
    assert.equal((await collect(c, 10)).length, 10);
    await c.commit();
    const [desc] = await admin.describeGroups(['gadmin-g']);
    assert.equal(desc!.state, 'Stable');
    assert.equal(desc!.members.length, 1);
    assert.deepEqual(desc!.members[0]!.subscription, ['gadmin']);
    await assert.rejects(admin.deleteGroups(['gadmin-g']), (e: Error) => e.name === 'NON_EMPTY_GROUP');
    await c.close();
    assert.ok((await admin.listGroups()).some((g) => g.groupId === 'gadmin-g'));
    await admin.commitGroupOffsets('gadmin-g', [
      { topic: 'gadmin', partition: 0, offset: 1 },
      { topic: 'gadmin', partition: 1, offset: 2 },
    ]);
    const lag = await admin.describeGroupLag('gadmin-g');
    assert.deepEqual(
      lag.map((l) => l.lag),
      [4, 3],
    );
    await admin.deleteGroups(['gadmin-g']);
    assert.ok(!(await admin.listGroups()).some((g) => g.groupId === 'gadmin-g'));
  });
});
