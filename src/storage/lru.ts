// A small LRU map (Map keeps insertion order; a hit re-inserts the key). Used to bound open file descriptors of
// inactive segments and the memory of their loaded indexes.
import { closeSync } from 'node:fs';

export class Lru<K, V> {
  readonly capacity: number;
  private readonly map = new Map<K, V>();
  private readonly onEvict: (key: K, value: V) => void;

  constructor(capacity: number, onEvict: (key: K, value: V) => void) {
    this.capacity = Math.max(1, capacity);
    this.onEvict = onEvict;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      if (old !== value) this.onEvict(key, old);
    }
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const [k, v] = this.map.entries().next().value as [K, V];
      this.map.delete(k);
      this.onEvict(k, v);
    }
  }

  /** Removes the key, running the eviction callback. */
  delete(key: K): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.onEvict(key, v);
  }

  /** Removes the key without running the eviction callback. */
  take(key: K): V | undefined {
    const v = this.map.get(key);
    this.map.delete(key);
    return v;
  }

  clear(): void {
    for (const [k, v] of this.map) this.onEvict(k, v);
    this.map.clear();
  }
}

/** Read-only fds of inactive segment files, keyed by path. */
export class FdCache {
  private readonly lru: Lru<string, number>;
  constructor(capacity = 256) {
    this.lru = new Lru(capacity, (_path, fd) => closeSync(fd));
  }
  get size(): number {
    return this.lru.size;
  }
  get capacity(): number {
    return this.lru.capacity;
  }
  /** Returns a cached fd for `path`, opening it with `open` on a miss. */
  acquire(path: string, open: () => number): number {
    let fd = this.lru.get(path);
    if (fd === undefined) {
      fd = open();
      this.lru.set(path, fd);
    }
    return fd;
  }
  evict(path: string): void {
    this.lru.delete(path);
  }
  clear(): void {
    this.lru.clear();
  }
}

/** Something whose in-memory state can be dropped and reloaded later (a sealed segment's indexes). */
export interface Unloadable {
  unload(): void;
}

export class UnloadCache {
  private readonly lru: Lru<Unloadable, true>;
  constructor(capacity = 2048) {
    this.lru = new Lru(capacity, (k) => k.unload());
  }
  get size(): number {
    return this.lru.size;
  }
  touch(item: Unloadable): void {
    this.lru.set(item, true);
  }
  /** Stops tracking `item` and unloads it. */
  forget(item: Unloadable): void {
    this.lru.delete(item);
  }
  /** Stops tracking `item` and keeps it loaded (it became an active segment again). */
  pin(item: Unloadable): void {
    this.lru.take(item);
  }
}

export interface StorageCaches {
  /** Read-only fds of sealed segments. */
  fds: FdCache;
  /** Writable fds of active segments (closed and reopened on demand past the capacity). */
  writeFds: FdCache;
  indexes: UnloadCache;
}

let shared: StorageCaches | undefined;

/** Process-wide caches shared by every log unless one passes its own. */
export function sharedCaches(): StorageCaches {
  shared ??= { fds: new FdCache(256), writeFds: new FdCache(512), indexes: new UnloadCache(2048) };
  return shared;
}
