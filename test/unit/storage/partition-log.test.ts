import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.ts';
import { ErrorCode, OffsetOutOfRangeError, StorageError } from '../../../src/storage/errors.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { makeAppend, parseBatches, tempDir } from './helpers.ts';

function cfg(o: Partial<LogConfig> = {}): LogConfig {
  return defaultLogConfig({ segmentBytes: 1024, indexIntervalBytes: 100, fileDeleteDelayMs: 0, retentionMs: -1, ...o });
}

/** Appends `n` single-batch requests of `count` records; timestamps start at `ts0` and grow by 10. */
function fill(log: PartitionLog, n: number, count = 3, ts0 = 1000): void {
  for (let i = 0; i < n; i++) {
    const { buf, batches } = makeAppend([{ count, timestamp: ts0 + i * 10 }]);
    log.append(buf, batches, 5);
  }
}

/** Reads everything from `from` and returns the parsed batches. */
function readAll(log: PartitionLog, from: number): ReturnType<typeof parseBatches> {
  const out: ReturnType<typeof parseBatches> = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 300);
    const batches = parseBatches(records);
    assert.ok(batches.length > 0, `read at ${offset} returned no whole batch`);
    out.push(...batches);
    offset = batches[batches.length - 1]!.lastOffset + 1;
  }
  return out;
}

const silent = { info() {}, warn() {}, error() {} };

test('append assigns offsets and rewrites base offset and leader epoch in place', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg());
  const { buf, batches } = makeAppend([
    { count: 2, timestamp: 5 },
    { count: 3, timestamp: 6 },
  ]);
  const r = log.append(buf, batches, 7);
  assert.deepEqual(r, { baseOffset: 0, lastOffset: 4, logAppendTime: -1 });
  const parsed = parseBatches(buf);
  assert.deepEqual(
    parsed.map((b) => [b.baseOffset, b.leaderEpoch, b.crcOk]),
    [
      [0, 7, true],
      [2, 7, true],
    ],
  );
  assert.equal(log.logEndOffset, 5);
  assert.equal(log.highWatermark, 5);
  log.close();
});

test('round trip across segment rolls; reading at LEO is empty; out of range throws', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg());
  fill(log, 60);
  assert.ok(log.segments.length > 5, `expected rolls, got ${log.segments.length} segments`);
  const all = readAll(log, 0);
  assert.equal(all.length, 60);
  all.forEach((b, i) => {
    assert.equal(b.baseOffset, i * 3);
    assert.ok(b.crcOk);
  });
  assert.equal(log.read(log.logEndOffset, 100).records.length, 0);
  assert.throws(() => log.read(log.logEndOffset + 1, 100), OffsetOutOfRangeError);
  const files = readdirSync(dir).sort();
  assert.ok(files.includes('00000000000000000000.log'));
  assert.ok(files.includes('00000000000000000000.index'));
  assert.ok(files.includes('00000000000000000000.timeindex'));
  log.close();
});

test('read finds the containing batch for every offset, before and after restart', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 1 }));
  fill(log, 40, 4);
  const check = (): void => {
    for (let o = 0; o < log.logEndOffset; o++) {
      const { records, firstOffset } = log.read(o, 1);
      const [b] = parseBatches(records);
      assert.ok(b !== undefined, `offset ${o}`);
      assert.ok(b.baseOffset <= o && o <= b.lastOffset, `offset ${o} in [${b.baseOffset}, ${b.lastOffset}]`);
      assert.equal(firstOffset, b.baseOffset);
    }
  };
  check();
  log.close();
  log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 1 }), { cleanShutdown: true });
  assert.equal(log.logEndOffset, 160);
  check();
  log.close();
});

test('maxBytes: partial last batch, oversized first batch whole, high watermark stops at a batch boundary', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg({ segmentBytes: 1 << 20 }));
  fill(log, 10, 3);
  const size = parseBatches(log.read(0, 1 << 20).records)[0]!.size;
  assert.equal(log.read(0, size + 10).records.length, size + 10);
  assert.equal(log.read(0, 5).records.length, size);
  assert.equal(log.read(0, 5, undefined, false).records.length, 5);
  const capped = parseBatches(log.read(0, 1 << 20, 9).records);
  assert.deepEqual(
    capped.map((b) => b.baseOffset),
    [0, 3, 6],
  );
  // A high watermark inside a batch excludes that batch.
  assert.deepEqual(
    parseBatches(log.read(0, 1 << 20, 10).records).map((b) => b.baseOffset),
    [0, 3, 6],
  );
  assert.equal(log.read(9, 1000, 9).records.length, 0);
  log.close();
});

test('restart keeps data (clean and unclean)', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg());
  fill(log, 30);
  const before = readAll(log, 0);
  log.close();
  log = PartitionLog.open(dir, cfg(), { cleanShutdown: true });
  assert.deepEqual(readAll(log, 0), before);
  fill(log, 1);
  // No close: simulate a crash by just reopening (page cache holds the bytes).
  const log2 = PartitionLog.open(dir, cfg(), { recoveryPoint: 0 });
  assert.equal(log2.logEndOffset, 93);
  assert.equal(readAll(log2, 0).length, 31);
  log2.close();
});

