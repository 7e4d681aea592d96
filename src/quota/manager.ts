// Client quota enforcement state, per quota key: one sensor per quota id (Kafka's metric tags: user and client-id as
// the resolved quota level names them), each a windowed rate (byte rates, request time) or a token bucket
// (controller mutations). Pure apart from the clock the caller passes in: every call takes `now`. The bounds are
// looked up in the metadata image's quota entries on every call, so an altered quota applies at once, to the same
// sensor (Kafka updates the sensor's quota in place); sensors idle for an hour are dropped, as Kafka's expire.
import type { ClientQuotaEntry, QuotaTable } from './entity.ts';
import { quotaTable, resolveQuota } from './entity.ts';
import { bucketThrottleMs, rateThrottleMs, SampledRate, TokenBucket, type WindowConfig } from './rate.ts';

/** Kafka's ClientQuotaManager.InactiveSensorExpirationTimeSeconds. */
export const SENSOR_EXPIRY_MS = 3600_000;

export type QuotaEntries = ReadonlyMap<string, ClientQuotaEntry>;

const tables = new WeakMap<QuotaEntries, Map<string, QuotaTable>>();

/** The lookup table of `key` for these entries (built once per entries map: the image keeps it until a change). */
export function tableFor(entries: QuotaEntries, key: string): QuotaTable {
  let byKey = tables.get(entries);
  if (byKey === undefined) {
    byKey = new Map();
    tables.set(entries, byKey);
  }
  let t = byKey.get(key);
  if (t === undefined) {
    t = quotaTable(entries.values(), key);
    byKey.set(key, t);
  }
  return t;
}

/** The user name of a Kafka principal (`User:alice` → `alice`), as quota entities name users. */
export function principalName(principal: string): string {
  const i = principal.indexOf(':');
  return i < 0 ? principal : principal.slice(i + 1);
}

interface Sensor<S> {
  readonly stat: S;
  lastRecord: number;
  /** Throttle time handed out (Kafka's throttle-time sensor): total ms and how many times. */
  throttledMs: number;
  throttledCount: number;
}

abstract class SensorMap<S> {
  readonly key: string;
  readonly window: WindowConfig;
  protected readonly sensors = new Map<string, Sensor<S>>();
  private nextSweep = 0;

  constructor(key: string, window: WindowConfig) {
    this.key = key;
    this.window = window;
  }

  protected abstract newStat(): S;

  protected sensor(id: string, now: number): Sensor<S> {
    if (now >= this.nextSweep) {
      this.nextSweep = now + 60_000;
      for (const [k, s] of this.sensors) if (now - s.lastRecord >= SENSOR_EXPIRY_MS) this.sensors.delete(k);
    }
    let s = this.sensors.get(id);
    if (s === undefined) {
      s = { stat: this.newStat(), lastRecord: now, throttledMs: 0, throttledCount: 0 };
      this.sensors.set(id, s);
    }
    s.lastRecord = now;
    return s;
  }

  /** Counts a throttle handed out to a client (the throttle-time metric). */
  protected noteThrottle(s: Sensor<S>, ms: number): number {
    if (ms > 0) {
      s.throttledMs += ms;
      s.throttledCount++;
    }
    return ms;
  }

  /** Throttle totals per quota id, for metrics: the sensors' user and client-id tags. */
  throttleTotals(): Array<{ user: string; clientId: string; ms: number; count: number }> {
    const out = [];
    for (const [id, s] of this.sensors) {
      const [user, clientId] = id.split('\0') as [string, string];
      out.push({ user, clientId, ms: s.throttledMs, count: s.throttledCount });
    }
    return out;
  }

  get sensorCount(): number {
    return this.sensors.size;
  }
}

/** A rate quota (producer_byte_rate, consumer_byte_rate, request_percentage). */
export class RateQuota extends SensorMap<SampledRate> {
  /** Throttle times are capped at this (request_percentage: one window, as Kafka's ClientRequestQuotaManager). */
  private readonly maxThrottleMs: number;

  constructor(key: string, window: WindowConfig, maxThrottleMs = Number.POSITIVE_INFINITY) {
    super(key, window);
    this.maxThrottleMs = maxThrottleMs;
  }

  protected newStat(): SampledRate {
    return new SampledRate();
  }

  /**
   * Records `value` for the client and returns the throttle time (0 within the quota, or when no quota applies:
   * then nothing is recorded, as Kafka records only while quotas of this type exist).
   */
  record(entries: QuotaEntries, user: string, clientId: string, value: number, now: number): number {
    const table = tableFor(entries, this.key);
    if (table.size === 0) return 0;
    const q = resolveQuota(table, user, clientId);
    const s = this.sensor(`${q.user}\0${q.clientId}`, now);
    s.stat.record(this.window, value, now);
    if (q.bound === undefined) return 0;
    return this.noteThrottle(s, Math.min(this.maxThrottleMs, rateThrottleMs(s.stat, this.window, q.bound, now)));
  }

  /** Takes back a recorded value (a throttled fetch answers no data, so its bytes do not count). */
  unrecord(entries: QuotaEntries, user: string, clientId: string, value: number, now: number): void {
    const table = tableFor(entries, this.key);
    if (table.size === 0) return;
    const q = resolveQuota(table, user, clientId);
    this.sensor(`${q.user}\0${q.clientId}`, now).stat.record(this.window, -value, now);
  }

