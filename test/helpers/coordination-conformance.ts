// The coordination store's contract, as a test suite any implementation runs through: ZooKeeperStore against a
// real ensemble (test/integration/zookeeper-client.test.ts), the in-memory store against itself.
//
// Usage: inside a describe(), `coordinationConformance(() => target)`; the target is read when each test runs, so
// it may be set up in a before() hook. Each test asks for a fresh store (its own namespace: a new chroot) and the
// sessions it opens are closed after it.
//
// What it holds a store to (ZooKeeper's behaviour, which the in-memory store must mirror):
// - A watch fires at most once, and a session sees the event for a change it made itself before that call returns.
//   The same callback set twice on one path fires once; getData on a missing node sets no watch, exists() does.
// - Sequential suffixes are 10 digits from the parent's counter and only grow (a deleted number is not reused).
// - multi() is all or nothing; its error is the first failing operation's code with its opIndex; multi([]) is [].
// - BAD_ARGUMENTS for bad paths, create modes, versions (not an integer in -1..2^31-1) and data that is not bytes.
// - After close(): SESSION_CLOSED for every call (close() again is fine). After expiry: state 'expired' (listeners
//   told), the session's ephemeral nodes deleted (watchers told), SESSION_EXPIRED for every call.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  ANY_VERSION,
  CoordinationError,
  type CoordinationErrorCode,
  type CoordinationSession,
  type CoordinationStore,
  ensurePath,
  type SessionState,
  type WatchEventType,
} from '../../src/cluster/coordination/store.ts';

export interface ConformanceTarget {
  /** A store whose tree no other test uses (e.g. a fresh chroot on a shared ensemble). */
  newStore(): CoordinationStore;
  readonly sessionTimeoutMs: number;
  /**
   * Makes the service expire `session` as it does when the owner stops heart-beating (ephemerals deleted, the owner
   * told 'expired'), without the owner's cooperation.
   */
  expire(session: CoordinationSession): Promise<void>;
  /**
   * Makes `session`'s reads see every change acknowledged to other sessions before the call (ZooKeeper's sync: a
   * session may read from a server a little behind another session's; a store with one copy does nothing).
   */
  catchUp(session: CoordinationSession): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const EMPTY = new Uint8Array(0);

/** Polls `predicate` every 10 ms; on timeout the error names `what` and adds `detail()` (e.g. the states seen). */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  timeoutMs = 15_000,
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Asserts that `promise` rejects with a CoordinationError of `code` (and `opIndex`, when given). */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: CoordinationErrorCode,
  opIndex?: number,
): Promise<CoordinationError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof CoordinationError, `expected a CoordinationError, got ${e}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (opIndex !== undefined) assert.equal(e.opIndex, opIndex, `opIndex of: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

interface Recorded {
  readonly type: WatchEventType;
  readonly path: string;
}

