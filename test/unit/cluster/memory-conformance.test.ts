// The in-memory coordination store through the same conformance suite as ZooKeeperStore
// (test/integration/zookeeper-client.test.ts): the simulations and startCluster() rely on it behaving as ZooKeeper.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MemoryCoordinationStore, MemorySession } from '../../../src/cluster/coordination/memory.ts';
import type { CoordinationSession } from '../../../src/cluster/coordination/store.ts';
import { coordinationConformance } from '../../helpers/coordination-conformance.ts';

describe('MemoryCoordinationStore: the coordination conformance suite', () => {
  const stores = new Map<CoordinationSession, MemoryCoordinationStore>();
  coordinationConformance(() => ({
    newStore() {
      const store = new MemoryCoordinationStore();
      const connect = store.connect.bind(store);
      store.connect = async (options) => {
        const session = await connect(options);
        stores.set(session, store);
        return session;
      };
      return store;
    },
    sessionTimeoutMs: 2000,
    async expire(session: CoordinationSession) {
      assert.ok(session instanceof MemorySession);
      const store = stores.get(session);
      assert.ok(store, 'a session of a store made by newStore()');
      store.expireSession(session.sessionId);
    },
    // One copy of the tree: every read already sees every acknowledged change.
    async catchUp() {},
  }));
});
