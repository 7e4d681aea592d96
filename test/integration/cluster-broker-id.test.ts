// One broker.id, two processes, against a real ZooKeeper: a second live broker started with the id of a registered
// live broker fails at once with Kafka's NodeExists message and exits 1, having changed nothing; the registered
// broker kill -9'd and restarted at once (its old session still alive) waits for that session to expire and
// rejoins, answering no request before its own metadata lists it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import { Admin } from '../../src/index.ts';
import { makeTempDir, printLogsOnFailure, REPO_ROOT } from '../helpers/broker.ts';
import { describeRun, runProcess } from '../helpers/clients.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const SESSION_MS = 2000;

let started: ZooKeeperCluster | undefined;
after(() => stopZooKeeperCluster(started));
afterEach((t) => {
  for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
});

async function brokerIds(bootstrap: string): Promise<number[]> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort();
  } finally {
    await admin.close();
  }
}

test('a second live broker with a registered broker.id fails fast; a restart within the old session rejoins', {
  timeout: 180_000,
}, async () => {
  const cluster = await startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 2,
    sessionTimeoutMs: SESSION_MS,
    onProgress: (c) => {
      started = c;
    },
  });
  const [b1, b2] = cluster.brokers as [(typeof cluster.brokers)[0], (typeof cluster.brokers)[0]];

  // A second process claims broker.id 1 with its own log dir and port.
  const dir = makeTempDir('dup-id-');
  const t0 = Date.now();
  const dup = await runProcess(
    process.execPath,
    [
      path.join(REPO_ROOT, 'src/cli/bin.ts'),
      'broker',
      '--override',
      'broker.id=1',
      '--override',
      `zookeeper.connect=${cluster.zk.connectString('/tributary')}`,
      '--override',
      `zookeeper.session.timeout.ms=${SESSION_MS}`,
      '--override',
      `log.dirs=${dir}`,
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
      '--override',
      'http.listeners=',
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(dup.code, 1, describeRun('the second broker.id=1', dup));
  assert.match(
    dup.stdout + dup.stderr,
    /Error while creating ephemeral at \/brokers\/ids\/1, node already exists and owner '0x[0-9a-f]+' does not match current session '0x[0-9a-f]+': another live broker is registered with broker\.id 1 \(endpoints PLAINTEXT:\/\/127\.0\.0\.1:\d+/,
  );
  process.stderr.write(`the duplicate broker exited after ${Date.now() - t0} ms\n`);
  // The registered broker is untouched: both brokers still list 1 and 2.
  assert.deepEqual(await brokerIds(b1.bootstrap), [1, 2]);
  assert.deepEqual(await brokerIds(b2.bootstrap), [1, 2]);

  // The same broker, restarted while its old session still holds /brokers/ids/1: it waits the session out.
  await b1.kill9();
  await b1.restart();
  assert.match(b1.logs(), /registered in the cluster; processing requests/);
  // Requests are held until its own metadata has it registered, so the first answer already lists it.
  assert.deepEqual(await brokerIds(b1.bootstrap), [1, 2]);
});