test('truncated tail is cut at the last whole batch; a corrupt byte truncates at that batch', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg({ segmentBytes: 1 << 20 }));
  fill(log, 20, 2);
  log.close();
  const seg = join(dir, '00000000000000000000.log');
  const batchSize = statSync(seg).size / 20;
  for (const cut of [1, 7, 61, batchSize - 1, batchSize + 3]) {
    const full = statSync(seg).size;
    truncateSync(seg, full - cut);
    const warnings: string[] = [];
    log = PartitionLog.open(dir, cfg({ segmentBytes: 1 << 20 }), {
      logger: { ...silent, warn: (_o, m) => warnings.push(m ?? '') },
    });
    const whole = Math.floor((full - cut) / batchSize);
    assert.equal(log.logEndOffset, whole * 2, `cut ${cut}`);
    assert.equal(statSync(seg).size, whole * batchSize);
    assert.ok(warnings.some((w) => w.includes('truncating')));
    log.close();
  }
  // Corrupt a value byte of batch 5: CRC fails there, batches 5.. are dropped.
  const bytes = readFileSync(seg);
  bytes[5 * batchSize + 70]! ^= 0xff;
  writeFileSync(seg, bytes);
  log = PartitionLog.open(dir, cfg({ segmentBytes: 1 << 20 }), { recoveryPoint: 0 });
  assert.equal(log.logEndOffset, 10);
  assert.equal(readAll(log, 0).length, 5);
  // The log keeps working after recovery.
  fill(log, 1);
  assert.equal(log.logEndOffset, 13);
  log.close();
});

test('recovery truncation in a middle segment drops later segments', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg());
  fill(log, 40);
  const segs = log.segments;
  log.close();
  const mid = segs[2]!;
  const path = join(dir, `${String(mid.baseOffset).padStart(20, '0')}.log`);
  const bytes = readFileSync(path);
  bytes.writeInt32BE(0, 8); // batch length of the first batch -> invalid
  writeFileSync(path, bytes);
  log = PartitionLog.open(dir, cfg(), { recoveryPoint: mid.baseOffset });
  assert.equal(log.logEndOffset, mid.baseOffset);
  assert.equal(log.segments.length, 3);
  assert.equal(readAll(log, 0).length, mid.baseOffset / 3);
  log.close();
});

test('missing and corrupt index files are rebuilt', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 1 }));
  fill(log, 30);
  const before = readAll(log, 0);
  log.close();
  unlinkSync(join(dir, '00000000000000000000.index'));
  writeFileSync(join(dir, `${String(log.segments[1]!.baseOffset).padStart(20, '0')}.index`), Buffer.alloc(13, 7));
  log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 1 }), { cleanShutdown: true });
  assert.deepEqual(readAll(log, 0), before);
  assert.ok(statSync(join(dir, '00000000000000000000.index')).size > 0);
  log.close();
});

test('retention by bytes and by time deletes whole old segments', (t) => {
  const dir = tempDir(t);
  let now = 1_000_000;
  const log = PartitionLog.open(dir, cfg({ retentionBytes: 3000 }), { clock: () => now });
  fill(log, 60, 3, 0);
  const total = log.size;
  const deleted = log.applyRetention(now);
  assert.ok(deleted.length > 0);
  assert.ok(log.size <= 3000 + 1024 && log.size < total);
  assert.equal(log.logStartOffset, log.segments[0]!.baseOffset);
  assert.throws(() => log.read(0, 100), OffsetOutOfRangeError);
  assert.equal(readAll(log, log.logStartOffset).length, (log.logEndOffset - log.logStartOffset) / 3);
  assert.ok(!existsSync(join(dir, '00000000000000000000.log')));

  // Time: everything has timestamps <= 590; retention.ms 1000 at now=1e6 deletes all, leaving an empty active.
  log.updateConfig(cfg({ retentionMs: 1000 }));
  now = 1_000_000;
  const leo = log.logEndOffset;
  log.applyRetention(now);
  assert.equal(log.segments.length, 1);
  assert.equal(log.logStartOffset, leo);
  assert.equal(log.size, 0);
  fill(log, 1, 3, now);
  assert.deepEqual(log.applyRetention(now), []);
  log.close();
});

test('deleteRecordsBefore advances the log start and removes whole segments', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg());
  fill(log, 40);
  const third = log.segments[2]!.baseOffset;
  log.deleteRecordsBefore(third + 1);
  assert.equal(log.logStartOffset, third + 1);
  assert.equal(log.segments[0]!.baseOffset, third);
  assert.throws(() => log.read(third, 10), OffsetOutOfRangeError);
  const { firstOffset } = log.read(third + 1, 10);
  assert.equal(firstOffset, third);
  assert.throws(() => log.deleteRecordsBefore(log.logEndOffset + 1), OffsetOutOfRangeError);
  log.close();
  const reopened = PartitionLog.open(dir, cfg(), { cleanShutdown: true, logStartOffset: third + 1 });
  assert.equal(reopened.logStartOffset, third + 1);
  reopened.close();
});

