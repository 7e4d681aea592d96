// The ZooKeeper client's wire handling against a scripted server on a local socket: what a real ensemble does not
// produce on demand (replies split into single bytes, replies coalesced with notifications, a reply out of order,
// a refused session on reconnect, pings on an idle connection). test/integration/zookeeper-client.test.ts runs the
// client against real ZooKeeper.
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, test } from 'node:test';
import type { SessionState, WatchEventType } from '../../../src/cluster/coordination/store.ts';
import { ZooKeeperStore } from '../../../src/cluster/coordination/zookeeper/index.ts';
import { JuteReader, JuteWriter } from '../../../src/cluster/coordination/zookeeper/jute.ts';
import type { ZooKeeperSession } from '../../../src/cluster/coordination/zookeeper/session.ts';
import { rejectsWith, waitFor } from '../../helpers/coordination-conformance.ts';

interface ConnectRequest {
  lastZxid: bigint;
  timeout: number;
  sessionId: bigint;
  password: Uint8Array;
  readOnly: boolean;
}

type RequestHandler = (sock: net.Socket, xid: number, type: number, body: JuteReader) => void;

/** A scripted ZooKeeper server: answers the handshake, pings and CloseSession, hands other requests to `onRequest`. */
class ScriptedServer {
  readonly connects: ConnectRequest[] = [];
  readonly sockets: net.Socket[] = [];
  pings = 0;
  closeSessions = 0;
  /** Timeout in the ConnectResponse; 0 refuses the session (expired). */
  grantTimeout = 3000;
  onRequest: RequestHandler = () => {};
  #server: net.Server | undefined;

  /** Listens on `port` (default: a free one) and returns it. */
  async listen(port = 0): Promise<number> {
    const server = net.createServer((sock) => this.#accept(sock));
    this.#server = server;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  /** Drops every connection and stops listening (connections are refused). */
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.#server?.close();
    this.#server = undefined;
  }

  #accept(sock: net.Socket): void {
    this.sockets.push(sock);
    let buf = Buffer.alloc(0);
    let handshaken = false;
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const r = new JuteReader(frame);
        if (!handshaken) {
          handshaken = true;
          r.int();
          const req = {
            lastZxid: r.long(),
            timeout: r.int(),
            sessionId: r.long(),
            password: r.buffer(),
            readOnly: false,
          };
          req.readOnly = r.bool();
          this.connects.push(req);
          const w = new JuteWriter();
          w.begin();
          w.int(0)
            .int(this.grantTimeout)
            .long(req.sessionId === 0n ? 0x5eed5n : req.sessionId);
          w.buffer(new Uint8Array(16).fill(7)).bool(false);
          sock.write(w.finish());
          continue;
        }
        const xid = r.int();
        const type = r.int();
        if (type === 11) {
          assert.equal(xid, -2, 'pings have xid -2');
          this.pings++;
          sock.write(reply(-2, 0n, 0));
        } else if (type === -11) {
          this.closeSessions++;
          sock.write(reply(xid, 0n, 0));
        } else {
          this.onRequest(sock, xid, type, r);
        }
      }
    });
  }
}

/** A reply frame: ReplyHeader (xid, zxid, err), then `body`. */
function reply(xid: number, zxid: bigint, err: number, body?: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter();
  w.begin();
  w.int(xid).long(zxid).int(err);
  body?.(w);
  return w.finish();
}

function stat(w: JuteWriter, version: number): void {
  w.long(3n).long(9n).long(0n).long(0n).int(version).int(0).int(0).long(0n).int(5).int(0).long(3n);
}

const servers: ScriptedServer[] = [];
const sessions: ZooKeeperSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const s of servers.splice(0)) s.close();
});

async function setup(
  sessionTimeoutMs = 3000,
): Promise<{ server: ScriptedServer; session: ZooKeeperSession; port: number }> {
  const server = new ScriptedServer();
  servers.push(server);
  server.grantTimeout = sessionTimeoutMs;
  const port = await server.listen();
  const session = await new ZooKeeperStore(`127.0.0.1:${port}`).connect({ sessionTimeoutMs });
  sessions.push(session);
  return { server, session, port };
}

test('the handshake: a new session asks with id 0, read-only false, and the timeout wanted', async () => {
  const { server, session } = await setup(3000);
  assert.deepEqual(server.connects[0], {
    lastZxid: 0n,
    timeout: 3000,
    sessionId: 0n,
    password: new Uint8Array(16),
    readOnly: false,
  });
  assert.equal(session.sessionId, 0x5eed5n);
  assert.equal(session.sessionTimeoutMs, 3000);
  assert.equal(session.state, 'connected');
});

