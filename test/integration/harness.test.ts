// Tests of the integration harness itself (test/helpers/broker.ts), against a fake broker process.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, test } from 'node:test';
import { freePort, probeApiVersions, startBrokerProcess } from '../helpers/broker.ts';

const entry = 'test/helpers/fake-broker.ts';

describe('broker harness', { timeout: 60_000 }, () => {
  test('starts, answers the readiness probe, restarts on the same port and data dir, stops', async () => {
    const b = await startBrokerProcess({ entry, overrides: { 'some.setting': 'x=y' } });
    try {
      assert.equal(b.bootstrap, `127.0.0.1:${b.port}`);
      assert.ok(existsSync(b.dataDir));
      assert.ok(await probeApiVersions(b.port));
      assert.match(b.logs(), /--override some\.setting=x=y/);
      assert.match(b.logs(), new RegExp(`log\\.dirs=${b.dataDir}`));
      const firstPid = b.proc.pid;
      await b.restart();
      assert.notEqual(b.proc.pid, firstPid);
      assert.ok(await probeApiVersions(b.port));
      assert.equal(await b.stop(), 0);
      assert.match(b.logs(), /SIGTERM, shutting down/);
      assert.equal(await probeApiVersions(b.port, '127.0.0.1', 500), false);
      await b.restart(); // restart of a stopped broker just starts it
      assert.ok(await probeApiVersions(b.port));
      await b.kill9();
      assert.equal(b.proc.signalCode, 'SIGKILL');
    } finally {
      await b.kill9();
    }
  });

  test('fails with the broker logs when the broker exits early', async () => {
    await assert.rejects(startBrokerProcess({ entry, overrides: { 'fake.mode': 'exit' } }), (err: Error) => {
      assert.match(err.message, /broker exited before it was ready \(code=3/);
      assert.match(err.message, /FATAL simulated startup failure/);
      return true;
    });
  });

  test('fails when the entry point does not exist', async () => {
    await assert.rejects(startBrokerProcess({ entry: 'test/helpers/no-such-broker.ts' }), /exited before it was ready/);
  });

  test('fails after the ready timeout when the broker never answers ApiVersions', async () => {
    const started = Date.now();
    await assert.rejects(
      startBrokerProcess({ entry, overrides: { 'fake.mode': 'silent' }, readyTimeoutMs: 1500 }),
      /did not answer ApiVersions .* within 1500 ms[\s\S]*fake-broker: listening/,
    );
    assert.ok(Date.now() - started < 10_000);
  });

  test('fails with the logs when a fixed port is taken (no retry on another port)', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      await assert.rejects(startBrokerProcess({ entry, port }), /listen failed: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
