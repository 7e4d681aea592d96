// The checker on crafted histories: a clean one passes, and each rule fails on a history that breaks it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, formatReport, RULES, type Rule } from './checker.ts';
import type { FinalEvent, HistoryEvent } from './history.ts';

const final = (
  topic: string,
  partition: number,
  records: Array<[number, string]>,
  high: number,
  isolation: FinalEvent['isolation'] = 'read_uncommitted',
): FinalEvent => ({ type: 'final', t: 100, isolation, topic, partition, logStart: 0, high, records });

/** A clean run: two producers on `in`, the job copying `in` to `out` in two transactions (one aborted, retried). */
function good(): HistoryEvent[] {
  return [
    {
      type: 'run',
      seed: 1,
      topics: { in: { partitions: 1, transactional: false }, out: { partitions: 1, transactional: true } },
      ctp: { input: 'in', output: 'out' },
    },
    { type: 'fault', t: 1, cycle: 0, kind: 'kill9-restart', phase: 'inject', target: 'broker-0' },
    { type: 'ack', t: 2, proc: 'a', topic: 'in', partition: 0, offset: 0, value: 'a:0' },
    { type: 'ack', t: 2, proc: 'b', topic: 'in', partition: 0, offset: 1, value: 'b:0' },
    { type: 'fail', t: 3, proc: 'a', topic: 'in', value: 'a:1', error: 'timed out' },
    { type: 'ack', t: 4, proc: 'a', topic: 'in', partition: 0, offset: 3, value: 'a:2' },
    { type: 'fault', t: 5, cycle: 0, kind: 'kill9-restart', phase: 'heal', target: 'broker-0' },
    {
      type: 'read',
      t: 5,
      proc: 'g1',
      isolation: 'read_uncommitted',
      topic: 'in',
      partition: 0,
      offset: 1,
      value: 'b:0',
    },
    { type: 'committed', t: 5, t0: 5, proc: 'g1', group: 'g', topic: 'in', partition: 0, offset: -1 },
    { type: 'commit', t: 6, t0: 6, proc: 'g1', group: 'g', topic: 'in', partition: 0, offset: 2 },
    { type: 'committed', t: 8, t0: 7, proc: 'g2', group: 'g', topic: 'in', partition: 0, offset: 2 },
    { type: 'commit', t: 9, t0: 9, proc: 'g2', group: 'g', topic: 'in', partition: 0, offset: 4 },
    { type: 'txn', t: 10, proc: 'ctp', txn: 't1', outcome: 'abort', records: 2 },
    { type: 'txn', t: 11, proc: 'ctp', txn: 't2', outcome: 'commit', records: 4 },
    {
      type: 'read',
      t: 12,
      proc: 'rc',
      isolation: 'read_committed',
      topic: 'out',
      partition: 0,
      offset: 3,
      value: 't2|a:0',
    },
    { type: 'ctp-done', t: 13, proc: 'ctp', drained: true, transactions: 2, restarts: 0 },
    // a:1 failed but was written after all (unknown outcome: allowed).
    final(
      'in',
      0,
      [
        [0, 'a:0'],
        [1, 'b:0'],
        [2, 'a:1'],
        [3, 'a:2'],
      ],
      4,
    ),
    final(
      'out',
      0,
      [
        [0, 't1|a:0'],
        [1, 't1|b:0'],
        // 2: abort marker
        [3, 't2|a:0'],
        [4, 't2|b:0'],
        [5, 't2|a:1'],
        [6, 't2|a:2'],
        // 7: commit marker
      ],
      8,
    ),
    final(
      'out',
      0,
      [
        [3, 't2|a:0'],
        [4, 't2|b:0'],
        [5, 't2|a:1'],
        [6, 't2|a:2'],
      ],
      8,
      'read_committed',
    ),
  ];
}

function only(rule: Rule, h: HistoryEvent[]): void {
  const r = check(h);
  assert.equal(r.ok, false, `rule ${rule} must fail`);
  assert.ok(r.counts[rule] > 0, `rule ${rule} fired: ${JSON.stringify(r.violations)}`);
  for (const other of RULES)
    if (other !== rule)
      assert.equal(r.counts[other], 0, `only ${rule} fires, not ${other}: ${JSON.stringify(r.violations)}`);
}

/** Replaces the final read_uncommitted log of in-0. */
function withInLog(records: Array<[number, string]>, high: number): HistoryEvent[] {
  return good().map((e) => (e.type === 'final' && e.topic === 'in' ? final('in', 0, records, high) : e));
}

test('a clean history passes, and the report shows the faults', () => {
  const r = check(good());
  assert.deepEqual(r.violations, []);
  assert.equal(r.ok, true);
  assert.equal(r.stats.acked, 3);
  assert.deepEqual(r.stats.transactions, { commit: 1, abort: 1, unknown: 0 });
  const text = formatReport(r, 1);
  assert.match(text, /OK, no violations/);
  assert.match(text, /kill9-restart/);
});

