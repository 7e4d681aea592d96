// The read path of a partition log: fetches (whole stored batches, as they are on disk), ListOffsets by timestamp
// and the largest timestamp. Plain functions over the log's state (log-state.ts); PartitionLog checks the log is
// usable first, and `log.io` turns a filesystem error into KAFKA_STORAGE_ERROR with the log offline.
import { OffsetOutOfRangeError } from './errors.ts';
import { floorIndex, type LogOps, upperBound } from './log-state.ts';
import type { ReadResult } from './partition-log.ts';
import type { ReadAlloc } from './read-buffers.ts';

const EMPTY = Buffer.alloc(0);

/**
 * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (the last may be partial, as in Kafka;
 * with `minOneMessage` an oversized first batch is returned whole). Never returns a batch containing or beyond
 * `maxOffsetExclusive` (default: the log end offset). `alloc` supplies the memory read into (fetches use pooled
 * slabs, see read-buffers.ts); by default each read gets a new Buffer.
 */
export function readLog(
  log: LogOps,
  fetchOffset: number,
  maxBytes: number,
  maxOffsetExclusive?: number,
  minOneMessage = true,
  alloc?: ReadAlloc,
): ReadResult {
  const s = log.s;
  if (fetchOffset < s.logStartOffset || fetchOffset > s.logEndOffset) {
    throw new OffsetOutOfRangeError(
      `offset ${fetchOffset} is out of range [${s.logStartOffset}, ${s.logEndOffset}] in ${s.dir}`,
    );
  }
  const limit = Math.min(maxOffsetExclusive ?? s.logEndOffset, s.logEndOffset);
  if (fetchOffset >= limit) return { records: EMPTY };
  return log.io('read', () => {
    const chunks: Buffer[] = [];
    let firstOffset: number | undefined;
    let remaining = maxBytes;
    let offset = fetchOffset;
    for (let i = floorIndex(s, fetchOffset); i < s.segs.length; i++) {
      const seg = s.segs[i]!;
      const bound = upperBound(s, i);
      const start = seg.translateOffset(offset, bound);
      offset = bound;
      if (start === undefined) continue;
      if (start.header.lastOffset >= limit) break;
      const stop = limit < bound ? seg.translateOffset(limit, bound, start.position) : undefined;
      const endPos = stop?.position ?? seg.size;
      const avail = endPos - start.position;
      let want = Math.min(avail, remaining);
      if (chunks.length === 0 && minOneMessage && start.header.size > want) {
        want = Math.min(start.header.size, avail);
      }
      if (want <= 0) break;
      chunks.push(seg.read(start.position, want, alloc));
      firstOffset ??= start.header.baseOffset;
      remaining -= want;
      if (want < avail || stop !== undefined || remaining <= 0) break;
    }
    if (chunks.length === 0) return { records: EMPTY };
    return { records: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), firstOffset };
  });
}

/**
 * The first batch (at or above the log start offset) whose max timestamp is >= `timestamp`; `offset` is its
 * base offset and the caller refines inside `batch`. Null when no batch qualifies.
 */
export function offsetForTimestamp(
  log: LogOps,
  timestamp: number,
): { offset: number; timestamp: number; batch: Buffer } | null {
  const s = log.s;
  return log.io('offsetForTimestamp', () => {
    for (let i = Math.max(0, floorIndex(s, s.logStartOffset)); i < s.segs.length; i++) {
      const seg = s.segs[i]!;
      const bound = upperBound(s, i);
      if (seg.maxTimestamp === undefined) seg.ensureLoaded(bound);
      if (seg.maxTimestamp! < timestamp) continue;
      const found = seg.findByTimestamp(timestamp, s.logStartOffset, bound);
      if (found === undefined) continue;
      return {
        offset: found.header.baseOffset,
        timestamp: found.header.maxTimestamp,
        batch: seg.read(found.position, found.header.size),
      };
    }
    return null;
  });
}

/**
 * The largest timestamp in the log and its offset (exact for batches appended by this process, the batch's
 * last offset for batches found by recovery); -1/-1 when no batch has a timestamp.
 */
export function maxTimestampOffset(log: LogOps): { offset: number; timestamp: number } {
  const s = log.s;
  return log.io('maxTimestampOffset', () => {
    let best = { offset: -1, timestamp: -1 };
    for (let i = 0; i < s.segs.length; i++) {
      const seg = s.segs[i]!;
      if (seg.maxTimestamp === undefined) seg.ensureLoaded(upperBound(s, i));
      if (seg.maxTimestamp! > best.timestamp) best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp! };
    }
    return best;
  });
}
