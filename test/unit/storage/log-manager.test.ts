import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpoint, writeCheckpoint } from '../../../src/storage/checkpoint.ts';
import { defaultLogConfig } from '../../../src/storage/config.ts';
import { errnoError, ioFaults } from '../../../src/storage/file-io.ts';
import {
  CLEAN_SHUTDOWN_MARKER,
  LogManager,
  parsePartitionDir,
  RECOVERY_POINT_CHECKPOINT,
} from '../../../src/storage/log-manager.ts';
import { FdCache, UnloadCache } from '../../../src/storage/lru.ts';
import { makeAppend, parseBatches, tempDir } from './helpers.ts';

const config = defaultLogConfig({ segmentBytes: 1024, fileDeleteDelayMs: 0 });

function append(log: ReturnType<LogManager['getOrCreate']>, n: number): void {
  for (let i = 0; i < n; i++) {
    const { buf, batches } = makeAppend([{ count: 2, timestamp: 100 + i }]);
    log.append(buf, batches, 0);
  }
}

test('partition directory names split on the last dash', () => {
  assert.deepEqual(parsePartitionDir('my-topic-12'), { topic: 'my-topic', partition: 12 });
  assert.deepEqual(parsePartitionDir('a.b_c-0'), { topic: 'a.b_c', partition: 0 });
  assert.equal(parsePartitionDir('t-0.abc-delete'), undefined);
  assert.equal(parsePartitionDir('nodash'), undefined);
});

test('checkpoint files use Kafka text format and round-trip', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'cp');
  writeCheckpoint(path, [
    { topic: 'a-b', partition: 3, offset: 42 },
    { topic: 'c', partition: 0, offset: 0 },
  ]);
  assert.equal(readFileSync(path, 'utf8'), '0\n2\na-b 3 42\nc 0 0\n');
  assert.deepEqual(
    [...readCheckpoint(path)],
    [
      ['a-b-3', 42],
      ['c-0', 0],
    ],
  );
  writeFileSync(path, '0\n5\nx 1 2\n');
  assert.equal(readCheckpoint(path).size, 0);
  assert.equal(readCheckpoint(join(dir, 'missing')).size, 0);
});

test('create, restart after clean shutdown, restart after crash', async (t) => {
  const d1 = tempDir(t);
  const d2 = tempDir(t);
  let mgr = LogManager.open({ logDirs: [d1, d2] });
  const a = mgr.getOrCreate('orders-eu', 0, config);
  const b = mgr.getOrCreate('orders-eu', 1, config);
  assert.equal(mgr.getOrCreate('orders-eu', 0, config), a);
  append(a, 30);
  append(b, 3);
  const dirs = mgr.all().map((h) => h.logDir);
  assert.notEqual(dirs[0], dirs[1], 'partitions spread over log dirs');
  await mgr.shutdown();
  assert.ok(existsSync(join(d1, CLEAN_SHUTDOWN_MARKER)));
  assert.match(readFileSync(join(dirs[0]!, RECOVERY_POINT_CHECKPOINT), 'utf8'), /^0\n1\norders-eu 0 60\n$/);

  mgr = LogManager.open({ logDirs: [d1, d2], configFor: () => config });
  assert.ok(!existsSync(join(d1, CLEAN_SHUTDOWN_MARKER)), 'marker removed after load');
  assert.equal(mgr.get('orders-eu', 0)!.logEndOffset, 60);
  assert.equal(mgr.get('orders-eu', 1)!.logEndOffset, 6);
  append(mgr.get('orders-eu', 0)!, 2);
  mgr.checkpoint();
  // Crash: no shutdown. The next start recovers from the checkpointed recovery point.
  const mgr2 = LogManager.open({ logDirs: [d1, d2], configFor: () => config });
  const log = mgr2.get('orders-eu', 0)!;
  assert.equal(log.logEndOffset, 64);
  assert.equal(parseBatches(log.read(60, 1000).records).length, 2);
  await mgr2.shutdown();
});

test('deletes of one turn settle together, and before a log is created again', async (t) => {
  const d = tempDir(t);
  const mgr = LogManager.open({ logDirs: [d] });
  for (let p = 0; p < 3; p++) {
    const log = mgr.getOrCreate('t', p, config);
    append(log, 5);
    log.flush();
  }
  mgr.checkpoint();
  const checkpoint = () => [...readCheckpoint(join(d, RECOVERY_POINT_CHECKPOINT))];
  assert.deepEqual(checkpoint(), [
    ['t-0', 10],
    ['t-1', 10],
    ['t-2', 10],
  ]);
  mgr.delete('t', 0);
  mgr.delete('t', 1);
  // Recreated in the same turn: the old recovery point must be gone from the checkpoint before the new log exists,
  // or a crash now would trust 10 for a partition holding nothing.
  mgr.getOrCreate('t', 0, config);
  assert.deepEqual(checkpoint(), [['t-2', 10]]);
  mgr.delete('t', 2);
  await Promise.resolve();
  assert.deepEqual(checkpoint(), [['t-0', 0]], 'settled at the end of the turn');
  await mgr.deletesSettled();
  assert.deepEqual(
    readdirSync(d).filter((n) => n.endsWith('-delete')),
    [],
  );
  await mgr.shutdown();
});

