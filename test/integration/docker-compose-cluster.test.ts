// docker-compose.cluster.yml without a Docker engine: the image's entry script is started three times with exactly
// the compose file's environment blocks (hosts and ports mapped to 127.0.0.1 and free ports) against a real
// ZooKeeper; the seed's kafka-python producer and group consumer work and __consumer_offsets has 3 replicas.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { MetadataResponse } from '../../src/protocol/generated/messages.ts';
import { freePort, makeTempDir } from '../helpers/broker.ts';
import { startZooKeeper, type ZooKeeperEnsemble } from '../helpers/zookeeper.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const COMPOSE = join(ROOT, 'docker-compose.cluster.yml');
/** The only variables the compose file may use to configure a broker (Kafka's images' names). */
const SEED_VARIABLES = [
  'KAFKA_ADVERTISED_LISTENERS',
  'KAFKA_BROKER_ID',
  'KAFKA_INTER_BROKER_LISTENER_NAME',
  'KAFKA_LISTENERS',
  'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
  'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
  'KAFKA_ZOOKEEPER_CONNECT',
];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The subset of YAML the compose file uses: `services:` → `  name:` → `    environment:` → `      KEY: value`
 * (values optionally double-quoted). Returns each service's environment block.
 */
function composeEnvironments(text: string): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  let inServices = false;
  let service: string | undefined;
  let inEnv = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trimEnd();
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      inServices = line === 'services:';
      service = undefined;
      inEnv = false;
    } else if (inServices && indent === 2) {
      service = line.trim().replace(/:$/, '');
      inEnv = false;
    } else if (service !== undefined && indent === 4) {
      inEnv = line.trim() === 'environment:';
      if (inEnv) result.set(service, {});
    } else if (service !== undefined && inEnv && indent === 6) {
      const m = /^\s+([A-Z0-9_]+): (.*)$/.exec(line);
      assert.ok(m, `unexpected environment line in ${COMPOSE}: ${raw}`);
      const value = m[2] ?? '';
      const env = result.get(service);
      assert.ok(env);
      env[m[1] ?? ''] = value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
  }
  return result;
}

let home = '';
let zk: ZooKeeperEnsemble | undefined;
before(async () => {
  // The image's contents (dist/ + node_modules) in a scratch TRIBUTARY_HOME, as the Dockerfile builds them.
  home = makeTempDir('tributary-home-');
  symlinkSync(join(ROOT, 'node_modules'), join(home, 'node_modules'));
  const build = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(home, 'dist')],
    { cwd: ROOT, stdio: 'inherit' },
  );
  assert.equal(await new Promise((r) => build.on('exit', r)), 0, 'tsc build failed');
  zk = await startZooKeeper({ nodes: 1 });
});
after(async () => {
  await zk?.stop();
});

interface Started {
  proc: ChildProcess;
  logs: () => string;
}

function startEntrypoint(env: Record<string, string>): Started {
  const proc = spawn('sh', [join(ROOT, 'docker/entrypoint.sh')], {
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, TRIBUTARY_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const keep = (d: Buffer) => {
    logs = (logs + d.toString('utf8')).slice(-200_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return { proc, logs: () => logs };
}

async function connect(port: number, what: () => string): Promise<BrokerConnection> {
  for (let i = 0; i < 300; i++) {
    try {
      return await BrokerConnection.open('127.0.0.1', port);
    } catch {
      await sleep(100);
    }
  }
  assert.fail(`broker on ${port} did not start:\n${what()}`);
}

async function stopAll(brokers: readonly Started[]): Promise<void> {
  const exits = brokers.map((b) =>
    b.proc.exitCode !== null || b.proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => b.proc.once('exit', () => r())),
  );
  for (const b of brokers) b.proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const b of brokers) b.proc.kill('SIGKILL');
  }, 60_000);
  await Promise.all(exits);
  clearTimeout(timer);
}

