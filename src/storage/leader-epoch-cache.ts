// The leader-epoch cache of one partition (Kafka's LeaderEpochFileCache): for every leader epoch that wrote to the
// log, the offset of its first batch. It answers OffsetForLeaderEpoch (consumers validating positions, KIP-320;
// followers finding where they diverge, KIP-101/279) and is kept in `<partition dir>/leader-epoch-checkpoint`, in
// Kafka's text format: `0`, the entry count, then one `epoch startOffset` line per entry.
//
// The cache is pure logic over an injected store; PartitionLog keeps it in step with the log: appends assign,
// truncations cut the end, retention and DeleteRecords move the first entry up, and loading checks it against
// the log (see PartitionLog.loadEpochs). Every change is written through the store at once (rare: once per epoch,
// truncation or log start move), so the file never misses an entry the log has.
import { closeSync, openSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HEADER_SIZE, PARTITION_LEADER_EPOCH } from '../records/batch-layout.ts';
import { assert } from '../util/assert.ts';
import { fsyncDir, fsyncFd, writeFully } from './file-io.ts';
import type { Segment, StorageLogger } from './segment.ts';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET (OffsetForLeaderEpoch answers with them). */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** Where the entries live: a missing store reads undefined. */
export interface EpochStore {
  read(): EpochEntry[] | undefined;
  /** `durable` false skips the fsyncs: for contents that can be derived from the log again (a rebuild). */
  write(entries: readonly EpochEntry[], durable: boolean): void;
}

const nullLogger: StorageLogger = { info() {}, warn() {}, error() {} };

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private readonly store: EpochStore;
  private readonly logger: StorageLogger;
  /** Holds an entry the store does not have yet (see assign's `persist`). */
  private dirty = false;
  /** The store held nothing when the cache was opened (a log written before the cache existed, or a lost file). */
  readonly wasMissing: boolean;

  constructor(store: EpochStore, logger: StorageLogger = nullLogger) {
    this.store = store;
    this.logger = logger;
    const stored = store.read();
    this.wasMissing = stored === undefined;
    for (const e of stored ?? []) this.put(e.epoch, e.startOffset);
    this.check();
  }

  /** Every entry, oldest first (a copy). */
  list(): EpochEntry[] {
    return this.entries.slice();
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The latest epoch that wrote to the log, UNDEFINED_EPOCH when none. */
  latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  latestEntry(): EpochEntry | undefined {
    return this.entries.at(-1);
  }

  earliestEntry(): EpochEntry | undefined {
    return this.entries[0];
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign): nothing happens when it is the latest epoch and
   * starts at or after the latest entry. Otherwise entries that would break the ordering (an epoch at or above it,
   * or starting at or after it) are dropped first. Returns whether the cache changed.
   *
   * The change is written at once, unless `persist` is false: then it is written with the next persisted assign
   * (even one that changes nothing). That is for a new leader's epoch on an empty log, which holds no data to
   * describe and is assigned again whenever the partition becomes leader, so creating many partitions costs no
   * checkpoint writes; the first append writes it.
   */
  assign(epoch: number, startOffset: number, persist = true): boolean {
    const changed = this.put(epoch, startOffset);
    if (changed && !persist) this.dirty = true;
    else if (changed || (persist && this.dirty)) this.flush();
    return changed;
  }

  /**
   * Replaces every entry with what a scan of the log found (in log order), written once without fsync: a lost or
   * torn write is found missing or malformed at the next load and rebuilt again, so upgrading a data directory of
   * many partitions costs no fsyncs.
   */
  rebuild(found: readonly EpochEntry[]): void {
    this.entries = [];
    for (const e of found) this.put(e.epoch, e.startOffset);
    this.flush(false);
  }

  private put(epoch: number, startOffset: number): boolean {
    assert(
      Number.isInteger(epoch) && epoch >= 0 && Number.isSafeInteger(startOffset) && startOffset >= 0,
      `invalid leader epoch entry ${epoch}@${startOffset}`,
    );
    const last = this.entries.at(-1);
    if (last !== undefined && epoch === last.epoch && startOffset >= last.startOffset) return false;
    let keep = this.entries.length;
    while (keep > 0) {
      const e = this.entries[keep - 1]!;
      if (e.epoch < epoch && e.startOffset < startOffset) break;
      keep--;
    }
    const removed = this.entries.splice(keep);
    if (removed.length > 1 || (removed.length === 1 && removed[0]!.startOffset !== startOffset)) {
      this.logger.warn(
        { epoch, startOffset, removed: removed.map((e) => `${e.epoch}@${e.startOffset}`) },
        'new leader epoch entry dropped conflicting entries',
      );
    }
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * The epoch of the record at `offset`: the latest entry starting at or before it; UNDEFINED_EPOCH when the
   * offset is below the first entry.
   */
  epochForOffset(offset: number): number {
    const i = this.floor((e) => e.startOffset <= offset);
    return i < 0 ? UNDEFINED_EPOCH : this.entries[i]!.epoch;
  }

  /**
   * Kafka's endOffsetFor: the largest epoch <= `requestedEpoch` and where it ends (the start of the next epoch, or
   * the log end offset for the latest epoch). UNDEFINED (-1/-1) for an undefined request or one above every epoch
   * but the latest (impossible while the latest epoch is the largest); a request below the first epoch answers the
   * requested epoch ending at the first entry's start (the data before it is gone).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const last = this.entries.at(-1);
    if (last !== undefined && last.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.floor((e) => e.epoch <= requestedEpoch) + 1;
    if (higher >= this.entries.length) return undefinedAnswer;
    const next = this.entries[higher]!;
    if (higher === 0) return { epoch: requestedEpoch, endOffset: next.startOffset };
    return { epoch: this.entries[higher - 1]!.epoch, endOffset: next.startOffset };
  }

  /** The log was truncated to `endOffset`: drops every entry starting at or after it. */
  truncateFromEnd(endOffset: number): void {
    if (endOffset < 0) return;
    let keep = this.entries.length;
    while (keep > 0 && this.entries[keep - 1]!.startOffset >= endOffset) keep--;
    if (keep === this.entries.length) return;
    const removed = this.entries.splice(keep);
    this.logger.info(
      { endOffset, removed: removed.map((e) => `${e.epoch}@${e.startOffset}`) },
      'leader epoch cache truncated at the log end',
    );
    this.flush();
  }

  /**
   * The log start moved to `startOffset` (retention, DeleteRecords): entries starting at or before it are dropped
   * and the last of them is kept, starting at `startOffset`.
   */
  truncateFromStart(startOffset: number): void {
    const i = this.floor((e) => e.startOffset <= startOffset);
    if (i < 0) return;
    const first = this.entries[i]!;
    if (i === 0 && first.startOffset === startOffset) return;
    this.entries.splice(0, i + 1, { epoch: first.epoch, startOffset });
    this.flush();
  }

  /** Forgets everything (the log was emptied). */
  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.flush();
  }

  private flush(durable = true): void {
    this.check();
    this.store.write(this.entries, durable);
    this.dirty = false;
  }

  /** Index of the last entry satisfying `pred` (which holds for a prefix of the entries), -1 if none. */
  private floor(pred: (e: EpochEntry) => boolean): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.entries[mid]!)) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private check(): void {
    for (let i = 1; i < this.entries.length; i++) {
      const a = this.entries[i - 1]!;
      const b = this.entries[i]!;
      assert(
        a.epoch < b.epoch && a.startOffset < b.startOffset,
        `leader epoch cache out of order: ${a.epoch}@${a.startOffset} then ${b.epoch}@${b.startOffset}`,
      );
    }
  }
}

