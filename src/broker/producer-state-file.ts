// Persistence of per-partition producer state beside the log: `<offset>.snapshot` files (the producer entries as
// of that offset; JSON body behind a CRC32C) and the aborted-transaction index `<segment base>.txnindex` (Kafka's
// 34-byte entries: version, producer id, first offset, last offset, last stable offset). Recovery loads the newest
// valid snapshot not beyond the log end and replays the batches after it, so the state survives unclean stops.
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../records/crc32c.ts';
import { batches, iterateRecords, parseControlRecord } from '../records/index.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import type { Logger } from '../util/log.ts';
import {
  type AbortedTxn,
  type ControlInfo,
  type ProducerBatch,
  type ProducerEntry,
  ProducerStateManager,
} from './producer-state.ts';

const SNAPSHOT = /^(\d{20})\.snapshot$/;
const TXN_INDEX = /^(\d{20})\.txnindex$/;
const TXN_ENTRY_SIZE = 34;
const SNAPSHOT_VERSION = 1;
const SNAPSHOTS_KEPT = 2;
const SCAN_CHUNK = 4 * 1024 * 1024;

export function fileName(offset: number, suffix: string): string {
  return `${String(offset).padStart(20, '0')}${suffix}`;
}

function writeAtomically(dir: string, name: string, data: Buffer): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
}

