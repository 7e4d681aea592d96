// Found by the fault harness: the TypeScript client's idempotent producer writes records out of send order after
// its Produce answers were held for a while (a one-way client-link cut). One broker in this process, the fault
// proxy in front, one producer sending numbered values to one partition; the log must hold them in send order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, Consumer, Producer } from '../../src/client/index.ts';
import { startBroker } from '../../src/index.ts';
import { FaultProxy } from './harness/proxy.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('idempotent producer: send order survives held answers', {
  timeout: 120_000,
}, async () => {
  const proxy = new FaultProxy({ name: 'client→broker', target: { host: '127.0.0.1', port: 0 } });
  await proxy.listen();
  const broker = await startBroker({ config: { 'advertised.listeners': `PLAINTEXT://${proxy.address}` } });
  proxy.target.port = broker.port;
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  const producer = new Producer<null, string>({
    bootstrapServers: proxy.address,
    idempotent: true,
    lingerMs: 2,
    valueSerializer: (v) => Buffer.from(v),
  });
  try {
    await admin.createTopics([{ topic: 'order', numPartitions: 2 }]);
    await producer.send({ topic: 'order', messages: [{ value: '-1', partition: 0 }] });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      if (i === 50) proxy.cut('down');
      if (i === 150) proxy.heal();
      sends.push(producer.send({ topic: 'order', messages: [{ value: String(i), partition: i % 2 }] }));
      await sleep(10);
    }
    await Promise.all(sends);
    // Each partition must hold its values in send order.
    for (const partition of [0, 1]) {
      const consumer = new Consumer({ bootstrapServers: broker.bootstrap });
      consumer.assign([{ topic: 'order', partition, offset: 0 }]);
      const want = partition === 0 ? 151 : 150;
      const got: number[] = [];
      const deadline = Date.now() + 20_000;
      while (got.length < want && Date.now() < deadline)
        for (const m of await consumer.poll(500)) got.push(Number(String(m.value)));
      await consumer.close();
      assert.equal(got.length, want, `partition ${partition} holds every value once`);
      const outOfOrder = got.filter((v, k) => k > 0 && v < got[k - 1]!);
      assert.deepEqual(outOfOrder, [], `partition ${partition} in send order: ${got.join(',')}`);
    }
  } finally {
    await producer.close().catch(() => {});
    await admin.close();
    await proxy.close();
    await broker.stop();
  }
});
