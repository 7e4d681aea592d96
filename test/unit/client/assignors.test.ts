import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Assignor,
  cooperativeStickyAssignor,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type GroupMember,
  rangeAssignor,
  roundRobinAssignor,
  type TopicPartitions,
} from '../../../src/client/assignors.ts';

const member = (
  memberId: string,
  topics: string[],
  owned: TopicPartitions = new Map(),
  generationId = -1,
): GroupMember => ({
  memberId,
  subscription: { topics, ownedPartitions: owned, generationId, userData: null },
});

const flat = (a: Map<string, TopicPartitions>) =>
  Object.fromEntries([...a].map(([m, tp]) => [m, [...tp].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).sort()]));

test('subscription and assignment round-trip through the consumer protocol encoding', () => {
  const s = { topics: ['a', 'b'], ownedPartitions: new Map([['a', [0, 2]]]), generationId: -1, userData: null };
  const d = decodeSubscription(encodeSubscription(s));
  assert.deepEqual(d.topics, ['a', 'b']);
  assert.deepEqual([...d.ownedPartitions], [['a', [0, 2]]]);
  const a = new Map([
    ['a', [1, 0]],
    ['b', [3]],
  ]);
  assert.deepEqual(
    [...decodeAssignment(encodeAssignment(a))],
    [
      ['a', [0, 1]],
      ['b', [3]],
    ],
  );
  assert.equal(decodeAssignment(Buffer.alloc(0)).size, 0);
});

test('range: contiguous ranges per topic, first members get the extra', () => {
  const out = rangeAssignor.assign([member('m1', ['t']), member('m2', ['t'])], new Map([['t', 5]]));
  assert.deepEqual(flat(out), { m1: ['t-0', 't-1', 't-2'], m2: ['t-3', 't-4'] });
});

test('roundrobin: partitions dealt in turn, skipping unsubscribed members', () => {
  const out = roundRobinAssignor.assign(
    [member('a', ['x', 'y']), member('b', ['x'])],
    new Map([
      ['x', 3],
      ['y', 2],
    ]),
  );
  assert.deepEqual(flat(out), { a: ['x-0', 'x-2', 'y-0', 'y-1'], b: ['x-1'] });
});

test('cooperative-sticky keeps owned partitions and withholds moved ones for one generation', () => {
  const parts = new Map([['t', 4]]);
  const first = cooperativeStickyAssignor.assign([member('a', ['t'])], parts);
  assert.deepEqual(flat(first), { a: ['t-0', 't-1', 't-2', 't-3'] });
  // b joins: a keeps two, the two that move to b are withheld this generation.
  const second = cooperativeStickyAssignor.assign([member('a', ['t'], first.get('a')!, 1), member('b', ['t'])], parts);
  assert.equal(flat(second).a!.length, 2);
  assert.deepEqual(flat(second).b, []);
  // next generation: a owns two, b gets the free two.
  const third = cooperativeStickyAssignor.assign([member('a', ['t'], second.get('a')!, 2), member('b', ['t'])], parts);
  assert.deepEqual(flat(third).a, flat(second).a);
  assert.equal(flat(third).b!.length, 2);
});

for (const assignor of [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor] as Assignor[]) {
  test(`${assignor.name}: every partition to exactly one subscribed member (property)`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 3 }),
        (nm, np, nt) => {
          const topics = Array.from({ length: nt }, (_, i) => `t${i}`);
          const members = Array.from({ length: nm }, (_, i) => member(`m${i}`, topics));
          const parts = new Map(topics.map((t) => [t, np]));
          const out = assignor.assign(members, parts);
          const seen = new Set<string>();
          for (const tp of out.values())
            for (const [t, ps] of tp)
              for (const p of ps) {
                const k = `${t}-${p}`;
                if (seen.has(k)) return false;
                seen.add(k);
              }
          const counts = [...out.values()].map((tp) => [...tp.values()].reduce((n, ps) => n + ps.length, 0));
          const balancedEnough = assignor === rangeAssignor || Math.max(...counts) - Math.min(...counts) <= 1;
          return seen.size === np * nt && balancedEnough;
        },
      ),
    );
  });
}
