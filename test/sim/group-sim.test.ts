// Deterministic, seeded simulation of the classic group coordinator state machine (GroupShard) with a virtual clock:
// members join (KIP-394 two-step), sync, heartbeat, leave, crash (stop heartbeating), restart, rebalance slowly and
// send delayed heartbeats; requests and replies travel with random network delays. Invariants checked throughout:
//   - every generation's SyncGroup assignments give each partition to at most one member;
//   - successful JoinGroup answers never go back in generation, and the group's generation never decreases;
//   - after a calm period every live member is in the Stable group and the partitions are all assigned exactly once.
// Run: ./node_modules/.bin/node --test test/sim/group-sim.test.ts   (SIM_SEEDS=n for more seeds)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Effects, GroupShard, type JoinResult, type SyncResult } from '../../src/coordinator/group/shard.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const PARTITIONS = 12;
const SESSION_MS = 5000;
const REBALANCE_MS = 6000;
const HEARTBEAT_MS = 1000;

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
  generation: number;
  /** Incremented on crash/leave: replies and timers of an older incarnation are ignored. */
  incarnation: number;
  alive: boolean;
  stable: boolean;
  slow: boolean;
  owned: number[];
}

function runSim(seed: number, opts: { members: number; durationMs: number; calmMs: number }): { generations: number } {
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
      initialRebalanceDelayMs: 300,
      maxSize: 100,
      offsetsRetentionMs: 3_600_000,
      maxMetadataBytes: 4096,
    },
    () => `s${seed}-${++ids}`,
  );
  const timerVersion = new Map<string, number>();
  const waiters = new Map<number, (r: JoinResult | SyncResult) => void>();
  let nextToken = 1;
  let maxJoinGeneration = 0;
  let lastGroupGeneration = 0;
  const owners = new Map<number, Map<number, string>>(); // generation → partition → member id
  const net = () => 1 + Math.floor(rnd() * 40);
  let faults = true;

  const apply = (fx: Effects) => {
    for (const r of fx.replies) {
      const res = r.response as JoinResult;
      if ('leader' in res && res.errorCode === ErrorCode.NONE) {
        assert.ok(
          res.generationId >= maxJoinGeneration,
          `seed ${seed}: join answer went back to generation ${res.generationId}`,
        );
        maxJoinGeneration = res.generationId;
      }
      const w = waiters.get(r.token);
      if (!w) continue;
      waiters.delete(r.token);
      at(now + net(), () => w(r.response));
    }
    for (const t of fx.timers) {
      const v = (timerVersion.get(t.key) ?? 0) + 1;
      timerVersion.set(t.key, v);
      at(Math.max(now, t.at), () => {
        if (timerVersion.get(t.key) !== v) return;
        apply(shard.onTimer(t.key, now));
      });
    }
    const g = shard.groups.get('g');
    if (g) {
      assert.ok(g.generationId >= lastGroupGeneration, `seed ${seed}: group generation decreased`);
      lastGroupGeneration = g.generationId;
    }
  };

  const members: SimMember[] = Array.from({ length: opts.members }, (_, idx) => ({
    idx,
    memberId: '',
    generation: -1,
    incarnation: 0,
    alive: false,
    stable: false,
    slow: false,
    owned: [],
  }));

  const guard = (m: SimMember, fn: () => void) => {
    const inc = m.incarnation;
    return () => {
      if (m.alive && m.incarnation === inc) fn();
    };
  };
  const meta = Buffer.from('t');

  const join = (m: SimMember) => {
    m.stable = false;
    const token = nextToken++;
    waiters.set(token, (r) => guard(m, () => onJoin(m, r as JoinResult))());
    at(now + net(), () =>
      apply(
        shard.joinGroup(
          {
            groupId: 'g',
            memberId: m.memberId,
            groupInstanceId: null,
            protocolType: 'consumer',
            protocols: [{ name: 'range', metadata: meta }],
            sessionTimeoutMs: SESSION_MS,
            rebalanceTimeoutMs: REBALANCE_MS,
            clientId: `m${m.idx}`,
            clientHost: '/sim',
            requireKnownMemberId: true,
            version: 5,
          },
          token,
          now,
        ),
      ),
    );
  };

  const rejoin = (m: SimMember) => {
    // Slow members take a while to revoke and rejoin (sometimes longer than the rebalance timeout).
    const delay = m.slow ? Math.floor(rnd() * REBALANCE_MS * 1.5) : Math.floor(rnd() * 200);
    at(
      now + delay,
      guard(m, () => join(m)),
    );
  };

  const onJoin = (m: SimMember, r: JoinResult) => {
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      m.memberId = r.memberId;
      return join(m);
    }
    if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      m.memberId = '';
      return rejoin(m);
    }
    if (r.errorCode !== ErrorCode.NONE) return rejoin(m);
    m.memberId = r.memberId;
    m.generation = r.generationId;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (r.leader === m.memberId) {
      const ids = r.members.map((x) => x.memberId).sort();
      const per = new Map<string, number[]>(ids.map((id) => [id, []]));
      // Range assignor over one topic.
      const n = Math.floor(PARTITIONS / ids.length);
      const extra = PARTITIONS % ids.length;
      let p = 0;
      ids.forEach((id, i) => {
        const count = n + (i < extra ? 1 : 0);
        for (let k = 0; k < count; k++) per.get(id)!.push(p++);
      });
      assignments = ids.map((id) => ({ memberId: id, assignment: Buffer.from(JSON.stringify(per.get(id))) }));
    }
    const token = nextToken++;
    waiters.set(token, (res) => guard(m, () => onSync(m, res as SyncResult, r.generationId))());
    at(now + net(), () =>
      apply(
        shard.syncGroup(
          {
            groupId: 'g',
            generationId: r.generationId,
            memberId: m.memberId,
            groupInstanceId: null,
            protocolType: 'consumer',
            protocolName: 'range',
            assignments,
          },
          token,
          now,
        ),
      ),
    );
  };

  const onSync = (m: SimMember, r: SyncResult, generation: number) => {
    if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      m.memberId = '';
      return rejoin(m);
    }
    if (r.errorCode !== ErrorCode.NONE) return rejoin(m);
    const parts = r.assignment.length > 0 ? (JSON.parse(r.assignment.toString()) as number[]) : [];
    let gen = owners.get(generation);
    if (!gen) {
      gen = new Map();
      owners.set(generation, gen);
    }
    for (const p of parts) {
      const owner = gen.get(p);
      assert.ok(
        owner === undefined || owner === m.memberId,
        `seed ${seed}: partition ${p} given to ${owner} and ${m.memberId} in generation ${generation}`,
      );
      gen.set(p, m.memberId);
    }
    m.owned = parts;
    m.stable = true;
    heartbeatLoop(m);
  };

  const heartbeatLoop = (m: SimMember) => {
    // Delayed heartbeats: now and then a gap close to (or beyond) the session timeout.
    const gap = faults && rnd() < 0.05 ? Math.floor(SESSION_MS * (0.6 + rnd() * 0.8)) : HEARTBEAT_MS;
    at(
      now + gap,
      guard(m, () => {
        if (!m.stable) return;
        const gen = m.generation;
        at(now + net(), () => {
          const code = shard.heartbeat('g', m.memberId, null, gen, now);
          at(
            now + net(),
            guard(m, () => {
              if (!m.stable || m.generation !== gen) return;
              if (code === ErrorCode.NONE) return heartbeatLoop(m);
              m.stable = false;
              if (code === ErrorCode.UNKNOWN_MEMBER_ID) m.memberId = '';
              rejoin(m);
            }),
          );
        });
      }),
    );
  };

  const start = (m: SimMember) => {
    m.alive = true;
    m.incarnation++;
    m.memberId = '';
    m.generation = -1;
    m.slow = faults && rnd() < 0.2;
    join(m);
  };
  const stop = (m: SimMember, leave: boolean) => {
    m.alive = false;
    m.stable = false;
    m.incarnation++;
    if (leave && m.memberId !== '') {
      const id = m.memberId;
      at(now + net(), () => apply(shard.leaveGroup('g', [{ memberId: id, groupInstanceId: null }], now).fx));
    }
  };

  for (const m of members) at(Math.floor(rnd() * 2000), () => start(m));
  // Chaos: every ~1.5 s something happens to a random member while faults are on.
  const chaos = () => {
    if (!faults) return;
    const m = members[Math.floor(rnd() * members.length)]!;
    const x = rnd();
    if (!m.alive) start(m);
    else if (x < 0.3)
      stop(m, false); // crash: no leave, the session timeout must notice
    else if (x < 0.55)
      stop(m, true); // clean leave
    else if (x < 0.7) m.slow = !m.slow;
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

  // Calm period over: one Stable group with every member, every partition assigned exactly once.
  const g = shard.groups.get('g')!;
  assert.equal(g.state, 'Stable', `seed ${seed}: group ends ${g.state}`);
  const live = members.filter((m) => m.alive);
  assert.equal(g.members.size, live.length, `seed ${seed}: group has ${g.members.size} members, ${live.length} alive`);
  assert.ok(
    live.every((m) => m.stable && m.generation === g.generationId),
    `seed ${seed}: a member is not synced`,
  );
  const all = live.flatMap((m) => m.owned).sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: PARTITIONS }, (_, i) => i),
    `seed ${seed}: final assignment`,
  );
  return { generations: g.generationId };
}

test('group coordinator simulation: joins, leaves, crashes, slow members, delayed heartbeats', () => {
  const seeds = Number(process.env.SIM_SEEDS ?? 40);
  let generations = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    generations += runSim(seed, { members: 3 + (seed % 5), durationMs: 60_000, calmMs: 40_000 }).generations;
  }
  if (process.env.SIM_VERBOSE) console.log({ seeds, generations });
  assert.ok(generations > seeds * 5, `the simulation exercised rebalances (${generations} generations)`);
});
