// KIP-467 record errors: a batch breaking record-level rules (no key on a compacted topic, CreateTime out of
// bounds, LogAppendTime set by the producer) is rejected whole, naming every bad record, as Kafka's LogValidator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  buildBatch,
  computeBatchCrc,
  type RecordInput,
  RecordsErrorCode,
  RecordValidationError,
  type ValidateOptions,
  validateProduceRecords,
} from '../../../src/records/index.ts';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const OPTS: ValidateOptions = {
  maxMessageBytes: 1 << 20,
  timestampType: 'CreateTime',
  timestampBeforeMaxMs: HOUR,
  timestampAfterMaxMs: HOUR,
  now: NOW,
  partition: 'events-3',
};

function rejection(fn: () => unknown): RecordValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RecordValidationError) return e;
    throw e;
  }
  assert.fail('expected a RecordValidationError');
}

const keyed = (k: string): RecordInput => ({ key: Buffer.from(k), value: Buffer.from('v'), timestamp: NOW });
const keyless: RecordInput = { key: null, value: Buffer.from('v'), timestamp: NOW };

test('keyless records to a compacted topic: INVALID_RECORD naming each index, Kafka message', () => {
  for (const compression of [0, 1, 3, 4]) {
    const buf = buildBatch({ compression, now: NOW, records: [keyed('a'), keyless, keyed('b'), keyless, keyless] });
    const e = rejection(() => validateProduceRecords(buf, { ...OPTS, compacted: true }));
    assert.equal(e.code, RecordsErrorCode.INVALID_RECORD);
    assert.deepEqual(
      e.recordErrors.map((r) => r.batchIndex),
      [1, 3, 4],
    );
    const each = 'Compacted topic cannot accept message without key in topic partition events-3';
    assert.ok(e.recordErrors.every((r) => r.message === each));
    assert.equal(
      e.message,
      `One or more records have been rejected due to 3 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${each}'), RecordError(batchIndex=3, message='${each}'), RecordError(batchIndex=4, message='${each}')]`,
    );
    assert.equal(validateProduceRecords(buf, OPTS).totalRecords, 5, 'not compacted: accepted');
  }
});

test('timestamps out of bounds: INVALID_TIMESTAMP naming each index; a timestamp fault wins over key faults', () => {
  const buf = buildBatch({
    now: NOW,
    records: [
      keyed('a'),
      { ...keyed('b'), timestamp: NOW - HOUR - 1 },
      keyed('c'),
      { ...keyed('d'), timestamp: NOW + HOUR + 1 },
    ],
  });
  const e = rejection(() => validateProduceRecords(buf, OPTS));
  assert.equal(e.code, RecordsErrorCode.INVALID_TIMESTAMP);
  assert.equal(e.message, 'One or more records have been rejected due to invalid timestamp');
  assert.deepEqual(
    e.recordErrors.map((r) => [r.batchIndex, r.message]),
    [
      [
        1,
        `Timestamp ${NOW - HOUR - 1} of message with offset 1 is out of range. The timestamp should be within [${NOW - HOUR}, ${NOW + HOUR}]`,
      ],
      [
        3,
        `Timestamp ${NOW + HOUR + 1} of message with offset 3 is out of range. The timestamp should be within [${NOW - HOUR}, ${NOW + HOUR}]`,
      ],
    ],
  );
  // One record both keyless and too old reports the key (Kafka checks the key first); the other's timestamp makes
  // the whole answer INVALID_TIMESTAMP.
  const mixed = buildBatch({
    now: NOW,
    records: [
      { ...keyless, timestamp: NOW - 2 * HOUR },
      { ...keyed('x'), timestamp: NOW - 2 * HOUR },
    ],
  });
  const m = rejection(() => validateProduceRecords(mixed, { ...OPTS, compacted: true }));
  assert.equal(m.code, RecordsErrorCode.INVALID_TIMESTAMP);
  assert.match(m.recordErrors[0]!.message, /without key/);
  assert.match(m.recordErrors[1]!.message, /out of range/);
});

test('a producer may not set LogAppendTime: INVALID_TIMESTAMP per record unless a CreateTime bound applies', () => {
  const lat = buildBatch({ now: NOW, timestampType: 1, records: [keyed('a'), keyed('b')] });
  const e = rejection(() => validateProduceRecords(lat, { ...OPTS, timestampType: 'LogAppendTime' }));
  assert.equal(e.code, RecordsErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(
    e.recordErrors.map((r) => r.batchIndex),
    [0, 1],
  );
  // CreateTime topic, records with timestamps: checked against the bounds only (Kafka's order), and accepted.
  assert.equal(validateProduceRecords(lat, OPTS).totalRecords, 2);
  const noTs = buildBatch({ now: NOW, timestampType: 1, records: [{ ...keyed('a'), timestamp: -1 }] });
  assert.equal(rejection(() => validateProduceRecords(noTs, OPTS)).code, RecordsErrorCode.INVALID_TIMESTAMP);
});

test('a framing fault fails the batch as before (no record errors), and a rejection leaves no state behind', () => {
  const buf = buildBatch({ now: NOW, records: [keyless, keyed('a')] });
  const broken = Buffer.from(buf);
  broken.writeInt32BE(5, 57); // record count disagrees with the records
  broken.writeUInt32BE(computeBatchCrc(broken, 0, broken.length), 17);
  assert.throws(
    () => validateProduceRecords(broken, { ...OPTS, compacted: true }),
    (e: unknown) => !(e instanceof RecordValidationError),
  );
  rejection(() => validateProduceRecords(buf, { ...OPTS, compacted: true }));
  const good = buildBatch({ now: NOW, records: [keyed('a')] });
  assert.equal(validateProduceRecords(good, { ...OPTS, compacted: true }).totalRecords, 1);
});

test('property: the reported indexes are exactly the records that break a rule', () => {
  const rec = fc.record({ hasKey: fc.boolean(), skew: fc.constantFrom(0, -HOUR - 5, HOUR + 5, -10, 10) });
  fc.assert(
    fc.property(
      fc.array(rec, { minLength: 1, maxLength: 30 }),
      fc.boolean(),
      fc.constantFrom(0, 1),
      (rs, compacted, compression) => {
        const buf = buildBatch({
          compression,
          now: NOW,
          records: rs.map((r, i) => ({
            key: r.hasKey ? Buffer.from(`k${i}`) : null,
            value: null,
            timestamp: NOW + r.skew,
          })),
        });
        const bad = rs.flatMap((r, i) => ((compacted && !r.hasKey) || Math.abs(r.skew) > HOUR ? [i] : []));
        const anyTs = rs.some((r) => !(compacted && !r.hasKey) && Math.abs(r.skew) > HOUR);
        if (bad.length === 0) {
          assert.equal(validateProduceRecords(buf, { ...OPTS, compacted }).totalRecords, rs.length);
          return;
        }
        const e = rejection(() => validateProduceRecords(buf, { ...OPTS, compacted }));
        assert.deepEqual(
          e.recordErrors.map((r) => r.batchIndex),
          bad,
        );
        assert.equal(e.code, anyTs ? RecordsErrorCode.INVALID_TIMESTAMP : RecordsErrorCode.INVALID_RECORD);
      },
    ),
    { numRuns: 200 },
  );
});
