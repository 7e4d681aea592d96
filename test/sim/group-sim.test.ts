// Deterministic, seeded simulation of the classic group coordinator state machine (GroupShard) with a virtual clock:
// members join (KIP-394 two-step), sync, heartbeat, leave, crash (stop heartbeating), restart, rebalance slowly and
// send delayed heartbeats; requests and replies travel with random network delays. Invariants checked throughout:
//   - every generation's SyncGroup assignments give each partition to at most one member;
//   - successful JoinGroup answers never go back in generation, and the group's generation never decreases;
//   - an OffsetCommit is accepted only from a member of the current generation outside CompletingRebalance, and a
//     TxnOffsetCommit v0 (no member, no generation) whatever the group's state;
//   - after a calm period every live member is in the Stable group and the partitions are all assigned exactly once;
//   - a member id handed out with MEMBER_ID_REQUIRED is accepted when the member rejoins with it within its session
//     timeout, whatever generations completed meanwhile (slow members take their time to come back).
// Run: ./node_modules/.bin/node --test test/sim/group-sim.test.ts   (SIM_SEEDS=n for more seeds)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Effects, JoinResult, SyncResult } from '../../src/coordinator/group/shard.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import {
  assertEachPartitionOnce,
  beginIncarnation,
  claimPartition,
  endIncarnation,
  guard,
  runChaos,
  runSeeds,
  Sim,
  type SimMemberBase,
  simShard,
  timerArmer,
} from './harness.ts';

const PARTITIONS = 12;
const SESSION_MS = 5000;
const REBALANCE_MS = 6000;
const HEARTBEAT_MS = 1000;

interface SimMember extends SimMemberBase {
  memberId: string;
  generation: number;
  stable: boolean;
  owned: number[];
  /** When the coordinator handed out the member id still pending (MEMBER_ID_REQUIRED), else -1. */
  idGivenAt: number;
}

