// The fault schedule is a pure function of the seed; the kind table reports what cannot run here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableKinds, FAULT_KINDS, makeSchedule, prng } from './faults.ts';

const OPTS = { holdMs: [500, 3000] as [number, number], gapMs: [500, 2000] as [number, number] };

test('the same seed gives the same schedule, another seed another one', () => {
  const kinds = ['a', 'b', 'c', 'd'];
  assert.deepEqual(makeSchedule(42, 30, kinds, OPTS), makeSchedule(42, 30, kinds, OPTS));
  assert.notDeepEqual(makeSchedule(42, 30, kinds, OPTS), makeSchedule(43, 30, kinds, OPTS));
  const a = prng(7);
  const b = prng(7);
  for (let i = 0; i < 100; i++) assert.equal(a(), b());
});

test('every kind once per round, times within their ranges', () => {
  const kinds = ['a', 'b', 'c', 'd', 'e'];
  const s = makeSchedule(9, 23, kinds, OPTS);
  assert.equal(s.length, 23);
  for (let r = 0; r + kinds.length <= s.length; r += kinds.length)
    assert.deepEqual(
      s
        .slice(r, r + kinds.length)
        .map((c) => c.kind)
        .sort(),
      kinds,
    );
  for (const c of s) {
    assert.ok(c.holdMs >= 500 && c.holdMs <= 3000);
    assert.ok(c.gapMs >= 500 && c.gapMs <= 2000);
    assert.ok(Number.isInteger(c.seed));
  }
  assert.throws(() => makeSchedule(1, 1, [], OPTS), /no fault kinds/);
});

test('kinds that need the cluster say why they are not available', () => {
  const { kinds, skipped } = availableKinds({ brokers: [] });
  const names = kinds.map((k) => k.name);
  assert.ok(names.includes('kill9-restart') && names.includes('client-partition'));
  for (const n of [
    'zk-node-kill',
    'zk-node-pause',
    'zk-quorum-loss',
    'zk-link-partition',
    'disk-full',
    'cluster-disk-full',
    'clock-skew',
  ])
    assert.ok(
      skipped.some((s) => s.name === n && s.reason.length > 0),
      n,
    );
  assert.equal(kinds.length + skipped.length, FAULT_KINDS.length);
  assert.throws(() => availableKinds({ brokers: [] }, ['no-such-kind']), /unknown fault kind/);
});

test('the ZooKeeper kinds drive the ensemble handle: kill and restart a node, lose and regain the quorum', async () => {
  const calls: string[] = [];
  const zookeeper = {
    nodes: [{}, {}, {}],
    kill9: async (i: number) => void calls.push(`kill9 ${i}`),
    restart: async (i: number) => void calls.push(`restart ${i}`),
    pause: (i: number) => void calls.push(`pause ${i}`),
    resume: (i: number) => void calls.push(`resume ${i}`),
  };
  const { kinds } = availableKinds({ brokers: [], zookeeper }, ['zk-node-kill', 'zk-node-pause', 'zk-quorum-loss']);
  assert.deepEqual(
    kinds.map((k) => k.name),
    ['zk-node-kill', 'zk-node-pause', 'zk-quorum-loss'],
  );
  for (const k of kinds) {
    const active = await k.inject({ brokers: [], zookeeper }, prng(3));
    await active.heal();
  }
  const killed = calls.filter((c) => c.startsWith('kill9')).length;
  assert.equal(killed, 1 + 2, 'one node, then a majority of three');
  assert.equal(calls.filter((c) => c.startsWith('restart')).length, killed, 'every killed node restarted');
  assert.equal(calls.filter((c) => c.startsWith('pause')).length, 1);
  assert.equal(calls.filter((c) => c.startsWith('resume')).length, 1);
});
