// Recovery hardening and failing disks: corruption below the recovery point, index repair, fsync of new segments,
// EIO/ENOSPC taking a whole log dir offline without losing acknowledged records.
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.ts';
import { ErrorCode, StorageError } from '../../../src/storage/errors.ts';
import { errnoError, ioFaults } from '../../../src/storage/file-io.ts';
import { CLEAN_SHUTDOWN_MARKER, LogManager, RECOVERY_POINT_CHECKPOINT } from '../../../src/storage/log-manager.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { makeAppend, parseBatches, tempDir } from './helpers.ts';

function cfg(o: Partial<LogConfig> = {}): LogConfig {
  return defaultLogConfig({ segmentBytes: 1024, indexIntervalBytes: 100, fileDeleteDelayMs: 0, retentionMs: -1, ...o });
}

function fill(log: PartitionLog, n: number, count = 3): void {
  for (let i = 0; i < n; i++) {
    const { buf, batches } = makeAppend([{ count, timestamp: 1000 + i }]);
    log.append(buf, batches, 0);
  }
}

function capture() {
  const errors: Array<{ obj: object; msg?: string }> = [];
  const warns: Array<{ obj: object; msg?: string }> = [];
  return {
    errors,
    warns,
    logger: {
      info() {},
      warn: (obj: object, msg?: string) => warns.push({ obj, msg }),
      error: (obj: object, msg?: string) => errors.push({ obj, msg }),
    },
  };
}

const isStorageError = (e: unknown) => e instanceof StorageError && e.code === ErrorCode.KAFKA_STORAGE_ERROR;

function flipByte(path: string, position: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  b[0] = readFileSync(path)[position]! ^ 0xff;
  writeSync(fd, b, 0, 1, position);
  closeSync(fd);
}

test('a CRC failure below the recovery point takes the log offline and truncates nothing', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg());
  fill(log, 40);
  log.flush();
  const rp = log.recoveryPoint;
  const leo = log.logEndOffset;
  const segs = log.segments;
  log.close({ flush: false });
  // Corrupt a record byte inside the segment holding the recovery point, below it.
  const last = segs[segs.length - 1]!;
  const file = join(dir, `${String(last.baseOffset).padStart(20, '0')}.log`);
  const sizeBefore = statSync(file).size;
  flipByte(file, 70);
  const cap = capture();
  log = PartitionLog.open(dir, cfg(), { recoveryPoint: rp, logger: cap.logger });
  assert.ok(log.isOffline);
  assert.match(log.offlineReason!.message, /corrupt log below the recovery point/);
  assert.ok(cap.errors.some((e) => /CORRUPTION/.test(e.msg ?? '')));
  assert.throws(() => log.read(0, 100), isStorageError);
  const { buf, batches } = makeAppend([{ count: 1, timestamp: 1 }]);
  assert.throws(() => log.append(buf, batches, 0), isStorageError);
  log.close();
  assert.equal(statSync(file).size, sizeBefore, 'nothing was truncated');
  assert.ok(leo > 0);
});

test('the same damage above the recovery point is a torn tail: truncated and logged', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg({ segmentBytes: 100_000 }));
  fill(log, 10);
  log.flush();
  const rp = log.recoveryPoint;
  fill(log, 10);
  log.close({ flush: false });
  const file = join(dir, '00000000000000000000.log');
  const batches = parseBatches(readFileSync(file));
  const victim = batches.find((b) => b.baseOffset === rp + 6)!;
  let pos = 0;
  for (const b of batches) {
    if (b === victim) break;
    pos += b.size;
  }
  flipByte(file, pos + 65);
  const cap = capture();
  log = PartitionLog.open(dir, cfg({ segmentBytes: 100_000 }), { recoveryPoint: rp, logger: cap.logger });
  assert.ok(!log.isOffline);
  assert.equal(log.logEndOffset, rp + 6);
  assert.ok(cap.warns.some((w) => /truncating/.test(w.msg ?? '')));
  log.close();
});

test('a stale index (pointing past the log) is rebuilt on load', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg());
  fill(log, 40);
  const first = log.segments[0]!;
  log.close();
  const idx = join(dir, `${String(first.baseOffset).padStart(20, '0')}.index`);
  const entry = Buffer.alloc(8);
  entry.writeInt32BE(0x7ffffff0, 0);
  entry.writeInt32BE(0x7ffffff0, 4);
  writeFileSync(idx, Buffer.concat([readFileSync(idx), entry]));
  const cap = capture();
  log = PartitionLog.open(dir, cfg(), { cleanShutdown: true, logger: cap.logger });
  for (let o = 0; o < log.logEndOffset; o++) assert.ok(log.read(o, 1).firstOffset! <= o);
  assert.ok(cap.warns.some((w) => /rebuilding segment indexes/.test(w.msg ?? '')));
  log.close();
});

