// Deterministic, seeded simulation of consumer-protocol (KIP-848) groups in GroupShard with a virtual clock:
// members join, heartbeat (one request in flight, random network delays, now and then a gap near or beyond the
// session timeout), leave (epoch -1), crash (session expiry), revoke slowly (a revoked partition stays owned by the
// client until it lets go), static members leave with -2 and come back under a new member id, and the topic grows.
// Invariants, checked after every step:
//   - the coordinator never has a partition in two members' assignments (assigned or pending revocation);
//   - among members the coordinator still knows, no partition is owned by two clients at once, counting partitions
//     not yet revoked (whatever their epochs);
//   - epochs of a member never go back;
// and after a calm period every subscribed partition is owned by exactly one live member and the group is Stable.
// Run: ./node_modules/.bin/node --test test/sim/consumer-group-sim.test.ts   (SIM_SEEDS=n for more seeds)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerHeartbeatResponse, TopicMeta, TopicsView } from '../../src/coordinator/group/consumer.ts';
import { type Effects, GroupShard } from '../../src/coordinator/group/shard.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const SESSION_MS = 5000;
const HEARTBEAT_MS = 500;
const REBALANCE_MS = 8000;
const TOPIC_ID = Buffer.from('sim-topic-id-000').toString('base64url');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimMember {
  idx: number;
  memberId: string;
  instanceId: string | null;
  epoch: number;
  incarnation: number;
  alive: boolean;
  slow: boolean;
  inFlight: boolean;
  /** What the client owns now (revoked partitions stay here until released). */
  owned: Set<number>;
  maxEpoch: number;
}

