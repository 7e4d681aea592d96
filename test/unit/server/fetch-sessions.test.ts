// Fetch sessions (KIP-227): the broker's cache (server/fetch-sessions.ts) and the replica fetcher's side
// (replication/fetch-session.ts), alone and together. Together, over random runs of appends, HW moves, partitions
// added and dropped, lost answers and evicted sessions, the fetcher always knows every partition's current HW and
// gets every record, while idle partitions are neither sent nor answered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { FetchSessionClient, type PartitionFetchData } from '../../../src/replication/fetch-session.ts';
import {
  FetchSessionCache,
  MIN_EVICTION_MS,
  type PartitionAnswerSummary,
  type SessionPartition,
} from '../../../src/server/fetch-sessions.ts';

function req(partition: number, fetchOffset: number, topicId = 'T'): SessionPartition {
  return {
    topicId,
    topic: '',
    partition,
    fetchOffset,
    maxBytes: 1000,
    currentLeaderEpoch: 0,
    lastFetchedEpoch: -1,
    logStartOffset: -1,
    highWatermark: -1,
    lastStableOffset: -1,
    localLogStartOffset: -1,
  };
}

function answer(hw: number, bytes = 0, errorCode = 0): PartitionAnswerSummary {
  return {
    errorCode,
    highWatermark: hw,
    lastStableOffset: hw,
    logStartOffset: 0,
    recordBytes: bytes,
    diverging: false,
    preferredReadReplica: -1,
  };
}

const data = (partition: number, fetchOffset: number): PartitionFetchData => ({
  topicId: 'T',
  partition,
  fetchOffset,
  currentLeaderEpoch: 0,
  lastFetchedEpoch: -1,
  logStartOffset: 0,
  maxBytes: 1000,
});

