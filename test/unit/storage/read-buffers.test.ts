import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ReadBufferPool, SizedBufferPools } from '../../../src/storage/read-buffers.ts';

test('reads carve disjoint slices out of pooled slabs, returned on release', () => {
  const pool = new ReadBufferPool(1024, 4096);
  const arena = pool.arena();
  const a = arena.alloc(600);
  const b = arena.alloc(400);
  const c = arena.alloc(100); // does not fit after a and b: a second slab
  assert.equal(a.buffer, b.buffer);
  assert.notEqual(c.buffer, a.buffer);
  assert.equal(pool.outstanding, 2);
  a.fill(1);
  b.fill(2);
  assert.ok(a.every((x) => x === 1) && b.every((x) => x === 2));
  arena.release();
  arena.release(); // idempotent
  assert.equal(pool.outstanding, 0);
  assert.equal(pool.freeSlabs, 2);
  // The next arena reuses the slabs.
  const again = pool.arena();
  const d = again.alloc(10);
  assert.ok(d.buffer === a.buffer || d.buffer === c.buffer);
  assert.throws(() => arena.alloc(1), /after release/);
  again.release();
});

test('a read larger than a slab gets its own memory; the free list is bounded', () => {
  const pool = new ReadBufferPool(1024, 2048);
  const arena = pool.arena();
  const big = arena.alloc(5000);
  assert.equal(big.length, 5000);
  assert.equal(pool.outstanding, 0);
  for (let i = 0; i < 5; i++) arena.alloc(1024);
  assert.equal(pool.outstanding, 5);
  arena.release();
  assert.equal(pool.freeSlabs, 2); // at most maxFreeBytes / slabBytes kept
});

test('reset keeps one slab and forgets earlier reads', () => {
  const pool = new ReadBufferPool(1024, 8192);
  const arena = pool.arena();
  arena.alloc(1000);
  arena.alloc(1000);
  arena.alloc(1000);
  assert.equal(pool.outstanding, 3);
  arena.reset();
  assert.equal(pool.outstanding, 1);
  assert.equal(arena.alloc(1024).length, 1024);
  assert.equal(pool.outstanding, 1);
  arena.release();
  assert.equal(pool.outstanding, 0);
});

test('property: live allocations of one arena never overlap', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 40 }), (sizes) => {
      const pool = new ReadBufferPool(1024, 4096);
      const arena = pool.arena();
      const bufs = sizes.map((n, i) => arena.alloc(n).fill(i % 256));
      bufs.forEach((b, i) => {
        assert.equal(b.length, sizes[i]);
        assert.ok(
          b.every((x) => x === i % 256),
          `allocation ${i} was overwritten`,
        );
      });
      arena.release();
      assert.equal(pool.outstanding, 0);
    }),
  );
});

test('sized pools hand out the smallest power-of-two slab that holds a request', () => {
  const pools = new SizedBufferPools(64 * 1024, 1 << 20, 1 << 20);
  assert.equal(pools.maxBytes, 1 << 20);
  const a = pools.take(40_000);
  const b = pools.take(64 * 1024 + 1);
  const c = pools.take(1 << 20);
  assert.deepEqual([a.length, b.length, c.length], [64 * 1024, 128 * 1024, 1 << 20]);
  assert.equal(pools.outstanding, 3);
  assert.throws(() => pools.take((1 << 20) + 1), /no pooled slab/);
  for (const s of [a, b, c]) pools.give(s);
  assert.equal(pools.outstanding, 0);
  assert.equal(pools.take(100_000), b, 'a given-back slab is reused');
  assert.throws(() => pools.give(Buffer.alloc(1000)), /another pool/);
});
