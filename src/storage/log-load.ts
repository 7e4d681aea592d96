// Opening a partition log: listing its directory (leftover temporary files removed, a committed cleaner swap
// finished), recovering the tail after an unclean shutdown (validating batches from the recovery point, cutting a
// torn write, refusing corruption below the recovery point), and checking the leader-epoch cache against the log.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptLogError } from './errors.ts';
import { fsyncDir } from './file-io.ts';
import { EpochCheckpointFile, epochsFromSegments, LeaderEpochCache } from './leader-epoch-cache.ts';
import { active, CLEAN_COMMIT_SUFFIX, floorIndex, type LogOps, upperBound } from './log-state.ts';
import type { OpenOptions } from './partition-log.ts';
import { CLEANED_SUFFIX, Segment, segmentName } from './segment.ts';

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;
const LEFTOVER = ['.deleted', '.tmp', '.cleaned', '.swap', CLEAN_COMMIT_SUFFIX];

/** Loads the log's directory into `log.s` (run inside `log.io`, so I/O errors take the log offline). */
export function loadLog(log: LogOps, opts: OpenOptions): void {
  const s = log.s;
  // A directory created just now is empty: no listing to read (creating thousands of partitions at once).
  const created = mkdirSync(s.dir, { recursive: true }) !== undefined;
  const logger = s.env.logger;
  const bases: number[] = [];
  const indexFiles: Array<{ base: number; name: string }> = [];
  s.epochs = new LeaderEpochCache(new EpochCheckpointFile(s.dir, logger), logger);
  let names = created ? [] : readdirSync(s.dir);
  if (completeCleanerSwaps(log, names)) names = readdirSync(s.dir);
  for (const name of names) {
    if (LEFTOVER.some((suffix) => name.endsWith(suffix))) {
      unlinkSync(join(s.dir, name));
      continue;
    }
    const m = SEGMENT_FILE.exec(name);
    if (m === null) continue;
    if (m[2] === 'log') bases.push(Number(m[1]));
    else indexFiles.push({ base: Number(m[1]), name });
  }
  bases.sort((a, b) => a - b);
  const known = new Set(bases);
  for (const f of indexFiles) {
    if (!known.has(f.base)) {
      logger.warn({ dir: s.dir, file: f.name }, 'removing index file without a log segment');
      unlinkSync(join(s.dir, f.name));
    }
  }
  s.segs = bases.map((base) => {
    const seg = new Segment(s.dir, base, 0, s.env);
    seg.size = statSync(seg.logPath).size;
    if (seg.size > 0) {
      seg.nextOffset = undefined;
      seg.maxTimestamp = undefined;
    }
    return seg;
  });
  let recovered = false;
  if (s.segs.length === 0) {
    const seg = Segment.create(s.dir, opts.logStartOffset ?? 0, s.env);
    s.segs.push(seg);
    s.dirDirty = true;
  } else if (opts.cleanShutdown) {
    s.segs[s.segs.length - 1]!.loadTail(Number.MAX_SAFE_INTEGER);
    s.unsynced = false;
  } else {
    recover(log, opts.recoveryPoint);
    recovered = true;
  }
  for (let i = 0; i < s.segs.length - 1; i++) {
    const seg = s.segs[i]!;
    if (!existsSync(seg.indexPath) || !existsSync(seg.timeIndexPath)) {
      seg.ensureLoaded(upperBound(s, i));
      s.unsynced = true;
    }
  }
  const last = active(s);
  last.activate();
  last.createdAt = firstBatchTime(log, last);
  s.logEndOffset = last.nextOffset!;
  s.size = s.segs.reduce((n, s) => n + s.size, 0);
  s.logStartOffset = Math.max(opts.logStartOffset ?? 0, s.segs[0]!.baseOffset);
  // The recovery point means "fsynced below here": after a clean shutdown that is everything; after a crash it is
  // what the checkpoint said (recovery validated the rest but did not fsync it).
  s.recoveryPoint = opts.cleanShutdown
    ? s.logEndOffset
    : Math.min(opts.recoveryPoint ?? s.logStartOffset, s.logEndOffset);
  if (s.logStartOffset > s.logEndOffset) {
    logger.warn(
      { dir: s.dir, logStartOffset: s.logStartOffset, logEndOffset: s.logEndOffset },
      'log start offset beyond log end: starting empty at the log start offset',
    );
    log.truncateFullyAndStartAt(s.logStartOffset);
  }
  loadEpochs(log, recovered);
  logger.info(
    {
      dir: s.dir,
      segments: s.segs.length,
      logStartOffset: s.logStartOffset,
      logEndOffset: s.logEndOffset,
      ...(recovered ? { recoveredFrom: opts.recoveryPoint ?? 0 } : {}),
    },
    recovered ? 'log loaded after an unclean shutdown: validated from the recovery point' : 'log loaded',
  );
}

/**
 * Finishes cleaner swaps interrupted by a crash. A swap is committed once `<base>.clean-commit` exists; then the
 * old segments in [base, end) are replaced by `<base>.*.cleaned`. Without a commit file, `.cleaned` files are
 * leftovers of an unfinished clean and are removed with the other temporary files. Returns whether it changed
 * the directory.
 */
