import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcknowledgeType as A, SharePartition } from '../../../src/coordinator/share/partition.ts';
import { combine, initialState, DeliveryState as S } from '../../../src/coordinator/share/state.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const config = { lockDurationMs: 1000, deliveryCountLimit: 3, maxRecordLocks: 10 };

test('acquire hands out new records up to max records and the window limit, each locked once', () => {
  const sp = new SharePartition(5, config);
  assert.deepEqual(sp.acquire('a', 3, 100, 0), [{ firstOffset: 5, lastOffset: 7, deliveryCount: 1 }]);
  assert.deepEqual(sp.acquire('b', 100, 100, 0), [{ firstOffset: 8, lastOffset: 14, deliveryCount: 1 }]);
  assert.deepEqual(sp.acquire('c', 100, 100, 0), [], 'window full at max record locks');
  assert.equal(sp.record(6).owner, 'a');
  assert.equal(sp.record(6).lockDeadline, 1000);
  sp.verify();
});

test('batch-optimized acquisition goes past MaxRecords to the end of the stored batch; record-limit does not', () => {
  // Stored batches [0,4) [4,9) [9,12): MaxRecords 5 ends inside the second batch.
  const batchEnd = (o: number) => [4, 9, 12].find((e) => e > o) ?? o + 1;
  const big = { ...config, maxRecordLocks: 100 };
  const optimized = new SharePartition(0, big);
  assert.deepEqual(optimized.acquire('a', 5, 12, 0, undefined, batchEnd), [
    { firstOffset: 0, lastOffset: 8, deliveryCount: 1 },
  ]);
  assert.deepEqual(optimized.acquire('b', 1, 12, 0, undefined, batchEnd), [
    { firstOffset: 9, lastOffset: 11, deliveryCount: 1 },
  ]);
  const limited = new SharePartition(0, big);
  assert.deepEqual(limited.acquire('a', 5, 12, 0), [{ firstOffset: 0, lastOffset: 4, deliveryCount: 1 }]);
  // Redeliveries alone reaching MaxRecords take no new records to align.
  optimized.acknowledge('a', [{ firstOffset: 0, lastOffset: 8, types: [A.RELEASE] }], 0);
  assert.deepEqual(optimized.acquire('c', 9, 20, 0, undefined, batchEnd), [
    { firstOffset: 0, lastOffset: 8, deliveryCount: 2 },
  ]);
  optimized.verify();
});

test('acknowledge: ACCEPT and REJECT finish records, RELEASE makes them available, the start offset advances', () => {
  const sp = new SharePartition(0, config);
  sp.acquire('a', 5, 5, 0);
  assert.deepEqual(
    sp.acknowledge('a', [{ firstOffset: 0, lastOffset: 2, types: [A.ACCEPT, A.REJECT, A.RELEASE] }], 10),
    [ErrorCode.NONE],
  );
  assert.equal(sp.startOffset, 2);
  assert.equal(sp.record(2).state, S.AVAILABLE);
  assert.deepEqual(sp.acquire('b', 10, 5, 20), [{ firstOffset: 2, lastOffset: 2, deliveryCount: 2 }]);
  sp.verify();
});

test('acknowledging records another member holds, or beyond the window, fails the whole batch', () => {
  const sp = new SharePartition(0, config);
  sp.acquire('a', 2, 10, 0);
  sp.acquire('b', 2, 10, 0);
  assert.deepEqual(
    sp.acknowledge(
      'a',
      [
        { firstOffset: 1, lastOffset: 2, types: [A.ACCEPT] },
        { firstOffset: 0, lastOffset: 1, types: [A.ACCEPT] },
        { firstOffset: 3, lastOffset: 9, types: [A.ACCEPT] },
        { firstOffset: 0, lastOffset: 0, types: [9] },
      ],
      1,
    ),
    [ErrorCode.INVALID_RECORD_STATE, ErrorCode.NONE, ErrorCode.INVALID_RECORD_STATE, ErrorCode.INVALID_REQUEST],
  );
  assert.equal(sp.record(2).owner, 'b');
  assert.equal(sp.startOffset, 2);
  sp.verify();
});

test('a lock times out: the record is available again and its late acknowledgement fails', () => {
  const sp = new SharePartition(0, config);
  sp.acquire('a', 1, 1, 0);
  assert.equal(sp.nextLockDeadline(), 1000);
  assert.deepEqual(sp.acknowledge('a', [{ firstOffset: 0, lastOffset: 0, types: [A.ACCEPT] }], 1000), [
    ErrorCode.INVALID_RECORD_STATE,
  ]);
  assert.equal(sp.record(0).state, S.AVAILABLE);
  assert.equal(sp.nextLockDeadline(), Number.POSITIVE_INFINITY);
});

