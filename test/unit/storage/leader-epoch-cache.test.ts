// The leader-epoch cache: Kafka's endOffsetFor / epochForOffset / assign / truncation semantics, checked by hand
// and against a simple model with fast-check; its checkpoint file; how PartitionLog keeps it in step with the log
// (appends, truncation, retention, DeleteRecords, crash recovery, a missing or stale file).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultLogConfig, type LogConfig } from '../../../src/storage/config.ts';
import { ErrorCode, StorageError } from '../../../src/storage/errors.ts';
import { errnoError, ioFaults } from '../../../src/storage/file-io.ts';
import {
  type EpochEntry,
  type EpochStore,
  formatEpochCheckpoint,
  LEADER_EPOCH_CHECKPOINT,
  LeaderEpochCache,
  parseEpochCheckpoint,
} from '../../../src/storage/leader-epoch-cache.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { InvariantError } from '../../../src/util/assert.ts';
import { makeAppend, tempDir } from './helpers.ts';

class MemoryStore implements EpochStore {
  entries: EpochEntry[] | undefined;
  writes = 0;
  constructor(entries?: EpochEntry[]) {
    this.entries = entries;
  }
  read(): EpochEntry[] | undefined {
    return this.entries?.map((e) => ({ ...e }));
  }
  write(entries: readonly EpochEntry[]): void {
    this.writes++;
    this.entries = entries.map((e) => ({ ...e }));
  }
}

const e = (epoch: number, startOffset: number): EpochEntry => ({ epoch, startOffset });

function cacheOf(...entries: EpochEntry[]): LeaderEpochCache {
  return new LeaderEpochCache(new MemoryStore(entries));
}

test('endOffsetFor answers as Kafka: floor epoch, next start or LEO, UNDEFINED cases', () => {
  const c = cacheOf(e(2, 10), e(4, 20), e(7, 35));
  const at = (epoch: number) => c.endOffsetFor(epoch, 50);
  assert.deepEqual(at(7), { epoch: 7, endOffset: 50 }, 'the latest epoch ends at the log end offset');
  assert.deepEqual(at(4), { epoch: 4, endOffset: 35 });
  assert.deepEqual(at(5), { epoch: 4, endOffset: 35 }, 'an unknown epoch answers the largest one below it');
  assert.deepEqual(at(2), { epoch: 2, endOffset: 20 });
  assert.deepEqual(at(3), { epoch: 2, endOffset: 20 });
  assert.deepEqual(at(1), { epoch: 1, endOffset: 10 }, 'below the first epoch: the requested epoch, first start');
  assert.deepEqual(at(0), { epoch: 0, endOffset: 10 });
  assert.deepEqual(at(-1), { epoch: -1, endOffset: -1 }, 'UNDEFINED_EPOCH asks nothing');
  assert.deepEqual(at(8), { epoch: -1, endOffset: -1 }, 'above the latest epoch: UNDEFINED');
  assert.deepEqual(cacheOf().endOffsetFor(0, 5), { epoch: -1, endOffset: -1 }, 'empty cache: UNDEFINED');
});

test('epochForOffset, latestEpoch and the checkpoint text', () => {
  const c = cacheOf(e(2, 10), e(4, 20));
  assert.equal(c.epochForOffset(9), -1);
  assert.equal(c.epochForOffset(10), 2);
  assert.equal(c.epochForOffset(19), 2);
  assert.equal(c.epochForOffset(20), 4);
  assert.equal(c.epochForOffset(1000), 4);
  assert.equal(c.latestEpoch(), 4);
  assert.equal(cacheOf().latestEpoch(), -1);
  assert.equal(formatEpochCheckpoint(c.list()), '0\n2\n2 10\n4 20\n');
  assert.deepEqual(parseEpochCheckpoint('0\n2\n2 10\n4 20\n'), [e(2, 10), e(4, 20)]);
  assert.equal(parseEpochCheckpoint('0\n0\n').length, 0);
  for (const bad of ['1\n0\n', '0\n2\n2 10\n', '0\n1\nx 10\n', '0\n2\n4 10\n2 20\n', '0\n1\n-1 5\n', ''])
    assert.equal(typeof parseEpochCheckpoint(bad), 'string', `malformed: ${JSON.stringify(bad)}`);
});

