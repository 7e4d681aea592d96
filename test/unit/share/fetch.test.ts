import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unreadableRanges } from '../../../src/coordinator/share/fetch.ts';
import { SharePartition } from '../../../src/coordinator/share/partition.ts';
import { DeliveryState as S } from '../../../src/coordinator/share/state.ts';
import { buildBatch, buildControlBatch } from '../../../src/records/index.ts';

const records = (n: number) => Array.from({ length: n }, () => ({ key: null, value: Buffer.from('v') }));

test('transaction markers are never delivered; aborted batches are not under read_committed', () => {
  const log = Buffer.concat([
    buildBatch({ baseOffset: 0, records: records(2) }),
    buildBatch({
      baseOffset: 2,
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
      records: records(3),
    }),
    buildControlBatch('ABORT', { producerId: 7, producerEpoch: 0, baseOffset: 5 }),
    buildBatch({
      baseOffset: 6,
      producerId: 8,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
      records: records(1),
    }),
    buildControlBatch('COMMIT', { producerId: 8, producerEpoch: 0, baseOffset: 7 }),
  ]);
  assert.deepEqual(unreadableRanges(log, []), [
    [5, 5],
    [7, 7],
  ]);
  const aborted = [{ producerId: 7, firstOffset: 2, lastOffset: 5 }];
  const ranges = unreadableRanges(log, aborted);
  assert.deepEqual(ranges, [
    [2, 4],
    [5, 5],
    [7, 7],
  ]);
  const sp = new SharePartition(0, { lockDurationMs: 1000, deliveryCountLimit: 3, maxRecordLocks: 100 });
  const skip = (o: number) => ranges.some(([f, l]) => o >= f && o <= l);
  assert.deepEqual(sp.acquire('a', 100, 8, 0, skip), [
    { firstOffset: 0, lastOffset: 1, deliveryCount: 1 },
    { firstOffset: 6, lastOffset: 6, deliveryCount: 1 },
  ]);
  assert.equal(sp.record(3).state, S.ARCHIVED);
  assert.equal(sp.record(7).state, S.ARCHIVED);
  sp.verify();
});

test('a window starting with skipped records moves its start offset past them', () => {
  const sp = new SharePartition(0, { lockDurationMs: 1000, deliveryCountLimit: 3, maxRecordLocks: 100 });
  assert.deepEqual(
    sp.acquire('a', 100, 3, 0, (o) => o < 2),
    [{ firstOffset: 2, lastOffset: 2, deliveryCount: 1 }],
  );
  assert.equal(sp.startOffset, 2);
  assert.equal(sp.takeUpdate()?.startOffset, 2);
  sp.verify();
});
