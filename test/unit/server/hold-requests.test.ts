// A cluster broker's SocketServer binds its ports before it registers (it registers the ports it got) but reads no
// request until enableRequestProcessing(): connections made meanwhile wait, then are served in order.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import type { FrameProcessor, ResponseFrame } from '../../../src/server/connection.ts';
import { SocketServer } from '../../../src/server/socket-server.ts';
import { createLogger } from '../../../src/util/log.ts';

class Echo implements FrameProcessor {
  seen = 0;
  async process(frame: Buffer): Promise<ResponseFrame> {
    this.seen++;
    const out = Buffer.alloc(8);
    out.writeInt32BE(4, 0);
    frame.copy(out, 4, 0, 4);
    return { chunks: [out] };
  }
}

const open = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });

const frame = (seq: number): Buffer => {
  const f = Buffer.alloc(8);
  f.writeInt32BE(4, 0);
  f.writeInt32BE(seq, 4);
  return f;
};

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok(), what);
}

test('requests wait until enableRequestProcessing(), then are answered in order', async () => {
  const processor = new Echo();
  const server = new SocketServer(processor, createLogger({ level: 'silent' }), {
    maxRequestBytes: 1 << 20,
    maxQueuedRequests: 4,
    idleTimeoutMs: 0,
    maxConnections: 10,
    holdUntilEnabled: true,
  });
  try {
    const [bound] = await server.listen([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' },
    ]);
    assert.equal(server.processing, false);
    const a = await open(bound!.boundPort);
    const answers: number[] = [];
    a.on('data', (d: Buffer) => {
      for (let i = 0; i + 8 <= d.length; i += 8) answers.push(d.readInt32BE(i + 4));
    });
    a.write(Buffer.concat([frame(1), frame(2)]));
    await until('the connection accepted and held', () => server.heldConnections === 1);
    // Nothing reads a held socket: no Connection exists for it yet.
    assert.equal(processor.seen, 0);
    assert.deepEqual(answers, []);
    server.enableRequestProcessing();
    assert.equal(server.processing, true);
    await until('both requests answered', () => answers.length === 2);
    assert.deepEqual(answers, [1, 2]);
    assert.equal(processor.seen, 2);
    a.destroy();
  } finally {
    await server.shutdown(100);
  }
});