test('assign: a larger epoch adds an entry, the same epoch later is a no-op, a conflicting one drops entries', () => {
  const store = new MemoryStore();
  const c = new LeaderEpochCache(store);
  assert.equal(c.wasMissing, true);
  assert.equal(c.assign(0, 0), true);
  assert.equal(c.assign(0, 5), false, 'the same epoch at a later offset changes nothing');
  assert.equal(store.writes, 1, 'only changes are written');
  assert.equal(c.assign(3, 12), true);
  assert.deepEqual(store.entries, [e(0, 0), e(3, 12)]);
  // Kafka's assign: an epoch below the latest (a follower's stale batches) drops every conflicting entry.
  assert.equal(c.assign(2, 12), true);
  assert.deepEqual(c.list(), [e(0, 0), e(2, 12)]);
  assert.throws(() => c.assign(-1, 3), InvariantError);
});

test('truncateFromEnd drops entries at or after the offset; truncateFromStart moves the first entry up', () => {
  const c = cacheOf(e(1, 0), e(2, 10), e(5, 20));
  c.truncateFromEnd(20);
  assert.deepEqual(c.list(), [e(1, 0), e(2, 10)]);
  c.truncateFromEnd(11);
  assert.deepEqual(c.list(), [e(1, 0), e(2, 10)]);
  c.truncateFromStart(12);
  assert.deepEqual(c.list(), [e(2, 12)]);
  c.truncateFromStart(3);
  assert.deepEqual(c.list(), [e(2, 12)], 'a start below the first entry changes nothing');
  c.truncateFromEnd(0);
  assert.deepEqual(c.list(), []);
});

test('stored entries are assigned one by one on open, as Kafka does: a conflicting later one wins', () => {
  assert.deepEqual(cacheOf(e(3, 10), e(2, 20)).list(), [e(2, 20)]);
});

// ---- model-based property test ----------------------------------------------------------------------------

/**
 * The model: the log's batches (epoch and base offset, for epochForOffset) and the cache entries kept as a plain
 * list with the obvious linear operations (for endOffsetFor, written straight from Kafka's definition).
 */
interface Model {
  batches: Array<{ epoch: number; offset: number }>;
  entries: EpochEntry[];
  logStart: number;
  logEnd: number;
}

function modelEndOffsetFor(m: Model, req: number): { epoch: number; endOffset: number } {
  const none = { epoch: -1, endOffset: -1 };
  const last = m.entries.at(-1);
  if (req === -1 || last === undefined) return none;
  if (req === last.epoch) return { epoch: req, endOffset: m.logEnd };
  const higher = m.entries.find((x) => x.epoch > req);
  if (higher === undefined) return none;
  const floor = m.entries.filter((x) => x.epoch <= req).at(-1);
  return floor === undefined
    ? { epoch: req, endOffset: higher.startOffset }
    : { epoch: floor.epoch, endOffset: higher.startOffset };
}

type Op =
  | { kind: 'append'; epochStep: number; count: number }
  | { kind: 'truncateEnd'; back: number }
  | { kind: 'truncateStart'; forward: number }
  | { kind: 'reload' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      epochStep: fc.nat(2),
      count: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateEnd' as const), back: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncateStart' as const), forward: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
);

