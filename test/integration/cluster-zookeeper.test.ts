// Three broker processes against a real three-node ZooKeeper ensemble (Debian's package, test/helpers/zookeeper.ts),
// with 2 s sessions: kcat, kafka-python, confluent-kafka, the Java client (a producer and a consumer group, across a
// leader's kill -9) and the TypeScript client see one cluster; a kill -9'd
// controller is replaced; a broker restarted after its session expired rejoins; a SIGTERM'd broker hands its
// leaderships over before it leaves.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { Admin, Producer } from '../../src/index.ts';
import { makeTempDir, printLogsOnFailure, REPO_ROOT, sharedSetup } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requireBinary, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { ensureJavaClientJars } from '../helpers/java-clients.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const SESSION_MS = 2000;

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(() =>
  startZooKeeperCluster({
    zookeeperNodes: 3,
    brokers: 3,
    sessionTimeoutMs: SESSION_MS,
    overrides: {
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.num.partitions': '3',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.num.partitions': '3',
      'transaction.state.log.replication.factor': '3',
    },
    onProgress: (c) => {
      started = c;
    },
  }),
);

after(() => stopZooKeeperCluster(started));

async function describeCluster(bootstrap: string) {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return await admin.describeCluster();
  } finally {
    await admin.close();
  }
}

async function describeTopic(bootstrap: string, topic: string) {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return (await admin.describeTopics([topic]))[0]!;
  } finally {
    await admin.close();
  }
}

