// Connection framing and back-pressure over a real socket, with a fake request processor: pipelined frames of
// every size come out whole and in order through a slow processor (the connection pauses and resumes reading),
// oversized frames close the connection.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import type { FrameProcessor, ResponseFrame } from '../../../src/server/connection.ts';
import { SocketServer } from '../../../src/server/socket-server.ts';
import { createLogger } from '../../../src/util/log.ts';

/** Echoes each frame's first 4 bytes (a sequence number) after a short delay; records what it saw. */
class SlowEcho implements FrameProcessor {
  seen: Buffer[] = [];
  inFlight = 0;
  async process(frame: Buffer): Promise<ResponseFrame> {
    this.seen.push(frame);
    this.inFlight++;
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    const out = Buffer.alloc(8);
    out.writeInt32BE(4, 0);
    frame.copy(out, 4, 0, 4);
    return { chunks: [out] };
  }
}

const processor = new SlowEcho();
let server: SocketServer;
let port: number;
before(async () => {
  server = new SocketServer(processor, createLogger({ level: 'silent' }), {
    maxRequestBytes: 1 << 20,
    maxQueuedRequests: 4,
    idleTimeoutMs: 0,
    maxConnections: 10,
  });
  const [bound] = await server.listen([
    { name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' },
  ]);
  port = bound!.boundPort;
});
after(() => server.shutdown(100));

function frame(seq: number, size: number): Buffer {
  const f = Buffer.alloc(4 + size, seq & 0xff);
  f.writeInt32BE(size, 0);
  f.writeInt32BE(seq, 4);
  return f;
}

const open = (): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });

test('pipelined frames of all sizes are handled whole, in order, one at a time', async () => {
  processor.seen = [];
  const sizes = Array.from({ length: 300 }, (_, i) =>
    i % 50 === 7 ? 200_000 + i : i % 9 === 0 ? 40_000 : 4 + (i % 300),
  );
  const s = await open();
  const answers: number[] = [];
  let pending = Buffer.alloc(0);
  const done = new Promise<void>((resolve) =>
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 8) {
        answers.push(pending.readInt32BE(4));
        pending = pending.subarray(8);
      }
      if (answers.length === sizes.length) resolve();
    }),
  );
  s.write(Buffer.concat(sizes.map((n, i) => frame(i, n)))); // one write: many frames per read
  await done;
  s.destroy();
  assert.deepEqual(
    answers,
    sizes.map((_, i) => i),
  );
  assert.equal(processor.seen.length, sizes.length);
  processor.seen.forEach((f, i) => {
    assert.equal(f.length, sizes[i], `frame ${i} size`);
    assert.equal(f.readInt32BE(0), i);
    assert.ok(
      f.subarray(4).every((b) => b === (i & 0xff)),
      `frame ${i} bytes`,
    );
  });
});

test('a frame above socket.request.max.bytes closes the connection; a half-sent frame is dropped quietly', async () => {
  const s = await open();
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  const head = Buffer.alloc(4);
  head.writeInt32BE((1 << 20) + 1);
  s.write(head);
  await closed;
  const t = await open();
  const tClosed = new Promise<void>((resolve) => t.once('close', () => resolve()));
  t.write(frame(1, 500_000).subarray(0, 300_000)); // the client goes away in the middle of a large frame
  await new Promise((r) => setTimeout(r, 50));
  t.destroy();
  await tClosed;
  // The server still answers new connections.
  const u = await open();
  const answer = new Promise<Buffer>((resolve) => u.once('data', resolve));
  u.write(frame(42, 10));
  assert.equal((await answer).readInt32BE(4), 42);
  u.destroy();
});