test('rolling a segment fsyncs the directory; flush.messages=1 fsyncs before append returns', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg({ flushMessages: 1 }));
  const ops: string[] = [];
  ioFaults.before = (op) => ops.push(op);
  t.after(() => {
    ioFaults.before = undefined;
  });
  fill(log, 1);
  assert.ok(ops.includes('fsync'), 'append with flush.messages=1 fsyncs');
  assert.equal(log.recoveryPoint, log.logEndOffset);
  ops.length = 0;
  log.roll();
  fill(log, 1);
  assert.ok(ops.filter((o) => o === 'fsync').length >= 2, 'roll fsyncs the directory and the append fsyncs data');
  ioFaults.before = undefined;
  log.close();
});

for (const code of ['EIO', 'ENOSPC']) {
  test(`${code} on ${code === 'EIO' ? 'fsync' : 'write'} takes the whole log dir offline; acknowledged records survive`, async (t) => {
    const root = tempDir(t);
    const logDir = join(root, 'd1');
    const cap = capture();
    let mgr = LogManager.open({ logDirs: [logDir], logger: cap.logger });
    const a = mgr.getOrCreate('a', 0, cfg({ flushMessages: 1, segmentBytes: 100_000 }));
    const b = mgr.getOrCreate('b', 0, cfg({ segmentBytes: 100_000 }));
    fill(a, 5);
    fill(b, 5);
    const acked = a.logEndOffset;
    const op = code === 'EIO' ? 'fsync' : 'write';
    ioFaults.before = (o) => {
      if (o === op) throw errnoError(code);
    };
    t.after(() => {
      ioFaults.before = undefined;
    });
    const { buf, batches } = makeAppend([{ count: 3, timestamp: 5 }]);
    assert.throws(() => a.append(buf, batches, 0), isStorageError);
    ioFaults.before = undefined;
    assert.ok(a.isOffline && b.isOffline, 'every log in the dir is offline');
    assert.ok(mgr.offlineDirs.has(logDir));
    assert.ok(cap.errors.some((e) => /LOG DIRECTORY OFFLINE/.test(e.msg ?? '')));
    assert.throws(() => b.read(0, 10), isStorageError);
    assert.throws(() => mgr.getOrCreate('c', 0, cfg()), isStorageError);
    await mgr.shutdown();
    assert.ok(!existsSync(join(logDir, CLEAN_SHUTDOWN_MARKER)), 'an offline dir is not marked clean');
    mgr = LogManager.open({ logDirs: [logDir], configFor: () => cfg({ segmentBytes: 100_000 }) });
    const a2 = mgr.get('a', 0)!;
    assert.ok(a2.logEndOffset >= acked, 'acknowledged records are still there');
    assert.equal(parseBatches(a2.read(0, 100_000).records).length * 3, a2.logEndOffset);
    assert.equal(mgr.get('b', 0)!.logEndOffset, 15);
    await mgr.shutdown();
  });
}

test('a corrupt log stays registered and offline; its recovery point is kept in the checkpoint', async (t) => {
  const root = tempDir(t);
  const logDir = join(root, 'd');
  let mgr = LogManager.open({ logDirs: [logDir] });
  const a = mgr.getOrCreate('a', 0, cfg({ segmentBytes: 100_000, flushMessages: 1 }));
  fill(a, 10);
  mgr.checkpoint();
  // Crash: no clean shutdown; corrupt flushed data.
  a.close({ flush: false });
  flipByte(join(logDir, 'a-0', '00000000000000000000.log'), 70);
  mgr = LogManager.open({ logDirs: [logDir], logger: capture().logger });
  assert.ok(mgr.get('a', 0)!.isOffline);
  assert.equal(mgr.getOrCreate('a', 0, cfg()), mgr.get('a', 0), 'not recreated over the corrupt data');
  await mgr.shutdown();
  const cp = readFileSync(join(logDir, RECOVERY_POINT_CHECKPOINT), 'utf8');
  assert.match(cp, /^a 0 30$/m);
  assert.ok(readdirSync(join(logDir, 'a-0')).includes('00000000000000000000.log'));
});