describe('a three-broker cluster on a three-node ZooKeeper ensemble', { timeout: 300_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('kcat, kafka-python, confluent-kafka and the TS client see one cluster', async () => {
    const { brokers } = await setup.get();
    for (const b of brokers) {
      const c = await describeCluster(b.bootstrap);
      assert.deepEqual(c.brokers.map((x) => x.nodeId).sort(), [1, 2, 3], `from broker at ${b.bootstrap}`);
    }
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const md = await runProcess(kcat, ['-b', brokers[1]!.bootstrap, '-L', '-J'], { timeoutMs: 30_000 });
    assert.equal(md.code, 0, describeRun('kcat -L', md));
    const kcatView = JSON.parse(md.stdout) as { brokers: Array<{ id: number }> };
    assert.deepEqual(kcatView.brokers.map((b) => b.id).sort(), [1, 2, 3]);

    const py = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    requirePython('kafka', 'apt-get install python3-kafka');
    const r = await runProcess(py, [path.join(PY_DIR, 'cluster_clients.py'), brokers[2]!.bootstrap, 'rf3'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, describeRun('cluster_clients.py', r));
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      brokers: number[];
      partitions: Array<{ leader: number; replicas: number[]; isr: number[] }>;
      acked: number;
      consumed: number;
    };
    assert.deepEqual(out.brokers, [1, 2, 3]);
    assert.equal(out.partitions.length, 3);
    for (const p of out.partitions) {
      assert.deepEqual(p.replicas, [1, 2, 3]);
      assert.deepEqual(p.isr, [1, 2, 3]);
    }
    assert.equal(out.acked, 30, describeRun('cluster_clients.py', r));
    assert.equal(out.consumed, 30, describeRun('cluster_clients.py', r));
    // The same topic from every broker: same leaders.
    const views = await Promise.all(brokers.map((b) => describeTopic(b.bootstrap, 'rf3')));
    for (const v of views)
      assert.deepEqual(
        v.partitions.map((p) => p.leader),
        views[0]!.partitions.map((p) => p.leader),
      );
  });

  test('the Java client: a producer and a consumer group see one cluster across a leader kill -9', async () => {
    const { brokers } = await setup.get();
    const libs = ensureJavaClientJars();
    const admin = new Admin({ bootstrapServers: brokers[0]!.bootstrap });
    try {
      await admin.createTopics([
        { topic: 'java-rf3', numPartitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
      ]);
    } finally {
      await admin.close();
    }
    // Every broker must know the topic before the client asks any of them.
    for (const b of brokers)
      await waitFor(`java-rf3 led in ${b.bootstrap}`, async () => {
        const d = await describeTopic(b.bootstrap, 'java-rf3').catch(() => undefined);
        return d && d.partitions.length === 3 && d.partitions.every((p) => p.leader > 0) ? d : undefined;
      });
    const leader = (await describeTopic(brokers[0]!.bootstrap, 'java-rf3')).partitions[0]!.leader;
    const victim = brokers[leader - 1]!;
    const bootstrap = brokers.map((b) => b.bootstrap).join(',');
    const java = spawn(
      'java',
      [
        '-cp',
        `${libs}/*`,
        path.join(REPO_ROOT, 'test/integration/java/ClusterClient.java'),
        bootstrap,
        'java-rf3',
        'java-group',
        '600',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    java.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => java.once('exit', (code) => resolve(code)));
    let killed = false;
    const killing = new Promise<void>((resolve, reject) => {
      java.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // A third of the records acknowledged: the leader of partition 0 dies mid-stream.
        if (!killed && /ACKED 200\n/.test(out)) {
          killed = true;
          victim.kill9().then(resolve, reject);
        }
      });
      void exited.then(() => resolve());
    });
    const timer = setTimeout(() => java.kill('SIGKILL'), 240_000);
    const code = await exited;
    clearTimeout(timer);
    await killing;
    const what = `ClusterClient.java: exit ${code}\n--- stdout ---\n${out}\n--- stderr ---\n${err.slice(-8000)}`;
    assert.equal(code, 0, what);
    assert.ok(killed, `the leader was never killed: ${what}`);
    assert.match(out, /^BROKERS 1,2,3$/m, what);
    const result = JSON.parse(/^RESULT (.*)$/m.exec(out)![1]!) as Record<string, number>;
    // Every record acknowledged (idempotent acks=all, min.insync.replicas=2), in order per partition, and read by
    // the group (at least once: a delivery may repeat after the coordinator or a leader moved).
    assert.equal(result.acked, 600, what);
    assert.equal(result.failed, 0, what);
    assert.equal(result.outOfOrder, 0, what);
    assert.equal(result.missing, 0, what);
    assert.equal(result.consumed, 600, what);
    assert.equal(result.unknown, 0, what);
    // Leave the cluster as the next tests expect it: three brokers.
    await victim.restart();
    for (const b of brokers)
      await waitFor(`three brokers listed by ${b.bootstrap}`, async () =>
        (await describeCluster(b.bootstrap)).brokers.length === 3 ? true : undefined,
      );
  });

  test('kill -9 of the controller: another broker is elected and leads its partitions', async () => {
    const { brokers } = await setup.get();
    const before = await describeCluster(brokers[0]!.bootstrap);
    const victim = brokers[before.controllerId - 1]!;
    const survivor = brokers.find((b) => b !== victim)!;
    const t0 = Date.now();
    await victim.kill9();
    const now = await waitFor(
      'a new controller',
      async () => {
        const c = await describeCluster(survivor.bootstrap).catch(() => undefined);
        // A new controller, which has fenced the dead broker (no longer listed).
        return c &&
          c.controllerId !== before.controllerId &&
          c.controllerId > 0 &&
          !c.brokers.some((b) => b.nodeId === before.controllerId)
          ? c
          : undefined;
      },
      30_000,
    );
    process.stderr.write(
      `controller ${before.controllerId} killed; ${now.controllerId} elected after ${Date.now() - t0} ms\n`,
    );
    assert.deepEqual(
      now.brokers.map((b) => b.nodeId).sort(),
      [1, 2, 3].filter((id) => id !== before.controllerId),
    );
    const topic = await waitFor('leaders off the dead broker', async () => {
      const d = await describeTopic(survivor.bootstrap, 'rf3');
      return d.partitions.every((p) => p.leader !== before.controllerId && p.leader > 0) ? d : undefined;
    });
    for (const p of topic.partitions) assert.ok(!p.isr.includes(before.controllerId));
    const producer = new Producer({ bootstrapServers: survivor.bootstrap, lingerMs: 0 });
    try {
      await producer.send({ topic: 'rf3', messages: [{ value: 'after the controller died' }] });
    } finally {
      await producer.close();
    }
  });

  test('a broker restarted after its session expired rejoins the cluster', async () => {
    const { brokers } = await setup.get();
    const down = [];
    for (const b of brokers) if (!(await describeCluster(b.bootstrap).catch(() => undefined))) down.push(b);
    assert.equal(down.length, 1, 'the broker killed in the previous test');
    const b = down[0]!;
    await b.restart();
    // No wait: a broker answers nothing before its own metadata lists it (and the brokers registered before it).
    const c = await describeCluster(b.bootstrap);
    assert.deepEqual(c.brokers.map((x) => x.nodeId).sort(), [1, 2, 3]);
    // Its replicas are back in the metadata; leaders stay where they moved (no preferred election forced).
    const d = await describeTopic(b.bootstrap, 'rf3');
    for (const p of d.partitions) assert.ok(p.leader > 0);
  });

  test('a SIGTERM-ed broker hands its leaderships over before it leaves', async () => {
    const { brokers } = await setup.get();
    const d = await describeTopic(brokers[0]!.bootstrap, 'rf3');
    const leaders = new Set(d.partitions.map((p) => p.leader));
    const id = [...leaders][0]!;
    const victim = brokers[id - 1]!;
    const other = brokers.find((b) => b !== victim)!;
    const code = await victim.stop('SIGTERM');
    assert.equal(code, 0);
    assert.match(victim.logs(), /controlled shutdown: no partition led here any more/);
    // The log line above is the controller's answer before the broker left: no partition led by it any more. The
    // other brokers apply the same records from the log.
    const after = await waitFor('the moves in the other brokers image', async () => {
      const v = await describeTopic(other.bootstrap, 'rf3');
      return v.partitions.every((p) => p.leader !== id) ? v : undefined;
    });
    for (const p of after.partitions) {
      assert.notEqual(p.leader, id, JSON.stringify(p));
      assert.ok(p.leader > 0, JSON.stringify(p));
    }
  });
});

test('ZooKeeper unreachable at start-up: the broker exits 1 after zookeeper.connection.timeout.ms, saying so', async () => {
  const r = await runProcess(
    process.execPath,
    [
      path.join(REPO_ROOT, 'src/cli/bin.ts'),
      'broker',
      '--override',
      'zookeeper.connect=127.0.0.1:1/tributary',
      '--override',
      'zookeeper.connection.timeout.ms=1000',
      '--override',
      `log.dirs=${makeTempDir()}`,
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 1, describeRun('broker without ZooKeeper', r));
  assert.match(r.stdout + r.stderr, /cannot open a session with zookeeper:127\.0\.0\.1:1\/tributary within/);
});
