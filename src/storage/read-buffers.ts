// Reusable memory for fetch reads. A fetch reads each partition's byte range from its segment file into memory and
// hands it to the socket; allocating a fresh Buffer of up to a MiB per partition per fetch made V8 count that
// external memory and run full collections every few dozen fetches, and the kernel fault in new pages each time.
// A ReadArena carves reads out of pooled slabs and gives them back once the response has been written.

import { assert } from '../util/assert.ts';

/** Allocates `length` bytes for one read; the memory is only valid until its arena is released. */
export type ReadAlloc = (length: number) => Buffer;

export class ReadBufferPool {
  readonly slabBytes: number;
  private readonly maxFree: number;
  private readonly free: Buffer[] = [];
  /** Slabs handed out and not yet given back (for tests and metrics). */
  outstanding = 0;

  /** `maxFreeBytes` bounds the memory kept for reuse; slabs beyond it are left to the garbage collector. */
  constructor(slabBytes = 1 << 20, maxFreeBytes = 32 << 20) {
    assert(slabBytes > 0 && maxFreeBytes >= 0, 'invalid read buffer pool sizes');
    this.slabBytes = slabBytes;
    this.maxFree = Math.floor(maxFreeBytes / slabBytes);
  }

  get freeSlabs(): number {
    return this.free.length;
  }

  /** A new arena: call `release()` once nothing references its buffers any more (the socket write finished). */
  arena(): ReadArena {
    return new ReadArena(this);
  }

  take(): Buffer {
    this.outstanding++;
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.slabBytes);
  }

  give(slab: Buffer): void {
    assert(slab.length === this.slabBytes, 'slab from another pool');
    this.outstanding--;
    if (this.free.length < this.maxFree) this.free.push(slab);
  }
}

export class ReadArena {
  private readonly pool: ReadBufferPool;
  private readonly slabs: Buffer[] = [];
  private used = 0;
  private released = false;

  constructor(pool: ReadBufferPool) {
    this.pool = pool;
  }

  /** Bytes for one read: a slice of the current slab, a new slab, or (larger than a slab) its own allocation. */
  readonly alloc: ReadAlloc = (length) => {
    assert(!this.released, 'read arena used after release');
    if (length > this.pool.slabBytes) return Buffer.allocUnsafeSlow(length);
    let slab = this.slabs.at(-1);
    if (slab === undefined || this.used + length > slab.length) {
      slab = this.pool.take();
      this.slabs.push(slab);
      this.used = 0;
    }
    const out = slab.subarray(this.used, this.used + length);
    this.used += length;
    return out;
  };

  /** Forgets every read so far (their results were discarded) and keeps the slabs for the next reads. */
  reset(): void {
    assert(!this.released, 'read arena reset after release');
    while (this.slabs.length > 1) this.pool.give(this.slabs.pop()!);
    this.used = 0;
  }

  /** Gives the slabs back to the pool. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.slabs) this.pool.give(s);
    this.slabs.length = 0;
  }
}

/**
 * Slabs in power-of-two sizes from `minBytes` to `maxBytes`, for buffers whose sizes vary (request frames): each
 * request gets the smallest size that holds it, so pooled memory is at most twice what is asked for.
 */
export class SizedBufferPools {
  readonly maxBytes: number;
  private readonly pools = new Map<number, ReadBufferPool>();

  constructor(minBytes = 64 * 1024, maxBytes = 2 << 20, maxFreeBytesPerSize = 8 << 20) {
    assert(minBytes > 0 && maxBytes >= minBytes, 'invalid pool sizes');
    for (let size = minBytes; size <= maxBytes; size *= 2)
      this.pools.set(size, new ReadBufferPool(size, maxFreeBytesPerSize));
    this.maxBytes = Math.max(...this.pools.keys());
  }

  /** A slab of at least `size` bytes (`size` <= maxBytes); give it back with `give`. */
  take(size: number): Buffer {
    assert(size <= this.maxBytes, `no pooled slab holds ${size} bytes`);
    for (const [slabBytes, pool] of this.pools) if (slabBytes >= size) return pool.take();
    throw new Error('unreachable');
  }

  give(slab: Buffer): void {
    const pool = this.pools.get(slab.length);
    assert(pool !== undefined, 'slab from another pool');
    pool.give(slab);
  }

  /** Slabs handed out and not given back. */
  get outstanding(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.outstanding;
    return n;
  }
}
