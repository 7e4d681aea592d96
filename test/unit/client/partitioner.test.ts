import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  defaultPartitioner,
  murmur2,
  murmur2RandomPartitioner,
  partitionForKey,
  roundRobinPartitioner,
} from '../../../src/client/partitioner.ts';

test('murmur2 matches the Java client (Utils.murmur2) on known vectors', () => {
  const vectors: [string, number][] = [
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ];
  for (const [s, h] of vectors) assert.equal(murmur2(Buffer.from(s)), h, s);
});

test('partitionForKey is toPositive(murmur2) % n and always in range', () => {
  assert.equal(partitionForKey(Buffer.from('1'), 7), (-1993445489 & 0x7fffffff) % 7);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
      const p = partitionForKey(key, n);
      return Number.isInteger(p) && p >= 0 && p < n;
    }),
  );
});

test('default partitioner: keyed by murmur2, keyless to the sticky partition', () => {
  const key = Buffer.from('user-42');
  assert.equal(defaultPartitioner({ topic: 't', key, numPartitions: 12, sticky: 3 }), partitionForKey(key, 12));
  assert.equal(defaultPartitioner({ topic: 't', key: null, numPartitions: 12, sticky: 3 }), 3);
  const r = murmur2RandomPartitioner({ topic: 't', key: null, numPartitions: 5, sticky: 0 });
  assert.ok(r >= 0 && r < 5);
});

test('round-robin partitioner cycles per topic', () => {
  const rr = roundRobinPartitioner();
  const seq = [0, 1, 2, 3].map(() => rr({ topic: 'a', key: null, numPartitions: 3, sticky: 0 }));
  assert.deepEqual(seq, [0, 1, 2, 0]);
  assert.equal(rr({ topic: 'b', key: null, numPartitions: 3, sticky: 0 }), 0);
});
