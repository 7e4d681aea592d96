// Log cleaner (compaction): latest value per key, offsets kept, tombstones after their horizon, dirty ratio,
// min.compaction.lag.ms, idempotent producer state, crash in the middle of a segment swap.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { batches as storedBatches } from '../../../src/records/batch.ts';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.ts';
import { errnoError, ioFaults } from '../../../src/storage/file-io.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { tempDir } from './helpers.ts';
import { appendKeyed, readRecords } from './keyed.ts';

function cfg(o: Partial<LogConfig> = {}): LogConfig {
  return defaultLogConfig({
    segmentBytes: 600,
    indexIntervalBytes: 100,
    fileDeleteDelayMs: 0,
    retentionMs: -1,
    compact: true,
    deleteEnabled: false,
    minCleanableDirtyRatio: 0.01,
    deleteRetentionMs: 1000,
    ...o,
  });
}

function open(root: string, clock: () => number, config = cfg()) {
  const mgr = LogManager.open({ logDirs: [join(root, 'd')], clock, configFor: () => config });
  return mgr;
}

test('compaction keeps the latest record per key at its original offset', async (t) => {
  const root = tempDir(t);
  let now = 10_000;
  const mgr = open(root, () => now);
  const log = mgr.getOrCreate('c', 0, cfg());
  const latest = new Map<string, { offset: number; value: string }>();
  for (let i = 0; i < 60; i++) {
    const key = `k${i % 5}`;
    const value = `v${i}`;
    const o = appendKeyed(log, [{ key, value }], now);
    latest.set(key, { offset: o, value });
  }
  const leo = log.logEndOffset;
  const sizeBefore = log.size;
  const h = mgr.all()[0]!;
  log.flush(); // the cleaner only touches fsynced data
  const r = mgr.cleaner.cleanLog(h);
  assert.equal(r.aborted, undefined);
  assert.ok(r.recordsRemoved > 0);
  assert.equal(log.logEndOffset, leo);
  assert.ok(log.size < sizeBefore / 2, `cleaned log is smaller: ${log.size} < ${sizeBefore}`);
  assert.equal(
    log.size,
    log.segments.reduce((n, s) => n + s.size, 0),
  );
  const recs = readRecords(log);
  // Every offset strictly increases; the latest per key is present with its value; nothing else below the
  // active segment repeats a key.
  for (let i = 1; i < recs.length; i++) assert.ok(recs[i]!.offset > recs[i - 1]!.offset);
  for (const [key, l] of latest)
    assert.ok(recs.some((x) => x.key === key && x.offset === l.offset && x.value === l.value));
  const activeBase = log.segments[log.segments.length - 1]!.baseOffset;
  const cleaned = recs.filter((x) => x.offset < activeBase);
  assert.equal(new Set(cleaned.map((x) => x.key)).size, cleaned.length);
  // Every offset still resolves (reads into gaps return the next batch).
  for (let o = 0; o < leo; o++) {
    const got = log.read(o, 1 << 16);
    assert.ok(got.records.length > 0);
  }
  // Survives a restart, and the cleaner checkpoint records the progress.
  await mgr.shutdown();
  const mgr2 = open(root, () => now);
  assert.deepEqual(readRecords(mgr2.get('c', 0)!), recs);
  assert.ok(existsSync(join(root, 'd', 'cleaner-offset-checkpoint')));
  assert.ok(mgr2.cleaner.firstDirtyOffset(mgr2.all()[0]!) > 0);
  await mgr2.shutdown();
  now++;
});

test('tombstones stay until delete.retention.ms after the first clean, then vanish', async (t) => {
  const root = tempDir(t);
  let now = 50_000;
  const mgr = open(root, () => now);
  const log = mgr.getOrCreate('c', 0, cfg());
  appendKeyed(
    log,
    [
      { key: 'a', value: 'a1' },
      { key: 'b', value: 'b1' },
    ],
    now,
  );
  appendKeyed(log, [{ key: 'a', value: null }], now);
  for (let i = 0; i < 20; i++) appendKeyed(log, [{ key: `x${i % 3}`, value: `x${i}`.padEnd(40, '.') }], now);
  const h = mgr.all()[0]!;
  log.flush(); // the cleaner only touches fsynced data
  mgr.cleaner.cleanLog(h);
  let recs = readRecords(log);
  assert.ok(!recs.some((r) => r.key === 'a' && r.value === 'a1'), 'the overwritten value is gone');
  assert.ok(
    recs.some((r) => r.key === 'a' && r.value === null),
    'the tombstone is still readable',
  );
  assert.ok(recs.some((r) => r.key === 'b'));
  now += 500;
  log.flush(); // the cleaner only touches fsynced data
  mgr.cleaner.cleanLog(h);
  assert.ok(
    readRecords(log).some((r) => r.key === 'a' && r.value === null),
    'not yet: horizon not reached',
  );
  now += 600;
  // The horizon makes the log due even with nothing dirty.
  log.flush(); // the cleaner only touches fsynced data
  const passes = mgr.cleaner.cleanAll();
  assert.ok(passes.length >= 1);
  recs = readRecords(log);
  assert.ok(!recs.some((r) => r.key === 'a'), 'the tombstone is gone after its horizon');
  assert.ok(recs.some((r) => r.key === 'b' && r.value === 'b1'));
  await mgr.shutdown();
});

