// A session that expires while the store cannot be reached (ZooKeeper without a quorum, found by the cluster fault
// harness's zk-quorum-loss): the keeper must keep trying to open a new session until it can, as Kafka's
// ZooKeeperClient does, not give up after the first failed attempt and leave the broker unregistered for good.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore } from '../../../src/cluster/coordination/memory.ts';
import {
  CoordinationError,
  type CoordinationSession,
  type CoordinationStore,
  type SessionOptions,
} from '../../../src/cluster/coordination/store.ts';
import { SessionKeeper } from '../../../src/controller/session-keeper.ts';

/** The memory store, unreachable while `down` is above zero (each connect attempt counts it down). */
class FlakyStore implements CoordinationStore {
  readonly description = 'flaky memory';
  readonly inner = new MemoryCoordinationStore();
  down = 0;
  attempts = 0;

  async connect(options: SessionOptions): Promise<CoordinationSession> {
    this.attempts++;
    if (this.down > 0) {
      this.down--;
      throw new CoordinationError('CONNECTION_LOSS', undefined, 'could not connect: no quorum');
    }
    return this.inner.connect(options);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

test('after an expiry, a new session is opened however many attempts fail first', async () => {
  const store = new FlakyStore();
  const sleeps: number[] = [];
  const keeper = new SessionKeeper(store, { sessionTimeoutMs: 1000 }, setImmediate, async (ms) => {
    sleeps.push(ms);
  });
  const events: string[] = [];
  keeper.listen({ expired: () => events.push('expired'), newSession: () => events.push('new') });
  const first = await keeper.start();

  store.down = 3;
  store.inner.expireSession(first.sessionId);
  for (let i = 0; i < 20 && !events.includes('new'); i++) await settle();

  assert.deepEqual(events, ['expired', 'new']);
  assert.equal(store.attempts, 1 + 3 + 1, 'the first session, three failed attempts, the one that worked');
  assert.deepEqual(sleeps, [1000, 1000, 1000], 'a pause after each failed attempt');
  assert.notEqual(keeper.session.sessionId, first.sessionId);
  // Requests work again, on the new session.
  assert.ok(await keeper.run((s) => s.exists('/')));
  await keeper.close();
});

test('a request that meets the expiry waits for the new session, and a closed keeper stops trying', async () => {
  const store = new FlakyStore();
  let pausing: Array<() => void> = [];
  /** Ends the keeper's pause between attempts (it must be pausing). */
  const wake = (why: string) => {
    assert.equal(pausing.length, 1, why);
    for (const r of pausing.splice(0)) r();
  };
  const keeper = new SessionKeeper(
    store,
    { sessionTimeoutMs: 1000 },
    setImmediate,
    () =>
      new Promise<void>((r) => {
        pausing.push(r);
      }),
  );
  const first = await keeper.start();
  store.down = 1;
  store.inner.expireSession(first.sessionId);
  const req = keeper.run((s) => s.create('/after-expiry', new Uint8Array()));
  await settle();
  wake('the first attempt failed and the keeper is pausing');
  assert.equal(await req, '/after-expiry', 'the request ran on the new session');

  // Unreachable for good: close() ends the retries, the waiting request fails.
  const second = keeper.session;
  store.down = Number.POSITIVE_INFINITY;
  pausing = [];
  store.inner.expireSession(second.sessionId);
  const stuck = keeper.run((s) => s.create('/never', new Uint8Array()));
  await settle();
  await keeper.close();
  wake('retrying');
  await assert.rejects(stuck, CoordinationError);
});

test('each failed attempt is reported to the listeners (renewFailed), then the new session', async () => {
  const memory = new MemoryCoordinationStore();
  let refuse = 0;
  const store: CoordinationStore = {
    description: 'flaky',
    connect: (o) =>
      refuse-- > 0
        ? Promise.reject(new CoordinationError('CONNECTION_LOSS', undefined, 'ensemble unreachable'))
        : memory.connect(o),
  };
  const keeper = new SessionKeeper(store, { sessionTimeoutMs: 1000 });
  const first = await keeper.start();
  const failures: number[] = [];
  const renewed = new Promise<void>((resolve) =>
    keeper.listen({ renewFailed: (_e, attempt) => failures.push(attempt), newSession: () => resolve() }),
  );
  refuse = 2;
  memory.expireSession(first.sessionId);
  await renewed;
  assert.deepEqual(failures, [1, 2]);
  assert.notEqual(keeper.session.sessionId, first.sessionId);
  assert.equal(keeper.session.state, 'connected');
  // Requests run on the new session.
  assert.deepEqual(await keeper.run((s) => s.getChildren('/')), []);
  await keeper.close();
});
