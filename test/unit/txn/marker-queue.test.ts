import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type MarkerJob,
  MarkerQueue,
  type MarkerResult,
  type MarkerSend,
} from '../../../src/coordinator/transaction/marker-queue.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

function job(partitions: Array<[string, number]>, producerId = 1): MarkerJob {
  return {
    producerId,
    producerEpoch: 0,
    commit: true,
    transactionVersion: 0,
    coordinatorEpoch: 1,
    txnPartition: 0,
    partitions: partitions.map(([topic, partition]) => ({ topic, partition })),
  };
}

function answer(send: MarkerSend, code: (topic: string, partition: number) => number): MarkerResult[] {
  return send.entries.flatMap((e) =>
    e.partitions.map((tp) => ({
      jobId: e.jobId,
      topic: tp.topic,
      partition: tp.partition,
      errorCode: code(tp.topic, tp.partition),
    })),
  );
}

test('markers are batched per leader; the job completes only when every leader acknowledged', () => {
  const q = new MarkerQueue(100);
  const leaders: Record<string, number> = { 't-0': 1, 't-1': 2, 't-2': 1 };
  const id = q.add(
    job([
      ['t', 0],
      ['t', 1],
      ['t', 2],
    ]),
  );
  const { sends, events } = q.poll(0, (tp) => leaders[`${tp.topic}-${tp.partition}`]);
  assert.deepEqual(events.completed, []);
  assert.deepEqual(sends.map((s) => s.broker).sort(), [1, 2]);
  const to1 = sends.find((s) => s.broker === 1)!;
  assert.deepEqual(
    to1.entries[0]!.partitions.map((p) => p.partition),
    [0, 2],
  );
  // Nothing more goes to a broker with a request in flight.
  assert.equal(q.poll(0, () => 1).sends.length, 0);
  assert.deepEqual(
    q.onResponse(
      to1,
      answer(to1, () => ErrorCode.NONE),
      1,
    ).completed,
    [],
  );
  const to2 = sends.find((s) => s.broker === 2)!;
  assert.deepEqual(
    q.onResponse(
      to2,
      answer(to2, () => ErrorCode.NONE),
      1,
    ).completed,
    [id],
  );
  assert.equal(q.pendingJobs, 0);
});

test('NOT_LEADER_OR_FOLLOWER and a lost connection send the marker again, to the new leader, after the backoff', () => {
  const q = new MarkerQueue(100);
  let leader = 1;
  const id = q.add(job([['t', 0]]));
  const s1 = q.poll(0, () => leader).sends[0]!;
  assert.equal(s1.broker, 1);
  q.onResponse(
    s1,
    answer(s1, () => ErrorCode.NOT_LEADER_OR_FOLLOWER),
    10,
  );
  leader = 2;
  assert.equal(q.poll(50, () => leader).sends.length, 0, 'backing off');
  assert.equal(q.nextRetryAt(), 110);
  const s2 = q.poll(110, () => leader).sends[0]!;
  assert.equal(s2.broker, 2);
  q.onSendFailed(s2, 120);
  const s3 = q.poll(220, () => leader).sends[0]!;
  assert.equal(s3.broker, 2);
  assert.deepEqual(
    q.onResponse(
      s3,
      answer(s3, () => ErrorCode.NONE),
      230,
    ).completed,
    [id],
  );
});

test('no leader: the marker waits; a deleted partition needs no marker', () => {
  const q = new MarkerQueue(100);
  const id = q.add(
    job([
      ['t', 0],
      ['gone', 0],
    ]),
  );
  let leader = -1;
  const r = q.poll(0, (tp) => (tp.topic === 'gone' ? undefined : leader));
  assert.equal(r.sends.length, 0);
  assert.deepEqual(r.events.completed, []);
  leader = 3;
  const s = q.poll(1, () => leader).sends[0]!;
  assert.equal(s.broker, 3);
  assert.deepEqual(
    q.onResponse(
      s,
      answer(s, () => ErrorCode.NONE),
      2,
    ).completed,
    [id],
  );
});

test("a fenced answer abandons the job; cancel drops a moved partition's jobs and ignores late answers", () => {
  const q = new MarkerQueue(100);
  const a = q.add(
    job([
      ['t', 0],
      ['t', 1],
    ]),
  );
  const sends = q.poll(0, (tp) => tp.partition + 1).sends;
  const s0 = sends.find((s) => s.broker === 1)!;
  const ev = q.onResponse(
    s0,
    answer(s0, () => ErrorCode.PRODUCER_FENCED),
    1,
  );
  assert.deepEqual(ev.abandoned, [a]);
  assert.equal(q.has(a), false);
  const s1 = sends.find((s) => s.broker === 2)!;
  assert.deepEqual(
    q.onResponse(
      s1,
      answer(s1, () => ErrorCode.NONE),
      2,
    ),
    { completed: [], abandoned: [], failed: [] },
  );

  const b = q.add({ ...job([['t', 0]]), txnPartition: 7 });
  const sb = q.poll(3, () => 1).sends[0]!;
  assert.deepEqual(
    q.cancel((j) => j.txnPartition === 7),
    [b],
  );
  assert.deepEqual(
    q.onResponse(
      sb,
      answer(sb, () => ErrorCode.NONE),
      4,
    ).completed,
    [],
  );
  assert.equal(q.pendingJobs, 0);
});

