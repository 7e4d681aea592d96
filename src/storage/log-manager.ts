// Owns every partition log in the broker's log directories: loads them at start (clean-shutdown marker, recovery
// points, log start offsets), creates and deletes them, and exposes the periodic tasks (retention, time-based
// flush, checkpoints) for the broker to schedule.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { partitionKey, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { LogCleaner } from './cleaner.ts';
import type { LogConfig } from './config.ts';
import { defaultLogConfig } from './config.ts';
import { KafkaStorageError, StorageError } from './errors.ts';
import { FsyncLimiter } from './file-io.ts';
import type { StorageCaches } from './lru.ts';
import { type DeletedSegment, fsyncDir, PartitionLog } from './partition-log.ts';
import type { StorageLogger } from './segment.ts';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
/** The controller's metadata log directory prefix; not a data partition. */
export const METADATA_TOPIC = '__cluster_metadata';
export const CLEAN_SHUTDOWN_MARKER = '.kafka_cleanshutdown';
/** fsyncs in flight at once while logs close at shutdown. */
const SHUTDOWN_FSYNCS = 32;

export interface LogManagerOptions {
  logDirs: string[];
  /** Config for logs found on disk at start (topic configs are applied later with `updateConfig`). */
  configFor?: (topic: string, partition: number) => LogConfig;
  clock?: () => number;
  logger?: StorageLogger;
  caches?: StorageCaches;
  /** Called after every partition log flush with its duration in ms (the log flush time metric). */
  onFlushed?: (ms: number) => void;
  /** Log cleaner tuning (most distinct keys per pass, minimum time between checks of one log). */
  cleaner?: { maxMapEntries?: number; checkIntervalMs?: number };
  /**
   * Called once, when the last online log directory goes offline: nothing can be served or replicated any more, and
   * the broker shuts down (Kafka: "Shutdown broker because all log dirs in ... have failed"), so that its session
   * ends and the controller moves its leaderships to the other in-sync replicas.
   */
  onAllDirsOffline?: (failed: ReadonlyMap<string, Error>) => void;
  /**
   * Called when a log directory goes offline while others stay online (JBOD): the broker keeps running, stops
   * replicating the partitions in it and reports them to the controller, which moves their leadership away.
   */
  onDirOffline?: (logDir: string, err: Error) => void;
}

export interface HostedLog {
  topic: string;
  partition: number;
  logDir: string;
  log: PartitionLog;
}

/** Splits `<topic>-<partition>` on the last '-'; undefined for names that are not partition directories. */
export function parsePartitionDir(name: string): { topic: string; partition: number } | undefined {
  if (name.startsWith(METADATA_TOPIC)) return undefined; // the metadata log lives beside the partitions
  const i = name.lastIndexOf('-');
  if (i <= 0) return undefined;
  const p = name.slice(i + 1);
  if (!/^\d+$/.test(p)) return undefined;
  return { topic: name.slice(0, i), partition: Number(p) };
}

const nullLogger: StorageLogger = { info() {}, warn() {}, error() {} };

export class LogManager {
  readonly logDirs: readonly string[];
  private readonly logs = new Map<string, HostedLog>();
  private readonly pendingDeletes = new Set<Promise<void>>();
  /** Directories renamed by `delete` in this turn of the event loop, per log dir, not yet settled. */
  private readonly deleted = new Map<string, string[]>();
  private readonly opts: LogManagerOptions;
  private readonly logger: StorageLogger;
  private readonly offline = new Map<string, Error>();
  /** A log found offline at load (corrupt, unreadable) while its log dir stayed online. */
  private loadedOffline = false;
  /** Partitions per log dir (to pick the least loaded without counting every time). */
  private readonly hostedPerDir = new Map<string, number>();
  /** Log dirs with partition directories created but the dir itself not yet fsynced (see syncCreatedDirs). */
  private readonly unsyncedDirs = new Set<string>();
  /** Compaction of `cleanup.policy=compact` logs; the broker calls `cleaner.tick()` from a timer. */
  readonly cleaner: LogCleaner;