function listOffsets(dir: string, re: RegExp): number[] {
  const out: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = re.exec(name);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

function snapshotBytes(offset: number, state: ProducerStateManager): Buffer {
  const body = Buffer.from(
    JSON.stringify({ version: SNAPSHOT_VERSION, offset, producers: [...state.producers.values()] }),
    'utf8',
  );
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(crc32c(body), 0);
  body.copy(out, 4);
  return out;
}

/** Writes `<offset>.snapshot` with every producer entry and drops all but the newest snapshots. */
export function writeSnapshot(dir: string, offset: number, state: ProducerStateManager): void {
  writeAtomically(dir, fileName(offset, '.snapshot'), snapshotBytes(offset, state));
  pruneSnapshots(dir);
}

/**
 * writeSnapshot with the fsync done by `fsync` (a broker shutting down snapshots thousands of partitions: their
 * fsyncs run in parallel on the thread pool instead of one after another on the event loop).
 */
export async function writeSnapshotAsync(
  dir: string,
  offset: number,
  state: ProducerStateManager,
  fsync: (path: string) => Promise<void>,
): Promise<void> {
  const name = fileName(offset, '.snapshot');
  const tmp = join(dir, `${name}.tmp`);
  writeFileSync(tmp, snapshotBytes(offset, state));
  await fsync(tmp);
  renameSync(tmp, join(dir, name));
  pruneSnapshots(dir);
}

function pruneSnapshots(dir: string): void {
  const all = listOffsets(dir, SNAPSHOT);
  for (const o of all.slice(0, Math.max(0, all.length - SNAPSHOTS_KEPT)))
    unlinkSync(join(dir, fileName(o, '.snapshot')));
}

function readSnapshot(path: string): ProducerEntry[] | undefined {
  try {
    const buf = readFileSync(path);
    if (buf.length < 4) return undefined;
    const body = buf.subarray(4);
    if (buf.readUInt32BE(0) !== crc32c(body)) return undefined;
    const parsed = JSON.parse(body.toString('utf8')) as { version: number; producers: ProducerEntry[] };
    return parsed.version === SNAPSHOT_VERSION ? parsed.producers : undefined;
  } catch {
    return undefined;
  }
}

/** Appends one aborted transaction to the index of the segment holding its marker. */
export function appendTxnIndex(dir: string, segmentBase: number, a: AbortedTxn): void {
  const b = Buffer.alloc(TXN_ENTRY_SIZE);
  b.writeInt16BE(0, 0);
  b.writeBigInt64BE(BigInt(a.producerId), 2);
  b.writeBigInt64BE(BigInt(a.firstOffset), 10);
  b.writeBigInt64BE(BigInt(a.lastOffset), 18);
  b.writeBigInt64BE(BigInt(a.lastStableOffset), 26);
  const fd = openSync(join(dir, fileName(segmentBase, '.txnindex')), 'a');
  try {
    writeSync(fd, b);
  } finally {
    closeSync(fd);
  }
}

function readTxnIndex(path: string): AbortedTxn[] {
  const buf = readFileSync(path);
  const out: AbortedTxn[] = [];
  for (let p = 0; p + TXN_ENTRY_SIZE <= buf.length; p += TXN_ENTRY_SIZE) {
    out.push({
      producerId: Number(buf.readBigInt64BE(p + 2)),
      firstOffset: Number(buf.readBigInt64BE(p + 10)),
      lastOffset: Number(buf.readBigInt64BE(p + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(p + 26)),
    });
  }
  return out;
}

function rewriteTxnIndexes(dir: string, aborted: AbortedTxn[], segmentBases: number[]): void {
  for (const o of listOffsets(dir, TXN_INDEX)) unlinkSync(join(dir, fileName(o, '.txnindex')));
  for (const a of aborted) appendTxnIndex(dir, segmentFor(segmentBases, a.lastOffset), a);
}

export function segmentFor(bases: readonly number[], offset: number): number {
  let found = bases[0] ?? 0;
  for (const b of bases) if (b <= offset) found = b;
  return found;
}

/** A stored batch as producer state sees it; control batches carry their marker type. */
export function storedBatch(
  buf: Buffer,
  position: number,
  size: number,
): { batch: ProducerBatch; control?: ControlInfo } {
  const h = batches(buf.subarray(position, position + size)).next().value!.header;
  const batch: ProducerBatch = {
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    offsetCount: h.lastOffsetDelta + 1,
    maxTimestamp: h.maxTimestamp,
    isTransactional: h.isTransactional,
    isControl: h.isControl,
  };
  if (!h.isControl) return { batch };
  for (const rec of iterateRecords(buf.subarray(position, position + size))) {
    const c = parseControlRecord(rec.key, rec.value);
    // Replayed markers were checked when written: no transaction-version check on the way back (version 0).
    if (c)
      return {
        batch,
        control: { abort: c.type === 'ABORT', coordinatorEpoch: c.coordinatorEpoch, transactionVersion: 0 },
      };
  }
  return { batch, control: { abort: false, coordinatorEpoch: -1, transactionVersion: 0 } };
}

/**
 * Rebuilds a partition's producer state: the newest valid snapshot at or below the log end (later ones are stale
 * after a truncation and are deleted), the aborted transactions recorded before it, then every batch after it.
 */
export function loadProducerState(log: PartitionLog, logger: Logger): ProducerStateManager {
  const dir = log.dir;
  const state = new ProducerStateManager();
  const end = log.logEndOffset;
  let from = log.logStartOffset;
  for (const o of listOffsets(dir, SNAPSHOT).reverse()) {
    const path = join(dir, fileName(o, '.snapshot'));
    const entries = o <= end ? readSnapshot(path) : undefined;
    if (entries === undefined) {
      logger.warn({ dir, snapshot: o, logEndOffset: end }, 'removing a stale or unreadable producer snapshot');
      unlinkSync(path);
      continue;
    }
    for (const e of entries) state.producers.set(e.producerId, e);
    from = Math.max(o, log.logStartOffset);
    break;
  }
  let fileEntries = 0;
  for (const o of listOffsets(dir, TXN_INDEX)) {
    for (const a of readTxnIndex(join(dir, fileName(o, '.txnindex')))) {
      fileEntries++;
      if (a.lastOffset < from && a.lastOffset >= log.logStartOffset) state.aborted.push(a);
    }
  }
  state.aborted.sort((a, b) => a.lastOffset - b.lastOffset);
  let offset = from;
  let scanned = 0;
  while (offset < end) {
    const { records } = log.read(offset, SCAN_CHUNK, end, true);
    let next = offset;
    for (const b of batches(records)) {
      const last = b.header.baseOffset + b.header.lastOffsetDelta;
      next = last + 1;
      if (b.header.baseOffset < offset || b.header.producerId < 0) continue;
      const { batch, control } = storedBatch(records, b.position, b.size);
      const plan = state.prepare([batch], b.header.baseOffset, 'replication', () => control!);
      state.commit(plan, () => state.firstUnstableOffset() ?? b.header.baseOffset);
      scanned++;
    }
    if (next <= offset) break;
    offset = next;
  }
  if (state.aborted.length !== fileEntries)
    rewriteTxnIndexes(
      dir,
      state.aborted,
      log.segments.map((s) => s.baseOffset),
    );
  if (state.producers.size > 0 || scanned > 0)
    logger.info(
      { dir, producers: state.producers.size, fromOffset: from, batchesReplayed: scanned },
      'loaded producer state',
    );
  return state;
}
