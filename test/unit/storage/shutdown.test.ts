// LogManager.shutdown with many logs: only logs with unflushed data are fsynced (in parallel), everything is back
// after a clean restart without recovery, and a failing fsync at shutdown leaves no clean-shutdown marker.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.ts';
import { errnoError, ioFaults } from '../../../src/storage/file-io.ts';
import { CLEAN_SHUTDOWN_MARKER, LogManager } from '../../../src/storage/log-manager.ts';
import type { PartitionLog } from '../../../src/storage/partition-log.ts';
import { makeAppend, tempDir } from './helpers.ts';

const cfg = (): LogConfig => defaultLogConfig({ segmentBytes: 100_000, indexIntervalBytes: 100, retentionMs: -1 });

function fill(log: PartitionLog, n: number): void {
  for (let i = 0; i < n; i++) {
    const { buf, batches } = makeAppend([{ count: 3, timestamp: 1000 + i }]);
    log.append(buf, batches, 0);
  }
}

test('shutdown fsyncs only logs with unflushed data; a clean restart finds every record', async (t) => {
  const logDir = join(tempDir(t), 'd');
  let mgr = LogManager.open({ logDirs: [logDir] });
  for (let p = 0; p < 200; p++) mgr.getOrCreate('idle', p, cfg());
  for (let p = 0; p < 3; p++) fill(mgr.getOrCreate('busy', p, cfg()), 20);
  const fsyncs: number[] = [];
  ioFaults.before = (op, fd) => {
    if (op === 'fsync') fsyncs.push(fd);
  };
  t.after(() => {
    ioFaults.before = undefined;
  });
  await mgr.shutdown();
  ioFaults.before = undefined;
  // 3 busy logs: log, two indexes and the directory each; checkpoints and the marker add a few more.
  assert.ok(fsyncs.length >= 12 && fsyncs.length < 40, `fsyncs at shutdown: ${fsyncs.length}`);
  assert.ok(existsSync(join(logDir, CLEAN_SHUTDOWN_MARKER)));

  mgr = LogManager.open({ logDirs: [logDir], configFor: cfg });
  assert.equal(mgr.all().length, 203);
  for (let p = 0; p < 3; p++) {
    const log = mgr.get('busy', p)!;
    assert.equal(log.logEndOffset, 60);
    assert.equal(log.recoveryPoint, 60);
  }
  // Nothing changed since the last stop: this shutdown fsyncs no log at all.
  fsyncs.length = 0;
  ioFaults.before = (op, fd) => {
    if (op === 'fsync') fsyncs.push(fd);
  };
  await mgr.shutdown();
  ioFaults.before = undefined;
  assert.ok(fsyncs.length <= 6, `fsyncs at an idle shutdown: ${fsyncs.length}`);
});

test('an fsync failing at shutdown takes the log offline and writes no clean-shutdown marker', async (t) => {
  const logDir = join(tempDir(t), 'd');
  const mgr = LogManager.open({ logDirs: [logDir] });
  fill(mgr.getOrCreate('a', 0, cfg()), 5);
  for (let p = 0; p < 50; p++) mgr.getOrCreate('idle', p, cfg());
  ioFaults.before = (op) => {
    if (op === 'fsync') throw errnoError('EIO');
  };
  t.after(() => {
    ioFaults.before = undefined;
  });
  await mgr.shutdown();
  ioFaults.before = undefined;
  assert.equal(existsSync(join(logDir, CLEAN_SHUTDOWN_MARKER)), false, 'the next start recovers');
  assert.ok(mgr.offlineDirs.has(logDir));
  const again = LogManager.open({ logDirs: [logDir], configFor: cfg });
  assert.equal(again.get('a', 0)!.logEndOffset, 15, 'recovery finds the records');
  await again.shutdown();
});
