// The in-memory coordination store against ZooKeeper's semantics, on a manual clock (deliveries and timeouts run
// only when the test advances time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore, type Schedule } from '../../../src/cluster/coordination/memory.ts';
import { ANY_VERSION, CoordinationError, type WatchEventType } from '../../../src/cluster/coordination/store.ts';

function manualClock() {
  let now = 0;
  let seq = 0;
  const timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = [];
  const schedule: Schedule = (delayMs, fn) => {
    const t = { at: now + delayMs, seq: seq++, fn, live: true };
    timers.push(t);
    return () => {
      t.live = false;
    };
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = timers[0];
      if (!t || t.at > end) break;
      timers.shift();
      now = t.at;
      if (t.live) t.fn();
    }
    now = end;
    await new Promise((r) => setImmediate(r));
  };
  return { schedule, advance, now: () => now };
}

const b = (s: string) => new TextEncoder().encode(s);
const text = (u: Uint8Array) => new TextDecoder().decode(u);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    assert.ok(e instanceof CoordinationError, String(e));
    return e.code;
  }
}

test('create, getData, setData with versions, delete, children, sequential nodes', async () => {
  const clock = manualClock();
  const store = new MemoryCoordinationStore({ schedule: clock.schedule, now: clock.now });
  const s = store.openSession({ sessionTimeoutMs: 6000 });
  assert.equal(await code(s.create('/a/b', b('x'))), 'NO_NODE');
  assert.equal(await s.create('/a', b('1')), '/a');
  assert.equal(await code(s.create('/a', b('1'))), 'NODE_EXISTS');
  assert.equal(await code(s.create('a', b('1'))), 'BAD_ARGUMENTS');
  const { data, stat } = await s.getData('/a');
  assert.equal(text(data), '1');
  assert.equal(stat.version, 0);
  assert.equal((await s.setData('/a', b('2'), 0)).version, 1);
  assert.equal(await code(s.setData('/a', b('3'), 0)), 'BAD_VERSION');
  assert.equal(await s.create('/a/q-', b(''), 'persistent_sequential'), '/a/q-0000000000');
  assert.equal(await s.create('/a/q-', b(''), 'persistent_sequential'), '/a/q-0000000001');
  await s.delete('/a/q-0000000000');
  // The counter is the parent's cversion: it never goes back after a delete.
  assert.equal(await s.create('/a/q-', b(''), 'persistent_sequential'), '/a/q-0000000003');
  assert.deepEqual((await s.getChildren('/a')).sort(), ['q-0000000001', 'q-0000000003']);
  assert.equal(await code(s.delete('/a')), 'NOT_EMPTY');
  assert.equal(await code(s.delete('/a/q-0000000001', 5)), 'BAD_VERSION');
  assert.equal(await s.exists('/nope'), null);
  const st = await s.exists('/a');
  assert.equal(st?.numChildren, 2);
  assert.ok(st!.mzxid > st!.czxid);
});

test('multi is all or nothing, fails with the first failing op index, and uses one zxid', async () => {
  const store = new MemoryCoordinationStore({ schedule: manualClock().schedule });
  const s = store.openSession({ sessionTimeoutMs: 6000 });
  await s.create('/epoch', b('0'));
  const before = store.lastZxid;
  const err = await s
    .multi([
      { op: 'create', path: '/x', data: b(''), mode: 'persistent' },
      { op: 'check', path: '/epoch', version: 7 },
    ])
    .catch((e) => e);
  assert.ok(err instanceof CoordinationError);
  assert.equal(err.code, 'BAD_VERSION');
  assert.equal(err.opIndex, 1);
  assert.equal(store.peek('/x'), undefined);
  assert.equal(store.lastZxid, before);
  const r = await s.multi([
    { op: 'check', path: '/epoch', version: 0 },
    { op: 'create', path: '/x', data: b(''), mode: 'persistent' },
    { op: 'create', path: '/x/y', data: b(''), mode: 'persistent' },
    { op: 'setData', path: '/epoch', data: b('1'), version: 0 },
  ]);
  assert.equal(r.length, 4);
  assert.equal(store.lastZxid, before + 1n);
  assert.equal(store.peek('/x/y')?.stat.czxid, before + 1n);
});