test('lost: an acknowledged record missing, or at another offset', () => {
  // a:2 acknowledged at 3 is gone (and the copy no longer matches, so also drop it from the copy).
  const h = withInLog(
    [
      [0, 'a:0'],
      [1, 'b:0'],
      [2, 'a:1'],
    ],
    3,
  ).filter((e) => !(e.type === 'ack' && e.value === 'a:2'));
  assert.equal(check(h).ok, false); // the copy holds a:2 not in the input
  const h2 = withInLog(
    [
      [0, 'a:0'],
      [1, 'b:0'],
      [2, 'a:1'],
    ],
    3,
  );
  assert.ok(check(h2).counts.lost > 0);
  // Swapped offsets: both there, neither where it was acknowledged (the reader of offset 1 is left out).
  only(
    'lost',
    withInLog(
      [
        [0, 'b:0'],
        [1, 'a:0'],
        [2, 'a:1'],
        [3, 'a:2'],
      ],
      4,
    ).filter((e) => e.type !== 'read'),
  );
});

test('lost: an acknowledgement without an offset needs its record somewhere in the log', () => {
  const noOffset = (h: HistoryEvent[]) =>
    h.map((e) => (e.type === 'ack' && e.value === 'a:2' ? { ...e, offset: null } : e));
  assert.deepEqual(check(noOffset(good())).violations, [], 'a:2 is in the log: fine wherever it is');
  const gone = check(
    noOffset(
      withInLog(
        [
          [0, 'a:0'],
          [1, 'b:0'],
          [2, 'a:1'],
        ],
        3,
      ),
    ).filter((e) => !(e.type === 'read' && e.value === 'a:2')),
  );
  // (the copy of a:2 in `out` no longer matches an input either: ctp-exactly-once fires too)
  assert.deepEqual(
    gone.violations.filter((v) => v.rule === 'lost').map((v) => v.msg),
    ['in-0: a:2 (acknowledged by a, no offset) is not in the log'],
  );
});

test('duplicate: a value twice in a partition', () => {
  const h = withInLog(
    [
      [0, 'a:0'],
      [1, 'b:0'],
      [2, 'a:1'],
      [3, 'a:2'],
      [4, 'b:0'],
    ],
    5,
  );
  only('duplicate', h);
});

test('reorder: one producer out of send order', () => {
  const h = withInLog(
    [
      [0, 'a:0'],
      [1, 'b:0'],
      [2, 'a:1'],
      [3, 'a:2'],
      [4, 'a:1x'],
    ],
    5,
  ).map((e) =>
    e.type === 'final' && e.topic === 'in'
      ? { ...e, records: e.records.map(([o, v]) => [o, v === 'a:1x' ? 'a:0.5' : v] as [number, string]) }
      : e,
  );
  // a:0.5 is not in the copy; only judge the log rules here.
  const r = check(h);
  assert.ok(r.counts.reorder > 0, JSON.stringify(r.violations));
  assert.deepEqual(r.stats.reorderByProc, { a: 1 });
});

test('offset-gap: a hole in a topic without transactions, too many holes in a transactional one', () => {
  const r = check(
    withInLog(
      [
        [0, 'a:0'],
        [1, 'b:0'],
        [2, 'a:1'],
        [4, 'a:2'],
      ],
      5,
    ),
  );
  assert.ok(r.counts['offset-gap'] > 0);
  // The transactional topic: two transactions end, so at most two markers; three holes is one too many.
  const h = good().map((e) =>
    e.type === 'final' && e.topic === 'out' && e.isolation === 'read_uncommitted' ? { ...e, high: 9 } : e,
  );
  only('offset-gap', h);
});

test('read-not-in-log: a reader saw a record the log does not hold', () => {
  const h = good();
  h.push({
    type: 'read',
    t: 12,
    proc: 'g1',
    isolation: 'read_uncommitted',
    topic: 'in',
    partition: 0,
    offset: 3,
    value: 'b:7',
  });
  only('read-not-in-log', h);
});

test('commit-regress: a commit going back, or a fetch older than an acknowledged commit', () => {
  const h = good();
  h.push({ type: 'commit', t: 20, t0: 19, proc: 'g1', group: 'g', topic: 'in', partition: 0, offset: 3 });
  only('commit-regress', h);
  const h2 = good();
  h2.push({ type: 'committed', t: 21, t0: 20, proc: 'g3', group: 'g', topic: 'in', partition: 0, offset: 2 });
  only('commit-regress', h2);
});

test('aborted-read: read_committed sees a record of an aborted transaction', () => {
  const h = good();
  h.push({
    type: 'read',
    t: 12,
    proc: 'rc',
    isolation: 'read_committed',
    topic: 'out',
    partition: 0,
    offset: 0,
    value: 't1|a:0',
  });
  only('aborted-read', h);
  // The same read under read_uncommitted is fine.
  const h2 = good();
  h2.push({
    type: 'read',
    t: 12,
    proc: 'ru',
    isolation: 'read_uncommitted',
    topic: 'out',
    partition: 0,
    offset: 0,
    value: 't1|a:0',
  });
  assert.equal(check(h2).ok, true);
});

test('ctp-exactly-once: an input missing from the committed copy, copied twice, or the job not drained', () => {
  const drop = good().map((e) =>
    e.type === 'final' && e.isolation === 'read_committed' ? { ...e, records: e.records.slice(0, 3) } : e,
  );
  only('ctp-exactly-once', drop);
  const twice = good().map((e) =>
    e.type === 'final' && e.isolation === 'read_committed'
      ? { ...e, records: [...e.records, [7, 't3|a:0'] as [number, string]] }
      : e,
  );
  only('ctp-exactly-once', twice);
  const undrained = good().map((e) => (e.type === 'ctp-done' ? { ...e, drained: false } : e));
  only('ctp-exactly-once', undrained);
});