function runSim(seed: number, opts: { members: number; durationMs: number; calmMs: number }): { epochs: number } {
  const rnd = mulberry32(seed);
  let now = 0;
  let seq = 0;
  const queue: Array<{ at: number; seq: number; fn: () => void }> = [];
  const at = (t: number, fn: () => void) => queue.push({ at: t, seq: seq++, fn });
  let ids = 0;
  const shard = new GroupShard(
    0,
    {
      minSessionTimeoutMs: 1000,
      maxSessionTimeoutMs: 60_000,
      initialRebalanceDelayMs: 0,
      maxSize: 100,
      offsetsRetentionMs: 3_600_000,
      maxMetadataBytes: 4096,
      consumer: { sessionTimeoutMs: SESSION_MS, heartbeatIntervalMs: HEARTBEAT_MS },
    },
    () => `s${seed}-${++ids}`,
  );
  let partitions = 8 + (seed % 5);
  const topics: TopicsView = {
    get: (name: string): TopicMeta | undefined =>
      name === 't' ? { id: TOPIC_ID, numPartitions: partitions } : undefined,
    names: () => ['t'],
  };
  const timerVersion = new Map<string, number>();
  const net = () => 1 + Math.floor(rnd() * 40);
  let faults = true;
  const members: SimMember[] = Array.from({ length: opts.members }, (_, idx) => ({
    idx,
    memberId: '',
    instanceId: idx % 3 === 0 ? `static-${idx}` : null,
    epoch: 0,
    incarnation: 0,
    alive: false,
    slow: false,
    inFlight: false,
    owned: new Set(),
    maxEpoch: 0,
  }));

  const check = () => {
    const g = shard.consumer.groups.get('g');
    if (!g) return;
    shard.consumer.assertConsistent();
    // Clients the coordinator still counts as members (same member id): their owned partitions are disjoint.
    const owner = new Map<number, number>();
    for (const m of members) {
      if (!m.alive || !g.members.has(m.memberId)) continue;
      for (const p of m.owned) {
        const o = owner.get(p);
        assert.ok(o === undefined, `seed ${seed} t=${now}: partition ${p} owned by m${o} and m${m.idx}`);
        owner.set(p, m.idx);
      }
    }
  };

  const apply = (fx: Effects) => {
    for (const t of fx.timers) {
      const v = (timerVersion.get(t.key) ?? 0) + 1;
      timerVersion.set(t.key, v);
      at(Math.max(now, t.at), () => {
        if (timerVersion.get(t.key) !== v) return;
        apply(shard.onTimer(t.key, now));
      });
    }
    check();
  };

  const guard = (m: SimMember, fn: () => void) => {
    const inc = m.incarnation;
    return () => {
      if (m.alive && m.incarnation === inc) fn();
    };
  };

  const heartbeat = (m: SimMember, epoch = m.epoch) => {
    if (m.inFlight) return;
    m.inFlight = true;
    const owned = [...m.owned].sort((a, b) => a - b);
    const sentEpoch = epoch;
    at(now + net(), () => {
      const r = shard.consumerHeartbeat(
        {
          groupId: 'g',
          memberId: m.memberId,
          memberEpoch: sentEpoch,
          instanceId: m.instanceId,
          rackId: null,
          rebalanceTimeoutMs: REBALANCE_MS,
          subscribedTopicNames: sentEpoch === 0 ? ['t'] : null,
          subscribedTopicRegex: null,
          serverAssignor: sentEpoch === 0 ? (seed % 2 === 0 ? 'uniform' : 'range') : null,
          topicPartitions: sentEpoch === 0 ? [] : [{ topicId: TOPIC_ID, partitions: owned }],
          clientId: `m${m.idx}`,
          clientHost: '/sim',
        },
        topics,
        now,
      );
      apply(r.fx);
      const res = r.response;
      at(
        now + net(),
        guard(m, () => onResponse(m, sentEpoch, res)),
      );
    });
  };

  const onResponse = (m: SimMember, sentEpoch: number, r: ConsumerHeartbeatResponse) => {
    m.inFlight = false;
    if (sentEpoch < 0) return;
    if (r.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      // Lost its membership: give everything up at once and rejoin.
      m.owned.clear();
      m.epoch = 0;
      check();
      return schedule(m, Math.floor(rnd() * 200));
    }
    if (r.errorCode === ErrorCode.UNRELEASED_INSTANCE_ID) return schedule(m, 500);
    assert.equal(r.errorCode, ErrorCode.NONE, `seed ${seed}: heartbeat error ${r.errorCode}`);
    assert.ok(r.memberEpoch >= m.maxEpoch || sentEpoch === 0, `seed ${seed}: member epoch went back`);
    m.maxEpoch = Math.max(m.maxEpoch, r.memberEpoch);
    m.epoch = r.memberEpoch;
    if (r.assignment !== null) {
      const next = new Set(r.assignment.flatMap((t) => t.partitions));
      const revoked = [...m.owned].filter((p) => !next.has(p));
      for (const p of next) m.owned.add(p);
      check();
      const release = () => {
        for (const p of revoked) m.owned.delete(p);
        check();
        heartbeat(m);
      };
      if (revoked.length > 0) {
        if (m.slow) at(now + Math.floor(rnd() * REBALANCE_MS * 1.3), guard(m, release));
        else release();
        return schedule(m, HEARTBEAT_MS);
      }
    }
    schedule(m, HEARTBEAT_MS);
  };

  const schedule = (m: SimMember, delay: number) => {
    // Delayed heartbeats: now and then a gap close to (or beyond) the session timeout.
    const gap = faults && rnd() < 0.03 ? Math.floor(SESSION_MS * (0.6 + rnd() * 0.8)) : delay;
    at(
      now + gap,
      guard(m, () => heartbeat(m)),
    );
  };

  const start = (m: SimMember) => {
    m.alive = true;
    m.incarnation++;
    m.memberId = `m${m.idx}-${m.incarnation}`;
    m.epoch = 0;
    m.maxEpoch = 0;
    m.inFlight = false;
    m.owned.clear();
    m.slow = faults && rnd() < 0.25;
    heartbeat(m);
  };
  const stop = (m: SimMember, leave: boolean) => {
    m.alive = false;
    m.incarnation++;
    m.owned.clear();
    if (leave && m.epoch > 0) {
      const id = m.memberId;
      const epoch = m.instanceId !== null ? -2 : -1;
      at(now + net(), () =>
        apply(
          shard.consumerHeartbeat(
            {
              groupId: 'g',
              memberId: id,
              memberEpoch: epoch,
              instanceId: m.instanceId,
              rackId: null,
              rebalanceTimeoutMs: -1,
              subscribedTopicNames: null,
              subscribedTopicRegex: null,
              serverAssignor: null,
              topicPartitions: null,
              clientId: `m${m.idx}`,
              clientHost: '/sim',
            },
            topics,
            now,
          ).fx,
        ),
      );
    }
    check();
  };

  for (const m of members) at(Math.floor(rnd() * 2000), () => start(m));
  const chaos = () => {
    if (!faults) return;
    const m = members[Math.floor(rnd() * members.length)]!;
    const x = rnd();
    if (!m.alive) start(m);
    else if (x < 0.25) stop(m, false);
    else if (x < 0.5) stop(m, true);
    else if (x < 0.65) m.slow = !m.slow;
    else if (x < 0.7) partitions++;
    at(now + 500 + Math.floor(rnd() * 2000), chaos);
  };
  at(3000, chaos);
  at(opts.durationMs, () => {
    faults = false;
    for (const m of members) {
      m.slow = false;
      if (!m.alive) start(m);
    }
  });

  const end = opts.durationMs + opts.calmMs;
  while (queue.length > 0) {
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const a = queue[i]!;
      const b = queue[best]!;
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
    }
    const ev = queue[best]!;
    queue[best] = queue[queue.length - 1]!;
    queue.pop();
    if (ev.at > end) break;
    now = ev.at;
    ev.fn();
  }

  const g = shard.consumer.groups.get('g')!;
  assert.equal(shard.consumer.state(g), 'Stable', `seed ${seed}: group ends ${shard.consumer.state(g)}`);
  const live = members.filter((m) => m.alive);
  assert.deepEqual(
    [...g.members.keys()].sort(),
    live.map((m) => m.memberId).sort(),
    `seed ${seed}: group members are the live members`,
  );
  const all = live.flatMap((m) => [...m.owned]).sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: partitions }, (_, i) => i),
    `seed ${seed}: every partition owned exactly once`,
  );
  assert.ok(
    live.every((m) => m.epoch === g.assignmentEpoch),
    `seed ${seed}: members at the assignment epoch`,
  );
  return { epochs: g.groupEpoch };
}

test('consumer group protocol simulation: joins, leaves, crashes, slow revocation, static rejoin, growing topic', () => {
  const seeds = Number(process.env.SIM_SEEDS ?? 40);
  let epochs = 0;
  for (let seed = 1; seed <= seeds; seed++)
    epochs += runSim(seed, { members: 2 + (seed % 5), durationMs: 60_000, calmMs: 40_000 }).epochs;
  if (process.env.SIM_VERBOSE) console.log({ seeds, epochs });
  assert.ok(epochs > seeds * 5, `the simulation exercised rebalances (${epochs} epochs)`);
});
