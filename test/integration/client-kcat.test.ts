// Interop with librdkafka (kcat 1.7.1): the same key lands on the same partition whichever client writes it
// (Tributary's default partitioner vs librdkafka's murmur2_random), and each side reads what the other wrote.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { Admin, Consumer, type ConsumerMessage, Producer } from '../../src/index.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';

const PARTITIONS = 7;
const KEYS = Array.from({ length: 200 }, (_, i) =>
  i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? `${i}` : `ключ-${i}-${'x'.repeat(i % 11)}`,
);

describe('client ↔ kcat', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  let kcat = '';
  let admin: Admin | undefined;
  const setup = sharedSetup(async () => {
    kcat = requireBinary('kcat', 'apt-get install kcat');
    broker = await startBrokerProcess();
    admin = new Admin({ bootstrapServers: broker.bootstrap });
  });
  after(async () => {
    await admin?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const run = async (args: string[], input?: string) => {
    const r = await runProcess(kcat, ['-b', broker!.bootstrap, ...args], { input, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(`kcat ${args.join(' ')}`, r));
    return r;
  };

  test('kcat (murmur2_random) and the client put every key on the same partition', async () => {
    await setup.get();
    await admin!.createTopics([
      { topic: 'by-kcat', numPartitions: PARTITIONS },
      { topic: 'by-client', numPartitions: PARTITIONS },
    ]);
    await run(
      ['-P', '-t', 'by-kcat', '-K', '\t', '-X', 'partitioner=murmur2_random'],
      KEYS.map((k) => `${k}\tv-${k}\n`).join(''),
    );
    const p = new Producer({ bootstrapServers: broker!.bootstrap });
    const sent = await p.send({ topic: 'by-client', messages: KEYS.map((k) => ({ key: k, value: `v-${k}` })) });
    await p.close();
    const kcatOut = await run(['-C', '-t', 'by-kcat', '-e', '-o', 'beginning', '-f', '%p\t%k\n']);
    const kcatPartition = new Map(
      kcatOut.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const [p, k] = l.split('\t') as [string, string];
          return [k, Number(p)] as const;
        }),
    );
    assert.equal(kcatPartition.size, KEYS.length);
    for (const [i, k] of KEYS.entries()) assert.equal(sent[i]!.partition, kcatPartition.get(k), `key ${k}`);
    assert.ok(new Set(kcatPartition.values()).size > 1);
  });

  test('kcat reads client records (codecs, headers); the client reads kcat records', async () => {
    await setup.get();
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const topic = `to-kcat-${compression}`;
      const p = new Producer({ bootstrapServers: broker!.bootstrap, compression });
      await p.send({
        topic,
        messages: Array.from({ length: 30 }, (_, i) => ({
          key: `k${i}`,
          value: `v${i}`,
          headers: { n: String(i) },
          partition: 0,
        })),
      });
      await p.close();
      const out = await run(['-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%o %k %s %h\n']);
      assert.equal(out.stdout, Array.from({ length: 30 }, (_, i) => `${i} k${i} v${i} n=${i}\n`).join(''));
    }
    await run(['-P', '-t', 'from-kcat', '-p', '0', '-z', 'lz4', '-K', ':', '-H', 'h=1'], 'a:1\nb:2\nc:3\n');
    const c = new Consumer({ bootstrapServers: broker!.bootstrap });
    c.assign([{ topic: 'from-kcat', partition: 0, from: 'earliest' }]);
    const got: ConsumerMessage[] = [];
    const deadline = Date.now() + 10_000;
    while (got.length < 3 && Date.now() < deadline) got.push(...(await c.poll(1000)));
    await c.close();
    assert.deepEqual(
      got.map((m) => [m.key!.toString(), m.value!.toString(), m.headers.map((h) => `${h.key}=${h.value}`).join()]),
      [
        ['a', '1', 'h=1'],
        ['b', '2', 'h=1'],
        ['c', '3', 'h=1'],
      ],
    );
  });

  test('a kcat group member and a client group member share a topic', async () => {
    await setup.get();
    await admin!.createTopics([{ topic: 'shared-group', numPartitions: 2 }]);
    const p = new Producer({ bootstrapServers: broker!.bootstrap });
    await p.send({
      topic: 'shared-group',
      messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
    });
    await p.close();
    // The client commits offsets as a group; kcat then continues the group from there.
    const c = new Consumer({ bootstrapServers: broker!.bootstrap, groupId: 'mixed', autoOffsetReset: 'earliest' });
    await c.subscribe(['shared-group']);
    let n = 0;
    const deadline = Date.now() + 15_000;
    while (n < 20 && Date.now() < deadline) n += (await c.poll(1000)).length;
    assert.equal(n, 20);
    await c.close();
    const lag = await admin!.describeGroupLag('mixed');
    assert.deepEqual(
      lag.map((l) => l.offset),
      [10, 10],
    );
    const r = await runProcess(kcat, ['-b', broker!.bootstrap, '-G', 'mixed', '-e', '-f', '%s\n', 'shared-group'], {
      timeoutMs: 60_000,
    });
    assert.equal(r.stdout, '', describeRun('kcat -G', r));
  });
});