describe('FetchSessionCache', () => {
  const open = (cache: FetchSessionCache, parts: SessionPartition[], privileged = false) => {
    const ctx = cache.newContext({
      sessionId: 0,
      sessionEpoch: 0,
      privileged,
      usesTopicIds: true,
      partitions: parts,
      forgotten: [],
    });
    assert.equal(ctx.kind, 'full');
    return cache.createSession(
      privileged,
      true,
      parts,
      parts.map(() => answer(5)),
    );
  };

  test('a full fetch opens a session; incremental fetches read all and answer only what changed', () => {
    let now = 0;
    const cache = new FetchSessionCache({ maxSlots: () => 10, clock: () => now });
    const id = open(cache, [req(0, 5), req(1, 5), req(2, 5)]);
    assert.ok(id > 0);
    assert.equal(cache.size, 1);
    assert.equal(cache.partitionsCached, 3);
    now = 10;
    const ctx = cache.newContext({
      sessionId: id,
      sessionEpoch: 1,
      privileged: false,
      usesTopicIds: true,
      partitions: [],
      forgotten: [],
    });
    assert.equal(ctx.kind, 'incremental');
    if (ctx.kind !== 'incremental') return;
    assert.deepEqual(
      ctx.partitions.map((p) => p.partition),
      [0, 1, 2],
    );
    // Partition 1 has records, 2's HW moved, 0 is idle.
    const kept = ctx.partitions.map((p, i) => cache.respond(id, p, i === 1 ? answer(5, 100) : answer(i === 2 ? 6 : 5)));
    assert.deepEqual(kept, [false, true, true]);
    // Answered partitions rotate to the end.
    const next = cache.newContext({
      sessionId: id,
      sessionEpoch: 2,
      privileged: false,
      usesTopicIds: true,
      partitions: [req(1, 7)],
      forgotten: [{ topicId: 'T', partition: 2, topic: '' }],
    });
    assert.equal(next.kind, 'incremental');
    if (next.kind !== 'incremental') return;
    assert.deepEqual(
      next.partitions.map((p) => [p.partition, p.fetchOffset]),
      [
        [0, 5],
        [1, 7],
      ],
    );
    // An error is always answered, and the partition is answered again when it clears.
    assert.equal(cache.respond(id, next.partitions[0]!, answer(5, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER)), true);
    assert.equal(cache.respond(id, next.partitions[0]!, answer(5)), true);
    assert.equal(cache.respond(id, next.partitions[0]!, answer(5)), false);
  });

  test('wrong epoch, unknown id, topic-id mismatch, final epoch', () => {
    const cache = new FetchSessionCache({ maxSlots: () => 10, clock: () => 0 });
    const id = open(cache, [req(0, 0)]);
    const base = { privileged: false, usesTopicIds: true, partitions: [], forgotten: [] };
    const bad = cache.newContext({ ...base, sessionId: id, sessionEpoch: 2 });
    assert.equal(bad.kind === 'error' && bad.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    const unknown = cache.newContext({ ...base, sessionId: id + 1, sessionEpoch: 1 });
    assert.equal(unknown.kind === 'error' && unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const names = cache.newContext({ ...base, usesTopicIds: false, sessionId: id, sessionEpoch: 1 });
    assert.equal(names.kind === 'error' && names.errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    assert.equal(cache.newContext({ ...base, sessionId: id, sessionEpoch: 1 }).kind, 'incremental');
    // Epoch -1 closes it: a sessionless full fetch.
    assert.equal(cache.newContext({ ...base, sessionId: id, sessionEpoch: -1 }).kind, 'sessionless');
    assert.equal(cache.size, 0);
  });

  test('a full cache evicts a stale session, or a smaller unprivileged one; followers evict consumers', () => {
    let now = 0;
    const cache = new FetchSessionCache({ maxSlots: () => 2, clock: () => now });
    const a = open(cache, [req(0, 0), req(1, 0)]);
    const b = open(cache, [req(0, 0), req(1, 0), req(2, 0)]);
    assert.ok(a > 0 && b > 0);
    // A consumer session no larger than the smallest one is not created.
    assert.equal(open(cache, [req(0, 0)]), 0);
    // A larger one evicts the smallest unprivileged session.
    const c = open(cache, [req(0, 0), req(1, 0), req(2, 0), req(3, 0)]);
    assert.ok(c > 0);
    assert.equal(cache.evictions, 1);
    // A follower's session evicts a consumer's whatever their sizes.
    const f = open(cache, [req(0, 0)], true);
    assert.ok(f > 0);
    const g = open(cache, [req(0, 0)], true);
    assert.ok(g > 0);
    // Now only privileged sessions: a consumer's evicts nothing until one has been unused for the eviction time.
    assert.equal(open(cache, [req(0, 0), req(1, 0), req(2, 0), req(3, 0), req(4, 0)]), 0);
    now = MIN_EVICTION_MS + 1;
    assert.ok(open(cache, [req(0, 0)]) > 0);
    assert.equal(cache.size, 2);
  });
});

describe('FetchSessionClient', () => {
  test('full, then only what changed; errors and resets go back to a full fetch', () => {
    const c = new FetchSessionClient();
    const p1 = c.plan([data(0, 0), data(1, 0)]);
    assert.equal(p1.full, true);
    assert.equal(p1.sessionEpoch, 0);
    c.onResponse(p1, 0, 77);
    const p2 = c.plan([data(0, 0), data(1, 3), data(2, 0)]);
    assert.deepEqual(
      [p2.full, p2.sessionId, p2.sessionEpoch, p2.toSend.map((d) => d.partition)],
      [false, 77, 1, [1, 2]],
    );
    c.onResponse(p2, 0, 77);
    const p3 = c.plan([data(1, 3), data(2, 0)]);
    assert.deepEqual([p3.sessionEpoch, p3.toSend.length, p3.toForget], [2, 0, [{ topicId: 'T', partition: 0 }]]);
    c.onResponse(p3, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0);
    const p4 = c.plan([data(1, 3)]);
    assert.deepEqual([p4.full, p4.sessionId, p4.sessionEpoch], [true, 77, 0], 'closes the old session, opens anew');
    c.onResponse(p4, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0);
    const p5 = c.plan([data(1, 3)]);
    assert.deepEqual([p5.full, p5.sessionId], [true, 0]);
    // A reset while a fetch is out: its answer does not revive the session.
    c.reset();
    c.onResponse(p5, 0, 9);
    assert.equal(c.plan([data(1, 3)]).full, true);
  });
});

describe('fetcher and broker sessions together', () => {
  test('the fetcher always learns every HW and every record; idle partitions cost nothing', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), p: fc.nat(7), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('hw' as const), p: fc.nat(7) }),
      fc.record({ kind: fc.constant('toggle' as const), p: fc.nat(7) }),
      fc.record({ kind: fc.constant('lose' as const) }),
      fc.record({ kind: fc.constant('evict' as const) }),
      fc.record({ kind: fc.constant('idle' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let now = 0;
        let cache = new FetchSessionCache({ maxSlots: () => 4, clock: () => now });
        const client = new FetchSessionClient();
        const leo = Array(8).fill(0); // the leader's log end per partition
        const hw = Array(8).fill(0); // the leader's HW
        const fetched = Array(8).fill(0); // the fetcher's log end
        const knownHw = Array(8).fill(-1); // the HW the fetcher last heard
        const active = new Set([0, 1, 2, 3, 4, 5, 6, 7]);
        const round = (lose: boolean) => {
          now += 1;
          const plan = client.plan([...active].sort().map((p) => data(p, fetched[p])));
          const ctx = cache.newContext({
            sessionId: plan.sessionId,
            sessionEpoch: plan.sessionEpoch,
            privileged: true,
            usesTopicIds: true,
            partitions: plan.toSend.map((d) => req(d.partition, d.fetchOffset)),
            forgotten: plan.toForget.map((f) => ({ ...f, topic: '' })),
          });
          if (ctx.kind === 'error') {
            client.onResponse(plan, ctx.errorCode, 0);
            return;
          }
          if (ctx.kind === 'incremental') assert.ok(plan.toSend.every((d) => fetched[d.partition] !== undefined));
          // Read: each partition returns what the leader has beyond the fetch offset.
          const answers = ctx.partitions.map((p) => answer(hw[p.partition], leo[p.partition] - p.fetchOffset));
          let carried = ctx.partitions.map((_, i) => i);
          let sessionId = 0;
          if (ctx.kind === 'full') sessionId = cache.createSession(true, true, ctx.partitions, answers);
          else if (ctx.kind === 'incremental') {
            sessionId = ctx.sessionId;
            carried = carried.filter((i) => cache.respond(ctx.sessionId, ctx.partitions[i]!, answers[i]!));
          }
          if (lose) {
            client.reset();
            return;
          }
          client.onResponse(plan, ErrorCode.NONE, sessionId);
          for (const i of carried) {
            const p = ctx.partitions[i]!.partition;
            if (!active.has(p)) continue;
            fetched[p] = leo[p];
            knownHw[p] = hw[p];
          }
        };
        for (const o of ops) {
          if (o.kind === 'append') leo[o.p] += o.n;
          else if (o.kind === 'hw') hw[o.p] = leo[o.p];
          else if (o.kind === 'toggle') {
            if (active.has(o.p)) active.delete(o.p);
            else {
              active.add(o.p);
              knownHw[o.p] = -1;
            }
          } else if (o.kind === 'evict') cache = new FetchSessionCache({ maxSlots: () => 4, clock: () => now });
          round(o.kind === 'lose');
          if (o.kind !== 'lose') round(false);
          if (o.kind === 'lose' || o.kind === 'evict') continue;
          for (const p of active) {
            assert.equal(fetched[p], leo[p], `partition ${p} fetched to the log end`);
            assert.equal(knownHw[p], hw[p], `partition ${p}: the fetcher knows the HW`);
          }
        }
        // Quiet: nothing changes, so an incremental fetch sends and gets no partition.
        round(false);
        round(false);
        const plan = client.plan([...active].sort().map((p) => data(p, fetched[p])));
        if (!plan.full) assert.equal(plan.toSend.length, 0);
      }),
      { numRuns: 300 },
    );
  });
});
