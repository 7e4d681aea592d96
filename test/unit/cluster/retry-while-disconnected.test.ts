// A broker starting while a ZooKeeper node restarts or resyncs (found by the cluster fault harness: a broker
// restarted right after zk-node-pause exited with "CONNECTION_LOSS (/brokers/ids)"): its registration is retried
// through transient ZooKeeper errors, as Kafka retries requests until connected, and still fails on real errors and
// on an outage longer than its patience.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore } from '../../../src/cluster/coordination/memory.ts';
import { CoordinationError } from '../../../src/cluster/coordination/store.ts';
import { BrokerRegistration } from '../../../src/controller/registration.ts';
import { SessionKeeper } from '../../../src/controller/session-keeper.ts';
import { retryWhileDisconnected } from '../../../src/node/cluster.ts';

/** A simulated clock: sleeping advances it. */
function clock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

test('registration survives a dropped ZooKeeper connection during start-up', async () => {
  const store = new MemoryCoordinationStore();
  const keeper = new SessionKeeper(store, { sessionTimeoutMs: 10_000 });
  const session = await keeper.start();
  const reg = new BrokerRegistration(
    keeper,
    7,
    {
      endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 'PLAINTEXT' }],
      rack: null,
      incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA',
    },
    () => {},
  );
  // The connection is down for the first two attempts (requests fail with CONNECTION_LOSS), then back.
  store.disconnectSession(session.sessionId);
  const c = clock();
  let attempts = 0;
  const epoch = await retryWhileDisconnected(
    async () => {
      attempts++;
      if (attempts === 3) store.reconnectSession(session.sessionId);
      return reg.register();
    },
    6000,
    c.sleep,
    c.now,
  );
  assert.equal(attempts, 3);
  assert.equal(typeof epoch, 'bigint');
  assert.equal(store.peek('/brokers/ids/7')?.stat.ephemeralOwner, session.sessionId);
  // Without the retry the first attempt's error reaches the caller (what made the broker exit).
  store.disconnectSession(session.sessionId);
  await assert.rejects(reg.register(), (e: unknown) => e instanceof CoordinationError && e.code === 'CONNECTION_LOSS');
  await keeper.close();
});

test('real errors are not retried, and an outage longer than the patience is reported', async () => {
  const c = clock();
  let calls = 0;
  await assert.rejects(
    retryWhileDisconnected(
      async () => {
        calls++;
        throw new CoordinationError('NOT_EMPTY', '/brokers/ids/1', 'not allowed');
      },
      6000,
      c.sleep,
      c.now,
    ),
    /not allowed/,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    retryWhileDisconnected(
      async () => {
        calls++;
        throw new CoordinationError('CONNECTION_LOSS', '/brokers/ids', 'connection lost');
      },
      1000,
      c.sleep,
      c.now,
    ),
    /connection lost/,
  );
  assert.equal(calls, 5, 'tried at 0, 250, 500, 750 and 1000 ms, then gave up');
});
