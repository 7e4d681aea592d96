// Keyed record batches (built with records/buildBatch) for the cleaner tests and the fuzzer.
import { buildBatch, iterateRecords, batches as storedBatches } from '../../../src/records/batch.ts';
import type { PartitionLog } from '../../../src/storage/partition-log.ts';

export function appendKeyed(
  log: PartitionLog,
  recs: Array<{ key: string | null; value: string | null }>,
  ts: number,
  producer?: { id: number; epoch: number; seq: number },
): number {
  const buf = buildBatch({
    records: recs.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: ts,
    })),
    producerId: producer?.id,
    producerEpoch: producer?.epoch,
    baseSequence: producer?.seq,
    now: ts,
  });
  const r = log.append(
    buf,
    [{ position: 0, size: buf.length, lastOffsetDelta: recs.length - 1, recordCount: recs.length, maxTimestamp: ts }],
    0,
  );
  return r.baseOffset;
}

export function readRecords(log: PartitionLog): Array<{ offset: number; key: string | null; value: string | null }> {
  const out: Array<{ offset: number; key: string | null; value: string | null }> = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 1 << 20);
    if (records.length === 0) break;
    let next = offset;
    for (const b of storedBatches(records)) {
      for (const r of iterateRecords(records.subarray(b.position, b.position + b.size))) {
        if (r.offset >= offset)
          out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
      }
      next = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
    offset = next;
  }
  return out;
}