function runSim(seed: number, opts: { members: number; durationMs: number; calmMs: number }): { generations: number } {
  const sim = new Sim(seed);
  const { rnd, at, net } = sim;
  const shard = simShard(seed, { initialRebalanceDelayMs: 300 });
  const armTimers = timerArmer(sim, (key) => apply(shard.onTimer(key, sim.now)));
  const waiters = new Map<number, (r: JoinResult | SyncResult) => void>();
  let nextToken = 1;
  let maxJoinGeneration = 0;
  let lastGroupGeneration = 0;
  const owners = new Map<number, Map<number, string>>(); // generation → partition → member id

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
      at(sim.now + net(), () => w(r.response));
    }
    armTimers(fx.timers);
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
    idGivenAt: -1,
  }));

  const meta = Buffer.from('t');

  const join = (m: SimMember) => {
    m.stable = false;
    const token = nextToken++;
    const givenAt = m.idGivenAt;
    const incarnation = m.incarnation;
    let arrivedAt = -1;
    waiters.set(token, (r) => guard(m, () => onJoin(m, r as JoinResult, arrivedAt))());
    at(sim.now + net(), () => {
      arrivedAt = sim.now;
      const fx = shard.joinGroup(
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
        sim.now,
      );
      // A pending id used within its session timeout is accepted, whatever generations completed meanwhile.
      const refused = fx.replies.find((x) => x.token === token && x.response.errorCode === ErrorCode.UNKNOWN_MEMBER_ID);
      assert.ok(
        !refused || givenAt < 0 || m.incarnation !== incarnation || arrivedAt >= givenAt + SESSION_MS,
        `seed ${seed}: pending member id ${m.memberId} refused ${arrivedAt - givenAt} ms after it was handed out`,
      );
      apply(fx);
    });
  };

  const rejoin = (m: SimMember) => {
    // Slow members take a while to revoke and rejoin (sometimes longer than the rebalance timeout).
    const delay = m.slow ? Math.floor(rnd() * REBALANCE_MS * 1.5) : Math.floor(rnd() * 200);
    at(
      sim.now + delay,
      guard(m, () => join(m)),
    );
  };

  const onJoin = (m: SimMember, r: JoinResult, arrivedAt: number) => {
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      m.memberId = r.memberId;
      m.idGivenAt = arrivedAt;
      // A slow member comes back late with its id, often after other members completed a generation.
      const delay = m.slow ? Math.floor(rnd() * SESSION_MS * 0.8) : 0;
      return at(
        sim.now + delay,
        guard(m, () => join(m)),
      );
    }
    m.idGivenAt = -1;
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
    at(sim.now + net(), () =>
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
          sim.now,
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
      claimPartition(
        gen,
        p,
        m.memberId,
        (owner) => `seed ${seed}: partition ${p} given to ${owner} and ${m.memberId} in generation ${generation}`,
      );
    }
    m.owned = parts;
    m.stable = true;
    heartbeatLoop(m);
  };

  // Each heartbeat also commits the member's partitions (OffsetCommit with its generation) and, as the
  // transactional producer of a consume-transform-produce loop would, TxnOffsetCommit v0 (no member, no generation).
  const commitOwned = (m: SimMember, gen: number) => {
    if (m.owned.length === 0) return;
    const partitions = m.owned.map((p) => ({
      topic: 't',
      partition: p,
      offset: Math.floor(sim.now),
      leaderEpoch: -1,
      metadata: '',
      expireTimestamp: -1,
    }));
    const g = shard.groups.get('g');
    const plain = shard.commitOffsets(
      { groupId: 'g', generationId: gen, memberId: m.memberId, groupInstanceId: null, partitions },
      sim.now,
    );
    if (plain.results[0]!.errorCode === ErrorCode.NONE) {
      assert.ok(
        g?.members.has(m.memberId) && g.generationId === gen && g.state !== 'CompletingRebalance',
        `seed ${seed}: commit of ${m.memberId} for generation ${gen} accepted by a group at ${g?.generationId} ${g?.state}`,
      );
    }
    const txn = shard.commitOffsets(
      { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, partitions, transactional: true },
      sim.now,
    );
    assert.equal(txn.results[0]!.errorCode, ErrorCode.NONE, `seed ${seed}: TxnOffsetCommit v0 refused (${g?.state})`);
    for (const r of [...plain.records, ...txn.records]) shard.replay(r.key, r.value, sim.now, true);
  };

  const heartbeatLoop = (m: SimMember) => {
    // Delayed heartbeats: now and then a gap close to (or beyond) the session timeout.
    const gap = sim.heartbeatGap(0.05, SESSION_MS, HEARTBEAT_MS);
    at(
      sim.now + gap,
      guard(m, () => {
        if (!m.stable) return;
        const gen = m.generation;
        at(sim.now + net(), () => {
          const code = shard.heartbeat('g', m.memberId, null, gen, sim.now);
          commitOwned(m, gen);
          at(
            sim.now + net(),
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
    beginIncarnation(sim, m, 0.2);
    m.memberId = '';
    m.generation = -1;
    m.idGivenAt = -1;
    join(m);
  };
  const stop = (m: SimMember, leave: boolean) => {
    endIncarnation(m);
    m.stable = false;
    if (leave && m.memberId !== '') {
      const id = m.memberId;
      at(sim.now + net(), () => apply(shard.leaveGroup('g', [{ memberId: id, groupInstanceId: null }], sim.now).fx));
    }
  };

  // Chaos: every ~1.5 s something happens to a random member while faults are on.
  runChaos(sim, members, {
    durationMs: opts.durationMs,
    calmMs: opts.calmMs,
    start,
    chaos: [
      { below: 0.3, act: (m) => stop(m, false) }, // crash: no leave, the session timeout must notice
      { below: 0.55, act: (m) => stop(m, true) }, // clean leave
      { below: 0.7, act: (m) => (m.slow = !m.slow) },
    ],
  });

  // Calm period over: one Stable group with every member, every partition assigned exactly once.
  const g = shard.groups.get('g')!;
  assert.equal(g.state, 'Stable', `seed ${seed}: group ends ${g.state}`);
  const live = members.filter((m) => m.alive);
  assert.equal(g.members.size, live.length, `seed ${seed}: group has ${g.members.size} members, ${live.length} alive`);
  assert.ok(
    live.every((m) => m.stable && m.generation === g.generationId),
    `seed ${seed}: a member is not synced`,
  );
  assertEachPartitionOnce(
    live.flatMap((m) => m.owned),
    PARTITIONS,
    `seed ${seed}: final assignment`,
  );
  return { generations: g.generationId };
}

test('group coordinator simulation: joins, leaves, crashes, slow members, delayed heartbeats', () => {
  runSeeds(
    'generations',
    (seed) => runSim(seed, { members: 3 + (seed % 5), durationMs: 60_000, calmMs: 40_000 }).generations,
  );
});
