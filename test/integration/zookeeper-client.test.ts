// The ZooKeeper client (src/cluster/coordination/zookeeper/) against a real three-node ensemble from Debian's
// package: the coordination store's conformance suite, then what only a real ensemble shows (chroot, a server lost
// under the session, the leader killed, the whole ensemble down and back).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CoordinationSession, SessionState, WatchEventType } from '../../src/cluster/coordination/store.ts';
import {
  parseConnectString,
  ZooKeeperSession,
  ZooKeeperStore,
} from '../../src/cluster/coordination/zookeeper/index.ts';
import { coordinationConformance, rejectsWith, waitFor } from '../helpers/coordination-conformance.ts';
import { startZooKeeper, type ZooKeeperEnsemble } from '../helpers/zookeeper.ts';

const SESSION_MS = 2000;
const SESSION_OWNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zk', 'session-owner.ts');
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const EMPTY = new Uint8Array(0);

let ensemble: ZooKeeperEnsemble;
let chroots = 0;

before(async () => {
  ensemble = await startZooKeeper({ nodes: 3, tickTimeMs: 100 });
});
after(async () => {
  await ensemble?.stop();
});

/** A store on a chroot no other test uses. */
/**
 * Disconnected, then connected again, never expired. (A server may accept the session just before it learns that
 * its leader died and drop it again, so a leader change may show more than one round.)
 */
function assertMovedOn(states: readonly SessionState[]): void {
  assert.equal(states[0], 'disconnected', states.join(', '));
  assert.equal(states.at(-1), 'connected', states.join(', '));
  assert.ok(!states.includes('expired'), states.join(', '));
}

function freshStore(): ZooKeeperStore {
  return new ZooKeeperStore(ensemble.connectString(`/test-${++chroots}`));
}

describe('ZooKeeperStore: the coordination conformance suite on a 3-node ensemble', () => {
  coordinationConformance(() => ({
    newStore: freshStore,
    sessionTimeoutMs: SESSION_MS,
    // ZooKeeper's own test trick: a second connection attaches to the session with its id and password and closes
    // it; the server ends the session, closes the owner's connection, and refuses the owner's reconnect as expired.
    async expire(session: CoordinationSession) {
      assert.ok(session instanceof ZooKeeperSession);
      const twin = await new ZooKeeperStore(ensemble.connectString()).resume(session.sessionId, session.password, {
        sessionTimeoutMs: SESSION_MS,
      });
      assert.equal(twin.sessionId, session.sessionId);
      await twin.close();
    },
    async catchUp(session: CoordinationSession) {
      assert.ok(session instanceof ZooKeeperSession);
      await session.sync();
    },
  }));
});

