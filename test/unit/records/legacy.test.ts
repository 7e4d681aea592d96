import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import fc from 'fast-check';
import {
  buildBatch,
  buildControlBatch,
  buildMessageSet,
  convertMessageSetToBatch,
  downConvertBatches,
  iterateRecords,
  type LegacyMessageInput,
  parseMessageSet,
  RecordsError,
  readBatchHeader,
  setBaseOffset,
  validateProduceRecords,
} from '../../../src/records/index.ts';

const NOW = 1_700_000_000_000;

function isCode(code: number) {
  return (e: unknown) => e instanceof RecordsError && e.code === code;
}

const bytesArb = fc.option(
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const messagesArb = fc.array(
  fc.record({ timestamp: fc.integer({ min: 0, max: 2 ** 45 }), key: bytesArb, value: bytesArb }),
  { minLength: 1, maxLength: 30 },
);

function withOffsets(ms: { timestamp: number; key: Buffer | null; value: Buffer | null }[], base: number) {
  return ms.map((m, i) => ({ ...m, offset: base + i }));
}

describe('parseMessageSet', () => {
  test('magic 0 and 1, uncompressed: fields', () => {
    const msgs: LegacyMessageInput[] = [
      { offset: 10, timestamp: NOW, key: Buffer.from('k'), value: Buffer.from('v') },
      { offset: 11, timestamp: NOW + 1, key: null, value: null },
    ];
    assert.deepEqual(parseMessageSet(buildMessageSet(msgs, { magic: 1 })), [
      {
        offset: 10,
        magic: 1,
        attributes: 0,
        timestampType: 0,
        timestamp: NOW,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
      },
      { offset: 11, magic: 1, attributes: 0, timestampType: 0, timestamp: NOW + 1, key: null, value: null },
    ]);
    const v0 = parseMessageSet(buildMessageSet(msgs, { magic: 0 }));
    assert.deepEqual(
      v0.map((m) => [m.offset, m.magic, m.timestamp]),
      [
        [10, 0, -1],
        [11, 0, -1],
      ],
    );
  });

  test('a hand-encoded magic 0 message', () => {
    // offset 7, key null, value "hi"
    const body = Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0x68, 0x69]);
    const msg = Buffer.alloc(12 + 4 + body.length);
    msg.writeBigInt64BE(7n, 0);
    msg.writeInt32BE(4 + body.length, 8);
    msg.writeUInt32BE(zlib.crc32(body), 12);
    body.copy(msg, 16);
    assert.deepEqual(parseMessageSet(msg), [
      { offset: 7, magic: 0, attributes: 0, timestampType: 0, timestamp: -1, key: null, value: Buffer.from('hi') },
    ]);
  });

  for (const compression of [1, 2, 3]) {
    for (const magic of [0, 1] as const) {
      test(`compressed wrappers (codec ${compression}, magic ${magic}) unwrap with absolute offsets`, () => {
        const msgs = withOffsets(
          [1, 2, 3].map((i) => ({ timestamp: NOW + i, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })),
          500,
        );
        const set = buildMessageSet(msgs, { magic, compression });
        const shallowOffset = Number(set.readBigInt64BE(0));
        assert.equal(shallowOffset, 502);
        const got = parseMessageSet(set);
        assert.deepEqual(
          got.map((m) => [m.offset, m.timestamp, m.key?.toString(), m.value?.toString()]),
          msgs.map((m) => [m.offset, magic === 1 ? m.timestamp : -1, m.key?.toString(), m.value?.toString()]),
        );
      });
    }
  }

  test('magic 1 LogAppendTime wrapper: inner messages take the wrapper timestamp', () => {
    const msgs = withOffsets(
      [
        { timestamp: 5, key: null, value: Buffer.from('a') },
        { timestamp: 9, key: null, value: null },
      ],
      0,
    );
    const got = parseMessageSet(buildMessageSet(msgs, { magic: 1, compression: 1, logAppendTime: true }));
    assert.deepEqual(
      got.map((m) => [m.timestampType, m.timestamp]),
      [
        [1, 9],
        [1, 9],
      ],
    );
  });

  test('CRC mismatch and truncation are CORRUPT_MESSAGE', () => {
    const set = buildMessageSet(withOffsets([{ timestamp: 1, key: null, value: Buffer.from('abc') }], 0), { magic: 1 });
    const bad = Buffer.from(set);
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => parseMessageSet(bad), isCode(2));
    assert.throws(() => parseMessageSet(set.subarray(0, set.length - 1)), isCode(2));
    assert.deepEqual(parseMessageSet(set.subarray(0, set.length - 1), { allowPartialTail: true }), []);
    const badSize = Buffer.from(set);
    badSize.writeInt32BE(3, 8);
    assert.throws(() => parseMessageSet(badSize), isCode(2));
  });

  test('zstd in a legacy wrapper is UNSUPPORTED_COMPRESSION_TYPE; nested compression is INVALID_RECORD', () => {
    const msgs = withOffsets([{ timestamp: 1, key: null, value: Buffer.from('x') }], 0);
    const plain = buildMessageSet(msgs, { magic: 1 });
    plain.writeInt8(4, 17);
    plain.writeUInt32BE(zlib.crc32(plain.subarray(16)), 12);
    assert.throws(() => parseMessageSet(plain), isCode(76));
    const inner = buildMessageSet(msgs, { magic: 1, compression: 1 });
    const outer = buildMessageSet([{ offset: 0, timestamp: 1, key: null, value: zlib.gzipSync(inner) }], { magic: 1 });
    outer.writeInt8(1, 17);
    outer.writeUInt32BE(zlib.crc32(outer.subarray(16)), 12);
    assert.throws(() => parseMessageSet(outer), isCode(87));
  });

  test('property: mutated message sets parse or throw a RecordsError', () => {
    const good = Buffer.concat([
      buildMessageSet(withOffsets([{ timestamp: 1, key: Buffer.from('k'), value: Buffer.from('v') }], 0), { magic: 1 }),
      buildMessageSet(withOffsets([{ timestamp: 2, key: null, value: Buffer.from('vv') }], 1), {
        magic: 0,
        compression: 1,
      }),
    ]);
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), (i, b) => {
        const buf = Buffer.from(good);
        buf[i] = b;
        try {
          parseMessageSet(buf);
        } catch (e) {
          assert.ok(e instanceof RecordsError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('convertMessageSetToBatch', () => {
  test('keeps the wrapper codec, keys, values, timestamps; validates as a produce batch', () => {
    for (const compression of [0, 1, 2, 3]) {
      const msgs = withOffsets(
        [1, 2, 3].map((i) => ({ timestamp: NOW - i, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })),
        77,
      );
      const batch = convertMessageSetToBatch(buildMessageSet(msgs, { magic: 1, compression }), { now: NOW });
      const h = readBatchHeader(batch, 0);
      assert.equal(h.compression, compression);
      assert.equal(h.baseOffset, 0);
      assert.equal(h.recordCount, 3);
      const v = validateProduceRecords(batch, {
        maxMessageBytes: 1 << 20,
        timestampType: 'CreateTime',
        timestampBeforeMaxMs: 1e6,
        timestampAfterMaxMs: 1e6,
        now: NOW,
      });
      assert.equal(v.totalRecords, 3);
      assert.equal(v.batches[0]!.maxTimestamp, NOW - 1);
      assert.deepEqual(
        [...iterateRecords(batch)].map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()]),
        msgs.map((m, i) => [i, m.timestamp, m.key?.toString(), m.value?.toString()]),
      );
    }
  });

  test('magic 0 messages get NO_TIMESTAMP', () => {
    const batch = convertMessageSetToBatch(
      buildMessageSet(withOffsets([{ timestamp: 5, key: null, value: Buffer.from('a') }], 0), { magic: 0 }),
    );
    assert.deepEqual(
      [...iterateRecords(batch)].map((r) => r.timestamp),
      [-1],
    );
  });

  test('corrupt input throws', () => {
    assert.throws(() => convertMessageSetToBatch(Buffer.from([1, 2, 3])), isCode(2));
  });
});

describe('downConvertBatches', () => {
  function stored(): Buffer {
    const a = buildBatch({
      baseOffset: 100,
      now: NOW,
      records: [
        { timestamp: NOW, key: Buffer.from('a'), value: Buffer.from('1'), headers: [{ key: 'h', value: null }] },
        { timestamp: NOW + 1, key: null, value: Buffer.from('2') },
      ],
    });
    const ctrl = buildControlBatch('COMMIT', { producerId: 1, producerEpoch: 0, baseOffset: 102, now: NOW });
    const c = buildBatch({
      baseOffset: 103,
      compression: 3,
      timestampType: 1,
      now: NOW + 50,
      records: [{ timestamp: 1, key: Buffer.from('c'), value: null }],
    });
    return Buffer.concat([a, ctrl, c]);
  }

  test('to magic 1: absolute offsets, timestamps (LogAppendTime flagged), control batches skipped', () => {
    const out = downConvertBatches(stored(), 1);
    const msgs = parseMessageSet(out);
    assert.deepEqual(
      msgs.map((m) => [
        m.offset,
        m.magic,
        m.timestampType,
        m.timestamp,
        m.key?.toString() ?? null,
        m.value?.toString() ?? null,
      ]),
      [
        [100, 1, 0, NOW, 'a', '1'],
        [101, 1, 0, NOW + 1, null, '2'],
        [103, 1, 1, NOW + 50, 'c', null],
      ],
    );
    assert.ok(msgs.every((m) => (m.attributes & 7) === 0));
  });

  test('to magic 0', () => {
    const msgs = parseMessageSet(downConvertBatches(stored(), 0));
    assert.deepEqual(
      msgs.map((m) => [m.offset, m.magic, m.timestamp]),
      [
        [100, 0, -1],
        [101, 0, -1],
        [103, 0, -1],
      ],
    );
  });

  test('a partial trailing batch is dropped; a partial first batch gives an empty result', () => {
    const all = stored();
    const full = parseMessageSet(downConvertBatches(all, 1));
    assert.deepEqual(
      parseMessageSet(downConvertBatches(all.subarray(0, all.length - 3), 1)).map((m) => m.offset),
      [100, 101],
    );
    assert.equal(full.length, 3);
    assert.equal(downConvertBatches(all.subarray(0, 40), 1).length, 0);
    assert.equal(downConvertBatches(all.subarray(0, 70), 0).length, 0);
    assert.equal(downConvertBatches(Buffer.alloc(0), 0).length, 0);
  });

  test('property: legacy -> v2 -> legacy keeps keys, values, offsets and (magic 1) timestamps', () => {
    fc.assert(
      fc.property(
        messagesArb,
        fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (ms, magic, compression, base) => {
          const msgs = withOffsets(ms, base);
          const batch = convertMessageSetToBatch(buildMessageSet(msgs, { magic, compression }), { now: NOW });
          setBaseOffset(batch, 0, base); // what the log does on append
          const back = parseMessageSet(downConvertBatches(batch, magic));
          assert.deepEqual(
            back.map((m) => [m.offset, m.timestamp, m.key, m.value]),
            msgs.map((m) => [m.offset, magic === 1 ? m.timestamp : -1, m.key, m.value]),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