test('ephemerals: no children, deleted when the session expires or closes, owner recorded', async () => {
  const clock = manualClock();
  const store = new MemoryCoordinationStore({ schedule: clock.schedule, now: clock.now });
  const s1 = store.openSession({ sessionTimeoutMs: 6000 });
  const s2 = store.openSession({ sessionTimeoutMs: 6000 });
  await s1.create('/e', b(''), 'ephemeral');
  assert.equal(store.peek('/e')?.stat.ephemeralOwner, s1.sessionId);
  assert.equal(await code(s1.create('/e/c', b(''))), 'NO_CHILDREN_FOR_EPHEMERALS');
  await s2.create('/f', b(''), 'ephemeral_sequential');
  const states: string[] = [];
  s1.onStateChange((st) => states.push(st));
  store.expireSession(s1.sessionId);
  assert.equal(store.peek('/e'), undefined);
  await clock.advance(1);
  assert.deepEqual(states, ['expired']);
  assert.equal(await code(s1.getData('/f0000000001')), 'SESSION_EXPIRED');
  await s2.close();
  assert.deepEqual(store.peekChildren('/'), []);
  assert.equal(await code(s2.exists('/')), 'SESSION_CLOSED');
});

test('watches are one-shot, fire after the change, through the scheduler', async () => {
  const clock = manualClock();
  const store = new MemoryCoordinationStore({ schedule: clock.schedule, now: clock.now, deliveryDelayMs: () => 5 });
  const s = store.openSession({ sessionTimeoutMs: 6000 });
  const seen: Array<[WatchEventType, string]> = [];
  const w = (e: { type: WatchEventType; path: string }) => seen.push([e.type, e.path]);
  assert.equal(await s.exists('/n', w), null);
  await s.getChildren('/', w);
  await s.create('/n', b(''));
  assert.deepEqual(seen, []); // not yet delivered
  await clock.advance(5);
  assert.deepEqual(seen, [
    ['created', '/n'],
    ['childrenChanged', '/'],
  ]);
  await s.setData('/n', b('1'));
  await clock.advance(10);
  assert.equal(seen.length, 2); // one-shot: nothing was set again
  await s.getData('/n', w);
  await s.getData('/n', w); // the same watcher twice on one path fires once
  await s.delete('/n');
  await clock.advance(10);
  assert.deepEqual(seen.slice(2), [['deleted', '/n']]);
});

test('disconnect: CONNECTION_LOSS, events held until reconnect; expiry after the timeout is learnt on reconnect', async () => {
  const clock = manualClock();
  const store = new MemoryCoordinationStore({ schedule: clock.schedule, now: clock.now });
  const s = store.openSession({ sessionTimeoutMs: 1000 });
  const other = store.openSession({ sessionTimeoutMs: 1000 });
  await s.create('/e', b(''), 'ephemeral');
  const states: string[] = [];
  s.onStateChange((st) => states.push(st));
  const seen: string[] = [];
  await s.exists('/w', (e) => seen.push(e.type));
  store.disconnectSession(s.sessionId);
  assert.equal(await code(s.getData('/e')), 'CONNECTION_LOSS');
  await other.create('/w', b(''));
  await clock.advance(500);
  assert.deepEqual(seen, []);
  store.reconnectSession(s.sessionId);
  await clock.advance(1);
  assert.deepEqual(seen, ['created']);
  assert.deepEqual(states, ['disconnected', 'connected']);
  store.disconnectSession(s.sessionId);
  await clock.advance(1500);
  assert.equal(store.peek('/e'), undefined, 'the ensemble expired the session');
  assert.equal(s.state, 'disconnected', 'the owner does not know yet');
  store.reconnectSession(s.sessionId);
  await clock.advance(1);
  assert.deepEqual(states.slice(2), ['disconnected', 'expired']);
});

test('a paused owner: requests wait, the session expires after its timeout, resume reveals the expiry', async () => {
  const clock = manualClock();
  const store = new MemoryCoordinationStore({ schedule: clock.schedule, now: clock.now });
  const s = store.openSession({ sessionTimeoutMs: 1000 });
  await s.create('/controller', b('1'), 'ephemeral');
  store.pauseSession(s.sessionId);
  const write = code(s.setData('/controller', b('zombie')));
  await clock.advance(999);
  assert.ok(store.peek('/controller'));
  await clock.advance(1);
  assert.equal(store.peek('/controller'), undefined);
  store.resumeSession(s.sessionId);
  assert.equal(await write, 'SESSION_EXPIRED');
  // A short pause is harmless.
  const s2 = store.openSession({ sessionTimeoutMs: 1000 });
  await s2.create('/c2', b(''), 'ephemeral');
  store.pauseSession(s2.sessionId);
  await clock.advance(900);
  store.resumeSession(s2.sessionId);
  await clock.advance(5000);
  assert.ok(store.peek('/c2'));
});