  /**
   * The most that may be recorded at once without certain throttling (Kafka's getMaxValueInQuotaWindow: the bound
   * over samples - 1 windows); Infinity without a quota. Caps a fetch's size.
   */
  maxValueInWindow(entries: QuotaEntries, user: string, clientId: string): number {
    const table = tableFor(entries, this.key);
    if (table.size === 0) return Number.POSITIVE_INFINITY;
    const bound = resolveQuota(table, user, clientId).bound;
    if (bound === undefined) return Number.POSITIVE_INFINITY;
    return (bound * (this.window.samples - 1) * this.window.windowMs) / 1000;
  }
}

/**
 * controller_mutation_rate (KIP-599): partitions created or deleted, on a token bucket. Strict (CreateTopics v6+,
 * CreatePartitions v3+, DeleteTopics v5+): once the bucket is below zero further mutations are refused with
 * THROTTLING_QUOTA_EXCEEDED, and a mutation is admitted whole while it is not. Permissive (older versions):
 * everything is admitted and the client is throttled.
 */
export class MutationQuota extends SensorMap<TokenBucket> {
  protected newStat(): TokenBucket {
    return new TokenBucket();
  }

  /** One request's view: admits or refuses its mutations and says the throttle time to answer with. */
  forRequest(entries: QuotaEntries, user: string, clientId: string, strict: boolean): RequestMutationQuota {
    const table = tableFor(entries, this.key);
    const q = table.size === 0 ? undefined : resolveQuota(table, user, clientId);
    const bound = q?.bound;
    if (q === undefined || bound === undefined) return UNBOUNDED;
    const id = `${q.user}\0${q.clientId}`;
    let throttleMs = 0;
    let recordedAt = 0;
    return {
      bounded: true,
      admit: (permits, now) => {
        const s = this.sensor(id, now);
        if (strict) {
          const t = bucketThrottleMs(s.stat.measure(this.window, bound, now), bound);
          if (t > 0) {
            throttleMs = t;
            recordedAt = now;
            return false;
          }
          s.stat.record(this.window, bound, permits, now);
          return true;
        }
        s.stat.record(this.window, bound, permits, now);
        const t = bucketThrottleMs(s.stat.measure(this.window, bound, now), bound);
        if (t > 0) {
          throttleMs = t;
          recordedAt = now;
        }
        return true;
      },
      throttleMs: (now) => {
        const left = Math.max(0, throttleMs - (now - recordedAt));
        if (left > 0) this.noteThrottle(this.sensor(id, now), left);
        return left;
      },
    };
  }
}

export interface RequestMutationQuota {
  /** Whether a quota applies at all (when not, everything is admitted and nothing recorded). */
  readonly bounded: boolean;
  /** Whether `permits` partitions may be created or deleted now (recording them when they may). */
  admit(permits: number, now: number): boolean;
  /** The throttle time to answer with: the last violation's, less the time since (Kafka's throttleTime). */
  throttleMs(now: number): number;
}

export const UNBOUNDED: RequestMutationQuota = { bounded: false, admit: () => true, throttleMs: () => 0 };

/**
 * connection_creation_rate of ip entities (Kafka's ConnectionQuotas for IPs): new connections per second from one
 * address, the address's own quota or else the default ip quota. A connection over it is refused: it is closed after
 * the throttle time (capped at one window) and not counted.
 */
export class ConnectionRateQuota extends SensorMap<SampledRate> {
  protected newStat(): SampledRate {
    return new SampledRate();
  }

  /** Records a new connection from `ip`; returns 0 to accept it, else the ms after which to close it. */
  admit(entries: QuotaEntries, ip: string, now: number): number {
    const bound = ipQuota(entries, ip);
    if (bound === undefined) return 0;
    const s = this.sensor(`${ip}\0`, now);
    s.stat.record(this.window, 1, now);
    const ms = Math.min(this.window.windowMs, rateThrottleMs(s.stat, this.window, bound, now));
    if (ms > 0) s.stat.record(this.window, -1, now);
    return this.noteThrottle(s, ms);
  }
}

const ipTables = new WeakMap<QuotaEntries, Map<string | null, number>>();

function ipQuota(entries: QuotaEntries, ip: string): number | undefined {
  if (entries.size === 0) return undefined;
  let t = ipTables.get(entries);
  if (t === undefined) {
    t = new Map();
    for (const e of entries.values()) {
      const v = e.values.connection_creation_rate;
      const part = e.entity.length === 1 && e.entity[0]!.entityType === 'ip' ? e.entity[0]! : undefined;
      if (v !== undefined && part !== undefined) t.set(part.entityName, v);
    }
    ipTables.set(entries, t);
  }
  return t.get(ip) ?? t.get(null);
}

/** The quota managers of one broker (Kafka's QuotaManagers for clients). */
export class ClientQuotaManagers {
  readonly produce: RateQuota;
  readonly fetch: RateQuota;
  readonly request: RateQuota;
  readonly controllerMutation: MutationQuota;
  readonly connection: ConnectionRateQuota;

  constructor(window: WindowConfig) {
    this.produce = new RateQuota('producer_byte_rate', window);
    this.fetch = new RateQuota('consumer_byte_rate', window);
    this.request = new RateQuota('request_percentage', window, window.windowMs);
    this.controllerMutation = new MutationQuota('controller_mutation_rate', window);
    this.connection = new ConnectionRateQuota('connection_creation_rate', window);
  }
}