test('docker-compose.cluster.yml: three entry points with its variables and a ZooKeeper serve kafka-python', {
  timeout: 300_000,
}, async () => {
  assert.ok(zk);
  const services = composeEnvironments(readFileSync(COMPOSE, 'utf8'));
  const brokerServices = [...services.keys()].filter((s) => s.startsWith('kafka'));
  assert.deepEqual(brokerServices, ['kafka1', 'kafka2', 'kafka3']);
  assert.match(readFileSync(COMPOSE, 'utf8'), /^ {2}zookeeper:\n {4}image: zookeeper:/m);

  // Container names and addresses → 127.0.0.1; each broker's container ports → its own free ports (as Docker gives
  // each container its own network namespace); `zookeeper:2181` → the test's ZooKeeper.
  const hostPorts: number[] = [];
  const envs: Record<string, string>[] = [];
  for (const name of brokerServices) {
    const env = services.get(name) ?? {};
    assert.deepEqual(Object.keys(env).sort(), SEED_VARIABLES, `${name} uses only the seed's variables`);
    const ports = new Map<string, number>();
    const mapAddress = async (text: string): Promise<string> => {
      let out = text;
      for (const m of text.matchAll(/\/\/([^:/,]+):(\d+)/g)) {
        const port = m[2] ?? '';
        if (!ports.has(port)) ports.set(port, await freePort());
        out = out.replace(m[0], `//127.0.0.1:${ports.get(port)}`);
      }
      return out;
    };
    const mapped: Record<string, string> = { ...env };
    mapped.KAFKA_LISTENERS = await mapAddress(env.KAFKA_LISTENERS ?? '');
    mapped.KAFKA_ADVERTISED_LISTENERS = await mapAddress(env.KAFKA_ADVERTISED_LISTENERS ?? '');
    assert.equal(env.KAFKA_ZOOKEEPER_CONNECT, 'zookeeper:2181');
    mapped.KAFKA_ZOOKEEPER_CONNECT = zk.connectString();
    const external = /EXTERNAL:\/\/127\.0\.0\.1:(\d+)/.exec(mapped.KAFKA_ADVERTISED_LISTENERS)?.[1];
    assert.ok(external, `${name} has an EXTERNAL advertised listener`);
    hostPorts.push(Number(external));
    mapped.KAFKA_HTTP_LISTENERS = `http://127.0.0.1:${await freePort()}`;
    mapped.KAFKA_LOG_DIRS = makeTempDir(`tributary-${name}-`);
    envs.push(mapped);
  }

  const brokers = envs.map((env) => startEntrypoint(env));
  const allLogs = () => brokers.map((b, i) => `--- kafka${i + 1} ---\n${b.logs()}`).join('\n');
  try {
    // All three registered (so the offsets topic can get 3 replicas) before the clients start.
    const conn = await connect(hostPorts[0] ?? 0, allLogs);
    try {
      for (let i = 0; ; i++) {
        const md = await conn.send<MetadataResponse>(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
        if (md.brokers.length === 3) {
          assert.deepEqual(
            md.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort(),
            hostPorts.map((p, j) => `${j + 1}@127.0.0.1:${p}`),
          );
          break;
        }
        assert.ok(i < 300, `only ${md.brokers.length} brokers registered:\n${allLogs()}`);
        await sleep(100);
      }

      // The seed's clients, as its README runs them.
      const script = `
import json, sys
from kafka import KafkaConsumer, KafkaProducer
servers = sys.argv[1].split(',')
producer = KafkaProducer(bootstrap_servers=servers, value_serializer=lambda x: json.dumps(x).encode('utf-8'))
for e in range(100):
    producer.send('numtest', value={'number': e})
producer.flush()
producer.close()
consumer = KafkaConsumer('numtest', bootstrap_servers=servers, group_id='my-group', auto_offset_reset='earliest',
                         enable_auto_commit=True, consumer_timeout_ms=60000,
                         value_deserializer=lambda x: json.loads(x.decode('utf-8')))
seen = set()
for message in consumer:
    seen.add(message.value['number'])
    if len(seen) == 100:
        break
consumer.commit()
consumer.close()
print(json.dumps(sorted(seen)))
`;
      const py = spawn('/usr/bin/python3', ['-c', script, hostPorts.map((p) => `127.0.0.1:${p}`).join(',')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      py.stdout.on('data', (d) => {
        out += d;
      });
      py.stderr.on('data', (d) => {
        err += d;
      });
      const code = await new Promise((r) => py.on('exit', r));
      assert.equal(code, 0, `kafka-python failed:\n${err}\n${allLogs()}`);
      assert.deepEqual(
        JSON.parse(out.trim()),
        Array.from({ length: 100 }, (_, i) => i),
        `kafka-python read back:\n${err}\n${allLogs()}`,
      );

      const offsets = await conn.send<MetadataResponse>(ApiKey.Metadata, 9, {
        topics: [{ name: '__consumer_offsets' }],
        allowAutoTopicCreation: false,
      });
      const topic = offsets.topics[0];
      assert.equal(topic?.errorCode, 0);
      assert.ok((topic?.partitions.length ?? 0) > 0);
      for (const p of topic?.partitions ?? []) {
        assert.deepEqual([...p.replicaNodes].sort(), [1, 2, 3], `__consumer_offsets-${p.partitionIndex}`);
      }
    } finally {
      conn.close();
    }
    await stopAll(brokers);
    for (const b of brokers) assert.equal(b.proc.exitCode, 0, allLogs());
  } finally {
    await stopAll(brokers);
  }
});

test('docker/entrypoint.sh maps KAFKA_ADVERTISED_HOST_NAME and KAFKA_ADVERTISED_PORT as the old images did', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const broker = startEntrypoint({
    KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
    KAFKA_ADVERTISED_HOST_NAME: 'legacy.example',
    KAFKA_ADVERTISED_PORT: '19092',
    KAFKA_LOG_DIRS: makeTempDir('tributary-legacy-'),
    KAFKA_HTTP_LISTENERS: `http://127.0.0.1:${await freePort()}`,
  });
  try {
    const conn = await connect(port, broker.logs);
    const md = await conn.send<MetadataResponse>(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
    conn.close();
    assert.deepEqual(
      md.brokers.map((b) => `${b.host}:${b.port}`),
      ['legacy.example:19092'],
    );
    assert.doesNotMatch(broker.logs(), /unknown broker config advertised/i);
  } finally {
    await stopAll([broker]);
  }
});