  private constructor(opts: LogManagerOptions) {
    this.opts = opts;
    this.logDirs = [...opts.logDirs];
    this.logger = opts.logger ?? nullLogger;
    this.cleaner = new LogCleaner({
      logs: () => this.all(),
      logger: this.logger,
      clock: opts.clock,
      maxMapEntries: opts.cleaner?.maxMapEntries,
      checkIntervalMs: opts.cleaner?.checkIntervalMs,
    });
  }

  /** Opens every partition directory in `logDirs`. */
  static open(opts: LogManagerOptions): LogManager {
    const mgr = new LogManager(opts);
    for (const dir of mgr.logDirs) mgr.loadDir(dir);
    return mgr;
  }

  private loadDir(logDir: string): void {
    mkdirSync(logDir, { recursive: true });
    const marker = join(logDir, CLEAN_SHUTDOWN_MARKER);
    const clean = existsSync(marker);
    const recoveryPoints = readCheckpoint(join(logDir, RECOVERY_POINT_CHECKPOINT), this.logger);
    const logStarts = readCheckpoint(join(logDir, LOG_START_OFFSET_CHECKPOINT), this.logger);
    this.logger.info(
      { logDir, cleanShutdown: clean },
      clean ? 'loading log directory' : 'loading log directory (no clean-shutdown marker: logs are recovered)',
    );
    for (const ent of readdirSync(logDir, { withFileTypes: true })) {
      const name = ent.name;
      const path = join(logDir, name);
      if (!(ent.isDirectory() || (ent.isSymbolicLink() && statSync(path).isDirectory()))) continue;
      if (name.endsWith('-delete')) {
        this.removeAsync(path);
        continue;
      }
      const tp = parsePartitionDir(name);
      if (tp === undefined) continue;
      const key = partitionKey(tp.topic, tp.partition);
      const other = this.logs.get(key);
      if (other !== undefined) {
        throw new Error(`partition ${key} exists in both ${other.logDir} and ${logDir}`);
      }
      const config = this.opts.configFor?.(tp.topic, tp.partition) ?? defaultLogConfig();
      const log = PartitionLog.open(path, config, {
        ...this.logOptions(logDir),
        cleanShutdown: clean,
        recoveryPoint: recoveryPoints.get(key),
        logStartOffset: logStarts.get(key),
      });
      // An offline log stays registered, so the partition answers KAFKA_STORAGE_ERROR instead of being recreated.
      if (log.isOffline) {
        this.logger.error({ dir: path, err: log.offlineReason }, 'partition log is offline');
        this.loadedOffline = true;
      }
      this.register({ ...tp, logDir, log });
    }
    if (clean) {
      // From here on a crash must be recovered: drop the marker.
      unlinkSync(marker);
      fsyncDir(logDir);
    }
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionKey(topic, partition))?.log;
  }

  /**
   * The partition's log, created if missing. The new directory's entry is fsynced in its log dir before this
   * returns, unless `deferDirSync`: then the caller creating many logs calls `syncCreatedDirs()` once after them.
   */
  getOrCreate(
    topic: string,
    partition: number,
    config: LogConfig,
    opts: { deferDirSync?: boolean } = {},
  ): PartitionLog {
    const key = partitionKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing !== undefined) return existing.log;
    this.settleDeletes();
    const logDir = this.pickLogDir();
    const log = PartitionLog.open(join(logDir, key), config, this.logOptions(logDir));
    this.register({ topic, partition, logDir, log });
    if (!log.isOffline) {
      this.unsyncedDirs.add(logDir);
      if (!opts.deferDirSync) this.syncCreatedDirs();
    }
    return log;
  }

  /** One fsync per log dir for every partition directory created in it since the last call. */
  syncCreatedDirs(): void {
    for (const logDir of this.unsyncedDirs) {
      try {
        fsyncDir(logDir);
      } catch (err) {
        this.takeDirOffline(logDir, err as Error);
      }
    }
    this.unsyncedDirs.clear();
  }

  private register(h: HostedLog): void {
    this.logs.set(partitionKey(h.topic, h.partition), h);
    this.hostedPerDir.set(h.logDir, (this.hostedPerDir.get(h.logDir) ?? 0) + 1);
  }

  private logOptions(logDir: string) {
    return {
      clock: this.opts.clock,
      logger: this.logger,
      caches: this.opts.caches,
      onFailure: (_log: PartitionLog, err: Error) => this.takeDirOffline(logDir, err),
      onFlushed: this.opts.onFlushed,
    };
  }

  /** The online log directory hosting the fewest partitions. */
  private pickLogDir(): string {
    let best: string | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const d of this.logDirs) {
      if (this.offline.has(d)) continue;
      const n = this.hostedPerDir.get(d) ?? 0;
      if (n < fewest) {
        best = d;
        fewest = n;
      }
    }
    if (best === undefined) throw new KafkaStorageError('every log directory is offline');
    return best;
  }

  /** Whether some log may be offline: a log dir failed, or a log could not be loaded (a cheap check). */
  get mayHaveOfflineLogs(): boolean {
    return this.offline.size > 0 || this.loadedOffline;
  }

  /** Log directories that failed (EIO, ENOSPC, ...), with the first error. */
  get offlineDirs(): ReadonlyMap<string, Error> {
    return this.offline;
  }

  /**
   * A write or fsync failed in `logDir`: nothing more is written there. Every log in it goes offline (clients get
   * KAFKA_STORAGE_ERROR), no checkpoint or clean-shutdown marker is written, and the next start recovers it.
   */
  takeDirOffline(logDir: string, err: Error): void {
    if (this.offline.has(logDir)) return;
    this.offline.set(logDir, err);
    const affected = [...this.logs.values()].filter((h) => h.logDir === logDir);
    this.logger.error(
      { logDir, code: (err as NodeJS.ErrnoException).code, err: err.message, partitions: affected.length },
      'LOG DIRECTORY OFFLINE: a write or fsync failed; every partition in it now answers KAFKA_STORAGE_ERROR',
    );
    for (const h of affected) h.log.markOffline(err);
    if (this.offline.size === this.logDirs.length) this.opts.onAllDirsOffline?.(this.offline);
    else this.opts.onDirOffline?.(logDir, err);
  }

  all(): HostedLog[] {
    return [...this.logs.values()];
  }

  /**
   * Closes the log and renames its directory to `<topic>-<p>.<uuid>-delete`. The log dir's fsync, its checkpoints
   * and the background removal run once per log dir for all the deletes of one turn of the event loop (a deleted
   * topic of 10,000 partitions costs one checkpoint write, not 10,000), before any log is created again.
   */
  delete(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    const hosted = this.logs.get(key);
    if (hosted === undefined) return;
    this.cleaner.forget(hosted);
    this.logs.delete(key);
    this.hostedPerDir.set(hosted.logDir, this.hostedPerDir.get(hosted.logDir)! - 1);
    hosted.log.close({ flush: false });
    const from = join(hosted.logDir, key);
    const to = join(hosted.logDir, `${key}.${randomUUID().replaceAll('-', '')}-delete`);
    renameSync(from, to);
    if (this.deleted.size === 0) queueMicrotask(() => this.settleDeletes());
    const renamed = this.deleted.get(hosted.logDir);
    if (renamed === undefined) this.deleted.set(hosted.logDir, [to]);
    else renamed.push(to);
  }

  /**
   * Makes the renames of `delete` durable (one fsync per log dir), drops the deleted partitions' checkpoint entries
   * (a stale recovery point must not apply to a recreated partition) and starts removing the directories.
   */
  private settleDeletes(): void {
    if (this.deleted.size === 0) return;
    const dirs = [...this.deleted];
    this.deleted.clear();
    for (const [logDir, renamed] of dirs) {
      try {
        fsyncDir(logDir);
      } catch (err) {
        this.takeDirOffline(logDir, err as Error);
        continue;
      }
      for (const path of renamed) this.removeAsync(path);
      this.checkpointDir(logDir);
    }
  }

  private removeAsync(path: string): void {
    const p = rm(path, { recursive: true, force: true })
      .catch((err: unknown) => this.logger.error({ path, err }, 'failed to remove deleted log directory'))
      .finally(() => this.pendingDeletes.delete(p));
    this.pendingDeletes.add(p);
  }

  /** Resolves when background directory removals have finished (tests, shutdown). */
  async deletesSettled(): Promise<void> {
    this.settleDeletes();
    await Promise.all([...this.pendingDeletes]);
  }

  /** Applies retention to every online log; returns what was deleted. */
  runRetention(now: number): Array<{ topic: string; partition: number; deleted: DeletedSegment[] }> {
    const out: Array<{ topic: string; partition: number; deleted: DeletedSegment[] }> = [];
    for (const h of this.logs.values()) {
      if (h.log.isOffline) continue;
      try {
        const deleted = h.log.applyRetention(now);
        if (deleted.length > 0) out.push({ topic: h.topic, partition: h.partition, deleted });
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
      }
    }
    return out;
  }

  /** flush.ms for every log; returns how many flushed. */
  flushDue(now: number): number {
    let n = 0;
    for (const h of this.logs.values()) {
      try {
        if (h.log.flushIfDue(now)) n++;
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
      }
    }
    return n;
  }

  /** Writes the recovery-point and log-start-offset checkpoints of every log directory. */
  checkpoint(): void {
    for (const logDir of this.logDirs) this.checkpointDir(logDir);
  }

  /**
   * Checkpoints of one online log directory. Offline logs keep their previous entries (a corrupt log must keep its
   * recovery point so the corruption is found again at the next start).
   */
  checkpointDir(logDir: string): void {
    if (this.offline.has(logDir)) return;
    const hosted = [...this.logs.values()].filter((h) => h.logDir === logDir);
    const online = hosted.filter((h) => !h.log.isOffline);
    const keep = (path: string, value: (h: HostedLog) => number) => {
      const previous = hosted.some((h) => h.log.isOffline) ? readCheckpoint(path, this.logger) : new Map();
      return hosted.flatMap((h) => {
        const key = partitionKey(h.topic, h.partition);
        if (!h.log.isOffline) return [{ topic: h.topic, partition: h.partition, offset: value(h) }];
        const old = previous.get(key);
        return old === undefined ? [] : [{ topic: h.topic, partition: h.partition, offset: old }];
      });
    };
    try {
      writeCheckpoint(
        join(logDir, RECOVERY_POINT_CHECKPOINT),
        online.length === hosted.length
          ? online.map((h) => ({ topic: h.topic, partition: h.partition, offset: h.log.recoveryPoint }))
          : keep(join(logDir, RECOVERY_POINT_CHECKPOINT), (h) => h.log.recoveryPoint),
      );
      writeCheckpoint(
        join(logDir, LOG_START_OFFSET_CHECKPOINT),
        online.length === hosted.length
          ? online.map((h) => ({ topic: h.topic, partition: h.partition, offset: h.log.logStartOffset }))
          : keep(join(logDir, LOG_START_OFFSET_CHECKPOINT), (h) => h.log.logStartOffset),
      );
    } catch (err) {
      if (typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
      this.takeDirOffline(logDir, err as Error);
    }
  }

  /** Flushes and closes every log, writes checkpoints, and marks each healthy log directory cleanly shut down. */
  async shutdown(): Promise<void> {
    this.cleaner.stop();
    const failedDirs = new Set<string>();
    // Logs close in parallel (their fsyncs on the thread pool), as Kafka closes each log dir with a thread pool.
    const fsyncs = new FsyncLimiter(SHUTDOWN_FSYNCS);
    const queue = [...this.logs.values()];
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const h = queue[next++]!;
        try {
          await h.log.closeAsync(fsyncs);
        } catch (err) {
          if (!(err instanceof StorageError)) throw err;
          failedDirs.add(h.logDir);
        }
        if (h.log.isOffline) failedDirs.add(h.logDir);
      }
    };
    await Promise.all(Array.from({ length: SHUTDOWN_FSYNCS }, worker));
    this.checkpoint();
    for (const logDir of this.logDirs) {
      if (failedDirs.has(logDir) || this.offline.has(logDir)) continue;
      try {
        writeFileSync(join(logDir, CLEAN_SHUTDOWN_MARKER), '');
        fsyncDir(logDir);
      } catch (err) {
        this.logger.error({ logDir, err }, 'could not write the clean-shutdown marker');
      }
    }
    this.logs.clear();
    this.hostedPerDir.clear();
    await this.deletesSettled();
  }
}