test('the delivery count limit archives a record, and the start offset moves past it', () => {
  const sp = new SharePartition(0, config);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(sp.acquire('a', 1, 1, i * 2000), [{ firstOffset: 0, lastOffset: 0, deliveryCount: i + 1 }]);
  }
  assert.equal(sp.expireLocks(6000), 1);
  assert.equal(sp.startOffset, 1);
  assert.deepEqual(sp.acquire('a', 1, 1, 7000), []);
  sp.verify();
});

test('member loss releases exactly its records', () => {
  const sp = new SharePartition(0, config);
  sp.acquire('a', 2, 10, 0);
  sp.acquire('b', 2, 10, 0);
  assert.equal(sp.releaseMember('a'), 2);
  assert.equal(sp.releaseMember('a'), 0);
  assert.equal(sp.record(0).state, S.AVAILABLE);
  assert.equal(sp.record(2).owner, 'b');
  sp.verify();
});

test('updates fold into persisted state that rebuilds the partition: locks drop, counts and finished records stay', () => {
  const sp = new SharePartition(0, config);
  let persisted = initialState(0);
  const flush = () => {
    const u = sp.takeUpdate();
    if (u) persisted = combine(persisted, u);
  };
  sp.acquire('a', 6, 10, 0);
  flush();
  sp.acknowledge(
    'a',
    [{ firstOffset: 0, lastOffset: 4, types: [A.ACCEPT, A.RELEASE, A.REJECT, A.ACCEPT, A.RELEASE] }],
    1,
  );
  flush();
  assert.equal(sp.takeUpdate(), undefined);
  assert.deepEqual(persisted, {
    stateEpoch: 0,
    leaderEpoch: 0,
    startOffset: 1,
    batches: [
      { firstOffset: 1, lastOffset: 1, deliveryState: S.AVAILABLE, deliveryCount: 1 },
      { firstOffset: 2, lastOffset: 2, deliveryState: S.ARCHIVED, deliveryCount: 1 },
      { firstOffset: 3, lastOffset: 3, deliveryState: S.ACKNOWLEDGED, deliveryCount: 1 },
      { firstOffset: 4, lastOffset: 5, deliveryState: S.AVAILABLE, deliveryCount: 1 },
    ],
  });
  const back = SharePartition.fromPersisted(persisted, config);
  back.verify();
  assert.equal(back.startOffset, 1);
  assert.equal(back.endOffset, 6);
  assert.deepEqual(back.acquire('b', 10, 6, 5), [
    { firstOffset: 1, lastOffset: 1, deliveryCount: 2 },
    { firstOffset: 4, lastOffset: 5, deliveryCount: 2 },
  ]);
});

test('a record acquired up to the limit before a failover comes back archived', () => {
  const persisted = combine(initialState(0), {
    startOffset: -1,
    batches: [{ firstOffset: 0, lastOffset: 1, deliveryState: S.AVAILABLE, deliveryCount: 3 }],
  });
  const sp = SharePartition.fromPersisted(persisted, config);
  assert.equal(sp.startOffset, 2);
  assert.equal(sp.takeUpdate()?.startOffset, 2);
});

test('combine overwrites overlapping batches and drops what is below the start offset', () => {
  const s = combine(initialState(0), {
    startOffset: -1,
    batches: [{ firstOffset: 0, lastOffset: 9, deliveryState: S.AVAILABLE, deliveryCount: 1 }],
  });
  const t = combine(s, {
    startOffset: 2,
    batches: [{ firstOffset: 4, lastOffset: 5, deliveryState: S.ACKNOWLEDGED, deliveryCount: 1 }],
  });
  assert.deepEqual(
    t.batches.map((b) => [b.firstOffset, b.lastOffset, b.deliveryState]),
    [
      [2, 3, S.AVAILABLE],
      [4, 5, S.ACKNOWLEDGED],
      [6, 9, S.AVAILABLE],
    ],
  );
});

test('the log start offset moving up archives records below it', () => {
  const sp = new SharePartition(0, config);
  sp.acquire('a', 4, 10, 0);
  sp.advanceLogStart(2);
  assert.equal(sp.startOffset, 2);
  sp.advanceLogStart(50);
  assert.equal(sp.startOffset, 50);
  assert.equal(sp.acquiredCount, 0);
  sp.verify();
});

test('acquisition stops at the given end even inside the window; firstAcquirable points at the next record', () => {
  const sp = new SharePartition(0, config);
  sp.acquire('a', 6, 6, 0);
  sp.acknowledge(
    'a',
    [{ firstOffset: 0, lastOffset: 5, types: [A.ACCEPT, A.RELEASE, A.ACCEPT, A.RELEASE, A.RELEASE, A.ACCEPT] }],
    1,
  );
  assert.equal(sp.firstAcquirable(2), 1);
  assert.deepEqual(sp.acquire('b', 10, 4, 2), [
    { firstOffset: 1, lastOffset: 1, deliveryCount: 2 },
    { firstOffset: 3, lastOffset: 3, deliveryCount: 2 },
  ]);
  assert.equal(sp.firstAcquirable(3), 4);
  sp.verify();
});
