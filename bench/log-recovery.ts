// Benchmarks (not tests) for the storage engine:
//   1. recovery time of a 1 GiB log after an unclean stop (every batch validated: framing, CRC32C, offsets);
//   2. start-up time of a LogManager hosting 10,000 partitions (clean and unclean), with the open fd count.
// Usage: node bench/log-recovery.ts [GiB=1] [partitions=10000]
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../src/records/crc32c.ts';
import { defaultLogConfig } from '../src/storage/config.ts';
import { CLEAN_SHUTDOWN_MARKER, LogManager } from '../src/storage/log-manager.ts';
import { FdCache, UnloadCache } from '../src/storage/lru.ts';
import { PartitionLog } from '../src/storage/partition-log.ts';

const gib = Number(process.argv[2] ?? 1);
const partitions = Number(process.argv[3] ?? 10_000);
const root = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** A batch of `count` records of `valueSize` bytes (uncompressed), valid CRC. */
function batch(count: number, valueSize: number): Buffer {
  const recs: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.alloc(1 + 1 + 1 + 1 + 2 + valueSize + 1);
    let p = 0;
    body[p++] = 0; // attributes
    body[p++] = 0; // timestamp delta
    body[p++] = (i << 1) & 0x7f; // offset delta (i < 64)
    body[p++] = 1; // key: null (-1 zigzag)
    body.writeUInt16BE(0, p); // placeholder, replaced below
    const v = valueSize * 2; // zigzag varint of valueSize (2 bytes for sizes < 8192)
    body[p++] = (v & 0x7f) | 0x80;
    body[p++] = v >> 7;
    p += valueSize;
    body[p++] = 0; // headers
    const len = body.length * 2;
    recs.push(Buffer.from([(len & 0x7f) | 0x80, len >> 7]), body);
  }
  const records = Buffer.concat(recs);
  const buf = Buffer.alloc(61 + records.length);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt32BE(count - 1, 23);
  buf.writeBigInt64BE(BigInt(Date.now()), 27);
  buf.writeBigInt64BE(BigInt(Date.now()), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(count, 57);
  records.copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

const openFds = () => readdirSync('/proc/self/fd').length;
const ms = (t0: number) => Math.round(performance.now() - t0);

// ---- 1. recovery of a 1 GiB unclean log ------------------------------------------------------------------------
{
  const dir = join(root, 'big-0');
  const config = defaultLogConfig({ retentionMs: -1 });
  const log = PartitionLog.open(dir, config);
  const template = batch(50, 300); // ~16 KiB batches of 50 records, as a producer with batch.size=16384 sends
  const target = gib * 1024 ** 3;
  const t0 = performance.now();
  while (log.size < target) {
    const buf = Buffer.from(template);
    log.append(
      buf,
      [{ position: 0, size: buf.length, lastOffsetDelta: 49, recordCount: 50, maxTimestamp: Date.now() }],
      0,
    );
  }
  const writeMs = ms(t0);
  const leo = log.logEndOffset;
  const size = log.size;
  log.close({ flush: false }); // unclean: no recovery point beyond 0, no clean-shutdown marker
  const t1 = performance.now();
  const reopened = PartitionLog.open(dir, config, { recoveryPoint: 0 });
  const recoverMs = ms(t1);
  if (reopened.logEndOffset !== leo) throw new Error(`recovered LEO ${reopened.logEndOffset} != ${leo}`);
  reopened.close();
  const t2 = performance.now();
  PartitionLog.open(dir, config, { cleanShutdown: true }).close();
  console.log(
    JSON.stringify({
      bench: 'recovery of an unclean log',
      bytes: size,
      segments: Math.ceil(size / config.segmentBytes),
      records: leo,
      writeMs,
      uncleanRecoveryMs: recoverMs,
      recoveryMBps: Math.round(size / 1024 / 1024 / (recoverMs / 1000)),
      cleanOpenMs: ms(t2),
    }),
  );
  rmSync(dir, { recursive: true, force: true });
}

// ---- 2. start-up with 10,000 partitions -------------------------------------------------------------------------
{
  const logDir = join(root, 'many');
  const config = defaultLogConfig({ retentionMs: -1, segmentBytes: 1024 * 1024 });
  const caches = () => ({ fds: new FdCache(256), writeFds: new FdCache(512), indexes: new UnloadCache(2048) });
  const fds0 = openFds();
  let mgr = LogManager.open({ logDirs: [logDir], caches: caches(), configFor: () => config });
  const small = batch(10, 100);
  const t0 = performance.now();
  for (let p = 0; p < partitions; p++) {
    const log = mgr.getOrCreate(`topic${p % 100}`, Math.floor(p / 100), config);
    const buf = Buffer.from(small);
    log.append(
      buf,
      [{ position: 0, size: buf.length, lastOffsetDelta: 9, recordCount: 10, maxTimestamp: Date.now() }],
      0,
    );
  }
  const createMs = ms(t0);
  const fdsRunning = openFds() - fds0;
  const t1 = performance.now();
  await mgr.shutdown();
  const shutdownMs = ms(t1);
  const t2 = performance.now();
  mgr = LogManager.open({ logDirs: [logDir], caches: caches(), configFor: () => config });
  const cleanStartMs = ms(t2);
  const fdsAfterClean = openFds() - fds0;
  // Unclean: simulate a crash (no marker), recovery from the checkpointed recovery points.
  for (const h of mgr.all()) h.log.close({ flush: false });
  mgr.checkpoint();
  rmSync(join(logDir, CLEAN_SHUTDOWN_MARKER), { force: true });
  const t3 = performance.now();
  mgr = LogManager.open({ logDirs: [logDir], caches: caches(), configFor: () => config });
  const uncleanStartMs = ms(t3);
  const fdsAfterUnclean = openFds() - fds0;
  const t4 = performance.now();
  for (const h of mgr.all()) h.log.close({ flush: false });
  try {
    unlinkSync(join(logDir, 'recovery-point-offset-checkpoint'));
  } catch {}
  mgr = LogManager.open({ logDirs: [logDir], caches: caches(), configFor: () => config });
  const uncleanNoCheckpointMs = ms(t4);
  console.log(
    JSON.stringify({
      bench: 'start-up with many partitions',
      partitions,
      createMs,
      shutdownMs,
      cleanStartMs,
      uncleanStartMs,
      uncleanNoCheckpointMs,
      openFdsWhileRunning: fdsRunning,
      openFdsAfterCleanStart: fdsAfterClean,
      openFdsAfterUncleanStart: fdsAfterUnclean,
    }),
  );
  await mgr.shutdown();
}
