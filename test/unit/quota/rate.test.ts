import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bucketThrottleMs, rateThrottleMs, SampledRate, TokenBucket } from '../../../src/quota/rate.ts';

const W = { samples: 11, windowMs: 1000 };

test('a young rate counts samples - 1 whole windows (Kafka: no huge rate from the first second)', () => {
  const r = new SampledRate();
  const t = 1_000_000;
  r.record(W, 1000, t);
  assert.equal(r.windowSize(W, t), 10_000);
  assert.equal(r.measure(W, t), 100);
  // 2.5 s later: 2 whole windows elapsed, 8 more assumed (10.5 s); after 10.5 s it is the elapsed time.
  r.record(W, 1000, t + 2500);
  assert.equal(r.windowSize(W, t + 2500), 10_500);
  assert.equal(r.measure(W, t + 2500), 2000 / 10.5);
  assert.equal(r.windowSize(W, t + 10_500), 10_500);
});

test('throttle time is (observed - bound) / bound × window, 0 within the bound', () => {
  const r = new SampledRate();
  const t = 5_000_000;
  r.record(W, 2000, t); // 200/s over 10 s
  assert.equal(rateThrottleMs(r, W, 100, t), 10_000);
  assert.equal(rateThrottleMs(r, W, 200, t), 0);
  assert.equal(rateThrottleMs(r, W, 250, t), 0);
});

test('samples idle for samples × window are purged, so an old burst stops counting', () => {
  const r = new SampledRate();
  r.record(W, 1e6, 0);
  assert.ok(r.measure(W, 10_999) > 0);
  assert.equal(r.measure(W, 11_000), 0);
});

test('a negative record takes a value back (a throttled fetch is not counted)', () => {
  const r = new SampledRate();
  r.record(W, 500, 100_000);
  r.record(W, 700, 100_300);
  r.record(W, -700, 100_300);
  assert.equal(r.measure(W, 100_300), 500 / 10.3);
});

test('a client that waits out its throttle times keeps near its quota (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1000, max: 1_000_000 }), // bound, bytes/s
      fc.integer({ min: 1, max: 50 }), // request size as a fraction of the bound (%)
      fc.integer({ min: 0, max: 50 }), // gap between requests, ms
      fc.integer({ min: 1, max: 2_000_000_000 }), // start time
      (bound, pct, gap, start) => {
        const r = new SampledRate();
        const size = Math.max(1, Math.floor((bound * pct) / 100));
        let t = start;
        let sent = 0;
        const end = start + 120_000;
        let measuredFrom = -1;
        while (t < end) {
          r.record(W, size, t);
          if (t >= start + 30_000) {
            if (measuredFrom < 0) measuredFrom = t;
            sent += size;
          }
          t += Math.max(gap, rateThrottleMs(r, W, bound, t)) || 1;
        }
        const rate = sent / ((t - measuredFrom) / 1000);
        // After the first window the long-run rate holds to the quota (plus one request over the span).
        assert.ok(rate <= bound * 1.05 + size / 90, `rate ${rate} over bound ${bound} (size ${size}, gap ${gap})`);
        if (gap * bound < 1000 * size * 0.5) assert.ok(rate >= bound * 0.8, `rate ${rate} well under bound ${bound}`);
      },
    ),
    { numRuns: 200 },
  );
});

test('a token bucket starts full (burst = samples × window × quota), goes negative, and refills', () => {
  const b = new TokenBucket();
  const t = 1_000_000;
  assert.equal(b.measure(W, 5, t), 55);
  b.record(W, 5, 60, t);
  assert.equal(b.measure(W, 5, t), -5);
  assert.equal(bucketThrottleMs(-5, 5), 1000);
  assert.equal(b.measure(W, 5, t + 1000), 0);
  assert.equal(bucketThrottleMs(0, 5), 0);
  assert.equal(b.measure(W, 5, t + 60_000), 55);
});
