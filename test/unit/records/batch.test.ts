import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as L from '../../../src/records/batch-layout.ts';
import {
  batches,
  buildBatch,
  buildControlBatch,
  computeBatchCrc,
  forEachBatch,
  isBatchCrcValid,
  iterateRecords,
  parseControlRecord,
  RecordsError,
  RecordsErrorCode,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampLogAppendTime,
  type ValidateOptions,
  validateProduceRecords,
} from '../../../src/records/index.ts';

const NOW = 1_700_000_000_000;
const OPTS: ValidateOptions = {
  maxMessageBytes: 1 << 20,
  timestampType: 'CreateTime',
  timestampBeforeMaxMs: 3_600_000,
  timestampAfterMaxMs: 3_600_000,
  now: NOW,
};

function isCode(code: number) {
  return (e: unknown) => e instanceof RecordsError && e.code === code;
}

function fixCrc(buf: Buffer, pos = 0): Buffer {
  const size = buf.readInt32BE(pos + L.BATCH_LENGTH) + L.LOG_OVERHEAD;
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + L.CRC);
  return buf;
}

function simpleBatch(n = 3, compression = 0, extra: Partial<Parameters<typeof buildBatch>[0]> = {}): Buffer {
  return buildBatch({
    compression,
    now: NOW,
    records: Array.from({ length: n }, (_, i) => ({
      timestamp: NOW - 1000 + i,
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`value-${i}`),
    })),
    ...extra,
  });
}

const bytesArb = fc.option(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const recordArb = fc.record({
  timestamp: fc.integer({ min: NOW - 10_000_000, max: NOW + 10_000_000 }),
  key: bytesArb,
  value: bytesArb,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: bytesArb }), { maxLength: 3 }),
});

