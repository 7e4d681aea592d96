// The two measures Kafka's client quotas are enforced with, as pure state machines over an injected time (every call
// takes `now` in ms): the sampled rate of Kafka's `Rate` over a `WindowedSum` (byte rates, request time), and the
// token bucket of KIP-599 (controller mutations). Their arithmetic follows Kafka's metrics package exactly, so a
// client sees the same throttle times it would see from Kafka.
import { assert } from '../util/assert.ts';

/** `quota.window.num` samples of `quota.window.size.seconds` each. */
export interface WindowConfig {
  readonly samples: number;
  readonly windowMs: number;
}

interface Sample {
  start: number;
  lastEvent: number;
  value: number;
}

/**
 * Kafka's Rate(WindowedSum): values are summed into samples of `windowMs`; a sample with no event for
 * `samples × windowMs` is reset (purged); the rate is the sum over the window size, which counts at least
 * `samples - 1` whole windows so a young sensor does not report a huge rate. Holds samples + 1 slots (the extra one
 * is the "overlapping" sample Kafka keeps).
 */
export class SampledRate {
  private readonly slots: Sample[] = [];
  private current = 0;

  record(cfg: WindowConfig, value: number, now: number): void {
    let s = this.currentSample(now);
    if (now - s.start >= cfg.windowMs) s = this.advance(cfg, now);
    s.value += value;
    s.lastEvent = now;
  }

  /** The rate per second at `now`. */
  measure(cfg: WindowConfig, now: number): number {
    this.purge(cfg, now);
    let sum = 0;
    for (const s of this.slots) sum += s.value;
    return sum / (this.windowSize(cfg, now) / 1000);
  }

  /** The time span (ms) the rate is computed over (Kafka's Rate.windowSize). */
  windowSize(cfg: WindowConfig, now: number): number {
    this.purge(cfg, now);
    let oldest = this.currentSample(now).start;
    for (const s of this.slots) if (s.start < oldest) oldest = s.start;
    let elapsed = now - oldest;
    const full = Math.floor(elapsed / cfg.windowMs);
    const minFull = cfg.samples - 1;
    if (full < minFull) elapsed += (minFull - full) * cfg.windowMs;
    return Math.max(elapsed, 1);
  }

  private currentSample(now: number): Sample {
    if (this.slots.length === 0) this.slots.push({ start: now, lastEvent: now, value: 0 });
    return this.slots[this.current]!;
  }

  private advance(cfg: WindowConfig, now: number): Sample {
    this.current = (this.current + 1) % (cfg.samples + 1);
    if (this.current >= this.slots.length) {
      const s = { start: now, lastEvent: now, value: 0 };
      this.slots.push(s);
      return s;
    }
    const s = this.slots[this.current]!;
    reset(s, now);
    return s;
  }

  private purge(cfg: WindowConfig, now: number): void {
    const expireAge = cfg.samples * cfg.windowMs;
    for (const s of this.slots) if (now - s.lastEvent >= expireAge) reset(s, now);
  }
}

function reset(s: Sample, now: number): void {
  s.start = now;
  s.lastEvent = now;
  s.value = 0;
}

/**
 * Kafka's TokenBucket (KIP-599): credits refill at `quota` per second up to a burst of samples × window × quota;
 * recording takes credits, and the quota is exhausted while the credits are below zero. Like Kafka's, a new bucket's
 * last update is time 0, so it starts full.
 */
export class TokenBucket {
  private tokens = 0;
  private lastUpdate = 0;

  /** The credits left at `now` (negative: exhausted). */
  measure(cfg: WindowConfig, quota: number, now: number): number {
    this.refill(cfg, quota, now);
    return this.tokens;
  }

  record(cfg: WindowConfig, quota: number, value: number, now: number): void {
    this.refill(cfg, quota, now);
    this.tokens = Math.min(burst(cfg, quota), this.tokens - value);
  }

  private refill(cfg: WindowConfig, quota: number, now: number): void {
    this.tokens = Math.min(burst(cfg, quota), this.tokens + (quota * (now - this.lastUpdate)) / 1000);
    this.lastUpdate = now;
  }
}

function burst(cfg: WindowConfig, quota: number): number {
  return (cfg.samples * cfg.windowMs * quota) / 1000;
}

/**
 * Kafka's QuotaUtils.throttleTime: with observed rate O over a window W and a bound T, the delay X that brings the
 * rate back to T is (O - T) / T × W. Zero when the rate is within the bound.
 */
export function rateThrottleMs(rate: SampledRate, cfg: WindowConfig, bound: number, now: number): number {
  assert(bound > 0, `quota bound ${bound} must be positive`);
  const observed = rate.measure(cfg, now);
  if (observed <= bound) return 0;
  return Math.round(((observed - bound) / bound) * rate.windowSize(cfg, now));
}

/** Kafka's ControllerMutationQuotaManager.throttleTimeMs: the time to refill a negative bucket to zero. */
export function bucketThrottleMs(tokens: number, bound: number): number {
  return tokens >= 0 ? 0 : Math.round((-tokens / bound) * 1000);
}
