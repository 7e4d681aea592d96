import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClientQuotaEntry, type EntityPart, entityKey } from '../../../src/quota/entity.ts';
import { ClientQuotaManagers, principalName, SENSOR_EXPIRY_MS } from '../../../src/quota/manager.ts';

const W = { samples: 11, windowMs: 1000 };
const user = (n: string | null): EntityPart => ({ entityType: 'user', entityName: n });
const entries = (list: Array<[EntityPart[], Record<string, number>]>) =>
  new Map<string, ClientQuotaEntry>(list.map(([entity, values]) => [entityKey(entity), { entity, values }]));

test('principal names: the part after the type', () => {
  assert.equal(principalName('User:alice'), 'alice');
  assert.equal(principalName('User:CN=carol,O=x'), 'CN=carol,O=x');
});

test('no quotas: nothing is recorded and nothing throttled', () => {
  const q = new ClientQuotaManagers(W);
  assert.equal(q.produce.record(new Map(), 'u', 'c', 1e9, 1000), 0);
  assert.equal(q.produce.sensorCount, 0);
  assert.equal(q.fetch.maxValueInWindow(new Map(), 'u', 'c'), Number.POSITIVE_INFINITY);
});

test('a producer over its byte rate is throttled; a changed quota applies to the same sensor at once', () => {
  const q = new ClientQuotaManagers(W);
  const t = 10_000_000;
  const low = entries([[[user('u')], { producer_byte_rate: 100 }]]);
  assert.equal(q.produce.record(low, 'u', 'a', 1000, t), 0); // 100/s over the 10 s minimum window
  assert.equal(q.produce.record(low, 'u', 'b', 1000, t), 10_000); // another client of u shares the sensor
  const high = entries([[[user('u')], { producer_byte_rate: 1000 }]]);
  assert.equal(q.produce.record(high, 'u', 'a', 0, t), 0);
  assert.deepEqual(q.produce.throttleTotals(), [{ user: 'u', clientId: '', ms: 10_000, count: 1 }]);
  // Another user has no quota: recorded on its own sensor, never throttled.
  assert.equal(q.produce.record(low, 'v', 'a', 1e9, t), 0);
});

test('request time is capped at one window; the fetch cap is the bound over samples - 1 windows', () => {
  const q = new ClientQuotaManagers(W);
  const e = entries([[[user('u')], { request_percentage: 1, consumer_byte_rate: 500 }]]);
  assert.equal(q.request.record(e, 'u', 'c', 100, 1_000_000), 1000);
  assert.equal(q.fetch.maxValueInWindow(e, 'u', 'c'), 5000);
  assert.equal(q.fetch.maxValueInWindow(e, 'v', 'c'), Number.POSITIVE_INFINITY);
});

test('idle sensors expire after an hour', () => {
  const q = new ClientQuotaManagers(W);
  const e = entries([[[user(null)], { producer_byte_rate: 100 }]]);
  q.produce.record(e, 'a', 'c', 1, 0);
  q.produce.record(e, 'b', 'c', 1, SENSOR_EXPIRY_MS / 2);
  assert.equal(q.produce.sensorCount, 2);
  q.produce.record(e, 'b', 'c', 1, SENSOR_EXPIRY_MS + 60_000);
  assert.equal(q.produce.sensorCount, 1);
});

test('controller mutations: strict refuses once the bucket is empty, permissive admits and throttles', () => {
  const q = new ClientQuotaManagers(W);
  const e = entries([[[user('u')], { controller_mutation_rate: 2 }]]);
  const t = 1_000_000;
  const strict = q.controllerMutation.forRequest(e, 'u', 'c', true);
  assert.equal(strict.admit(30, t), true); // the bucket holds 22: admitted whole, now -8
  assert.equal(strict.admit(1, t), false);
  assert.equal(strict.throttleMs(t), 4000);
  assert.equal(strict.throttleMs(t + 1500), 2500);
  const permissive = q.controllerMutation.forRequest(e, 'u', 'c', false);
  assert.equal(permissive.admit(2, t + 1500), true);
  assert.equal(permissive.throttleMs(t + 1500), 3500);
  const none = q.controllerMutation.forRequest(e, 'v', 'c', true);
  assert.equal(none.admit(1e6, t), true);
  assert.equal(none.throttleMs(t), 0);
});

test('connection_creation_rate: an address over its rate is refused (and not counted); the default ip quota', () => {
  const q = new ClientQuotaManagers(W);
  const ip = (n: string | null): EntityPart => ({ entityType: 'ip', entityName: n });
  const e = entries([
    [[ip('10.0.0.1')], { connection_creation_rate: 1 }],
    [[ip(null)], { connection_creation_rate: 100 }],
  ]);
  const t = 1_000_000;
  // One per second over the 10 s minimum window: ten at once are accepted, the eleventh is refused.
  for (let i = 0; i < 10; i++) assert.equal(q.connection.admit(e, '10.0.0.1', t), 0);
  const ms = q.connection.admit(e, '10.0.0.1', t);
  assert.ok(ms > 0 && ms <= 1000, `throttle ${ms}`);
  assert.ok(q.connection.admit(e, '10.0.0.1', t) > 0); // the refused one did not count, nor grow the throttle
  assert.equal(q.connection.admit(e, '10.0.0.2', t), 0); // the default quota: 100/s
  assert.equal(q.connection.admit(new Map(), '10.0.0.1', t), 0);
});
