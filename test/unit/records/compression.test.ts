import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import fc from 'fast-check';
import {
  Codec,
  codecName,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
  RecordsError,
  RecordsErrorCode,
} from '../../../src/records/index.ts';
import { xxh32 } from '../../../src/records/xxh32.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));
const INPUT = zlib.gunzipSync(fixture('gzip.gz'));
const CODECS = [0, 1, 2, 3, 4];

function hasCli(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function isCode(code: number) {
  return (e: unknown) => e instanceof RecordsError && e.code === code;
}

describe('compression round trips', () => {
  for (const codec of CODECS) {
    test(`${codecName(codec)}: sync round trip of edge sizes`, () => {
      for (const size of [0, 1, 100, 32 * 1024, 32 * 1024 + 1, 64 * 1024, 64 * 1024 + 1, 200_000]) {
        const buf = Buffer.alloc(size);
        for (let i = 0; i < size; i++) buf[i] = (i * 31 + (i >> 7)) & 0xff;
        assert.deepEqual(decompress(codec, compress(codec, buf)), buf);
      }
    });

    test(`${codecName(codec)}: property round trip (sync and async)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 150_000, size: 'max' }), async (arr) => {
          const buf = Buffer.from(arr);
          const c = compress(codec, buf);
          assert.deepEqual(decompress(codec, c), buf);
          assert.deepEqual(await decompressAsync(codec, c), buf);
          assert.deepEqual(decompress(codec, await compressAsync(codec, buf)), buf);
        }),
        { numRuns: 30 },
      );
    });
  }

  test('the test input round trips through every codec', () => {
    for (const codec of CODECS) assert.deepEqual(decompress(codec, compress(codec, INPUT)), INPUT);
  });
});

describe('unknown codecs and corrupt data', () => {
  test('unknown codec ids throw UNSUPPORTED_COMPRESSION_TYPE', async () => {
    for (const codec of [5, 6, 7, -1, 1.5]) {
      assert.throws(() => compress(codec, Buffer.from('x')), isCode(RecordsErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
      assert.throws(() => decompress(codec, Buffer.from('x')), isCode(RecordsErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
      await assert.rejects(compressAsync(codec, Buffer.from('x')), isCode(76));
    }
  });

  test('garbage input throws CORRUPT_MESSAGE for every codec', async () => {
    const garbage = Buffer.from('this is definitely not compressed data, not at all');
    for (const codec of [1, 2, 3, 4]) {
      assert.throws(() => decompress(codec, garbage), isCode(RecordsErrorCode.CORRUPT_MESSAGE), codecName(codec));
      await assert.rejects(decompressAsync(codec, garbage), isCode(2));
    }
  });

  test('truncated frames throw CORRUPT_MESSAGE', () => {
    for (const codec of [1, 2, 3, 4]) {
      const c = compress(codec, INPUT);
      assert.throws(() => decompress(codec, c.subarray(0, c.length - 7)), isCode(2), codecName(codec));
    }
  });
});

describe('snappy framing', () => {
  test('encodes xerial framing with 32 KiB blocks', () => {
    const c = compress(Codec.SNAPPY, INPUT);
    assert.deepEqual([...c.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
    assert.equal(c.readInt32BE(8), 1);
    assert.equal(c.readInt32BE(12), 1);
    let pos = 16;
    let blocks = 0;
    while (pos < c.length) {
      pos += 4 + c.readInt32BE(pos);
      blocks++;
    }
    assert.equal(pos, c.length);
    assert.equal(blocks, Math.ceil(INPUT.length / 32768));
  });

  test('decodes raw (unframed) snappy', async () => {
    const { createRequire } = await import('node:module');
    const snappy = createRequire(import.meta.url)('snappy') as { compressSync(b: Buffer): Buffer };
    const raw = snappy.compressSync(INPUT);
    assert.deepEqual(decompress(Codec.SNAPPY, raw), INPUT);
    assert.deepEqual(await decompressAsync(Codec.SNAPPY, raw), INPUT);
  });
});

describe('lz4 frames', () => {
  test('xxh32 known values', () => {
    assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05);
    assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff);
    assert.equal(xxh32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
    assert.equal(xxh32(Buffer.alloc(0), 1), 0x0b2cb792);
  });

  test("writes Kafka's frame: FLG 0x60, BD 0x40, checksum 0x82, 64 KiB blocks, end mark", () => {
    const c = compress(Codec.LZ4, INPUT);
    assert.deepEqual([...c.subarray(0, 7)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
    let pos = 7;
    let blocks = 0;
    for (;;) {
      const word = c.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      assert.ok(size <= 65536);
      pos += size;
      blocks++;
    }
    assert.equal(pos, c.length);
    assert.equal(blocks, Math.ceil(INPUT.length / 65536));
  });

  test('incompressible blocks are stored with the uncompressed bit', () => {
    const random = randomBytes(70_000);
    const c = compress(Codec.LZ4, random);
    assert.ok(c.readUInt32LE(7) & 0x80000000);
    assert.deepEqual(decompress(Codec.LZ4, c), random);
  });

  test('ignores a wrong header checksum (KAFKA-3160)', () => {
    const c = Buffer.from(compress(Codec.LZ4, INPUT));
    c[6] = 0x00;
    assert.deepEqual(decompress(Codec.LZ4, c), INPUT);
  });

  test('decodes concatenated and skippable frames', () => {
    const a = compress(Codec.LZ4, Buffer.from('first '));
    const skip = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const b = compress(Codec.LZ4, Buffer.from('second'));
    assert.equal(decompress(Codec.LZ4, Buffer.concat([a, skip, b])).toString(), 'first second');
  });

  for (const name of ['lz4-default.lz4', 'lz4-linked-64k.lz4', 'lz4-blockcksum-size.lz4']) {
    test(`decodes the lz4 CLI vector ${name}`, async () => {
      assert.deepEqual(decompress(Codec.LZ4, fixture(name)), INPUT);
      assert.deepEqual(await decompressAsync(Codec.LZ4, fixture(name)), INPUT);
    });
  }

  test('rejects the legacy (non-frame) lz4 format with CORRUPT_MESSAGE', () => {
    assert.throws(() => decompress(Codec.LZ4, fixture('lz4-legacy.lz4')), isCode(2));
  });
});

describe('CLI test vectors', () => {
  test('decodes zstd and gzip CLI vectors', () => {
    assert.deepEqual(decompress(Codec.ZSTD, fixture('zstd.zst')), INPUT);
    assert.deepEqual(decompress(Codec.GZIP, fixture('gzip.gz')), INPUT);
  });

  for (const [cli, codec, args] of [
    ['lz4', Codec.LZ4, ['-d', '-c']],
    ['zstd', Codec.ZSTD, ['-d', '-c']],
    ['gzip', Codec.GZIP, ['-d', '-c']],
  ] as const) {
    test(`${cli} CLI decodes our ${cli} output`, { skip: !hasCli(cli) && `${cli} not installed` }, () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'records-'));
      try {
        const file = path.join(dir, 'data');
        writeFileSync(file, compress(codec, INPUT));
        const out = execFileSync(cli, [...args, file], { maxBuffer: 16 << 20 });
        assert.deepEqual(out, INPUT);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
