// Replication throttles (replication/quota.ts): Kafka's rate over sampled windows with an injected clock, the
// throttled-replica lists, and a fetch loop held to the quota over time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { throttledReplicaList } from '../../../src/config/config-def.ts';
import {
  ReplicationQuota,
  ThrottledReplicas,
  throttledPartitions,
  validThrottledReplicas,
} from '../../../src/replication/quota.ts';

describe('ReplicationQuota', () => {
  test('the rate is the bytes of the live samples over at least (windows - 1) windows', () => {
    let now = 1_000_000;
    const q = new ReplicationQuota({ rate: () => 1000, clock: () => now, windows: 11, windowMs: 1000 });
    assert.equal(q.measure(), 0);
    assert.equal(q.isExceeded(), false);
    q.record(5000);
    assert.equal(q.measure(), 500, '5000 bytes over the minimum 10 s');
    assert.equal(q.isExceeded(), false);
    q.record(6000);
    assert.equal(q.measure(), 1100);
    assert.equal(q.isExceeded(), true);
    // Samples older than the windows drop out.
    now += 11_001;
    assert.equal(q.measure(), 0);
    assert.equal(q.isExceeded(), false);
    // Past the minimum span the real span counts: 11 samples of 1000 bytes, one per second, span 11 s.
    for (let i = 0; i < 11; i++) {
      q.record(1000);
      now += 1000;
    }
    now -= 1;
    assert.ok(Math.abs(q.measure() - 1000) < 1, `about 11000 bytes over 11 s: ${q.measure()}`);
  });

  test('an unthrottled quota (Long.MAX_VALUE) is never exceeded', () => {
    const q = new ReplicationQuota({ rate: () => Number('9223372036854775807'), clock: () => 0 });
    q.record(1e15);
    assert.equal(q.isExceeded(), false);
  });

  test('a fetch loop that skips while exceeded is held to the rate (plus the first windows burst)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 1_000_000 }),
        fc.integer({ min: 10, max: 200 }), // one fetch is 0.1 to 2 s of the rate; 20 fetches a second
        fc.integer({ min: 20, max: 120 }),
        (rate, chunkFactor, seconds) => {
          let now = 0;
          const q = new ReplicationQuota({ rate: () => rate, clock: () => now, windows: 11, windowMs: 1000 });
          const chunk = Math.max(1, Math.floor((rate * chunkFactor) / 100));
          let total = 0;
          for (; now < seconds * 1000; now += 50) {
            if (q.isExceeded()) continue;
            q.record(chunk);
            total += chunk;
          }
          // Kafka's semantics: about rate × (elapsed + the windows' span, up to 11 s), with the sampling's slack (a
          // sample's bytes leave the measure all at once, when its start does) and the fetches that went over.
          assert.ok(total <= 1.25 * rate * (seconds + 11) + 2 * chunk, `${total} bytes in ${seconds} s at ${rate} B/s`);
          assert.ok(total >= rate * seconds * 0.8, `throughput kept near the rate: ${total}`);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('throttled replica lists', () => {
  test('"*" throttles every partition; pairs throttle the partitions naming this broker', () => {
    assert.equal(throttledPartitions(['*'], 3), 'all');
    assert.deepEqual([...(throttledPartitions(['0:1', ' 1:2', '2:1 ', '3:10'], 1) as Set<number>)], [0, 2]);
    const t = new ThrottledReplicas(2);
    const list = ['0:1', '1:2'];
    assert.equal(t.isThrottled(list, 1), true);
    assert.equal(t.isThrottled(list, 0), false);
    assert.equal(t.isThrottled([], 0), false);
    assert.equal(t.isThrottled(['*'], 7), true);
  });

  test('validation as Kafka: empty, "*", or partition:broker pairs', () => {
    for (const ok of [[], ['*'], ['0:1'], ['0:1', '12:3']]) {
      assert.equal(validThrottledReplicas(ok), true);
      assert.equal(throttledReplicaList.test(ok), true);
    }
    for (const bad of [['*', '0:1'], ['0'], ['a:1'], ['0:1:2']]) {
      assert.equal(validThrottledReplicas(bad), false);
      assert.equal(throttledReplicaList.test(bad), false, JSON.stringify(bad));
    }
  });
});