test('a partition that can never take a marker is reported and does not block the job', () => {
  const q = new MarkerQueue(100);
  const id = q.add(job([['t', 0]]));
  const s = q.poll(0, () => 1).sends[0]!;
  const ev = q.onResponse(
    s,
    answer(s, () => ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT),
    1,
  );
  assert.deepEqual(ev.completed, [id]);
  assert.equal(ev.failed[0]!.errorCode, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
});

// Simulation: leaders move, brokers answer NOT_LEADER when they do not lead, connections drop, answers are delayed
// and reordered across brokers. Checked: one request in flight per broker; a job completes only when each of its
// partitions was acknowledged by the broker leading it at that moment; once the network heals, every job completes.
test('simulated leader moves and failures: every job completes, each marker acknowledged by a leader', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      let s = seed;
      const rand = (n: number) => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return (s >>> 8) % n;
      };
      const brokers = 3;
      const parts = 6;
      const leaders = Array.from({ length: parts }, (_, i) => i % brokers);
      const q = new MarkerQueue(10);
      const acked = new Map<number, Set<number>>();
      const wanted = new Map<number, number[]>();
      const completed = new Set<number>();
      const inFlight: MarkerSend[] = [];
      let now = 0;
      const ack = (jobId: number, partition: number) => {
        const set = acked.get(jobId) ?? new Set<number>();
        acked.set(jobId, set);
        set.add(partition);
      };
      const check = (ev: { completed: number[]; abandoned: number[]; failed: unknown[] }) => {
        assert.equal(ev.abandoned.length + ev.failed.length, 0);
        for (const id of ev.completed) {
          assert.ok(!completed.has(id), 'completed twice');
          for (const p of wanted.get(id)!) assert.ok(acked.get(id)?.has(p), `job ${id} completed before ${p} acked`);
          completed.add(id);
        }
      };
      for (let step = 0; step < 300; step++) {
        now += rand(5);
        const heal = step >= 200;
        const r = rand(10);
        if (r === 0 && step < 150) {
          const ps = [...new Set(Array.from({ length: 1 + rand(4) }, () => rand(parts)))];
          const id = q.add(job(ps.map((p) => ['t', p] as [string, number])));
          wanted.set(id, ps);
        } else if (r === 1 && !heal) {
          leaders[rand(parts)] = rand(4) - 1; // -1: no leader for a while
        } else if (r <= 4 && inFlight.length > 0) {
          const send = inFlight.splice(rand(inFlight.length), 1)[0]!;
          if (!heal && rand(5) === 0) q.onSendFailed(send, now);
          else {
            const res = answer(send, (_t, p) =>
              leaders[p] === send.broker ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER,
            );
            for (const x of res)
              if (x.errorCode === ErrorCode.NONE) {
                ack(x.jobId, x.partition);
              }
            check(q.onResponse(send, res, now));
          }
        } else {
          if (heal) for (let p = 0; p < parts; p++) if (leaders[p]! < 0) leaders[p] = p % brokers;
          const { sends, events } = q.poll(now, (tp) => leaders[tp.partition]);
          check(events);
          for (const x of sends) {
            assert.ok(!inFlight.some((f) => f.broker === x.broker), 'two requests in flight to one broker');
            inFlight.push(x);
          }
        }
      }
      // Heal fully and drain.
      for (let p = 0; p < parts; p++) if (leaders[p]! < 0) leaders[p] = 0;
      for (let round = 0; round < 200 && q.pendingJobs > 0; round++) {
        now += 20;
        for (const send of inFlight.splice(0)) {
          const res = answer(send, (_t, p) =>
            leaders[p] === send.broker ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER,
          );
          for (const x of res)
            if (x.errorCode === ErrorCode.NONE) {
              ack(x.jobId, x.partition);
            }
          check(q.onResponse(send, res, now));
        }
        const { sends, events } = q.poll(now, (tp) => leaders[tp.partition]);
        check(events);
        inFlight.push(...sends);
      }
      assert.equal(q.pendingJobs, 0, 'jobs left after the network healed');
      assert.equal(completed.size, wanted.size);
    }),
    { numRuns: 200 },
  );
});
