// Deterministic, seeded simulation of the share-partition state machine (src/coordinator/share/partition.ts) with a
// virtual clock: a producer appends to the log, share consumers acquire records, process them (slow ones past their
// lock), then ACCEPT, RELEASE or REJECT them; consumers crash and are removed after a session timeout; the coordinator
// fails over (its memory and unpersisted writes are lost, and the state is rebuilt from the persisted snapshot and
// updates). Writes complete in order and a reply leaves only once its write completed, as the runtime does.
// Invariants (test/sim/share-checks.ts): no record held by two members at once, none lost between the start and the
// end offset, REJECTed never redelivered, the delivery count limit holds; the state machine's own verify() runs after
// every step. The last tests run the simulation with a deliberate bug for each checker and expect it to fail.
// Run: ./node_modules/.bin/node --test test/sim/share-partition-sim.test.ts   (SIM_SEEDS=n for more seeds)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcknowledgeType as A, type AckBatch, SharePartition } from '../../src/coordinator/share/partition.ts';
import { combine, initialState, type ShareStateUpdate } from '../../src/coordinator/share/state.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { beginIncarnation, endIncarnation, guard, runChaos, runSeeds, Sim, type SimMemberBase } from './harness.ts';
import { ShareChecker } from './share-checks.ts';

const LOCK_MS = 3000;
const LIMIT = 3;
const MAX_LOCKS = 40;
const SESSION_MS = 4000;
const REQUEST_TIMEOUT_MS = 2000;

/** A deliberate bug, to show a checker fails: the machine's lock is shorter than the clients are promised; GAP is
 * sent where the client means RELEASE; RELEASE where it means REJECT; the machine's delivery limit is higher;
 * acquisitions are not persisted (a failover forgets their deliveries). */
type Bug = 'short-lock' | 'gap-as-release' | 'release-as-reject' | 'limit-plus-two' | 'unpersisted-acquire';

interface SimMember extends SimMemberBase {
  memberId: string;
  token: number;
}

interface Coordinator {
  sp: SharePartition;
  epoch: number;
  up: boolean;
}

