import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameReader } from '../../../src/protocol/frame-reader.ts';

const noBadSize = (size: number): never => assert.fail(`unexpected bad size ${size}`);

function frameBytes(frames: Buffer[]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) => {
      const h = Buffer.alloc(4);
      h.writeInt32BE(f.length);
      return [h, f];
    }),
  );
}

const frames = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.integer({ min: 20_000, max: 200_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff)),
  ),
  { maxLength: 25 },
);

test('property: any split of the stream into reads yields the same frames (kernel-read path)', () => {
  fc.assert(
    fc.property(frames, fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1 }), (fs, cuts) => {
      const sent = fs.map((f) => Buffer.from(f));
      const stream = frameBytes(sent);
      const got: Buffer[] = [];
      const r = new FrameReader({ maxFrameBytes: 1 << 20, onFrame: (f) => got.push(f), onBadSize: noBadSize });
      let off = 0;
      let i = 0;
      while (off < stream.length) {
        const into = r.next();
        assert.ok(into.length > 0, 'the reader always offers room');
        const n = Math.min(into.length, cuts[i++ % cuts.length]!, stream.length - off);
        stream.copy(into, 0, off, off + n);
        r.wrote(n);
        off += n;
      }
      assert.deepEqual(got, sent);
    }),
    { numRuns: 200 },
  );
});

test('property: data chunks of any size yield the same frames (fallback path)', () => {
  fc.assert(
    fc.property(frames, fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1 }), (fs, cuts) => {
      const sent = fs.map((f) => Buffer.from(f));
      const stream = frameBytes(sent);
      const got: Buffer[] = [];
      const r = new FrameReader({ maxFrameBytes: 1 << 20, onFrame: (f) => got.push(f), onBadSize: noBadSize });
      for (let off = 0, i = 0; off < stream.length; i++) {
        const n = Math.min(cuts[i % cuts.length]!, stream.length - off);
        r.push(stream.subarray(off, off + n));
        off += n;
      }
      assert.deepEqual(got, sent);
    }),
    { numRuns: 200 },
  );
});

test('frames are independent of the reused scratch buffer', () => {
  const got: Buffer[] = [];
  const r = new FrameReader({ maxFrameBytes: 1000, onFrame: (f) => got.push(f), onBadSize: noBadSize });
  r.push(frameBytes([Buffer.from('first')]));
  r.push(frameBytes([Buffer.from('second')]));
  assert.deepEqual(
    got.map((f) => f.toString()),
    ['first', 'second'],
  );
});

test('a large frame is read straight into one buffer of its size', () => {
  const got: Buffer[] = [];
  const r = new FrameReader({ maxFrameBytes: 1 << 20, onFrame: (f) => got.push(f), onBadSize: noBadSize });
  const big = Buffer.alloc(500_000, 7);
  const stream = frameBytes([big]);
  let into = r.next();
  stream.copy(into, 0, 0, 1000);
  r.wrote(1000);
  into = r.next();
  assert.equal(into.length, big.length - 996, 'the next read fills the rest of the frame in one go');
  stream.copy(into, 0, 1000);
  r.wrote(stream.length - 1000);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.buffer.byteLength, big.length, 'no larger backing buffer');
  assert.ok(got[0]!.equals(big));
});

test('a size outside 0..max stops the reader once', () => {
  for (const size of [-1, 1001]) {
    const bad: number[] = [];
    const got: Buffer[] = [];
    const r = new FrameReader({ maxFrameBytes: 1000, onFrame: (f) => got.push(f), onBadSize: (s) => bad.push(s) });
    const h = Buffer.alloc(4);
    h.writeInt32BE(size);
    r.push(Buffer.concat([frameBytes([Buffer.from('ok')]), h, Buffer.alloc(100)]));
    r.push(frameBytes([Buffer.from('after')]));
    assert.deepEqual(bad, [size]);
    assert.deepEqual(
      got.map((f) => f.toString()),
      ['ok'],
    );
  }
});