test('property: the cache agrees with a model through appends, truncations, start moves and reloads', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(3), (ops, firstEpoch) => {
      const store = new MemoryStore();
      let cache = new LeaderEpochCache(store);
      const m: Model = { batches: [], entries: [], logStart: 0, logEnd: 0 };
      let epoch = firstEpoch;
      for (const op of ops) {
        if (op.kind === 'append') {
          epoch += op.epochStep;
          cache.assign(epoch, m.logEnd);
          const last = m.entries.at(-1);
          if (last === undefined || epoch > last.epoch) {
            // An entry left at the log end by a start move holds no data: the new epoch replaces it (Kafka's assign).
            m.entries = m.entries.filter((x) => x.startOffset < m.logEnd);
            m.entries.push({ epoch, startOffset: m.logEnd });
          }
          m.batches.push({ epoch, offset: m.logEnd });
          m.logEnd += op.count;
        } else if (op.kind === 'truncateEnd') {
          // A leader truncates only above the log start; the next leader's epoch is at least the surviving one.
          const to = Math.max(m.logStart, m.logEnd - op.back);
          cache.truncateFromEnd(to);
          m.batches = m.batches.filter((b) => b.offset < to);
          m.entries = m.entries.filter((x) => x.startOffset < to);
          m.logEnd = to;
          epoch = Math.max(epoch, m.entries.at(-1)?.epoch ?? 0);
        } else if (op.kind === 'truncateStart') {
          const to = Math.min(m.logEnd, m.logStart + op.forward);
          cache.truncateFromStart(to);
          const below = m.entries.filter((x) => x.startOffset <= to);
          if (below.length > 0) {
            m.entries = [
              { epoch: below.at(-1)!.epoch, startOffset: to },
              ...m.entries.filter((x) => x.startOffset > to),
            ];
          }
          m.logStart = to;
        } else {
          cache = new LeaderEpochCache(store);
        }
        assert.deepEqual(cache.list(), m.entries);
        assert.deepEqual(store.entries ?? [], m.entries, 'the store holds what the cache holds');
        for (let off = m.logStart; off < m.logEnd; off++) {
          const batch = m.batches.filter((b) => b.offset <= off).at(-1);
          assert.equal(cache.epochForOffset(off), batch?.epoch ?? -1, `epoch of offset ${off}`);
        }
        for (let req = -1; req <= epoch + 1; req++) {
          assert.deepEqual(cache.endOffsetFor(req, m.logEnd), modelEndOffsetFor(m, req), `endOffsetFor(${req})`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

// ---- PartitionLog keeps the cache ---------------------------------------------------------------------------

function cfg(o: Partial<LogConfig> = {}): LogConfig {
  return defaultLogConfig({ segmentBytes: 600, indexIntervalBytes: 100, fileDeleteDelayMs: 0, retentionMs: -1, ...o });
}

function appendAt(log: PartitionLog, epoch: number, count = 3): void {
  const { buf, batches } = makeAppend([{ count, timestamp: 1000 }]);
  log.append(buf, batches, epoch);
}

const silent = { info() {}, warn() {}, error() {} };

test('PartitionLog: appends assign, the file follows, truncation and DeleteRecords cut the cache', (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, cfg(), { logger: silent });
  const file = join(dir, LEADER_EPOCH_CHECKPOINT);
  assert.equal(existsSync(file), false, 'an empty log writes no checkpoint');
  for (let i = 0; i < 4; i++) appendAt(log, 0); // 0..11
  for (let i = 0; i < 4; i++) appendAt(log, 3); // 12..23
  for (let i = 0; i < 4; i++) appendAt(log, 4); // 24..35
  assert.deepEqual(log.epochs.list(), [e(0, 0), e(3, 12), e(4, 24)]);
  assert.equal(readFileSync(file, 'utf8'), '0\n3\n0 0\n3 12\n4 24\n');
  assert.ok(log.segments.length > 2, 'the test needs several segments');
  log.truncateTo(20);
  assert.deepEqual(log.epochs.list(), [e(0, 0), e(3, 12)]);
  assert.deepEqual(log.epochs.endOffsetFor(3, log.logEndOffset), { epoch: 3, endOffset: 18 });
  log.deleteRecordsBefore(6);
  assert.deepEqual(log.epochs.list(), [e(0, 6), e(3, 12)]);
  assert.equal(readFileSync(file, 'utf8'), '0\n2\n0 6\n3 12\n');
  appendAt(log, 7);
  assert.deepEqual(log.epochs.endOffsetFor(5, log.logEndOffset), { epoch: 3, endOffset: 18 });
  log.truncateFullyAndStartAt(100);
  assert.deepEqual(log.epochs.list(), []);
  log.close();
});

test('PartitionLog: retention moves the first entry to the new log start', (t) => {
  const dir = tempDir(t);
  let now = 10_000;
  const log = PartitionLog.open(dir, cfg({ retentionBytes: 700 }), { logger: silent, clock: () => now });
  for (let i = 0; i < 6; i++) appendAt(log, 1);
  for (let i = 0; i < 6; i++) appendAt(log, 2);
  now += 1;
  const deleted = log.applyRetention(now);
  assert.ok(deleted.length > 0, 'retention.bytes must delete a segment');
  assert.equal(log.epochs.earliestEntry()!.startOffset, log.logStartOffset);
  assert.equal(log.epochs.latestEpoch(), 2);
  log.close();
});

test('PartitionLog: a missing, stale or malformed checkpoint is rebuilt from the log on load', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg(), { logger: silent });
  for (const epoch of [0, 0, 0, 2, 2, 2, 2, 5, 5]) appendAt(log, epoch);
  const expected = [e(0, 0), e(2, 9), e(5, 21)];
  assert.deepEqual(log.epochs.list(), expected);
  log.close();
  const file = join(dir, LEADER_EPOCH_CHECKPOINT);

  unlinkSync(file);
  log = PartitionLog.open(dir, cfg(), { logger: silent, cleanShutdown: true });
  assert.deepEqual(log.epochs.list(), expected, 'missing: rebuilt from batch headers');
  assert.equal(readFileSync(file, 'utf8'), formatEpochCheckpoint(expected));
  log.close();

  writeFileSync(file, '0\n5\n0 0\n2 9\n5 21\n6 40\n7 41\n');
  log = PartitionLog.open(dir, cfg(), { logger: silent, cleanShutdown: true });
  assert.deepEqual(log.epochs.list(), expected, 'entries beyond the log end are cut');
  log.close();

  writeFileSync(file, 'garbage\n');
  log = PartitionLog.open(dir, cfg(), { logger: silent, cleanShutdown: true });
  assert.deepEqual(log.epochs.list(), expected, 'malformed: rebuilt');
  log.close();

  // A crash after the log got a batch of a new epoch but before the checkpoint did: recovery rebuilds.
  writeFileSync(file, formatEpochCheckpoint([e(0, 0), e(2, 9)]));
  log = PartitionLog.open(dir, cfg(), { logger: silent, recoveryPoint: 0 });
  assert.deepEqual(log.epochs.list(), expected, 'lagging after a crash: rebuilt');
  log.close();
});

test('PartitionLog: a disk failure writing the checkpoint takes the log offline before the batch is written', (t) => {
  const dir = tempDir(t);
  let log = PartitionLog.open(dir, cfg(), { logger: silent });
  appendAt(log, 0);
  t.after(() => {
    ioFaults.before = undefined;
  });
  ioFaults.before = (op) => {
    if (op === 'fsync') throw errnoError('EIO', 'simulated');
  };
  assert.throws(
    () => appendAt(log, 1),
    (e: unknown) => e instanceof StorageError && e.code === ErrorCode.KAFKA_STORAGE_ERROR,
  );
  ioFaults.before = undefined;
  assert.equal(log.isOffline, true);
  assert.throws(
    () => log.epochs,
    (e: unknown) => e instanceof StorageError,
  );
  log.close();
  log = PartitionLog.open(dir, cfg(), { logger: silent, recoveryPoint: 0 });
  assert.equal(log.logEndOffset, 3, 'the batch of the new epoch was never written');
  assert.deepEqual(log.epochs.list(), [e(0, 0)]);
  appendAt(log, 1);
  assert.deepEqual(log.epochs.list(), [e(0, 0), e(1, 3)]);
  log.close();
});