test('min.cleanable.dirty.ratio and min.compaction.lag.ms hold the cleaner back', async (t) => {
  const root = tempDir(t);
  let now = 1_000_000;
  const mgr = open(root, () => now, cfg({ minCleanableDirtyRatio: 0.5 }));
  const log = mgr.getOrCreate('c', 0, cfg({ minCleanableDirtyRatio: 0.5, minCompactionLagMs: 10_000 }));
  for (let i = 0; i < 40; i++) appendKeyed(log, [{ key: `k${i % 2}`, value: `v${i}` }], now);
  log.flush(); // the cleaner only touches fsynced data
  assert.equal(mgr.cleaner.cleanAll().length, 0, 'records younger than the lag are not cleanable');
  now += 20_000;
  log.flush(); // the cleaner only touches fsynced data
  assert.equal(mgr.cleaner.cleanAll().length, 1);
  // Now everything is clean: a little new dirt is below the ratio.
  log.roll();
  appendKeyed(log, [{ key: 'k0', value: 'new' }], now);
  log.roll();
  now += 20_000;
  log.flush(); // the cleaner only touches fsynced data
  assert.equal(mgr.cleaner.cleanAll().length, 0, 'dirty ratio below 0.5');
  // Config changes apply at once.
  log.updateConfig(cfg({ minCleanableDirtyRatio: 0.01 }));
  log.flush(); // the cleaner only touches fsynced data
  assert.equal(mgr.cleaner.cleanAll().length, 1);
  await mgr.shutdown();
});

test("an idempotent producer's last batch survives as an empty batch; control batches are kept", async (t) => {
  const root = tempDir(t);
  const now = 5000;
  const mgr = open(root, () => now);
  const log = mgr.getOrCreate('c', 0, cfg());
  appendKeyed(
    log,
    [
      { key: 'a', value: '1' },
      { key: 'b', value: '1' },
    ],
    now,
    { id: 7, epoch: 0, seq: 0 },
  );
  appendKeyed(
    log,
    [
      { key: 'a', value: '2' },
      { key: 'b', value: '2' },
    ],
    now,
    { id: 7, epoch: 0, seq: 2 },
  );
  appendKeyed(
    log,
    [
      { key: 'a', value: '3' },
      { key: 'b', value: '3' },
    ],
    now,
    { id: 8, epoch: 0, seq: 0 },
  );
  for (let i = 0; i < 20; i++) appendKeyed(log, [{ key: `z${i}`, value: 'x'.repeat(30) }], now);
  log.flush(); // the cleaner only touches fsynced data
  mgr.cleaner.cleanLog(mgr.all()[0]!);
  const { records } = log.read(0, 1 << 20);
  const hdrs = [...storedBatches(records)].map((b) => b.header);
  const p7 = hdrs.filter((x) => x.producerId === 7);
  assert.equal(p7.length, 1, 'only the last batch of producer 7 remains');
  assert.equal(p7[0]!.recordCount, 0);
  assert.equal(p7[0]!.baseOffset, 2);
  assert.equal(p7[0]!.lastOffsetDelta, 1);
  assert.equal(p7[0]!.baseSequence, 2);
  await mgr.shutdown();
});

test('a crash after the swap is committed is finished at the next load', async (t) => {
  const root = tempDir(t);
  const now = 5000;
  const mgr = open(root, () => now);
  const log = mgr.getOrCreate('c', 0, cfg());
  for (let i = 0; i < 60; i++) appendKeyed(log, [{ key: `k${i % 4}`, value: `v${i}` }], now);
  // Expected outcome: clean a copy the normal way first.
  let fsyncs = 0;
  ioFaults.before = (op) => {
    // replaceSegments: fsync the commit file, fsync the dir (commit durable) -> fail the next one, after which the
    // old segments are removed and the cleaned files renamed.
    if (op === 'fsync' && existsSync(join(log.dir, '00000000000000000000.clean-commit')) && ++fsyncs === 1) {
      throw errnoError('EIO');
    }
  };
  t.after(() => {
    ioFaults.before = undefined;
  });
  const before = readRecords(log);
  log.flush(); // the cleaner only touches fsynced data
  const r = mgr.cleaner.cleanLog(mgr.all()[0]!);
  ioFaults.before = undefined;
  assert.ok(r.aborted !== undefined);
  assert.ok(log.isOffline);
  const files = readdirSync(log.dir);
  assert.ok(files.some((f) => f.endsWith('.clean-commit')));
  assert.ok(files.some((f) => f.endsWith('.log.cleaned')));
  await mgr.shutdown();
  const mgr2 = open(root, () => now);
  const log2 = mgr2.get('c', 0)!;
  assert.ok(!log2.isOffline);
  const after = readRecords(log2);
  assert.ok(after.length < before.length);
  for (let k = 0; k < 4; k++) {
    const last = before.filter((x) => x.key === `k${k}`).at(-1)!;
    assert.ok(after.some((x) => x.offset === last.offset && x.value === last.value));
  }
  assert.ok(!readdirSync(log2.dir).some((f) => f.includes('.clean')));
  await mgr2.shutdown();
});
