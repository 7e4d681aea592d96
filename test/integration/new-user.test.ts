// What a new user (often coming from Kafka) meets: start-up with Kafka's own config files and conventions, clear
// failures for bad values, warnings for unknown keys, and restarts (clean and after kill -9) that lose nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import {
  type BrokerHandle,
  freePort,
  makeTempDir,
  printLogsOnFailure,
  probeApiVersions,
  REPO_ROOT,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';

const ENTRY = 'src/cli/main.ts';

interface Spawned {
  proc: ChildProcess;
  logs(): string;
  exited: Promise<number | null>;
}

/** `node src/cli/main.ts broker <args>` with the given environment (no harness overrides). */
function spawnBroker(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  let out = '';
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KAFKA_')));
  const proc = spawn(process.execPath, [ENTRY, 'broker', ...args], {
    cwd: REPO_ROOT,
    // The operations HTTP listener on any free port: the default 9644 may be taken by a broker of another test.
    env: { ...clean, KAFKA_HTTP_LISTENERS: 'http://127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, logs: () => out, exited };
}

async function waitReady(s: Spawned, port: number, timeoutMs = 20_000): Promise<number> {
  const t0 = Date.now();
  let exited = false;
  void s.exited.then(() => (exited = true));
  while (Date.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`broker exited before it was ready:\n${s.logs()}`);
    if (await probeApiVersions(port, '127.0.0.1', 1000)) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  s.proc.kill('SIGKILL');
  throw new Error(`broker not ready on ${port} after ${timeoutMs} ms:\n${s.logs()}`);
}

async function stopSpawned(s: Spawned): Promise<number | null> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGTERM');
  return s.exited;
}

describe('a new user', { timeout: 300_000 }, () => {
  let current: BrokerHandle | undefined;
  afterEach(async (t) => {
    printLogsOnFailure(t, current);
    await current?.stop();
    current = undefined;
  });

  test("Kafka's own KRaft server.properties starts the broker; the CONTROLLER listener is explained, not fatal", async () => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const dir = makeTempDir();
    const port = await freePort();
    const controllerPort = await freePort();
    const file = path.join(dir, 'server.properties');
    // As in Kafka 4's config/server.properties (comments trimmed), with our ports and dirs.
    writeFileSync(
      file,
      [
        '############################# Server Basics #############################',
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.bootstrap.servers=localhost:${controllerPort}`,
        `controller.quorum.voters=1@localhost:${controllerPort}`,
        '############################# Socket Server Settings #############################',
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        'inter.broker.listener.name=PLAINTEXT',
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
        'num.network.threads=3',
        'num.io.threads=8',
        'socket.send.buffer.bytes=102400',
        'socket.receive.buffer.bytes=102400',
        'socket.request.max.bytes=104857600',
        `log.dirs=${path.join(dir, 'kraft-combined-logs')}`,
        'num.partitions=1',
        'num.recovery.threads.per.data.dir=1',
        'offsets.topic.replication.factor=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'log.retention.hours=168',
        'log.segment.bytes=1073741824',
        'log.retention.check.interval.ms=300000',
        '',
      ].join('\n'),
    );
    const b = spawnBroker(['--config', file]);
    try {
      await waitReady(b, port);
      const md = await runProcess(kcat, ['-b', `127.0.0.1:${port}`, '-L']);
      assert.equal(md.code, 0, describeRun('kcat -L', md));
      assert.match(md.stdout, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(b.logs(), /WARN|ERROR|FATAL/, 'the sample keys are all known');
      assert.match(b.logs(), /controller listener not opened.*CONTROLLER:\/\/127\.0\.0\.1/);
      assert.match(b.logs(), new RegExp(`broker started .*listeners=PLAINTEXT://127\\.0\\.0\\.1:${port} `));
      assert.equal(await stopSpawned(b), 0);
    } finally {
      b.proc.kill('SIGKILL');
    }
  });

  for (const [how, args, env] of [
    ['--override', ['--override', 'num.partitions=abc'], {}],
    ['KAFKA_* variable', [], { KAFKA_NUM_PARTITIONS: 'abc' }],
  ] as const) {
    test(`an invalid value (${how}) stops start-up with a message naming the key and a non-zero exit`, async () => {
      const dir = makeTempDir();
      const port = await freePort();
      const b = spawnBroker(
        ['--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${dir}`, ...args],
        env,
      );
      const timer = setTimeout(() => b.proc.kill('SIGKILL'), 15_000);
      const code = await b.exited;
      clearTimeout(timer);
      assert.notEqual(code, 0, b.logs());
      assert.notEqual(code, null, `the broker did not stop by itself:\n${b.logs()}`);
      assert.match(b.logs(), /Invalid value 'abc' for configuration num\.partitions/);
    });
  }

  test('an invalid value in a config file, and a missing config file, stop start-up', async () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'server.properties');
    writeFileSync(file, 'log.segment.bytes=ten megabytes\n');
    for (const [target, pattern] of [
      [file, /log\.segment\.bytes/],
      [path.join(dir, 'missing.properties'), /missing\.properties/],
    ] as const) {
      const b = spawnBroker(['--config', target, '--override', `log.dirs=${dir}`]);
      const timer = setTimeout(() => b.proc.kill('SIGKILL'), 15_000);
      const code = await b.exited;
      clearTimeout(timer);
      assert.ok(code !== 0 && code !== null, `exit code ${code}:\n${b.logs()}`);
      assert.match(b.logs(), pattern);
    }
  });

  test('an unknown key is a warning, not fatal; KAFKA_* variables set broker configs', async () => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const dir = makeTempDir();
    const port = await freePort();
    const b = spawnBroker(['--override', 'some.plugin.setting=1'], {
      KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_LOG_DIRS: dir,
      KAFKA_NUM_PARTITIONS: '3',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${port}`,
    });
    try {
      await waitReady(b, port);
      assert.match(b.logs(), /WARN.*some\.plugin\.setting/);
      const produced = await runProcess(kcat, ['-b', `127.0.0.1:${port}`, '-t', 'env-topic', '-P'], {
        input: 'x\n',
      });
      assert.equal(produced.code, 0, describeRun('kcat -P', produced));
      const md = await runProcess(kcat, ['-b', `127.0.0.1:${port}`, '-L', '-J', '-t', 'env-topic']);
      const json = JSON.parse(md.stdout) as {
        brokers: { name: string }[];
        topics: { topic: string; partitions: unknown[] }[];
      };
      assert.equal(json.topics[0]!.partitions.length, 3, md.stdout);
      assert.equal(json.brokers[0]!.name, `localhost:${port}`);
    } finally {
      await stopSpawned(b);
    }
  });

  const produceAcked = async (broker: BrokerHandle, topic: string, lines: string[]) => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const r = await runProcess(kcat, ['-b', broker.bootstrap, '-t', topic, '-P', '-X', 'acks=all', '-K', ':'], {
      input: `${lines.join('\n')}\n`,
    });
    assert.equal(r.code, 0, describeRun('kcat -P', r));
  };

  const consumeAll = async (broker: BrokerHandle, topic: string) => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const r = await runProcess(kcat, ['-b', broker.bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%k:%s\n']);
    assert.equal(r.code, 0, describeRun('kcat -C', r));
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  test('SIGTERM then start again: exit 0, clean shutdown seen, no recovery, fast, nothing lost', async () => {
    current = await startBrokerProcess();
    const lines = Array.from({ length: 2000 }, (_, i) => `k${i}:value ${i}`);
    await produceAcked(current, 'restart-clean', lines);
    assert.equal(await current.stop(), 0);
    const before = current.logs().length;
    const t0 = Date.now();
    await current.restart();
    const readyMs = Date.now() - t0;
    const second = current.logs().slice(before);
    assert.match(second, /cleanShutdown=true/);
    assert.doesNotMatch(second, /truncating|recover/i);
    assert.ok(readyMs < 5000, `restart took ${readyMs} ms`);
    assert.deepEqual(await consumeAll(current, 'restart-clean'), lines);
  });

  test('SIGKILL then start: unclean start noticed, every acknowledged record still there', async () => {
    current = await startBrokerProcess();
    const lines = Array.from({ length: 2000 }, (_, i) => `k${i}:value ${i}`);
    await produceAcked(current, 'restart-kill', lines.slice(0, 1000));
    await produceAcked(current, 'restart-kill', lines.slice(1000));
    await current.kill9();
    const before = current.logs().length;
    await current.restart();
    const second = current.logs().slice(before);
    assert.match(second, /cleanShutdown=false/);
    assert.deepEqual(await consumeAll(current, 'restart-kill'), lines);
    // And it takes new writes after the recovery.
    await produceAcked(current, 'restart-kill', ['after:crash']);
    assert.deepEqual((await consumeAll(current, 'restart-kill')).slice(-2), ['k1999:value 1999', 'after:crash']);
  });
});
