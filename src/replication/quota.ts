// Replication throttles (Kafka's ReplicationQuotaManager), pure over an injected clock. A quota is a byte rate
// (leader.replication.throttled.rate on the sending side, follower.replication.throttled.rate on the fetching side)
// measured as Kafka's Rate over `replication.quota.window.num` samples of `replication.quota.window.size.seconds`:
// the bytes in the live samples over the time they span, at least (windows - 1) windows. A throttled replica is not
// slowed per byte: while the measured rate is above the quota its partitions are left out of the fetch (follower) or
// answered without records (leader), and the bytes that do travel are recorded. Which partitions are throttled comes
// from the topic configs leader.replication.throttled.replicas / follower.replication.throttled.replicas: "*" (all
// of the topic's replicas) or "partition:broker" pairs, of which a broker takes the pairs naming itself.

export interface QuotaOptions {
  /** Bytes per second; the default (Long.MAX_VALUE) means unthrottled. */
  rate: () => number;
  clock: () => number;
  /** replication.quota.window.num (default 11). */
  windows?: number;
  /** replication.quota.window.size.seconds in ms (default 1000). */
  windowMs?: number;
}

export class ReplicationQuota {
  readonly #rate: () => number;
  readonly #clock: () => number;
  readonly #windows: number;
  readonly #windowMs: number;
  /** Ring of samples: start time and bytes. */
  readonly #starts: number[];
  readonly #bytes: number[];
  #current = 0;

  constructor(o: QuotaOptions) {
    this.#rate = o.rate;
    this.#clock = o.clock;
    this.#windows = Math.max(2, o.windows ?? 11);
    this.#windowMs = Math.max(1, o.windowMs ?? 1000);
    this.#starts = new Array<number>(this.#windows).fill(Number.NEGATIVE_INFINITY);
    this.#bytes = new Array<number>(this.#windows).fill(0);
  }

  /** The configured bytes/s. */
  get bound(): number {
    return this.#rate();
  }

  record(bytes: number): void {
    if (bytes <= 0) return;
    const now = this.#clock();
    if (now >= this.#starts[this.#current]! + this.#windowMs) {
      this.#current = (this.#current + 1) % this.#windows;
      this.#starts[this.#current] = now;
      this.#bytes[this.#current] = 0;
    }
    this.#bytes[this.#current]! += bytes;
  }

  /** The measured rate in bytes/s (Kafka's Rate with its SampledStat). */
  measure(): number {
    const now = this.#clock();
    const horizon = now - this.#windows * this.#windowMs;
    let total = 0;
    let oldest = now;
    for (let i = 0; i < this.#windows; i++) {
      const start = this.#starts[i]!;
      if (start < horizon || start > now) continue; // expired (or never used)
      total += this.#bytes[i]!;
      if (start < oldest) oldest = start;
    }
    let elapsed = now - oldest;
    const full = Math.floor(elapsed / this.#windowMs);
    if (full < this.#windows - 1) elapsed += (this.#windows - 1 - full) * this.#windowMs;
    return (total * 1000) / elapsed;
  }

  /** Whether the measured rate is above the quota (never for an unthrottled quota). */
  isExceeded(): boolean {
    const bound = this.#rate();
    if (!(bound < Number.MAX_SAFE_INTEGER)) return false;
    return this.measure() > bound;
  }
}

/** The partitions of a topic a throttled-replicas list throttles on broker `brokerId`. */
export function throttledPartitions(list: readonly string[], brokerId: number): 'all' | ReadonlySet<number> {
  if (list.length === 1 && list[0]!.trim() === '*') return 'all';
  const out = new Set<number>();
  for (const entry of list) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(entry);
    if (m !== null && Number(m[2]) === brokerId) out.add(Number(m[1]));
  }
  return out;
}

/** Whether a value of leader/follower.replication.throttled.replicas is well formed (Kafka's
 * ThrottledReplicaListValidator): empty, "*", or partition:broker pairs. */
export function validThrottledReplicas(list: readonly string[]): boolean {
  if (list.length === 1 && list[0]!.trim() === '*') return true;
  return list.every((e) => /^\s*\d+\s*:\s*\d+\s*$/.test(e));
}

/** Memoized `throttledPartitions` per list (topic configs are few and change rarely). */
export class ThrottledReplicas {
  readonly #brokerId: number;
  readonly #memo = new WeakMap<readonly string[], 'all' | ReadonlySet<number>>();

  constructor(brokerId: number) {
    this.#brokerId = brokerId;
  }

  isThrottled(list: readonly string[], partition: number): boolean {
    if (list.length === 0) return false;
    let t = this.#memo.get(list);
    if (t === undefined) {
      t = throttledPartitions(list, this.#brokerId);
      this.#memo.set(list, t);
    }
    return t === 'all' || t.has(partition);
  }
}