describe('ZooKeeperStore on a real ensemble', () => {
  const sessions: CoordinationSession[] = [];
  async function connect(store: ZooKeeperStore, sessionTimeoutMs = SESSION_MS): Promise<ZooKeeperSession> {
    const s = await store.connect({ sessionTimeoutMs });
    sessions.push(s);
    return s;
  }
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.close();
    // Every node back and serving for the next test.
    for (let i = 0; i < ensemble.nodes.length; i++) {
      ensemble.resume(i);
      if (ensemble.nodes[i]?.proc === undefined) ensemble.start(i);
    }
    await ensemble.waitServing();
  });

  /** A session connected to node `index` (sessions start at a random server; open until one lands there). */
  async function sessionOn(store: ZooKeeperStore, index: number, sessionTimeoutMs = SESSION_MS) {
    const address = ensemble.nodes[index]?.address;
    for (let attempt = 0; attempt < 40; attempt++) {
      const s = await store.connect({ sessionTimeoutMs });
      if (s.server === address) {
        sessions.push(s);
        return s;
      }
      await s.close();
    }
    throw new Error(`no session landed on ${address}`);
  }

  function indexOf(s: ZooKeeperSession): number {
    return ensemble.nodes.findIndex((n) => n.address === s.server);
  }

  it('parses connect strings: hosts, default port, IPv6, chroot', () => {
    assert.deepEqual(parseConnectString('h1:2181,h2:2182/tributary/a'), {
      servers: [
        { host: 'h1', port: 2181 },
        { host: 'h2', port: 2182 },
      ],
      chroot: '/tributary/a',
    });
    assert.deepEqual(parseConnectString('zk'), { servers: [{ host: 'zk', port: 2181 }], chroot: '' });
    assert.deepEqual(parseConnectString('[::1]:2000/'), { servers: [{ host: '::1', port: 2000 }], chroot: '' });
    assert.throws(() => parseConnectString('h1:99999'), /bad ZooKeeper address/);
    assert.throws(() => parseConnectString('/only-chroot'), /no ZooKeeper server/);
    assert.throws(() => parseConnectString('h1:2181/a//b'), /invalid chroot/);
  });

  it('a chroot is created if missing, prefixed to every path and stripped from returned paths and events', async () => {
    const chrooted = await connect(new ZooKeeperStore(ensemble.connectString('/kafka/cluster-a')));
    const root = await connect(new ZooKeeperStore(ensemble.connectString()));
    assert.deepEqual(await chrooted.getChildren('/'), []);
    const events: { type: WatchEventType; path: string }[] = [];
    assert.equal(await chrooted.exists('/brokers', (e) => events.push(e)), null);
    await chrooted.create('/brokers', EMPTY);
    assert.deepEqual(events, [{ type: 'created', path: '/brokers' }]);
    const seq = await chrooted.create('/brokers/b-', bytes('x'), 'ephemeral_sequential');
    assert.equal(seq, '/brokers/b-0000000000');
    const [created] = await chrooted.multi([{ op: 'create', path: '/ctl', data: EMPTY, mode: 'persistent' }]);
    assert.deepEqual(created, { op: 'create', path: '/ctl' });
    await root.sync();
    assert.deepEqual((await root.getChildren('/kafka/cluster-a')).sort(), ['brokers', 'ctl']);
    assert.equal(text((await root.getData('/kafka/cluster-a/brokers/b-0000000000')).data), 'x');
    await chrooted.getChildren('/brokers', (e) => events.push(e));
    await root.create('/kafka/cluster-a/brokers/other', EMPTY);
    await waitFor(() => events.length === 2, 'the child watch');
    assert.deepEqual(events[1], { type: 'childrenChanged', path: '/brokers' });
    await rejectsWith(chrooted.getData('/kafka'), 'NO_NODE');
  });

  it('a server that stops answering: in-flight requests fail CONNECTION_LOSS, the session moves on intact', async () => {
    const store = freshStore();
    // On a follower: pausing the leader would add an election to the wait (the leader case is the next test's).
    const follower = ((await ensemble.leader()) + 1) % ensemble.nodes.length;
    // The session has the last third of its timeout to reach another server: 1 s of it here, for a loaded machine.
    const s = await sessionOn(store, follower, 3000);
    await s.create('/n', bytes('0'));
    await s.create('/eph', EMPTY, 'ephemeral');
    const id = s.sessionId;
    const t0 = Date.now();
    const states: string[] = [];
    s.onStateChange((st) => states.push(`${st} +${Date.now() - t0}ms ${s.server}`));
    const victim = indexOf(s);
    await ensemble.pause(victim);
    // Sent to a paused server: no answer, then the connection is given up (2/3 of the session timeout).
    await rejectsWith(s.getData('/n'), 'CONNECTION_LOSS');
    assert.equal(s.state, 'disconnected');
    // Made while disconnected: waits and is sent once the session is back on another server.
    const st = await s.setData('/n', bytes('1')).catch((e: Error) => {
      throw new Error(`setData after the reconnect failed: ${e.message}; states: ${states.join(', ')}`);
    });
    assert.equal(st.version, 1);
    assert.equal(s.state, 'connected');
    assert.notEqual(indexOf(s), victim);
    assert.equal(s.sessionId, id);
    assert.deepEqual(
      states.map((x) => x.split(' ')[0]),
      ['disconnected', 'connected'],
      states.join(', '),
    );
    assert.equal((await s.exists('/eph'))?.ephemeralOwner, id);
  });

  it('the ZooKeeper leader killed: the session reconnects elsewhere with the same id; ephemerals and watches survive', async () => {
    const store = freshStore();
    const leader = await ensemble.leader();
    // Room for the election on a loaded machine: the session must outlive the time without a serving server.
    const s = await sessionOn(store, leader, 8000);
    const id = s.sessionId;
    await s.create('/controller', bytes('1'), 'ephemeral');
    await s.create('/config', bytes('a'));
    await s.create('/ids', EMPTY);
    const events: { type: WatchEventType; path: string }[] = [];
    await s.getData('/config', (e) => events.push(e));
    await s.getChildren('/ids', (e) => events.push(e));
    await s.exists('/later', (e) => events.push(e));
    const states: SessionState[] = [];
    const t0 = Date.now();
    const seen: string[] = [];
    s.onStateChange((st) => {
      states.push(st);
      seen.push(`${st} +${Date.now() - t0}ms ${s.server}`);
    });

    await ensemble.kill9(leader);
    await waitFor(
      () => s.state === 'connected' && states.length >= 2,
      'the session back on another server',
      20_000,
      () => `states ${seen.join(', ')}`,
    );
    assertMovedOn(states);
    assert.equal(s.sessionId, id);
    assert.notEqual(indexOf(s), leader);

    // Changes made by another session after the move reach the watches set before it.
    const other = await connect(store);
    await other.sync();
    assert.equal((await other.exists('/controller'))?.ephemeralOwner, id);
    await other.setData('/config', bytes('b'));
    await other.create('/ids/1', EMPTY);
    await other.create('/later', EMPTY);
    await waitFor(() => events.length === 3, 'three watch events');
    assert.deepEqual(
      [...events].sort((a, b) => a.path.localeCompare(b.path)),
      [
        { type: 'dataChanged', path: '/config' },
        { type: 'childrenChanged', path: '/ids' },
        { type: 'created', path: '/later' },
      ],
    );
  });

  it('a change the session missed while its server was unresponsive fires its watch after the reconnect (SetWatches)', async () => {
    const store = freshStore();
    const leader = await ensemble.leader();
    const follower = (leader + 1) % ensemble.nodes.length;
    const writer = await sessionOn(store, leader);
    const s = await sessionOn(store, follower, 3000);
    await writer.create('/flag', bytes('0'));
    await s.sync();
    const events: { type: WatchEventType; path: string }[] = [];
    await s.getData('/flag', (e) => events.push(e));
    const states: SessionState[] = [];
    s.onStateChange((st) => states.push(st));
    // The watching session's server is frozen: it can neither apply the change nor deliver the notification.
    await ensemble.pause(follower);
    await writer.setData('/flag', bytes('1'));
    assert.deepEqual(events, []);
    // The session gives the frozen server up, reconnects elsewhere and sets its watch again relative to the last
    // zxid it saw: the server fires it at once for the change already made.
    await waitFor(() => events.length === 1, 'the watch event after the reconnect');
    assert.deepEqual(events, [{ type: 'dataChanged', path: '/flag' }]);
    assert.deepEqual(states, ['disconnected', 'connected']);
    assert.notEqual(indexOf(s), follower);
  });

  it('the whole ensemble down, then back within the session timeout: disconnected, then connected, same session', async () => {
    const store = freshStore();
    // The ensemble restarts (three JVMs, an election) inside this session's timeout.
    const s = await connect(store, 15_000);
    await s.create('/alive', EMPTY, 'ephemeral');
    const id = s.sessionId;
    const states: SessionState[] = [];
    s.onStateChange((st) => states.push(st));
    await Promise.all(ensemble.nodes.map((_, i) => ensemble.kill9(i)));
    await waitFor(() => s.state === 'disconnected', 'disconnected');
    const pending = s.exists('/alive');
    for (let i = 0; i < ensemble.nodes.length; i++) ensemble.start(i);
    await ensemble.waitServing();
    await waitFor(() => s.state === 'connected', 'connected again');
    assertMovedOn(states);
    assert.equal(s.sessionId, id);
    assert.equal((await pending)?.ephemeralOwner, id);
  });

  it('a session owner paused (SIGSTOP) past its timeout loses its ephemeral node, and after SIGCONT it is expired and writes nothing', async () => {
    const chroot = `/test-${++chroots}`;
    const observer = await connect(new ZooKeeperStore(ensemble.connectString(chroot)));
    const child = spawn(
      process.execPath,
      [SESSION_OWNER, ensemble.connectString(chroot), '/leader', String(SESSION_MS)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: { ready?: boolean; sessionId?: string; state?: SessionState; write?: string }[] = [];
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line !== '') lines.push(JSON.parse(line));
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    try {
      await waitFor(
        () => lines.some((l) => l.ready) || child.exitCode !== null,
        'the owner process to be ready',
        20_000,
      );
      const ready = lines.find((l) => l.ready);
      assert.ok(ready?.sessionId !== undefined, `owner failed: ${stderr}`);
      const ownerId = BigInt(ready.sessionId);
      await observer.sync();
      assert.equal((await observer.exists('/leader'))?.ephemeralOwner, ownerId);
      await waitFor(() => lines.some((l) => l.write === 'ok'), 'the owner writing');
      const events: { type: WatchEventType; path: string }[] = [];
      await observer.getChildren('/', (e) => events.push(e));

      child.kill('SIGSTOP');
      // The ensemble expires the silent session: its ephemeral node goes, and someone else takes over.
      await waitFor(() => events.length === 1, "the paused owner's node to be deleted");
      assert.equal(await observer.exists('/leader'), null);
      await observer.create('/leader', bytes('successor'), 'ephemeral');

      child.kill('SIGCONT');
      await waitFor(() => {
        const expired = lines.findIndex((l) => l.state === 'expired');
        return expired >= 0 && lines.slice(expired).some((l) => l.write !== undefined);
      }, 'the owner to see its expiry and fail a write');
      const expired = lines.findIndex((l) => l.state === 'expired');
      for (const l of lines.slice(expired)) if (l.write !== undefined) assert.equal(l.write, 'SESSION_EXPIRED');
      // Nothing the zombie tried after waking reached the node.
      const { data, stat } = await observer.getData('/leader');
      assert.equal(text(data), 'successor');
      assert.equal(stat.ephemeralOwner, observer.sessionId);
      assert.equal(stat.version, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('resuming an expired session is refused with SESSION_EXPIRED', async () => {
    const store = freshStore();
    const s = await store.connect({ sessionTimeoutMs: SESSION_MS });
    const { sessionId, password } = s;
    await s.close();
    await rejectsWith(store.resume(sessionId, password, { sessionTimeoutMs: SESSION_MS }), 'SESSION_EXPIRED');
  });

  it('no reachable server: connect() fails with CONNECTION_LOSS after the connection timeout', async () => {
    const store = new ZooKeeperStore('127.0.0.1:1,127.0.0.1:2');
    await rejectsWith(store.connect({ sessionTimeoutMs: SESSION_MS, connectionTimeoutMs: 300 }), 'CONNECTION_LOSS');
  });
});

describe('a one-node ensemble (standalone)', () => {
  let single: ZooKeeperEnsemble | undefined;
  before(async () => {
    single = await startZooKeeper({ nodes: 1 });
  });
  after(async () => {
    await single?.stop();
  });

  it('serves sessions, and a session outlives a restart of the server within its timeout', async () => {
    assert.ok(single !== undefined);
    assert.equal(await single.leader(), 0);
    const s = await new ZooKeeperStore(single.connectString('/one')).connect({ sessionTimeoutMs: 15_000 });
    try {
      const made = await s.create('/e-', bytes('x'), 'ephemeral_sequential');
      const id = s.sessionId;
      const states: SessionState[] = [];
      s.onStateChange((st) => states.push(st));
      await single.restart(0);
      await waitFor(() => s.state === 'connected' && states.length === 2, 'the session back');
      assert.deepEqual(states, ['disconnected', 'connected']);
      assert.equal(s.sessionId, id);
      assert.equal((await s.exists(made))?.ephemeralOwner, id);
    } finally {
      await s.close();
    }
  });
});