test('offsetForTimestamp and maxTimestampOffset', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 150 }));
  fill(log, 50, 3, 1000); // batch i: offsets 3i..3i+2, timestamp 1000 + 10 i
  const check = (): void => {
    for (const ts of [0, 1000, 1001, 1005, 1010, 1234, 1490]) {
      const r = log.offsetForTimestamp(ts)!;
      const i = Math.max(0, Math.ceil((ts - 1000) / 10));
      assert.equal(r.offset, 3 * i, `ts ${ts}`);
      assert.equal(r.timestamp, 1000 + 10 * i);
      assert.equal(parseBatches(r.batch)[0]!.baseOffset, 3 * i);
    }
    assert.equal(log.offsetForTimestamp(1491), null);
    assert.deepEqual(log.maxTimestampOffset(), { offset: 149, timestamp: 1490 });
  };
  check();
  log.close();
  log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 150 }), { cleanShutdown: true });
  check();
  log.close();
});

test('truncateTo removes everything at and above the offset, including later segments', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg());
  fill(log, 40);
  log.truncateTo(31);
  assert.equal(log.logEndOffset, 30); // mid-batch: cut at the batch start
  log.truncateTo(30);
  assert.equal(log.logEndOffset, 30);
  assert.equal(readAll(log, 0).length, 10);
  fill(log, 2);
  assert.equal(log.logEndOffset, 36);
  assert.deepEqual(
    readAll(log, 27).map((b) => b.baseOffset),
    [27, 30, 33],
  );
  assert.deepEqual(log.maxTimestampOffset(), { offset: 29, timestamp: 1090 });
  log.truncateTo(0);
  assert.equal(log.logEndOffset, 0);
  assert.equal(log.size, 0);
  log.close();
});

test('flushMessages fsyncs and advances the recovery point; flushIfDue by time', (t) => {
  const dir = tempDir(t);
  let now = 0;
  const log = PartitionLog.open(dir, cfg({ flushMessages: 6, flushMs: 100 }), { clock: () => now });
  fill(log, 1);
  assert.equal(log.recoveryPoint, 0);
  fill(log, 1);
  assert.equal(log.recoveryPoint, 6);
  fill(log, 1);
  assert.equal(log.flushIfDue(50), false);
  now = 200;
  assert.equal(log.flushIfDue(200), true);
  assert.equal(log.recoveryPoint, 9);
  log.close();
});

test('segment.ms rolls by time; oversized batch is rejected', (t) => {
  const dir = tempDir(t);
  let now = 0;
  const log = PartitionLog.open(dir, cfg({ segmentBytes: 2048, segmentMs: 100 }), { clock: () => now });
  fill(log, 2);
  assert.equal(log.segments.length, 1);
  now = 101;
  fill(log, 1);
  assert.equal(log.segments.length, 2);
  const { buf, batches } = makeAppend([{ count: 1, timestamp: 0, valueSize: 3000 }]);
  assert.throws(
    () => log.append(buf, batches, 0),
    (e: unknown) => e instanceof StorageError && e.code === ErrorCode.MESSAGE_TOO_LARGE,
  );
  log.close();
});

test('an I/O failure takes the log offline with KAFKA_STORAGE_ERROR', (t) => {
  const dir = tempDir(t);
  const errors: unknown[] = [];
  const log = PartitionLog.open(dir, cfg(), { logger: { ...silent, error: (o) => errors.push(o) } });
  fill(log, 1);
  // Make the next roll fail: a directory where the new segment file must be created.
  const next = join(dir, `${String(log.logEndOffset).padStart(20, '0')}.log`);
  mkdirSync(next);
  assert.throws(
    () => log.roll(),
    (e: unknown) => e instanceof StorageError && e.code === ErrorCode.KAFKA_STORAGE_ERROR,
  );
  assert.ok(log.isOffline);
  assert.equal(errors.length, 1);
  assert.throws(
    () => log.read(0, 10),
    (e: unknown) => e instanceof StorageError && e.code === 56,
  );
  log.close();
});

test('onFlushed reports each flush: flush.messages and explicit flushes, and the background flush on roll', async (t) => {
  const dir = tempDir(t);
  const timings: number[] = [];
  const log = PartitionLog.open(join(dir, 't-0'), cfg({ flushMessages: 6 }), { onFlushed: (ms) => timings.push(ms) });
  fill(log, 1); // 3 records: below flush.messages
  assert.equal(timings.length, 0);
  fill(log, 1); // 6: flushed
  assert.equal(timings.length, 1);
  log.flush();
  assert.equal(timings.length, 2);
  assert.ok(timings.every((ms) => ms >= 0));
  log.updateConfig(cfg({ flushMessages: Number.MAX_SAFE_INTEGER }));
  fill(log, 12); // rolls 1 KiB segments: sealed segments are fsynced in the background
  for (let i = 0; i < 1000 && timings.length === 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(timings.length > 2, 'the flush on roll was reported');
  log.close();
});
