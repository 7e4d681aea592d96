// The SessionKeeper after an expiry while the ensemble is still unreachable: opening the new session fails, and
// it keeps trying (each failure reported) until one opens, then tells its listeners of the new session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore } from '../../../src/cluster/coordination/memory.ts';
import { CoordinationError, type CoordinationStore } from '../../../src/cluster/coordination/store.ts';
import { SessionKeeper } from '../../../src/controller/session-keeper.ts';

test('a failed attempt to open the new session after an expiry is retried until one opens', async () => {
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