function completeCleanerSwaps(log: LogOps, names: readonly string[]): boolean {
  const s = log.s;
  let changed = false;
  for (const name of names) {
    if (!name.endsWith(CLEAN_COMMIT_SUFFIX)) continue;
    const base = Number(name.slice(0, 20));
    const commit = join(s.dir, name);
    const [endText, sizeText] = readFileSync(commit, 'utf8').trim().split(' ');
    const end = Number(endText);
    const size = Number(sizeText);
    const prefix = segmentName(base);
    const cleanedLog = join(s.dir, `${prefix}.log${CLEANED_SUFFIX}`);
    if (existsSync(cleanedLog)) {
      if (!Number.isSafeInteger(end) || statSync(cleanedLog).size !== size) {
        throw new CorruptLogError(`cleaner commit ${commit} does not match ${cleanedLog}`);
      }
      s.env.logger.warn({ dir: s.dir, base, end }, 'completing a cleaner segment swap interrupted by a crash');
      for (const other of names) {
        const m = SEGMENT_FILE.exec(other);
        if (m === null) continue;
        const b = Number(m[1]);
        if (b > base && b < end) unlinkSync(join(s.dir, other));
      }
      for (const suffix of ['.index', '.timeindex', '.log']) {
        const from = join(s.dir, `${prefix}${suffix}${CLEANED_SUFFIX}`);
        if (existsSync(from)) renameSync(from, join(s.dir, prefix + suffix));
        else if (suffix !== '.log') rmSync(join(s.dir, prefix + suffix), { force: true });
      }
      fsyncDir(s.dir);
    }
    unlinkSync(commit);
    fsyncDir(s.dir);
    changed = true;
  }
  return changed;
}

function recover(log: LogOps, recoveryPoint: number | undefined): void {
  const s = log.s;
  const logger = s.env.logger;
  const from = recoveryPoint === undefined ? s.segs.length - 1 : Math.max(0, floorIndex(s, recoveryPoint));
  for (let i = from; i < s.segs.length; i++) {
    const seg = s.segs[i]!;
    const result = seg.recover(seg.baseOffset);
    if (result.problem !== undefined && recoveryPoint !== undefined && seg.nextOffset! < recoveryPoint) {
      // These bytes were fsynced before the recovery point was checkpointed: they cannot be a torn write.
      // Never truncate (that would silently drop acknowledged records) and never serve them: go offline.
      const reason = `corrupt log below the recovery point ${recoveryPoint}: ${result.problem} in ${seg.logPath} at position ${result.validBytes} (expected offset ${seg.nextOffset})`;
      logger.error(
        {
          segment: seg.logPath,
          position: result.validBytes,
          offset: seg.nextOffset,
          recoveryPoint,
          problem: result.problem,
        },
        'CORRUPTION: flushed data failed validation; the partition stays offline (KAFKA_STORAGE_ERROR) until an operator repairs or removes it',
      );
      throw new CorruptLogError(reason);
    }
    if (result.problem !== undefined) {
      logger.warn(
        {
          segment: seg.logPath,
          position: result.validBytes,
          bytesCut: seg.size - result.validBytes,
          reason: result.problem,
        },
        'truncating log segment at the first invalid batch',
      );
      seg.truncateToPosition(result.validBytes, seg.nextOffset!);
      for (const later of s.segs.splice(i + 1)) {
        logger.warn({ segment: later.logPath, size: later.size }, 'deleting segment after a recovery truncation');
        later.markDeleted(0);
      }
      seg.flush(true);
      fsyncDir(s.dir);
    } else {
      // Valid: write the rebuilt indexes; no fsync (the recovery point stays where the checkpoint put it, so
      // these bytes are checked again after another crash). One fsync per partition made 10k-partition starts slow.
      seg.flush(false);
    }
  }
}

/**
 * Checks the leader-epoch cache against the loaded log: entries beyond its end or below its start are cut, and a
 * cache that was missing (or, after a crash, lags the log's last batch) is rebuilt from batch headers.
 */
function loadEpochs(log: LogOps, recovered: boolean): void {
  const s = log.s;
  const cache = s.epochs!;
  cache.truncateFromEnd(s.logEndOffset);
  cache.truncateFromStart(s.logStartOffset);
  if (s.logEndOffset <= s.logStartOffset || !(cache.wasMissing || recovered)) return;
  const all = s.segs.map((segment, i) => ({ segment, end: upperBound(s, i) }));
  const lastNonEmpty = all.findLastIndex((s) => s.segment.size > 0);
  const tail = epochsFromSegments(all.slice(lastNonEmpty)).at(-1);
  if (!cache.wasMissing && tail !== undefined && tail.epoch === cache.latestEpoch()) return;
  s.env.logger.warn({ dir: s.dir, missing: cache.wasMissing }, 'rebuilding the leader epoch cache from the log');
  cache.rebuild(epochsFromSegments(all));
  cache.truncateFromStart(s.logStartOffset);
}

/** Roll timer start for a reopened active segment: its first batch's timestamp, else now. */
function firstBatchTime(log: LogOps, seg: Segment): number {
  const s = log.s;
  const now = s.env.clock();
  if (seg.size === 0) return now;
  const h = seg.window().header(0);
  return h !== undefined && h.maxTimestamp >= 0 ? Math.min(now, h.maxTimestamp) : now;
}
