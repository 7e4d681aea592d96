// The data-directory lock: the stale rule (pure, with an injected world) and the file protocol on a real directory.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DirLockedError,
  formatHolder,
  judge,
  LOCK_FILE,
  type LockEnv,
  type LockHolder,
  lockDir,
  lockDirs,
  parseHolder,
  parseProcStartTime,
  STALE_MS,
} from '../../../src/storage/dir-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-dirlock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

/** A world where `running` maps pid → start time. */
function world(running: Record<number, string>, now = 1_000_000, self?: Partial<LockEnv['self']>): LockEnv {
  return {
    self: { pid: 100, start: '500', boot: 'boot-a', pidns: 'pid:[1]', host: 'h1', ...self },
    pidAlive: (pid) => pid in running,
    startOf: (pid) => running[pid],
    now: () => now,
  };
}
const holder = (h: Partial<LockHolder>): LockHolder => ({
  pid: 200,
  start: '900',
  boot: 'boot-a',
  pidns: 'pid:[1]',
  host: 'h1',
  token: 't',
  ...h,
});

describe('stale rule', () => {
  test('a live holder on this machine holds the lock', () => {
    const v = judge(holder({}), 0, false, world({ 200: '900' }));
    assert.equal(v.held, true);
    assert.match(v.why, /another broker uses it \(pid 200/);
  });
  test('a dead pid (kill -9) is stale, however recent the file', () => {
    assert.equal(judge(holder({}), 1_000_000, false, world({})).held, false);
  });
  test('a reused pid (same pid, another start time) is stale', () => {
    const v = judge(holder({}), 1_000_000, false, world({ 200: '901' }));
    assert.equal(v.held, false);
    assert.match(v.why, /reused/);
  });
  test('our own pid outside the in-process registry is a leftover; inside it the dir is held', () => {
    assert.equal(judge(holder({ pid: 100, start: '500' }), 0, false, world({ 100: '500' })).held, false);
    assert.equal(judge(holder({ pid: 100, start: '500' }), 0, true, world({ 100: '500' })).held, true);
  });
  test('another pid namespace or boot: judged by the refresh heartbeat only', () => {
    const env = world({}, 1_000_000);
    const foreign = holder({ pidns: 'pid:[2]' });
    assert.equal(judge(foreign, 1_000_000 - 1000, false, env).held, true);
    assert.equal(judge(foreign, 1_000_000 - STALE_MS - 1, false, env).held, false);
    assert.equal(judge(holder({ boot: 'boot-b' }), 1_000_000, false, env).held, true);
  });
  test('without /proc (no start time, no boot id) a recent lock is held', () => {
    const env = world({}, 1_000_000, { start: undefined, boot: undefined, pidns: undefined });
    assert.equal(
      judge(holder({ start: undefined, boot: undefined, pidns: undefined }), 1_000_000, false, env).held,
      true,
    );
  });
  test('an unreadable lock file is held until it is stale', () => {
    assert.equal(judge(undefined, 1_000_000, false, world({})).held, true);
    assert.equal(judge(undefined, 0, false, world({})).held, false);
  });
  test('holder text round-trips; /proc stat start time survives odd command names', () => {
    const h = holder({});
    assert.deepEqual(parseHolder(formatHolder(h)), h);
    assert.equal(parseHolder('garbage'), undefined);
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    assert.equal(parseProcStartTime(`123 (a) b (c) ${fields.join(' ')}`), '22');
  });
});

describe('lock file', () => {
  test('a second lock of the same dir in this process is refused; release lets it be taken again', () => {
    const dir = freshDir();
    const a = lockDir(dir);
    assert.ok(existsSync(join(dir, LOCK_FILE)));
    assert.throws(
      () => lockDir(dir),
      (e: unknown) => e instanceof DirLockedError && e.message.includes(dir) && /another broker/.test(e.message),
    );
    a.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    lockDir(dir).release();
  });

  test('a lock of a live other process is refused and left untouched', () => {
    const dir = freshDir();
    lockDir(dir).release();
    const text = formatHolder({ pid: process.ppid, token: 'other' });
    writeFileSync(join(dir, LOCK_FILE), text);
    // The parent process runs; with no start time or boot id recorded it counts as foreign and fresh.
    assert.throws(() => lockDir(dir), DirLockedError);
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), text);
    assert.deepEqual(readdirSync(dir), [LOCK_FILE]);
  });

  test('a stale lock (dead pid on this machine, or a foreign one not refreshed) is taken over', () => {
    const dir = freshDir();
    const probe = lockDir(dir);
    const mine = parseHolder(readFileSync(join(dir, LOCK_FILE), 'utf8'))!;
    probe.release();
    writeFileSync(join(dir, LOCK_FILE), formatHolder({ ...mine, pid: 2 ** 22 + 17, token: 'dead' }));
    const l = lockDir(dir);
    assert.equal(parseHolder(readFileSync(join(dir, LOCK_FILE), 'utf8'))!.pid, process.pid);
    l.release();
    writeFileSync(join(dir, LOCK_FILE), formatHolder({ pid: process.ppid, host: 'elsewhere', token: 'old' }));
    const old = new Date(Date.now() - STALE_MS - 5000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    lockDir(dir).release();
  });

  test('release does not remove a lock file someone else now holds', () => {
    const dir = freshDir();
    const l = lockDir(dir);
    writeFileSync(join(dir, LOCK_FILE), formatHolder({ pid: process.ppid, token: 'theirs' }));
    l.release();
    assert.ok(existsSync(join(dir, LOCK_FILE)));
  });

  test('lockDirs takes all or none', () => {
    const a = freshDir();
    const b = freshDir();
    const held = lockDir(b);
    assert.throws(() => lockDirs([a, b]), DirLockedError);
    assert.equal(existsSync(join(a, LOCK_FILE)), false, 'the lock of the first dir is given back');
    held.release();
    const both = lockDirs([a, b, a]);
    assert.equal(both.length, 2);
    for (const l of both) l.release();
  });
});