export function runShareSim(
  seed: number,
  opts: { members: number; durationMs: number; calmMs: number; bug?: Bug },
): { redeliveries: number; failovers: number } {
  const sim = new Sim(seed);
  const { rnd, at, net } = sim;
  const bug = opts.bug;
  const config = {
    lockDurationMs: bug === 'short-lock' ? LOCK_MS / 2 : LOCK_MS,
    deliveryCountLimit: bug === 'limit-plus-two' ? LIMIT + 2 : LIMIT,
    maxRecordLocks: MAX_LOCKS,
  };
  const check = new ShareChecker(LIMIT, LOCK_MS);
  let logEnd = 0;
  let persisted = initialState(0);
  let redeliveries = 0;
  let failovers = 0;
  const coord: Coordinator = { sp: new SharePartition(0, config), epoch: 0, up: true };
  /** Writes in flight, in order; each completes at its time unless the coordinator fails over first. */
  let writeTail = 0;

  /** Persists `update` (if any) after the writes before it, then runs `done` (the reply and what it proves). */
  const persist = (update: ShareStateUpdate | undefined, done: () => void) => {
    const epoch = coord.epoch;
    writeTail = Math.max(writeTail, sim.now) + (update ? 1 + Math.floor(rnd() * 20) : 0);
    at(writeTail, () => {
      if (coord.epoch !== epoch || !coord.up) return;
      if (update) persisted = combine(persisted, update);
      done();
      check.startOffset(persisted.startOffset);
    });
  };

  /** After each step: invariants, persist the changes, arm the lock timer (one at a time, at the earliest lock
   * deadline). */
  let timerAt = Number.POSITIVE_INFINITY;
  const stepped = (done: () => void, acquiring = false) => {
    coord.sp.verify();
    const update = coord.sp.takeUpdate();
    persist(acquiring && bug === 'unpersisted-acquire' ? undefined : update, done);
    const next = coord.sp.nextLockDeadline();
    if (next < timerAt) {
      timerAt = next;
      const epoch = coord.epoch;
      at(Math.max(sim.now, next), () => {
        if (coord.epoch !== epoch || !coord.up || timerAt !== next) return;
        timerAt = Number.POSITIVE_INFINITY;
        coord.sp.expireLocks(sim.now);
        stepped(() => {});
      });
    }
  };

  /** Delivers a request to the coordinator after a network hop, if it is up (else it is lost). */
  const send = (fn: () => void) => {
    at(sim.now + net(), () => {
      if (coord.up) fn();
    });
  };

  const failover = () => {
    if (!coord.up) return;
    failovers++;
    coord.up = false;
    coord.epoch++;
    check.failover();
    at(sim.now + 200 + Math.floor(rnd() * 1300), () => {
      coord.sp = SharePartition.fromPersisted(persisted, config);
      timerAt = Number.POSITIVE_INFINITY;
      coord.up = true;
      stepped(() => {});
    });
  };

  const members: SimMember[] = Array.from({ length: opts.members }, (_, idx) => ({
    idx,
    memberId: '',
    token: 0,
    incarnation: 0,
    alive: false,
    slow: false,
  }));

  const fetch = (m: SimMember) => {
    const token = ++m.token;
    const memberId = m.memberId;
    const max = 1 + Math.floor(rnd() * 10);
    send(() => {
      const opAt = sim.now;
      const ranges = coord.sp.acquire(memberId, max, logEnd, opAt);
      stepped(() => {
        if (ranges.length > 0) check.acquired(memberId, ranges, opAt);
        for (const r of ranges) if (r.deliveryCount > 1) redeliveries += r.lastOffset - r.firstOffset + 1;
        at(
          sim.now + net(),
          guard(m, () => {
            if (m.token === token) work(m, ranges);
          }),
        );
      }, true);
    });
    at(
      sim.now + REQUEST_TIMEOUT_MS,
      guard(m, () => {
        if (m.token === token) fetch(m);
      }),
    );
  };

  const work = (m: SimMember, ranges: Array<{ firstOffset: number; lastOffset: number }>) => {
    if (ranges.length === 0) {
      at(
        sim.now + 50 + Math.floor(rnd() * 200),
        guard(m, () => fetch(m)),
      );
      return;
    }
    const busyMs = m.slow ? Math.floor(LOCK_MS * (0.5 + rnd())) : 20 + Math.floor(rnd() * 300);
    at(
      sim.now + busyMs,
      guard(m, () => acknowledge(m, ranges)),
    );
  };

  const acknowledge = (m: SimMember, ranges: Array<{ firstOffset: number; lastOffset: number }>) => {
    const meant: Array<{ offset: number; type: number }> = [];
    const batches: AckBatch[] = [];
    for (const r of ranges) {
      for (let o = r.firstOffset; o <= r.lastOffset; o++) {
        const x = rnd();
        const type = x < 0.7 ? A.ACCEPT : x < 0.85 ? A.RELEASE : A.REJECT;
        let sent: number = type;
        if (bug === 'gap-as-release' && type === A.RELEASE) sent = A.GAP;
        if (bug === 'release-as-reject' && type === A.REJECT) sent = A.RELEASE;
        meant.push({ offset: o, type });
        const last = batches[batches.length - 1];
        if (last && last.lastOffset + 1 === o && last.types[0] === sent) last.lastOffset = o;
        else batches.push({ firstOffset: o, lastOffset: o, types: [sent] });
      }
    }
    const token = ++m.token;
    const memberId = m.memberId;
    send(() => {
      const opAt = sim.now;
      const errors = coord.sp.acknowledge(memberId, batches, opAt);
      stepped(() => {
        batches.forEach((b, i) => {
          if (errors[i] !== ErrorCode.NONE) return;
          for (const x of meant)
            if (x.offset >= b.firstOffset && x.offset <= b.lastOffset) {
              check.acknowledged(memberId, x.offset, x.type, opAt);
            }
        });
        at(
          sim.now + net(),
          guard(m, () => {
            if (m.token === token) fetch(m);
          }),
        );
      });
    });
    at(
      sim.now + REQUEST_TIMEOUT_MS,
      guard(m, () => {
        if (m.token === token) fetch(m);
      }),
    );
  };

  const start = (m: SimMember) => {
    beginIncarnation(sim, m, 0.3);
    m.memberId = `m${m.idx}.${m.incarnation}`;
    fetch(m);
  };

  const crash = (m: SimMember) => {
    const memberId = m.memberId;
    endIncarnation(m);
    // The group coordinator removes the member once its session times out; its locks go with it.
    at(sim.now + SESSION_MS, () => {
      check.memberRemoved(memberId);
      if (!coord.up) return;
      coord.sp.releaseMember(memberId);
      stepped(() => {});
    });
  };

  const produce = () => {
    if (!sim.faults) return;
    logEnd += 1 + Math.floor(rnd() * 5);
    at(sim.now + 100 + Math.floor(rnd() * 200), produce);
  };
  at(0, produce);

  runChaos(sim, members, {
    durationMs: opts.durationMs,
    calmMs: opts.calmMs,
    start,
    chaos: [
      { below: 0.15, act: crash },
      { below: 0.25, act: () => failover() },
      { below: 0.4, act: (m) => (m.slow = !m.slow) },
    ],
  });
  check.finished(logEnd);
  return { redeliveries, failovers };
}

const base = { members: 5, durationMs: 30_000, calmMs: 40_000 };

test('share-partition simulation: no double lock, no loss, rejected stay rejected, delivery limit holds', () => {
  let failovers = 0;
  runSeeds('redeliveries', (seed) => {
    const r = runShareSim(seed, base);
    failovers += r.failovers;
    return r.redeliveries;
  });
  assert.ok(failovers > 0, 'the simulation failed the coordinator over');
});

/** Runs seeds with `bug` until one fails; returns its error message. */
function firstFailure(bug: Bug): string {
  for (let seed = 1; seed <= 30; seed++) {
    try {
      runShareSim(seed, { ...base, bug });
    } catch (e) {
      return (e as Error).message;
    }
  }
  return 'no failure';
}

test('each checker can fail: a broken machine or client is caught', () => {
  assert.match(firstFailure('short-lock'), /acquired by two members|not holding it/);
  assert.match(firstFailure('gap-as-release'), /lost/);
  assert.match(firstFailure('release-as-reject'), /rejected offset \d+ redelivered/);
  assert.match(firstFailure('limit-plus-two'), /over the delivery limit/);
  assert.match(
    firstFailure('unpersisted-acquire'),
    /handed out with delivery count \d+, not \d+|over the delivery limit/,
  );
});

test('the checker also catches an acknowledgement from a member not holding the record, and unfinished records', () => {
  const c = new ShareChecker(3, 1000);
  c.acquired('a', [{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }], 0);
  assert.throws(() => c.acknowledged('b', 0, A.ACCEPT, 10), /not holding it/);
  assert.throws(() => c.acknowledged('a', 0, A.ACCEPT, 1000), /not holding it/);
  c.acknowledged('a', 1, A.ACCEPT, 999);
  c.failover();
  assert.throws(() => c.acknowledged('a', 0, A.ACCEPT, 10), /not holding it/);
  assert.throws(() => c.finished(2), /never finished/);
  assert.throws(() => c.startOffset(1), /offset 0 lost/);
});