describe('buildBatch / iterateRecords', () => {
  test('property: records round trip for every codec', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (records, compression, baseOffset) => {
          const buf = buildBatch({ records, compression, baseOffset, now: NOW });
          assert.ok(isBatchCrcValid(buf, 0));
          const h = readBatchHeader(buf, 0);
          assert.equal(h.magic, 2);
          assert.equal(h.compression, compression);
          assert.equal(h.recordCount, records.length);
          assert.equal(h.lastOffsetDelta, records.length - 1);
          assert.equal(h.batchLength + L.LOG_OVERHEAD, buf.length);
          assert.equal(h.maxTimestamp, Math.max(...records.map((r) => r.timestamp)));
          const got = [...iterateRecords(buf)];
          assert.equal(got.length, records.length);
          got.forEach((r, i) => {
            assert.equal(r.offset, baseOffset + i);
            assert.equal(r.timestamp, records[i]!.timestamp);
            assert.deepEqual(r.key, records[i]!.key);
            assert.deepEqual(r.value, records[i]!.value);
            assert.deepEqual(
              r.headers,
              records[i]!.headers.map((h) => ({ ...h })),
            );
          });
          const v = validateProduceRecords(buildBatch({ records, compression, now: NOW }), {
            ...OPTS,
            timestampBeforeMaxMs: 1e9,
            timestampAfterMaxMs: 1e9,
          });
          assert.equal(v.totalRecords, records.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('header fields', () => {
    const buf = buildBatch({
      baseOffset: 2 ** 40 + 5,
      partitionLeaderEpoch: 7,
      compression: 1,
      producerId: 123456789012,
      producerEpoch: 3,
      baseSequence: 42,
      isTransactional: true,
      now: NOW,
      records: [{ timestamp: NOW - 5 }, { timestamp: NOW - 10 }],
    });
    const h = readBatchHeader(buf, 0);
    assert.deepEqual(
      { ...h, crc: 0, attributes: 0 },
      {
        baseOffset: 2 ** 40 + 5,
        batchLength: buf.length - 12,
        partitionLeaderEpoch: 7,
        magic: 2,
        crc: 0,
        attributes: 0,
        compression: 1,
        timestampType: 0,
        isTransactional: true,
        isControl: false,
        hasDeleteHorizon: false,
        lastOffsetDelta: 1,
        baseTimestamp: NOW - 5,
        maxTimestamp: NOW - 5,
        producerId: 123456789012,
        producerEpoch: 3,
        baseSequence: 42,
        recordCount: 2,
      },
    );
    assert.equal(h.attributes, 0x11);
  });

  test('defaults: null key/value, timestamps from now, no producer', () => {
    const buf = buildBatch({ now: NOW, records: [{}] });
    const h = readBatchHeader(buf, 0);
    assert.equal(h.producerId, -1);
    assert.equal(h.producerEpoch, -1);
    assert.equal(h.baseSequence, -1);
    assert.equal(h.partitionLeaderEpoch, -1);
    assert.deepEqual([...iterateRecords(buf)], [{ offset: 0, timestamp: NOW, key: null, value: null, headers: [] }]);
  });

  test('offset deltas with gaps (compacted batches) and explicit lastOffsetDelta', () => {
    const buf = buildBatch({
      baseOffset: 100,
      lastOffsetDelta: 9,
      now: NOW,
      records: [
        { offsetDelta: 2, key: Buffer.from('a') },
        { offsetDelta: 7, key: Buffer.from('b') },
      ],
    });
    assert.equal(readBatchHeader(buf, 0).lastOffsetDelta, 9);
    assert.deepEqual(
      [...iterateRecords(buf)].map((r) => r.offset),
      [102, 107],
    );
    const empty = buildBatch({ lastOffsetDelta: 4, now: NOW, records: [] });
    assert.equal(readBatchHeader(empty, 0).recordCount, 0);
    assert.deepEqual([...iterateRecords(empty)], []);
  });

  test('LogAppendTime batches report the max timestamp for every record', () => {
    const buf = buildBatch({ timestampType: 1, now: NOW, records: [{ timestamp: 5 }, { timestamp: 6 }] });
    assert.deepEqual(
      [...iterateRecords(buf)].map((r) => r.timestamp),
      [NOW, NOW],
    );
  });

  test('control batches', () => {
    for (const type of ['COMMIT', 'ABORT'] as const) {
      const buf = buildControlBatch(type, { producerId: 9, producerEpoch: 2, coordinatorEpoch: 5, now: NOW });
      const h = readBatchHeader(buf, 0);
      assert.ok(h.isControl && h.isTransactional);
      assert.equal(h.producerId, 9);
      const [rec] = [...iterateRecords(buf)];
      assert.deepEqual([...rec!.key!], [0, 0, 0, type === 'COMMIT' ? 1 : 0]);
      assert.deepEqual([...rec!.value!], [0, 0, 0, 0, 0, 5]);
      assert.deepEqual(parseControlRecord(rec!.key, rec!.value), { type, coordinatorEpoch: 5 });
    }
  });
});

describe('in-place rewrites', () => {
  test('setBaseOffset and setPartitionLeaderEpoch keep the CRC valid', () => {
    const buf = Buffer.concat([Buffer.alloc(5), simpleBatch(3, 3)]);
    setBaseOffset(buf, 5, 2 ** 50);
    setPartitionLeaderEpoch(buf, 5, 77);
    assert.ok(isBatchCrcValid(buf, 5));
    const h = readBatchHeader(buf, 5);
    assert.equal(h.baseOffset, 2 ** 50);
    assert.equal(h.partitionLeaderEpoch, 77);
    assert.equal([...iterateRecords(buf.subarray(5))][2]!.offset, 2 ** 50 + 2);
  });

  test('stampLogAppendTime sets max timestamp and attribute, recomputes CRC, updates the entry', () => {
    const buf = Buffer.concat([simpleBatch(2), simpleBatch(3, 2)]);
    const v = validateProduceRecords(buf, { ...OPTS, timestampType: 'LogAppendTime' });
    for (const b of v.batches) stampLogAppendTime(buf, b, NOW + 5);
    for (const b of v.batches) {
      assert.ok(isBatchCrcValid(buf, b.position));
      const h = readBatchHeader(buf, b.position);
      assert.equal(h.timestampType, 1);
      assert.equal(h.maxTimestamp, NOW + 5);
      assert.equal(b.maxTimestamp, NOW + 5);
      for (const r of iterateRecords(buf.subarray(b.position))) assert.equal(r.timestamp, NOW + 5);
    }
  });
});

describe('validateProduceRecords', () => {
  test('accepts several whole batches and reports them', () => {
    const a = simpleBatch(3, 0, { producerId: 5, producerEpoch: 1, baseSequence: 10, isTransactional: true });
    const b = simpleBatch(2, 4);
    const buf = Buffer.concat([a, b]);
    const v = validateProduceRecords(buf, OPTS);
    assert.equal(v.magic, 2);
    assert.equal(v.totalRecords, 5);
    assert.equal(v.sizeInBytes, buf.length);
    assert.deepEqual(v.batches[0], {
      position: 0,
      size: a.length,
      lastOffsetDelta: 2,
      recordCount: 3,
      maxTimestamp: NOW - 998,
      offsetOfMaxTimestampDelta: 2,
      producerId: 5,
      producerEpoch: 1,
      baseSequence: 10,
      isTransactional: true,
      isControl: false,
    });
    assert.equal(v.batches[1]!.position, a.length);
    assert.equal(v.batches[1]!.size, b.length);
  });

  test('empty buffer: no batches', () => {
    assert.deepEqual(validateProduceRecords(Buffer.alloc(0), OPTS), {
      batches: [],
      magic: 2,
      totalRecords: 0,
      sizeInBytes: 0,
    });
  });

  test('offset of max timestamp is the first record with it', () => {
    const buf = buildBatch({ now: NOW, records: [{ timestamp: NOW - 3 }, { timestamp: NOW }, { timestamp: NOW }] });
    assert.equal(validateProduceRecords(buf, OPTS).batches[0]!.offsetOfMaxTimestampDelta, 1);
  });

  test('CORRUPT_MESSAGE: bad CRC, truncation, bad length, unknown magic', () => {
    const good = simpleBatch(3);
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 1;
    assert.throws(() => validateProduceRecords(badCrc, OPTS), isCode(2));
    assert.throws(() => validateProduceRecords(good.subarray(0, good.length - 1), OPTS), isCode(2));
    assert.throws(() => validateProduceRecords(Buffer.concat([good, good.subarray(0, 30)]), OPTS), isCode(2));
    assert.throws(() => validateProduceRecords(Buffer.concat([good, good.subarray(0, 70)]), OPTS), isCode(2));
    const badLen = Buffer.from(good);
    badLen.writeInt32BE(10, L.BATCH_LENGTH);
    assert.throws(() => validateProduceRecords(badLen, OPTS), isCode(2));
    const magic3 = Buffer.from(good);
    magic3[L.MAGIC] = 3;
    assert.throws(() => validateProduceRecords(magic3, OPTS), isCode(2));
    const magic1 = Buffer.from(good);
    magic1[L.MAGIC] = 1;
    assert.throws(() => validateProduceRecords(magic1, OPTS), isCode(87));
    const corruptLz4 = simpleBatch(3, 3);
    corruptLz4.fill(0xff, L.RECORDS + 7, L.RECORDS + 12);
    assert.throws(() => validateProduceRecords(fixCrc(corruptLz4), OPTS), isCode(2));
  });

  test('MESSAGE_TOO_LARGE when one batch exceeds maxMessageBytes', () => {
    const buf = simpleBatch(3);
    assert.throws(() => validateProduceRecords(buf, { ...OPTS, maxMessageBytes: buf.length - 1 }), isCode(10));
    assert.equal(validateProduceRecords(buf, { ...OPTS, maxMessageBytes: buf.length }).batches.length, 1);
  });

  test('UNSUPPORTED_COMPRESSION_TYPE for codec ids 5-7', () => {
    const buf = simpleBatch(1);
    buf.writeInt16BE(6, L.ATTRIBUTES);
    assert.throws(() => validateProduceRecords(fixCrc(buf), OPTS), isCode(76));
  });

  test('INVALID_TIMESTAMP for CreateTime outside the bounds; NO_TIMESTAMP and LogAppendTime are exempt', () => {
    const old = buildBatch({ now: NOW, records: [{ timestamp: NOW }, { timestamp: NOW - 3_600_001 }] });
    assert.throws(() => validateProduceRecords(old, OPTS), isCode(32));
    const future = buildBatch({ now: NOW, records: [{ timestamp: NOW + 3_600_001 }] });
    assert.throws(() => validateProduceRecords(future, OPTS), isCode(32));
    const edge = buildBatch({ now: NOW, records: [{ timestamp: NOW - 3_600_000 }, { timestamp: NOW + 3_600_000 }] });
    assert.equal(validateProduceRecords(edge, OPTS).totalRecords, 2);
    const noTs = buildBatch({ now: NOW, records: [{ timestamp: -1 }] });
    assert.equal(validateProduceRecords(noTs, OPTS).batches[0]!.maxTimestamp, -1);
    const v = validateProduceRecords(old, { ...OPTS, timestampType: 'LogAppendTime' });
    assert.equal(v.batches[0]!.maxTimestamp, NOW);
  });

  test('INVALID_RECORD: count and offset inconsistencies', () => {
    const zero = buildBatch({ now: NOW, records: [], lastOffsetDelta: 0 });
    assert.throws(() => validateProduceRecords(zero, OPTS), isCode(87));
    const lod = simpleBatch(3);
    lod.writeInt32BE(3, L.LAST_OFFSET_DELTA);
    assert.throws(() => validateProduceRecords(fixCrc(lod), OPTS), isCode(87));
    const count = simpleBatch(3);
    count.writeInt32BE(4, L.RECORDS_COUNT);
    count.writeInt32BE(3, L.LAST_OFFSET_DELTA);
    assert.throws(() => validateProduceRecords(fixCrc(count), OPTS), isCode(87));
    for (const compression of [0, 1]) {
      const gaps = buildBatch({
        compression,
        now: NOW,
        lastOffsetDelta: 1,
        records: [{ offsetDelta: 0 }, { offsetDelta: 2 }],
      });
      assert.throws(() => validateProduceRecords(gaps, OPTS), isCode(87));
    }
    const base = simpleBatch(1, 0, { baseOffset: 5 });
    assert.throws(() => validateProduceRecords(base, OPTS), isCode(87));
    const seq = simpleBatch(1, 0, { producerId: 1, producerEpoch: 0, baseSequence: -1 });
    assert.throws(() => validateProduceRecords(seq, OPTS), isCode(87));
  });

  test('INVALID_RECORD: record structure disagrees with the batch end', () => {
    // extra bytes after the last record
    const extra = Buffer.concat([simpleBatch(2), Buffer.from([0])]);
    extra.writeInt32BE(extra.length - L.LOG_OVERHEAD, L.BATCH_LENGTH);
    assert.throws(() => validateProduceRecords(fixCrc(extra), OPTS), isCode(87));
    // first record's length varint too large
    const len = simpleBatch(2);
    len[L.RECORDS] = len[L.RECORDS]! + 2;
    assert.throws(() => validateProduceRecords(fixCrc(len), OPTS), isCode(87));
    // a record cut short: drop the last byte of the batch
    const short = simpleBatch(2).subarray(0, -1);
    short.writeInt32BE(short.length - L.LOG_OVERHEAD, L.BATCH_LENGTH);
    assert.throws(() => validateProduceRecords(fixCrc(Buffer.from(short)), OPTS), isCode(87));
  });

  test('INVALID_RECORD: control batches from clients, keyless records in compacted topics', () => {
    const ctrl = buildControlBatch('COMMIT', { producerId: 1, producerEpoch: 0, now: NOW });
    assert.throws(() => validateProduceRecords(ctrl, OPTS), isCode(87));
    assert.equal(validateProduceRecords(ctrl, { ...OPTS, allowControl: true }).batches[0]!.isControl, true);
    const keyless = buildBatch({ now: NOW, records: [{ key: Buffer.from('a') }, { value: Buffer.from('v') }] });
    assert.throws(() => validateProduceRecords(keyless, { ...OPTS, compacted: true }), isCode(87));
    assert.equal(validateProduceRecords(keyless, OPTS).totalRecords, 2);
  });

  test('a wrong header max timestamp is corrected in place with a valid CRC (CreateTime)', () => {
    const buf = simpleBatch(3);
    buf.writeBigInt64BE(123n, L.MAX_TIMESTAMP);
    fixCrc(buf);
    const v = validateProduceRecords(buf, OPTS);
    assert.equal(readBatchHeader(buf, 0).maxTimestamp, NOW - 998);
    assert.equal(v.batches[0]!.maxTimestamp, NOW - 998);
    assert.ok(isBatchCrcValid(buf, 0));
  });

  test('property: mutated batches are accepted or rejected with a RecordsError, never crash', () => {
    const good = Buffer.concat([simpleBatch(4), simpleBatch(3, 1)]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (muts, recrc) => {
          const buf = Buffer.from(good);
          for (const [i, b] of muts) buf[i] = b;
          if (recrc) {
            try {
              fixCrc(buf, 0);
            } catch {
              // length field mutated out of range
            }
          }
          try {
            validateProduceRecords(buf, OPTS);
          } catch (e) {
            assert.ok(e instanceof RecordsError, String(e));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('iterating stored batches', () => {
  test('batches() and forEachBatch stop at a partial trailing batch', () => {
    const a = simpleBatch(2);
    const b = simpleBatch(3, 2, { baseOffset: 2 });
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.length; cut++) {
      const part = all.subarray(0, cut);
      const got = [...batches(part)].map((e) => e.position);
      const expected = cut >= all.length ? [0, a.length] : cut >= a.length ? [0] : [];
      assert.deepEqual(got, expected, `cut ${cut}`);
      const seen: number[] = [];
      const end = forEachBatch(part, (h, pos, size) => {
        assert.equal(size, h.batchLength + 12);
        seen.push(pos);
      });
      assert.deepEqual(seen, expected);
      assert.equal(end, expected.length === 2 ? all.length : expected.length === 1 ? a.length : 0);
    }
  });

  test('a batch length below the minimum in stored data is CORRUPT_MESSAGE', () => {
    const buf = simpleBatch(2);
    buf.writeInt32BE(3, L.BATCH_LENGTH);
    assert.throws(() => [...batches(buf)], isCode(RecordsErrorCode.CORRUPT_MESSAGE));
  });
});
