// Two registrations of one broker.id over the in-memory store: a second live broker (other log dirs) fails at once
// with Kafka's NodeExists message; the same broker again (a restart or re-registration within the old session's
// timeout: a log dir in common) waits for the old node to go and then registers with a new broker epoch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore } from '../../../src/cluster/coordination/memory.ts';
import {
  BrokerRegistration,
  DuplicateBrokerIdError,
  type Registration,
  sameBroker,
} from '../../../src/controller/registration.ts';
import { SessionKeeper } from '../../../src/controller/session-keeper.ts';

const reg = (port: number, logDirIds?: string[]): Registration => ({
  endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' }],
  rack: null,
  incarnationId: `inc-${port}`,
  logDirIds,
});

async function registration(store: MemoryCoordinationStore, r: Registration) {
  const keeper = new SessionKeeper(store, { sessionTimeoutMs: 1000 });
  await keeper.start();
  return { keeper, registration: new BrokerRegistration(keeper, 1, r, () => {}) };
}

test('sameBroker: a log dir in common is the same broker; unknown ids count as the same (waited out)', () => {
  assert.equal(sameBroker(reg(1, ['a', 'b']), reg(2, ['b'])), true);
  assert.equal(sameBroker(reg(1, ['a']), reg(2, ['c'])), false);
  assert.equal(sameBroker(reg(1, ['a']), reg(2)), true);
  assert.equal(sameBroker(reg(1, []), reg(2, ['c'])), true);
});

test('a second live broker with the same broker.id fails fast; the same broker again waits for its old node', async () => {
  const store = new MemoryCoordinationStore();
  const first = await registration(store, reg(9001, ['dir-a']));
  const epoch = await first.registration.register();

  const other = await registration(store, reg(9002, ['dir-b']));
  await assert.rejects(other.registration.register(), (e: unknown) => {
    assert.ok(e instanceof DuplicateBrokerIdError);
    assert.match(
      e.message,
      /^Error while creating ephemeral at \/brokers\/ids\/1, node already exists and owner '0x[0-9a-f]+' does not match current session '0x[0-9a-f]+': another live broker is registered with broker\.id 1 \(endpoints PLAINTEXT:\/\/127\.0\.0\.1:9001/,
    );
    return true;
  });
  assert.equal(other.registration.epoch, null);

  // The first broker "restarts": a new process (new session) on the same log dir while its old session lives.
  const again = await registration(store, reg(9001, ['dir-a']));
  let done = false;
  const registering = again.registration.register().then((e) => {
    done = true;
    return e;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, 'waits while the old session holds the node');
  store.expireSession(first.keeper.session.sessionId);
  const newEpoch = await registering;
  assert.ok(newEpoch > epoch, 'a new broker epoch');
  for (const x of [first, other, again]) await x.keeper.close();
});
