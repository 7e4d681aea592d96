// The container's entry script, run directly (no Docker engine here): KAFKA_* variables configure the broker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { MetadataResponse } from '../../src/protocol/generated/messages.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

// The image's contents (dist/ + node_modules) in a scratch TRIBUTARY_HOME, as the Dockerfile builds them.
let home = '';
before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tributary-home-'));
  symlinkSync(join(ROOT, 'node_modules'), join(home, 'node_modules'));
  const build = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(home, 'dist')],
    { cwd: ROOT, stdio: 'inherit' },
  );
  assert.equal(await new Promise((r) => build.on('exit', r)), 0, 'tsc build failed');
});
after(() => rmSync(home, { recursive: true, force: true }));

test('docker/entrypoint.sh starts the broker from KAFKA_* variables and stops on SIGTERM', {
  timeout: 120000,
}, async () => {
  const port = await freePort();
  const httpPort = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'tributary-docker-'));
  const child = spawn('sh', [join(ROOT, 'docker/entrypoint.sh')], {
    env: {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      TRIBUTARY_HOME: home,
      KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://advertised.example:${port}`,
      KAFKA_LOG_DIRS: data,
      KAFKA_NUM_PARTITIONS: '4',
      KAFKA_HTTP_LISTENERS: `http://127.0.0.1:${httpPort}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stderr.on('data', (d) => {
    logs += d;
  });
  try {
    let conn: BrokerConnection | undefined;
    for (let i = 0; i < 100 && !conn; i++) {
      try {
        conn = await BrokerConnection.open('127.0.0.1', port);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(conn, `broker did not start:\n${logs}`);
    const md = await conn.send<MetadataResponse>(ApiKey.Metadata, 9, {
      topics: [{ name: 'from-docker' }],
      allowAutoTopicCreation: true,
    });
    conn.close();
    assert.equal(md.brokers[0]?.host, 'advertised.example');
    assert.equal(md.topics[0]?.partitions.length, 4);
    // What the image's HEALTHCHECK asks.
    const ready = await fetch(`http://127.0.0.1:${httpPort}/ready`);
    assert.equal(ready.status, 200, await ready.text());
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0, logs);
    assert.match(logs, /shutdown complete/);
  } finally {
    child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
});

/** Runs the entry script until the broker logs that it started; returns what it logged by then. */
async function startupLogs(http: Record<string, string>): Promise<string> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'tributary-docker-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    TRIBUTARY_HOME: home,
    KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
    KAFKA_LOG_DIRS: data,
    ...http,
  };
  if (!('KAFKA_HTTP_LISTENERS' in http)) delete env.KAFKA_HTTP_LISTENERS;
  const child = spawn('sh', [join(ROOT, 'docker/entrypoint.sh')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const seen = (d: Buffer) => {
        logs += d;
        if (logs.includes('Tributary broker started')) resolve();
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.on('exit', (code) =>
        reject(new Error(`entrypoint exited with ${code} before the broker started:\n${logs}`)),
      );
    });
    return logs;
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    rmSync(data, { recursive: true, force: true });
  }
}

test('KAFKA_HTTP_LISTENERS set but empty turns the HTTP listener off; unset keeps the default', {
  timeout: 120000,
}, async () => {
  const off = await startupLogs({ KAFKA_HTTP_LISTENERS: '' });
  assert.doesNotMatch(off, /http listener/, off);
  // Unset: the image's default endpoint (0.0.0.0:9644) is tried, opened or (port taken here) logged as skipped.
  const dflt = await startupLogs({});
  assert.match(dflt, /http listener (started.*host=0\.0\.0\.0 port=9644|http:\/\/0\.0\.0\.0:9644)/, dflt);
});