test('replies split into single bytes, and replies coalesced with a notification, are decoded', async () => {
  const { server, session } = await setup();
  const events: { type: WatchEventType; path: string }[] = [];
  server.onRequest = (sock, xid, type, body) => {
    const path = body.ustring();
    if (type === 4 && path === '/slow') {
      // getData, one byte per write
      const frame = reply(xid, 10n, 0, (w) => stat(w.buffer(new TextEncoder().encode('hello')), 4));
      let i = 0;
      const next = () => {
        if (i < frame.length) {
          sock.write(frame.subarray(i, ++i));
          setImmediate(next);
        }
      };
      next();
    } else if (type === 3) {
      // exists, watched: the reply, then a notification for it and a second reply, all in one write
      sock.write(Buffer.concat([reply(xid, 11n, 0, (w) => stat(w, 1))]));
      if (path === '/b') {
        const note = reply(-1, -1n, 0, (w) => w.int(3).int(3).ustring('/a'));
        server.onRequest = (s2, xid2) => s2.write(Buffer.concat([note, reply(xid2, 12n, -101)]));
      }
    }
  };
  const got = await session.getData('/slow');
  assert.equal(new TextDecoder().decode(got.data), 'hello');
  assert.equal(got.stat.version, 4);
  assert.equal((await session.exists('/a', (e) => events.push(e)))?.version, 1);
  await session.exists('/b');
  await rejectsWith(session.getData('/c'), 'NO_NODE');
  assert.deepEqual(events, [{ type: 'dataChanged', path: '/a' }]);
});

test('a reply out of order drops the connection; the session reconnects with its id, password and last zxid', async () => {
  const { server, session } = await setup();
  const states: SessionState[] = [];
  session.onStateChange((s) => states.push(s));
  server.onRequest = (sock, xid) => sock.write(reply(xid, 42n, 0, (w) => stat(w, 0)));
  await session.exists('/x');
  server.onRequest = (sock, xid) => sock.write(reply(xid + 1, 43n, 0, (w) => stat(w, 0)));
  await rejectsWith(session.exists('/y'), 'CONNECTION_LOSS');
  await waitFor(() => server.connects.length === 2 && session.state === 'connected', 'the reconnect');
  assert.deepEqual(states, ['disconnected', 'connected']);
  const again = server.connects[1];
  assert.equal(again?.sessionId, 0x5eed5n);
  assert.deepEqual(again?.password, new Uint8Array(16).fill(7));
  assert.equal(again?.lastZxid, 42n);
});

test('a session refused on reconnect is expired: pending and later calls fail SESSION_EXPIRED', async () => {
  const { server, session } = await setup();
  const states: SessionState[] = [];
  session.onStateChange((s) => states.push(s));
  server.grantTimeout = 0;
  // The server drops the connection instead of answering; the request waits for the reconnect, which is refused.
  server.onRequest = (sock) => sock.destroy();
  await rejectsWith(session.exists('/x'), 'CONNECTION_LOSS');
  const waiting = session.exists('/y');
  await rejectsWith(waiting, 'SESSION_EXPIRED');
  assert.equal(session.state, 'expired');
  assert.deepEqual(states, ['disconnected', 'expired']);
  await rejectsWith(session.create('/z', new Uint8Array(0)), 'SESSION_EXPIRED');
});

test('an idle session pings (xid -2) and stays connected; close() sends CloseSession', async () => {
  // 3 s, not 300 ms: on a loaded machine (CI beside other work) an event-loop stall past two thirds of the session
  // timeout made the client give up on the connection, and this test counted a reconnect.
  const { server, session } = await setup(3000);
  await waitFor(() => server.pings >= 2, 'two pings');
  assert.equal(session.state, 'connected');
  assert.equal(server.connects.length, 1);
  await session.close();
  assert.equal(server.closeSessions, 1);
  await rejectsWith(session.exists('/'), 'SESSION_CLOSED');
});

test('a session expired for want of any server is closed on the ensemble once a server answers again', async () => {
  const { server, session, port } = await setup(300);
  server.close();
  await waitFor(() => session.state === 'expired', 'the expiry (no server heard for 4/3 of the timeout)');
  await rejectsWith(session.exists('/'), 'SESSION_EXPIRED');
  // The ensemble is back (say it had lost its quorum and kept the session): the abandoned session is ended there.
  await server.listen(port);
  await waitFor(() => server.closeSessions === 1, 'CloseSession for the abandoned session');
  const attach = server.connects.at(-1);
  assert.equal(attach?.sessionId, 0x5eed5n);
  assert.deepEqual(attach?.password, new Uint8Array(16).fill(7));
});

test('a step of the wall clock, either way, neither drops the connection nor stops the pings', async (t) => {
  // Found by the fault harness's clock-skew kind: the session timed its pings, a silent connection and "no server
  // heard for 4/3 of the timeout" with Date.now, so a step of minutes forward dropped the connection and expired
  // the session at once, and a step back stopped the pings until the wall clock caught up (the ensemble then
  // expired the session). Its timeouts now run on the monotonic clock, as ZooKeeper's own client (System.nanoTime).
  const { server, session } = await setup(3000);
  const states: SessionState[] = [];
  session.onStateChange((s) => states.push(s));
  const wall = Date.now.bind(Date);
  const pingsAfter = async (n: number, what: string) => {
    // Polled by a counter of timer turns, not by Date.now (which this test moves).
    const from = server.pings;
    for (let i = 0; server.pings < from + n; i++) {
      if (i > 1500) assert.fail(`no ${n} pings ${what} (${server.pings - from} seen)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  let step = 0;
  t.mock.method(Date, 'now', () => wall() + step);
  await pingsAfter(1, 'before the steps');
  step = 5 * 60_000;
  await pingsAfter(3, 'after a step of 5 minutes forward');
  assert.deepEqual(states, [], 'a step forward: neither disconnected nor expired');
  step = -5 * 60_000;
  await pingsAfter(3, 'after a step of 5 minutes back');
  assert.equal(session.state, 'connected');
  assert.deepEqual(states, [], 'never disconnected nor expired');
  assert.equal(server.connects.length, 1, 'one connection throughout');
});
