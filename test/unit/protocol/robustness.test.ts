// Decoding hostile input: random bytes, truncated and corrupted valid encodings, absurd length prefixes. The only
// acceptable failure is a ProtocolError, thrown promptly, without allocating more than the input can justify.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeRequestHeader } from '../../../src/protocol/apis.ts';
import { decode, encode } from '../../../src/protocol/codec.ts';
import {
  ALL_SCHEMAS,
  ApiVersionsResponseSchema,
  FetchResponseSchema,
  MetadataRequestSchema,
  ProduceRequestSchema,
  RequestHeaderSchema,
} from '../../../src/protocol/generated/messages.ts';
import { ProtocolError, Reader } from '../../../src/protocol/io.ts';
import type { MessageSchema } from '../../../src/protocol/schema.ts';
import { messageArb, messageVersions } from './schema-arbitrary.ts';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 20);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

// Every `new Array(n)` made while decoding is recorded, so the tests can check that no array is larger than its input.
const RealArray = globalThis.Array;
let maxArrayLength = 0;
const CountingArray: ArrayConstructor = new Proxy(RealArray, {
  construct(target, args, newTarget): object {
    if (args.length === 1 && typeof args[0] === 'number') maxArrayLength = Math.max(maxArrayLength, args[0]);
    return Reflect.construct(target, args, newTarget === CountingArray ? target : newTarget);
  },
});

/** Decodes and returns undefined, or the ProtocolError; anything else thrown fails the test. */
function tryDecode(schema: MessageSchema, version: number, buf: Buffer): ProtocolError | undefined {
  maxArrayLength = 0;
  globalThis.Array = CountingArray;
  try {
    decode(schema, version, new Reader(buf));
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw new assert.AssertionError({
      message: `${schema.name} v${version}: decoding ${buf.toString('hex')} threw ${(e as Error)?.stack ?? e}`,
    });
  } finally {
    globalThis.Array = RealArray;
    assert.ok(
      maxArrayLength <= buf.length,
      `${schema.name} v${version}: allocated an array of ${maxArrayLength} for ${buf.length} input bytes`,
    );
  }
}

function timed<T>(fn: () => T, limitMs: number): T {
  const start = performance.now();
  const out = fn();
  const ms = performance.now() - start;
  assert.ok(ms < limitMs, `took ${ms.toFixed(1)} ms`);
  return out;
}

describe('huge length prefixes in short inputs', () => {
  const cases: Array<[string, MessageSchema, number, string]> = [
    ['int32 array count 2^31-1', ApiVersionsResponseSchema, 0, '0000 7fffffff 0001 0000 000b 0012 0000 0004 0000'],
    ['compact array count 2^32-2', ApiVersionsResponseSchema, 3, '0000 ffffffff0f 0012 0000 0004 00 00000000 00'],
    ['varint longer than 5 bytes', ApiVersionsResponseSchema, 3, '0000 ffffffffff01 0012 0000 0004 00 00000000'],
    ['int16 string length 32767', RequestHeaderSchema, 1, '0012 0000 00000001 7fff 6162 6364 6566 6768 6970'],
    [
      'negative count for a non-nullable array',
      MetadataRequestSchema,
      0,
      'fffffffe 0000 0000 0000 0000 0000 0000 0000 0000',
    ],
    [
      'int32 records length 2^31-1',
      ProduceRequestSchema,
      3,
      'ffff ffff 00007530 00000001 0001 74 00000001 00000000 7fffffff 00',
    ],
    [
      'tagged field count 2^32-1',
      ApiVersionsResponseSchema,
      3,
      '0000 01 00000000 ffffffff0f 00 00 00 00 00 00 00 00 00',
    ],
    [
      'tagged field size 2^32-1',
      ApiVersionsResponseSchema,
      3,
      '0000 01 00000000 01 01 ffffffff0f 00 00 00 00 00 00 00',
    ],
    [
      'nested int32 array counts',
      FetchResponseSchema,
      4,
      '00000000 7ffffff0 0001 74 7fffffff 0000 0000 0000 0000 0000',
    ],
  ];
  for (const [name, schema, version, hexBytes] of cases) {
    test(`${name} (${schema.name} v${version})`, () => {
      const buf = Buffer.from(hexBytes.replace(/\s+/g, ''), 'hex');
      assert.ok(buf.length <= 32);
      const err = timed(() => tryDecode(schema, version, buf), 50);
      assert.ok(err instanceof ProtocolError, 'must be rejected');
    });
  }

  test("the allocation probe sees the decoder's arrays", () => {
    const buf = Buffer.from(`0000 00000005 ${'0001 0002 0003 '.repeat(5)}`.replace(/\s/g, ''), 'hex');
    assert.equal(tryDecode(ApiVersionsResponseSchema, 0, buf), undefined);
    assert.equal(maxArrayLength, 5);
  });

  test('an array count equal to the bytes left is allowed to start, then fails on the data', () => {
    // 16 int16 triples cannot fit in 16 bytes: the count passes the cheap check, the element reads fail.
    const buf = Buffer.from('0000 00000010'.replace(/\s/g, '') + '00'.repeat(16), 'hex');
    assert.ok(tryDecode(ApiVersionsResponseSchema, 0, buf) instanceof ProtocolError);
  });
});

