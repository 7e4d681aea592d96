// The idempotent producer against the embedded broker, through a loopback proxy that can drop the connection after
// the broker has appended a batch but before the client reads the answer: the retried batch is not written twice
// and each partition keeps the order of the sends.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Admin, Consumer, Producer, type RunningBroker, startBroker } from '../../src/index.ts';

/** Forwards to `target`; `dropProduceResponses` makes it close the connection instead of passing Produce answers. */
class DropProxy {
  readonly server: Server;
  dropProduceResponses = 0;
  dropped = 0;
  target = { host: '127.0.0.1', port: 0 };
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((client) => this.pipe(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  private pipe(client: Socket): void {
    const broker = tcpConnect(this.target.port, this.target.host);
    this.sockets.add(client).add(broker);
    const produceIds = new Set<number>();
    const kill = () => {
      client.destroy();
      broker.destroy();
    };
    client.on('error', kill).on('close', kill);
    broker.on('error', kill).on('close', kill);
    // Requests: size, api key, version, correlation id. Produce ones are remembered.
    frames(client, (frame) => {
      if (frame.readInt16BE(4) === 0) produceIds.add(frame.readInt32BE(8));
      broker.write(frame);
    });
    // Answers: size, correlation id.
    frames(broker, (frame) => {
      const id = frame.readInt32BE(4);
      if (produceIds.delete(id) && this.dropProduceResponses > 0) {
        this.dropProduceResponses--;
        this.dropped++;
        kill();
        return;
      }
      if (!client.destroyed) client.write(frame);
    });
  }
}

function frames(s: Socket, onFrame: (frame: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const n = 4 + buf.readInt32BE(0);
      onFrame(buf.subarray(0, n));
      buf = buf.subarray(n);
    }
  });
}

describe('idempotent producer', { timeout: 60_000 }, () => {
  let broker: RunningBroker;
  let proxy: DropProxy;
  let bootstrap: string;
  let admin: Admin;
  before(async () => {
    proxy = new DropProxy();
    const port = await proxy.listen();
    bootstrap = `127.0.0.1:${port}`;
    // The broker advertises the proxy, so every client connection goes through it.
    broker = await startBroker({
      config: { 'num.partitions': '1', 'advertised.listeners': `PLAINTEXT://${bootstrap}` },
    });
    proxy.target.port = broker.port;
    admin = new Admin({ bootstrapServers: broker.bootstrap });
  });
  after(async () => {
    await admin?.close();
    await proxy?.close();
    await broker?.stop();
  });

  async function readAll(topic: string, partition: number): Promise<string[]> {
    const c = new Consumer({ bootstrapServers: broker.bootstrap });
    c.assign([{ topic, partition, offset: 0 }]);
    const end = (await admin.listOffsets([{ topic }], 'latest')).find((o) => o.partition === partition)!.offset;
    const out: string[] = [];
    const deadline = Date.now() + 10_000;
    while (out.length < end && Date.now() < deadline) for (const m of await c.poll(500)) out.push(String(m.value));
    await c.close();
    return out;
  }

  test('a batch retried after a lost answer is written once', async () => {
    await admin.createTopics([{ topic: 'idem-once' }, { topic: 'plain-twice' }]);
    const p = new Producer({ bootstrapServers: bootstrap, idempotent: true, lingerMs: 0, retryBackoffMs: 10 });
    await p.send({ topic: 'idem-once', messages: [{ value: 'warm-up' }] });
    assert.ok(p.producerIdentity.producerId >= 0);
    proxy.dropProduceResponses = 1;
    const [r] = await p.send({ topic: 'idem-once', messages: [{ value: 'a' }, { value: 'b' }] });
    assert.equal(proxy.dropped, 1);
    assert.equal(r!.offset, 1);
    await p.send({ topic: 'idem-once', messages: [{ value: 'c' }] });
    await p.close();
    assert.deepEqual(await readAll('idem-once', 0), ['warm-up', 'a', 'b', 'c']);

    // The same fault without idempotence writes the batch twice: the proxy does drop an appended batch's answer.
    const q = new Producer({ bootstrapServers: bootstrap, lingerMs: 0, retryBackoffMs: 10 });
    await q.send({ topic: 'plain-twice', messages: [{ value: 'warm-up' }] });
    proxy.dropProduceResponses = 1;
    await q.send({ topic: 'plain-twice', messages: [{ value: 'a' }] });
    await q.close();
    assert.deepEqual(await readAll('plain-twice', 0), ['warm-up', 'a', 'a']);
  });

  test('many batches in flight per partition, answers lost: each record once, in order', async () => {
    await admin.createTopics([{ topic: 'idem-order', numPartitions: 3 }]);
    const p = new Producer({
      bootstrapServers: bootstrap,
      idempotent: true,
      lingerMs: 0,
      batchSize: 200,
      retryBackoffMs: 10,
      retries: 10,
    });
    const n = 600;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      if (i === 200 || i === 400) proxy.dropProduceResponses = 1;
      sends.push(p.send({ topic: 'idem-order', messages: [{ value: `v${i}`, partition: i % 3 }] }));
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(sends);
    await p.close();
    assert.ok(proxy.dropped >= 2, `dropped ${proxy.dropped}`);
    for (let part = 0; part < 3; part++) {
      const expected = Array.from({ length: n / 3 }, (_, j) => `v${j * 3 + part}`);
      assert.deepEqual(await readAll('idem-order', part), expected);
    }
  });

  test('options: idempotence needs acks all and at most 5 requests in flight', () => {
    assert.throws(() => new Producer({ idempotent: true, acks: 1 }), /acks 'all'/);
    assert.throws(() => new Producer({ idempotent: true, maxInFlightRequests: 6 }), /at most 5/);
  });
});