test('default delivery is ZooKeeper order: watch events in order, before the answers that follow them', async () => {
  const clock = manualClock();
  const store = new MemoryCoordinationStore({ schedule: clock.schedule, now: clock.now });
  const s = store.openSession({ sessionTimeoutMs: 6000 });
  const other = store.openSession({ sessionTimeoutMs: 6000 });
  const seen: string[] = [];
  const otherSeen: string[] = [];
  await s.exists('/n', (e) => seen.push(`${e.type} ${e.path}`));
  await s.getChildren('/', (e) => seen.push(`${e.type} ${e.path}`));
  await other.exists('/n', (e) => otherSeen.push(`${e.type} ${e.path}`));
  await s.create('/n', b('')); // no clock advance: the events come with the answer
  assert.deepEqual(seen, ['created /n', 'childrenChanged /']);
  assert.deepEqual(otherSeen, ['created /n']);
  // Another session's change: the watcher hears it before any answer it gets afterwards.
  await s.getData('/n', (e) => seen.push(`${e.type} ${e.path}`));
  const read = other.setData('/n', b('1')).then(() => s.getData('/n'));
  await read;
  assert.deepEqual(seen.slice(2), ['dataChanged /n']);
});

test('one event per callback: a node watched for data and children is reported deleted once', async () => {
  const store = new MemoryCoordinationStore({ schedule: manualClock().schedule });
  const s = store.openSession({ sessionTimeoutMs: 6000 });
  await s.create('/d', b(''));
  const seen: string[] = [];
  const w = (e: { type: WatchEventType; path: string }) => seen.push(`${e.type} ${e.path}`);
  await s.getData('/d', w);
  await s.getChildren('/d', w);
  await s.delete('/d');
  assert.deepEqual(seen, ['deleted /d']);
});

test('argument checks as ZooKeeper: path characters, sequential paths, multi op index, any session state', async () => {
  const store = new MemoryCoordinationStore({ schedule: manualClock().schedule });
  const s = store.openSession({ sessionTimeoutMs: 6000 });
  assert.equal(await s.create('/', b(''), 'persistent_sequential'), '/0000000000'); // "/" + "1" is a valid path
  assert.equal(await s.create('/q-', b(''), 'ephemeral_sequential'), '/q-0000000001');
  for (const bad of ['/a\u0001', '/a\u007f', '/\ud83d\ude00', '/a/.', '/..']) {
    assert.equal(await code(s.create(bad, b(''))), 'BAD_ARGUMENTS', JSON.stringify(bad));
  }
  assert.equal(await code(s.exists('/a\u0000')), 'BAD_ARGUMENTS');
  // The server refuses those characters where it validates the path (create, setData, check); reads and delete of
  // such a path find no node, as against ZooKeeper 3.8 through our client.
  assert.equal(await code(s.setData('/a\u0001', b(''))), 'BAD_ARGUMENTS');
  assert.equal(await s.exists('/a\u0001'), null);
  assert.equal(await code(s.getData('/a\u0001')), 'NO_NODE');
  assert.equal(await code(s.delete('/a\u0001')), 'NO_NODE');
  assert.equal(await code(s.setData('/', b(''), 2 ** 31)), 'BAD_ARGUMENTS');
  const err = await s
    .multi([
      { op: 'check', path: '/', version: ANY_VERSION },
      { op: 'create', path: '/x', data: null as never, mode: 'persistent' },
    ])
    .catch((e) => e);
  assert.ok(err instanceof CoordinationError && err.code === 'BAD_ARGUMENTS', String(err));
  assert.equal(err.opIndex, 1);
  await s.close();
  // The client checks arguments before anything is sent, whatever the session's state.
  assert.equal(await code(s.getData('nope')), 'BAD_ARGUMENTS');
  assert.equal(await code(s.getData('/')), 'SESSION_CLOSED');
});