export function coordinationConformance(getTarget: () => ConformanceTarget): void {
  const open: CoordinationSession[] = [];
  let store: CoordinationStore | undefined;

  async function session(fresh = false): Promise<CoordinationSession> {
    const target = getTarget();
    if (store === undefined || fresh) store = target.newStore();
    const s = await store.connect({ sessionTimeoutMs: target.sessionTimeoutMs });
    open.push(s);
    return s;
  }

  afterEach(async () => {
    store = undefined;
    for (const s of open.splice(0)) await s.close();
  });

  describe('nodes and versions', () => {
    it('creates, reads, updates and deletes a node; stats count versions', async () => {
      const s = await session(true);
      assert.equal(await s.create('/a', bytes('one')), '/a');
      const first = await s.getData('/a');
      assert.equal(text(first.data), 'one');
      assert.equal(first.stat.version, 0);
      assert.equal(first.stat.dataLength, 3);
      assert.equal(first.stat.ephemeralOwner, 0n);
      const st = await s.setData('/a', bytes('two'));
      assert.equal(st.version, 1);
      assert.ok(st.mzxid > first.stat.mzxid, 'mzxid grows');
      assert.equal(st.czxid, first.stat.czxid);
      assert.equal(text((await s.getData('/a')).data), 'two');
      await s.create('/a/b', EMPTY);
      const parent = await s.exists('/a');
      assert.equal(parent?.numChildren, 1);
      assert.equal(parent?.cversion, 1);
      assert.deepEqual(await s.getChildren('/a'), ['b']);
      await s.delete('/a/b');
      await s.delete('/a');
      assert.equal(await s.exists('/a'), null);
    });

    it('answers NODE_EXISTS, NO_NODE, NOT_EMPTY, NO_CHILDREN_FOR_EPHEMERALS and BAD_ARGUMENTS', async () => {
      const s = await session(true);
      await s.create('/x', EMPTY);
      await rejectsWith(s.create('/x', EMPTY), 'NODE_EXISTS');
      await rejectsWith(s.create('/missing/child', EMPTY), 'NO_NODE');
      await rejectsWith(s.getData('/missing'), 'NO_NODE');
      await rejectsWith(s.getChildren('/missing'), 'NO_NODE');
      await rejectsWith(s.setData('/missing', EMPTY), 'NO_NODE');
      await rejectsWith(s.delete('/missing'), 'NO_NODE');
      await s.create('/x/y', EMPTY);
      await rejectsWith(s.delete('/x'), 'NOT_EMPTY');
      await s.create('/eph', EMPTY, 'ephemeral');
      await rejectsWith(s.create('/eph/child', EMPTY), 'NO_CHILDREN_FOR_EPHEMERALS');
      for (const bad of ['', 'x', '/x/', '/x//y', '/x/./y', '/x/../y']) {
        await rejectsWith(s.create(bad, EMPTY), 'BAD_ARGUMENTS');
      }
      await rejectsWith(s.getData('relative'), 'BAD_ARGUMENTS');
      await rejectsWith(s.create('/m', EMPTY, 'sometimes' as never), 'BAD_ARGUMENTS');
      await rejectsWith(s.setData('/x', EMPTY, 1.5), 'BAD_ARGUMENTS');
      await rejectsWith(s.delete('/x', -2), 'BAD_ARGUMENTS');
      await rejectsWith(s.setData('/x', 'text' as never), 'BAD_ARGUMENTS');
      await rejectsWith(s.multi([{ op: 'rename', path: '/x' } as never]), 'BAD_ARGUMENTS');
      assert.equal(await s.exists('/m'), null);
    });

    it('compare-and-set: a stale version gets BAD_VERSION and changes nothing; ANY_VERSION always applies', async () => {
      const s = await session(true);
      await s.create('/cas', bytes('v0'));
      await s.setData('/cas', bytes('v1'), 0);
      await rejectsWith(s.setData('/cas', bytes('stale'), 0), 'BAD_VERSION');
      assert.equal(text((await s.getData('/cas')).data), 'v1');
      const st = await s.setData('/cas', bytes('v2'), ANY_VERSION);
      assert.equal(st.version, 2);
      await rejectsWith(s.delete('/cas', 1), 'BAD_VERSION');
      await s.delete('/cas', 2);
      assert.equal(await s.exists('/cas'), null);
    });

    it('ensurePath creates missing parents and leaves existing nodes alone', async () => {
      const s = await session(true);
      await s.create('/p', bytes('keep'));
      await ensurePath(s, '/p/q/r');
      await ensurePath(s, '/p/q/r');
      assert.equal(text((await s.getData('/p')).data), 'keep');
      assert.notEqual(await s.exists('/p/q/r'), null);
    });
  });

  describe('multi', () => {
    it('applies every operation and returns one result per operation, in order', async () => {
      const s = await session(true);
      await s.create('/m', bytes('0'));
      await s.create('/gone', EMPTY);
      const results = await s.multi([
        { op: 'check', path: '/m', version: 0 },
        { op: 'create', path: '/m/seq-', data: EMPTY, mode: 'persistent_sequential' },
        { op: 'setData', path: '/m', data: bytes('1'), version: 0 },
        { op: 'delete', path: '/gone', version: ANY_VERSION },
      ]);
      assert.deepEqual(
        results.map((r) => r.op),
        ['check', 'create', 'setData', 'delete'],
      );
      assert.deepEqual(results[1], { op: 'create', path: '/m/seq-0000000000' });
      assert.equal(results[2]?.op === 'setData' && results[2].stat.version, 1);
      assert.equal(await s.exists('/gone'), null);
      assert.deepEqual(await s.multi([]), []);
    });

    it('is all or nothing: a failing check leaves nothing applied and names the failing operation', async () => {
      const s = await session(true);
      await s.create('/epoch', bytes('5'));
      await s.setData('/epoch', bytes('6')); // version 1
      await s.create('/state', bytes('old'));
      const e = await rejectsWith(
        s.multi([
          { op: 'create', path: '/new', data: EMPTY, mode: 'persistent' },
          { op: 'setData', path: '/state', data: bytes('new'), version: ANY_VERSION },
          { op: 'check', path: '/epoch', version: 0 },
          { op: 'delete', path: '/state', version: ANY_VERSION },
        ]),
        'BAD_VERSION',
        2,
      );
      assert.equal(e.path, '/epoch');
      assert.equal(await s.exists('/new'), null);
      assert.equal(text((await s.getData('/state')).data), 'old');
      // Other failures name their operation too.
      await rejectsWith(
        s.multi([
          { op: 'check', path: '/epoch', version: 1 },
          { op: 'create', path: '/state', data: EMPTY, mode: 'persistent' },
        ]),
        'NODE_EXISTS',
        1,
      );
      await rejectsWith(s.multi([{ op: 'delete', path: '/nope', version: ANY_VERSION }]), 'NO_NODE', 0);
    });
  });

  describe('sequential and ephemeral nodes', () => {
    it('sequential nodes get increasing 10-digit suffixes per parent', async () => {
      const s = await session(true);
      await s.create('/q', EMPTY);
      await s.create('/r', EMPTY);
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push(await s.create('/q/item-', bytes(String(i)), 'persistent_sequential'));
      assert.deepEqual(
        made,
        [0, 1, 2, 3, 4].map((i) => `/q/item-${String(i).padStart(10, '0')}`),
      );
      assert.equal(await s.create('/r/', EMPTY, 'persistent_sequential'), '/r/0000000000');
      assert.deepEqual((await s.getChildren('/q')).sort(), made.map((p) => p.slice(3)).sort());
      // A deleted node's number is not handed out again. (The counter is the parent's cversion; whether ZooKeeper
      // counts the delete too depends on whether it is still in flight, so only the order is asserted.)
      await s.delete(made[4] as string);
      const next = await s.create('/q/item-', EMPTY, 'ephemeral_sequential');
      const after = await s.create('/q/item-', EMPTY, 'persistent_sequential');
      assert.match(next, /^\/q\/item-\d{10}$/);
      assert.ok(next > (made[4] as string) && after > next, `${made[4]} < ${next} < ${after}`);
    });

    it('ephemeral nodes belong to their session and go when it closes', async () => {
      const owner = await session(true);
      const observer = await session();
      await owner.create('/members', EMPTY);
      await owner.create('/members/1', bytes('me'), 'ephemeral');
      const seq = await owner.create('/members/n-', EMPTY, 'ephemeral_sequential');
      await getTarget().catchUp(observer);
      const st = await observer.exists('/members/1');
      assert.equal(st?.ephemeralOwner, owner.sessionId);
      const events: Recorded[] = [];
      await observer.getChildren('/members', (e) => events.push(e));
      await observer.exists(seq, (e) => events.push(e));
      await owner.close();
      await waitFor(() => events.length === 2, 'two watch events');
      assert.deepEqual(
        [...events].sort((a, b) => a.path.localeCompare(b.path)),
        [
          { type: 'childrenChanged', path: '/members' },
          { type: 'deleted', path: seq },
        ],
      );
      assert.deepEqual(await observer.getChildren('/members'), []);
      await rejectsWith(owner.getData('/members'), 'SESSION_CLOSED');
      await owner.close(); // twice is fine
    });
  });

  describe('watches', () => {
    it('a data watch fires once, for the first change, before the changing call returns to its session', async () => {
      const s = await session(true);
      await s.create('/w', bytes('0'));
      const events: Recorded[] = [];
      await s.getData('/w', (e) => events.push(e));
      await s.setData('/w', bytes('1'));
      assert.deepEqual(events, [{ type: 'dataChanged', path: '/w' }]);
      await s.setData('/w', bytes('2'));
      await s.getData('/w');
      assert.equal(events.length, 1, 'a watch fires at most once');
      // Set again, then the node is deleted: 'deleted'.
      await s.getData('/w', (e) => events.push(e));
      await s.delete('/w');
      assert.deepEqual(events[1], { type: 'deleted', path: '/w' });
    });

    it('exists() watches a missing node for its creation; getData on a missing node sets no watch', async () => {
      const s = await session(true);
      const events: Recorded[] = [];
      assert.equal(await s.exists('/later', (e) => events.push(e)), null);
      await rejectsWith(
        s.getData('/later2', (e) => events.push(e)),
        'NO_NODE',
      );
      await s.create('/later', EMPTY);
      await s.create('/later2', EMPTY);
      await s.setData('/later2', bytes('x'));
      assert.deepEqual(events, [{ type: 'created', path: '/later' }]);
    });

    it('a child watch fires once on a child created or deleted, not on a child data change', async () => {
      const s = await session(true);
      await s.create('/c', EMPTY);
      await s.create('/c/a', EMPTY);
      const events: Recorded[] = [];
      await s.getChildren('/c', (e) => events.push(e));
      await s.setData('/c/a', bytes('x'));
      assert.equal(events.length, 0);
      await s.create('/c/b', EMPTY);
      await s.delete('/c/b');
      await s.exists('/c');
      assert.deepEqual(events, [{ type: 'childrenChanged', path: '/c' }]);
    });

    it('watches set by one session fire for changes made by another; one callback per registration', async () => {
      const watcher = await session(true);
      const writer = await session();
      await writer.create('/shared', EMPTY);
      await getTarget().catchUp(watcher);
      const a: Recorded[] = [];
      const b: Recorded[] = [];
      const cbA = (e: Recorded) => a.push(e);
      await watcher.getData('/shared', cbA);
      await watcher.exists('/shared', cbA); // the same callback twice on one path: called once
      await watcher.getData('/shared', (e) => b.push(e));
      await writer.setData('/shared', bytes('1'));
      await waitFor(() => a.length > 0 && b.length > 0, 'both watchers');
      await watcher.getData('/shared');
      assert.deepEqual(a, [{ type: 'dataChanged', path: '/shared' }]);
      assert.deepEqual(b, [{ type: 'dataChanged', path: '/shared' }]);
    });
  });

  describe('session life', () => {
    it('reports state changes to listeners until they unsubscribe; close() ends the session', async () => {
      const s = await session(true);
      assert.equal(s.state, 'connected');
      assert.ok(s.sessionTimeoutMs > 0);
      const seen: SessionState[] = [];
      const off = s.onStateChange((st) => seen.push(st));
      off();
      await s.close();
      await rejectsWith(s.exists('/'), 'SESSION_CLOSED');
      await rejectsWith(s.multi([]), 'SESSION_CLOSED');
      assert.deepEqual(seen, []);
    });

    it('an expired session says so: state expired, ephemerals gone, every call SESSION_EXPIRED', async () => {
      const target = getTarget();
      const s = await session(true);
      const observer = await session();
      await s.create('/lease', EMPTY, 'ephemeral');
      await s.create('/data', EMPTY);
      await target.catchUp(observer);
      const states: SessionState[] = [];
      s.onStateChange((st) => states.push(st));
      const events: Recorded[] = [];
      await observer.exists('/lease', (e) => events.push(e));
      await target.expire(s);
      await waitFor(() => s.state === 'expired', 'the session to see its expiry');
      assert.equal(states.at(-1), 'expired');
      await waitFor(() => events.length === 1, 'the ephemeral node to go');
      assert.deepEqual(events, [{ type: 'deleted', path: '/lease' }]);
      await rejectsWith(s.getData('/data'), 'SESSION_EXPIRED');
      await rejectsWith(s.create('/data2', EMPTY), 'SESSION_EXPIRED');
      await rejectsWith(s.multi([{ op: 'check', path: '/data', version: 0 }]), 'SESSION_EXPIRED');
      // The owner makes a new session and carries on.
      const again = await session();
      assert.notEqual(again.sessionId, s.sessionId);
      await again.create('/lease', EMPTY, 'ephemeral');
    });
  });
}
