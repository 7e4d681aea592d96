// The fault proxy by itself, against an echo server that also counts what reached it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test as nodeTest } from 'node:test';
import { FaultProxy } from './proxy.ts';

const test = (name: string, fn: () => Promise<void>) => nodeTest(name, { timeout: 30_000 }, fn);

let server: net.Server;
let received = 0;
let port = 0;
const proxies: FaultProxy[] = [];

before(async () => {
  server = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      s.write(d);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  for (const p of proxies) await p.close();
  await new Promise<void>((r) => server.close(() => r()));
});

async function proxy(): Promise<FaultProxy> {
  const p = new FaultProxy({ name: 'test', target: { host: '127.0.0.1', port } });
  await p.listen();
  proxies.push(p);
  return p;
}

/** A client connection that collects what comes back and whether it was closed. */
async function client(p: FaultProxy): Promise<{ sock: net.Socket; got: () => string; closed: () => boolean }> {
  const sock = net.connect(p.port, '127.0.0.1');
  let data = '';
  let closed = false;
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    data += d;
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    closed = true;
  });
  await new Promise<void>((r) => {
    sock.once('connect', () => r());
    sock.once('close', () => r());
  });
  return { sock, got: () => data, closed: () => closed };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('passes bytes both ways unchanged', async () => {
  const p = await proxy();
  const c = await client(p);
  const msg = 'x'.repeat(300_000);
  c.sock.write(msg);
  await until(() => c.got().length === msg.length, 'the echo');
  assert.equal(c.got(), msg);
  assert.equal(p.stats.bytesUp, msg.length);
  assert.equal(p.stats.bytesDown, msg.length);
  c.sock.destroy();
});

test('delay: nothing arrives before the delay, order is kept', async () => {
  const p = await proxy();
  const c = await client(p);
  p.delay(150, 50, 'up');
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) c.sock.write(`${i},`);
  await until(() => c.got().endsWith('19,'), 'the delayed echo');
  assert.ok(Date.now() - t0 >= 145, 'the chunks waited for the delay');
  assert.equal(c.got(), Array.from({ length: 20 }, (_, i) => `${i},`).join(''));
  p.heal();
  c.sock.destroy();
});

test('cut one direction: requests arrive, answers are held until heal', async () => {
  const p = await proxy();
  const c = await client(p);
  const before = received;
  p.cut('down');
  c.sock.write('ping');
  await until(() => received === before + 4, 'the request at the server');
  await sleep(200);
  assert.equal(c.got(), '', 'the answer is held');
  p.heal();
  await until(() => c.got() === 'ping', 'the held answer');
  assert.equal(c.closed(), false, 'a cut that heals does not break the connection');
  c.sock.destroy();
});

test('cut both directions: nothing reaches the server until heal, then all of it in order', async () => {
  const p = await proxy();
  const c = await client(p);
  const before = received;
  p.cut('both');
  c.sock.write('a');
  c.sock.write('b');
  await sleep(200);
  assert.equal(received, before, 'held at the proxy');
  p.heal();
  await until(() => c.got() === 'ab', 'the echo after heal');
  c.sock.destroy();
});

test('drop: bytes are lost, heal resets that connection, a new one works', async () => {
  const p = await proxy();
  const c = await client(p);
  const before = received;
  p.drop('up');
  c.sock.write('lost');
  await sleep(200);
  assert.equal(received, before, 'dropped bytes never reach the server');
  p.heal();
  await until(() => c.closed(), 'the reset of the connection that lost bytes');
  const c2 = await client(p);
  c2.sock.write('ok');
  await until(() => c2.got() === 'ok', 'a new connection after heal');
  c2.sock.destroy();
});

test('refuse and reset', async () => {
  const p = await proxy();
  const c = await client(p);
  p.reset();
  await until(() => c.closed(), 'the reset');
  p.refuse(true);
  const c2 = await client(p);
  await until(() => c2.closed(), 'the refused connection closing');
  assert.ok(p.stats.refused >= 1);
  p.heal();
  const c3 = await client(p);
  c3.sock.write('back');
  await until(() => c3.got() === 'back', 'a connection after refuse ends');
  c3.sock.destroy();
});
