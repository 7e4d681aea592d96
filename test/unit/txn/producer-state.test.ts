// Producer state through a real Partition on a real PartitionLog: sequence checks, duplicates answered with their
// original offsets, epochs, transactions (LSO, markers, aborted index) and recovery from snapshots and the log.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Partition } from '../../../src/broker/partition.ts';
import { toLogConfig } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.ts';
import { batches, buildBatch } from '../../../src/records/index.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { createLogger } from '../../../src/util/log.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string, overrides: Record<string, string> = {}, clean = true) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'pstate-'));
  if (!dir) dirs.push(d);
  const cfg = resolveTopicConfig(loadBrokerConfig({ env: {} }), overrides);
  const log = PartitionLog.open(d, toLogConfig(cfg), { cleanShutdown: clean });
  const p = new Partition({ topic: 't', topicId: 'id', index: 0, log, leaderEpoch: 0, config: cfg, logger });
  return { dir: d, p, log };
}

function batch(pid: number, epoch: number, seq: number, count = 1, txn = false): Buffer {
  return buildBatch({
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    isTransactional: txn,
    records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${seq + i}`) })),
  });
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  return ErrorCode.NONE;
}

function offsetsOf(p: Partition, readCommitted = false): number[] {
  const r = p.read(0, 1 << 20, true, 2, readCommitted);
  return [...batches(r.records)].filter((b) => !b.header.isControl).map((b) => b.header.baseOffset);
}

describe('producer state', () => {
  test('in-sequence batches append; a retried duplicate of any of the last five answers its original offset', () => {
    const { p } = open();
    const now = Date.now();
    const bases: number[] = [];
    for (let i = 0; i < 6; i++) bases.push(p.appendAsLeader(batch(7, 0, i * 2, 2), now).baseOffset);
    assert.deepEqual(bases, [0, 2, 4, 6, 8, 10]);
    for (let i = 1; i < 6; i++) assert.equal(p.appendAsLeader(batch(7, 0, i * 2, 2), now).baseOffset, bases[i]);
    assert.equal(p.log.logEndOffset, 12, 'duplicates were not appended');
    // The oldest batch is beyond the five retained: it is out of order now.
    assert.equal(
      code(() => p.appendAsLeader(batch(7, 0, 0, 2), now)),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
  });

  test('gaps are OUT_OF_ORDER_SEQUENCE_NUMBER; old epochs INVALID_PRODUCER_EPOCH; a new epoch starts at 0', () => {
    const { p } = open();
    const now = Date.now();
    p.appendAsLeader(batch(1, 0, 0), now);
    assert.equal(
      code(() => p.appendAsLeader(batch(1, 0, 2), now)),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    p.appendAsLeader(batch(1, 1, 0), now);
    assert.equal(
      code(() => p.appendAsLeader(batch(1, 0, 1), now)),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    assert.equal(
      code(() => p.appendAsLeader(batch(1, 2, 5), now)),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    // An unknown producer may start anywhere (state expired), and the sequence wraps at Int32.MAX.
    p.appendAsLeader(batch(2, 0, 0x7fffffff), now);
    p.appendAsLeader(batch(2, 0, 0), now);
  });

  test('expired producers are forgotten', () => {
    const { p } = open();
    p.appendAsLeader(batch(3, 0, 0), Date.now());
    assert.equal(p.expireProducers(Date.now() + 10_000, 60_000), 0);
    assert.equal(p.expireProducers(Date.now() + 120_000, 60_000), 1);
    assert.equal(p.producers.get(3), undefined);
  });

  test('open transactions hold the LSO; aborted data is listed for read_committed', () => {
    const { p } = open();
    const now = Date.now();
    p.appendAsLeader(batch(1, 0, 0, 1, true), now); // 0
    p.appendAsLeader(batch(9, 0, 0), now); // 1 non-transactional
    assert.equal(p.lastStableOffset, 0);
    assert.deepEqual(offsetsOf(p, true), []);
    assert.deepEqual(offsetsOf(p, false), [0, 1]);
    p.appendMarker('ABORT', 1, 0, 0, 1, now); // 2
    assert.equal(p.lastStableOffset, 3);
    const r = p.read(0, 1 << 20, true, 2, true);
    assert.deepEqual(
      r.abortedTransactions?.map((a) => [a.producerId, a.firstOffset]),
      [[1, 0]],
    );
    p.appendAsLeader(batch(1, 0, 1, 1, true), now); // 3
    p.appendMarker('COMMIT', 1, 0, 0, 1, now); // 4
    assert.equal(p.lastStableOffset, 5);
    assert.deepEqual(p.read(3, 1 << 20, true, 2, true).abortedTransactions, []);
    // A non-transactional write while a transaction is open is refused.
    p.appendAsLeader(batch(1, 0, 2, 1, true), now);
    assert.equal(
      code(() => p.appendAsLeader(batch(1, 0, 3, 1, false), now)),
      ErrorCode.INVALID_TXN_STATE,
    );
    // A marker with an older epoch is refused.
    assert.equal(
      code(() => p.appendMarker('COMMIT', 1, -1, 0, 1, now)),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    // KIP-1228: a transaction-version-2 marker must carry an epoch above the producer's (the coordinator bumps it
    // before every marker); at the same epoch it is a zombie's or a stale retry's, refused. Version 1 accepts it.
    assert.equal(
      code(() => p.appendMarker('COMMIT', 1, 0, 0, 2, now)),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    p.appendMarker('COMMIT', 1, 1, 0, 2, now);
    assert.equal(p.lastStableOffset, p.log.logEndOffset);
  });

  test('state survives a clean restart (snapshot) and an unclean one (replay), aborted index included', () => {
    const a = open();
    const now = Date.now();
    a.p.appendAsLeader(batch(5, 0, 0, 3), now);
    a.p.appendAsLeader(batch(6, 0, 0, 1, true), now);
    a.p.appendMarker('ABORT', 6, 0, 0, 1, now);
    a.p.appendAsLeader(batch(6, 0, 1, 1, true), now); // open at offset 5
    a.p.snapshotProducers();
    a.p.appendAsLeader(batch(5, 0, 3, 2), now); // after the snapshot: found by replay
    a.log.close();
    assert.ok(readdirSync(a.dir).some((n) => n.endsWith('.snapshot')));
    assert.ok(readdirSync(a.dir).some((n) => n.endsWith('.txnindex')));
    for (const clean of [true, false]) {
      const b = open(a.dir, {}, clean);
      assert.equal(b.p.appendAsLeader(batch(5, 0, 3, 2), now).baseOffset, 6, 'duplicate after restart');
      assert.equal(b.p.log.logEndOffset, 8);
      assert.equal(b.p.lastStableOffset, 5);
      assert.deepEqual(
        b.p.read(0, 1 << 20, true, 2, true).abortedTransactions?.map((x) => x.firstOffset),
        [3],
      );
      b.log.close({ flush: false });
    }
    // Without any snapshot the whole log is replayed.
    for (const n of readdirSync(a.dir)) if (n.endsWith('.snapshot')) rmSync(join(a.dir, n));
    const c = open(a.dir, {}, false);
    assert.equal(c.p.appendAsLeader(batch(5, 0, 0, 3), now).baseOffset, 0);
    assert.equal(
      code(() => c.p.appendAsLeader(batch(5, 0, 9, 1), now)),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    c.log.close({ flush: false });
    assert.ok(existsSync(a.dir));
  });

  test('a segment roll writes a snapshot at the new segment base', () => {
    const { p, dir } = open(undefined, { 'segment.bytes': '200' });
    const now = Date.now();
    for (let i = 0; i < 6; i++) p.appendAsLeader(batch(4, 0, i * 2, 2), now);
    assert.ok(p.log.segments.length > 1);
    const snaps = readdirSync(dir).filter((n) => n.endsWith('.snapshot'));
    assert.ok(snaps.length >= 1 && snaps.length <= 2, `snapshots: ${snaps}`);
  });
});
