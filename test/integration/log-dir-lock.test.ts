// One broker per data directory: a second broker (another process, or embedded in this one) on the same log dir
// is refused with a message naming the directory, changes nothing there, and the first keeps serving; a broker
// killed with -9 leaves a lock that does not block the next start.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { startBroker } from '../../src/index.ts';
import { type BrokerHandle, freePort, makeTempDir, printLogsOnFailure, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';

/** Every file under `dir` with its size and mtime (the lock file's mtime is refreshed, so only its content). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === '.lock') out.set(relative(dir, p), readFileSync(p, 'utf8'));
      else {
        const s = statSync(p);
        out.set(relative(dir, p), `${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

describe('log dir lock', { timeout: 180_000 }, () => {
  let first: BrokerHandle | undefined;
  after(async () => {
    await first?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, first));

  test('a second broker process on the same log dir exits non-zero, having changed nothing', async () => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const dataDir = makeTempDir('tributary-lock-');
    // No periodic checkpoint during the test, so the first broker itself leaves the files alone.
    const overrides = { 'log.flush.offset.checkpoint.interval.ms': '3600000', 'num.partitions': '1' };
    first = await startBrokerProcess({ dataDir, overrides });
    const kc = (args: string[], input?: string) =>
      runProcess(kcat, ['-b', first!.bootstrap, ...args], { input, timeoutMs: 60_000 });
    const p1 = await kc(['-P', '-t', 'locked', '-K', ':'], 'k1:before-1\nk2:before-2\n');
    assert.equal(p1.code, 0, describeRun('kcat produce', p1));
    const before = snapshot(dataDir);
    assert.ok(before.has('.lock') && before.has('meta.properties'));

    const port = await freePort();
    const second = await runProcess(
      process.execPath,
      [
        'src/cli/main.ts',
        'broker',
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${port}`,
        '--override',
        `log.dirs=${dataDir}`,
      ],
      { timeoutMs: 60_000 },
    );
    assert.notEqual(second.code, 0, describeRun('second broker', second));
    const output = second.stdout + second.stderr;
    assert.ok(output.includes(dataDir), `the message names the directory:\n${output}`);
    assert.match(output, /another broker uses it/);
    assert.deepEqual(snapshot(dataDir), before, 'the second broker changed nothing in the data dir');

    // The first one keeps serving, with its data.
    const p2 = await kc(['-P', '-t', 'locked', '-K', ':'], 'k3:after\n');
    assert.equal(p2.code, 0, describeRun('kcat produce', p2));
    const c = await kc(['-C', '-t', 'locked', '-e', '-o', 'beginning', '-f', '%k=%s\n']);
    assert.equal(c.code, 0, describeRun('kcat consume', c));
    assert.deepEqual(c.stdout.trim().split('\n'), ['k1=before-1', 'k2=before-2', 'k3=after']);

    // kill -9 leaves the lock file behind; the next broker finds its holder gone and starts.
    await first.kill9();
    assert.ok(readdirSync(dataDir).includes('.lock'));
    await first.restart();
    const c2 = await kc(['-C', '-t', 'locked', '-e', '-o', 'beginning', '-f', '%k=%s\n']);
    assert.equal(c2.code, 0, describeRun('kcat consume after restart', c2));
    assert.deepEqual(c2.stdout.trim().split('\n'), ['k1=before-1', 'k2=before-2', 'k3=after']);

    // A clean stop releases the lock.
    assert.equal(await first.stop(), 0);
    assert.equal(readdirSync(dataDir).includes('.lock'), false);
  });

  test('an embedded broker is refused a dir another embedded broker of this process uses', async () => {
    const dataDir = makeTempDir('tributary-lock-embedded-');
    const a = await startBroker({ dataDir });
    try {
      const before = snapshot(dataDir);
      await assert.rejects(startBroker({ dataDir }), (e: Error) => {
        assert.ok(e.message.includes(dataDir), e.message);
        assert.match(e.message, /another broker in this process uses it/);
        return true;
      });
      assert.deepEqual(snapshot(dataDir), before);
    } finally {
      await a.stop();
    }
    // Released by stop(): the dir can be used again.
    const b = await startBroker({ dataDir });
    await b.stop();
  });

  test("an embedded broker and a broker process refuse each other's dir", async () => {
    const dataDir = makeTempDir('tributary-lock-mixed-');
    first = await startBrokerProcess({ dataDir });
    await assert.rejects(startBroker({ dataDir }), /another broker uses it \(pid \d+/);
    assert.equal(await first.stop(), 0);
    first = undefined;
    const emb = await startBroker({ dataDir });
    try {
      const port = await freePort();
      const r = await runProcess(process.execPath, [
        'src/cli/main.ts',
        'broker',
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${port}`,
        '--override',
        `log.dirs=${dataDir}`,
      ]);
      assert.notEqual(r.code, 0, describeRun('second broker', r));
      assert.match(r.stdout + r.stderr, new RegExp(`${dataDir.replaceAll('/', '\\/')}.*another broker uses it`));
    } finally {
      await emb.stop();
    }
  });
});