test('delete renames the directory and removes it asynchronously', async (t) => {
  const d = tempDir(t);
  const mgr = LogManager.open({ logDirs: [d] });
  append(mgr.getOrCreate('t', 0, config), 5);
  mgr.delete('t', 0);
  assert.equal(mgr.get('t', 0), undefined);
  assert.ok(!existsSync(join(d, 't-0')));
  await mgr.deletesSettled();
  assert.deepEqual(
    readdirSync(d).filter((n) => n.startsWith('t-0')),
    [],
  );
  // A leftover -delete directory from a previous run is removed at start.
  mkdirSync(join(d, 'x-1.0123abcd-delete'));
  const again = LogManager.open({ logDirs: [d] });
  await again.deletesSettled();
  assert.ok(!existsSync(join(d, 'x-1.0123abcd-delete')));
  await again.shutdown();
  await mgr.shutdown();
});

test('retention and flush tasks run over all logs', async (t) => {
  const d = tempDir(t);
  const mgr = LogManager.open({ logDirs: [d] });
  const log = mgr.getOrCreate('r', 0, { ...config, retentionBytes: 2000, flushMs: 10 });
  append(log, 60);
  const deleted = mgr.runRetention(Date.now());
  assert.equal(deleted.length, 1);
  assert.ok(log.logStartOffset > 0);
  assert.equal(mgr.flushDue(Date.now() + 1000), 1);
  assert.equal(log.recoveryPoint, log.logEndOffset);
  await mgr.shutdown();
});

test('open file descriptors stay bounded by the fd cache', async (t) => {
  const d = tempDir(t);
  const caches = { fds: new FdCache(8), writeFds: new FdCache(8), indexes: new UnloadCache(8) };
  const mgr = LogManager.open({ logDirs: [d], caches });
  const openFds = () => readdirSync('/proc/self/fd').length;
  const before = openFds();
  const logs = [];
  for (let p = 0; p < 40; p++) {
    const log = mgr.getOrCreate('many', p, config);
    append(log, 40);
    logs.push(log);
  }
  for (const log of logs) {
    assert.ok(log.segments.length > 2);
    for (let o = 0; o < log.logEndOffset; o += 7) assert.ok(log.read(o, 100).records.length > 0);
  }
  assert.ok(caches.fds.size <= 8);
  assert.ok(caches.writeFds.size <= 8);
  assert.ok(caches.indexes.size <= 8);
  // 40 active segments, yet the process holds at most the two caches' worth of segment files (plus the few
  // background flushes on roll in flight).
  assert.ok(openFds() - before <= 16 + 4, `${openFds() - before} more open files`);
  await mgr.shutdown();
});

test('the last log dir to go offline (ENOSPC) calls onAllDirsOffline once; one of two calls onDirOffline', (t) => {
  const root = tempDir(t);
  const [d1, d2] = [join(root, 'd1'), join(root, 'd2')];
  const calls: string[][] = [];
  const one: string[] = [];
  const mgr = LogManager.open({
    logDirs: [d1, d2],
    onAllDirsOffline: (failed) => calls.push([...failed.keys()]),
    onDirOffline: (dir) => one.push(dir),
  });
  assert.equal(mgr.mayHaveOfflineLogs, false);
  const a = mgr.getOrCreate('a', 0, config);
  const b = mgr.getOrCreate('b', 0, config);
  const dirOf = (topic: string) => mgr.all().find((h) => h.topic === topic)!.logDir;
  assert.notEqual(dirOf('a'), dirOf('b'), 'one log in each dir');
  ioFaults.before = (op) => {
    if (op === 'write') throw errnoError('ENOSPC', 'no space left on device');
  };
  t.after(() => {
    ioFaults.before = undefined;
  });
  assert.throws(() => append(a, 1));
  assert.ok(a.isOffline && !b.isOffline);
  assert.deepEqual([...mgr.offlineDirs.keys()], [dirOf('a')]);
  assert.deepEqual(calls, [], 'a broker with an online log dir keeps running');
  assert.deepEqual(one, [dirOf('a')], 'and reports the failed one');
  assert.equal(mgr.mayHaveOfflineLogs, true);
  assert.throws(() => append(b, 1));
  assert.ok(b.isOffline);
  assert.equal(calls.length, 1, 'called when the last dir failed');
  assert.deepEqual(new Set(calls[0]), new Set([d1, d2]));
  mgr.takeDirOffline(d2, errnoError('EIO'));
  assert.equal(calls.length, 1, 'only once');
  assert.deepEqual(one, [dirOf('a')], 'the last dir is not reported as one of several');
  ioFaults.before = undefined;
});