describe('random bytes', () => {
  before(() => fc.configureGlobal({ numRuns: NUM_RUNS, seed: SEED }));
  after(() => fc.resetConfigureGlobal());

  test('every message and version: decode throws nothing but ProtocolError', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.uint8Array({ maxLength: 200 }),
      // Mostly zeros and 0xff: empty/null lengths and -1s, which lead decoding deeper than uniform noise does.
      fc.array(fc.constantFrom(0, 0, 0, 1, 2, 0xff, 0x7f, 0x80), { maxLength: 120 }).map((a) => Uint8Array.from(a)),
    );
    for (const { schema, version } of messageVersions(ALL_SCHEMAS)) {
      fc.assert(fc.property(bytes, (b) => void tryDecode(schema, version, Buffer.from(b))));
    }
  });

  test('decodeRequestHeader throws nothing but ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 80 }), (b, key) => {
        const buf = Buffer.from(b);
        if (buf.length >= 2) buf.writeInt16BE(key, 0); // mostly known api keys
        try {
          decodeRequestHeader(new Reader(buf));
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('damaged valid encodings', () => {
  /** A few valid encodings of each message version, from the round-trip arbitraries. */
  const samples: Array<{ schema: MessageSchema; version: number; buf: Buffer }> = [];
  before(() => {
    let i = 0;
    for (const { schema, version } of messageVersions(ALL_SCHEMAS)) {
      for (const value of fc.sample(messageArb(schema, version), { numRuns: 3, seed: (SEED ?? 42) + i++ }))
        samples.push({ schema, version, buf: encode(schema, version, value).toBuffer() });
    }
  });

  test('every strict prefix of a valid encoding is rejected with ProtocolError', () => {
    let checked = 0;
    for (const { schema, version, buf } of samples) {
      // All short prefixes, then a spread of longer ones (large byte fields make some encodings long).
      const lengths = new Set<number>();
      for (let n = 0; n < Math.min(buf.length, 64); n++) lengths.add(n);
      for (let n = 64; n < buf.length; n += Math.max(1, Math.floor(buf.length / 32))) lengths.add(n);
      if (buf.length > 0) lengths.add(buf.length - 1);
      for (const n of lengths) {
        const err = tryDecode(schema, version, buf.subarray(0, n));
        assert.ok(err, `${schema.name} v${version}: prefix ${n}/${buf.length} decoded without error`);
        checked++;
      }
    }
    assert.ok(checked > 1000);
  });

  test('corrupted bytes in a valid encoding: decode or ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (edits) => {
          for (const { schema, version, buf } of samples) {
            if (buf.length === 0) continue;
            const b = Buffer.from(buf);
            for (const [pos, byte] of edits) b[pos % b.length] = byte;
            tryDecode(schema, version, b);
          }
        },
      ),
      { numRuns: 10, seed: SEED },
    );
  });
});