/** The `leader-epoch-checkpoint` file of a partition directory, written tmp -> fsync -> rename -> fsync dir. */
export class EpochCheckpointFile implements EpochStore {
  readonly path: string;
  private readonly logger: StorageLogger;

  constructor(dir: string, logger: StorageLogger = nullLogger) {
    this.path = join(dir, LEADER_EPOCH_CHECKPOINT);
    this.logger = logger;
  }

  read(): EpochEntry[] | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = parseEpochCheckpoint(text);
    if (typeof parsed === 'string') {
      this.logger.warn({ path: this.path, why: parsed }, 'ignoring malformed leader epoch checkpoint: rebuilding it');
      return undefined;
    }
    return parsed;
  }

  write(entries: readonly EpochEntry[], durable: boolean): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeFully(fd, Buffer.from(formatEpochCheckpoint(entries)), 0);
      if (durable) fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    if (durable) fsyncDir(dirname(this.path));
  }
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `${['0', String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n')}\n`;
}

/** Parses Kafka's leader-epoch checkpoint text; a string says why it is malformed. */
export function parseEpochCheckpoint(text: string): EpochEntry[] | string {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') return `unsupported version ${JSON.stringify(lines[0] ?? '')}`;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) return 'entry count mismatch';
  const out: EpochEntry[] = [];
  for (const line of lines.slice(2)) {
    const parts = line.trim().split(/\s+/);
    const epoch = Number(parts[0]);
    const startOffset = Number(parts[1]);
    if (parts.length !== 2 || !Number.isInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset)) {
      return `bad line ${JSON.stringify(line)}`;
    }
    if (startOffset < 0) return `bad line ${JSON.stringify(line)}`;
    const prev = out.at(-1);
    if (prev !== undefined && (prev.epoch >= epoch || prev.startOffset >= startOffset))
      return `entries out of order at ${JSON.stringify(line)}`;
    out.push({ epoch, startOffset });
  }
  return out;
}

/**
 * Where the leader epoch changes in a log, read from batch headers (the cache's rebuild). A segment whose first and
 * last batches carry the same epoch is read only at those two batches (epochs only grow along a log), so a log
 * with one epoch costs two header reads per segment.
 */
export function epochsFromSegments(segments: ReadonlyArray<{ segment: Segment; end: number }>): EpochEntry[] {
  const found: EpochEntry[] = [];
  const note = (epoch: number, offset: number) => {
    if (epoch >= 0 && found.at(-1)?.epoch !== epoch) found.push({ epoch, startOffset: offset });
  };
  for (const { segment: seg, end } of segments) {
    if (seg.size === 0 || end <= seg.baseOffset) continue;
    const w = seg.window();
    const epochAt = (pos: number): number => {
      const at = w.view(pos, HEADER_SIZE);
      return at < 0 ? UNDEFINED_EPOCH : w.buf.readInt32BE(at + PARTITION_LEADER_EPOCH);
    };
    const first = w.header(0);
    if (first === undefined) continue;
    const last = seg.translateOffset(end - 1, end);
    const firstEpoch = epochAt(0);
    if (last !== undefined && epochAt(last.position) === firstEpoch) {
      note(firstEpoch, first.baseOffset);
      continue;
    }
    let pos = 0;
    while (pos < seg.size) {
      const h = w.header(pos);
      if (h === undefined || h.size < HEADER_SIZE || h.baseOffset >= end) break;
      note(epochAt(pos), h.baseOffset);
      pos += h.size;
    }
  }
  return found;
}
