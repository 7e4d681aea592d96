// ZooKeeper unreachable while a three-broker cluster runs: the whole ensemble is stopped (kill -9 of its three
// nodes), kept down for less than the session timeout and started again. Meanwhile every broker says so in its log
// and keeps serving the partitions it leads (kcat produces to and consumes from each); once ZooKeeper is back the
// brokers say so, and metadata changes (a new topic) go through again.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { Admin } from '../../src/index.ts';
import { type BrokerHandle, printLogsOnFailure } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess, waitFor } from '../helpers/clients.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

// ZooKeeper grants 2..20 ticks: a 300 ms tick allows this 6 s session.
const SESSION_MS = 6000;

let started: ZooKeeperCluster | undefined;
after(() => stopZooKeeperCluster(started));
afterEach((t) => {
  for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
});

const LOST = /ZooKeeper connection lost: serving what this broker leads, no metadata changes until it is back/;
// Back within the session, or — when the ensemble took longer than the rest of the session to form a quorum again
// (a loaded machine) — a broker that declared its session expired and registered again: either way metadata changes
// must resume.
const BACK = /ZooKeeper connection back|new ZooKeeper session/;

test('ZooKeeper down for less than a session: brokers serve what they lead, then metadata changes resume', {
  timeout: 240_000,
}, async () => {
  const kcat = requireBinary('kcat', 'apt-get install kcat');
  const { zk, brokers } = await startZooKeeperCluster({
    zookeeperNodes: 3,
    tickTimeMs: 300,
    brokers: 3,
    sessionTimeoutMs: SESSION_MS,
    onProgress: (c) => {
      started = c;
    },
  });
  const admin = (b: BrokerHandle) => new Admin({ bootstrapServers: b.bootstrap });
  const a = admin(brokers[0]!);
  try {
    await a.createTopics([{ topic: 'out', numPartitions: 3, replicationFactor: 3 }]);
  } finally {
    await a.close();
  }
  const leaders = await waitFor('out in every image, a leader per partition', async () => {
    const views = [];
    for (const b of brokers) {
      const c = admin(b);
      try {
        views.push((await c.describeTopics(['out']))[0]?.partitions.map((p) => p.leader));
      } finally {
        await c.close();
      }
    }
    const first = views[0];
    return first?.length === 3 && first.every((l) => l > 0) && views.every((v) => String(v) === String(first))
      ? first
      : undefined;
  });
  assert.equal(new Set(leaders).size, 3, `one partition led by each broker: ${leaders}`);

  const produce = (p: number, value: string) =>
    runProcess(kcat, ['-P', '-b', brokers[p]!.bootstrap, '-t', 'out', '-p', String(p), '-X', 'acks=1'], {
      input: `${value}\n`,
      timeoutMs: 30_000,
    });
  const consume = (p: number) =>
    runProcess(kcat, ['-C', '-b', brokers[p]!.bootstrap, '-t', 'out', '-p', String(p), '-o', 'beginning', '-e', '-q'], {
      timeoutMs: 30_000,
    });
  for (let p = 0; p < 3; p++) assert.equal((await produce(p, `before-${p}`)).code, 0);

  // The whole ensemble goes away.
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) await zk.kill9(i);
  await waitFor(
    'every broker logging the lost connection',
    async () => (brokers.every((b) => LOST.test(b.logs())) ? true : undefined),
    SESSION_MS,
  );
  // Each broker still serves the partition it leads, from its own image.
  for (let p = 0; p < 3; p++) {
    const r = await produce(p, `during-${p}`);
    assert.equal(r.code, 0, describeRun(`kcat -P partition ${p} while ZooKeeper is down`, r));
    const c = await consume(p);
    assert.equal(c.code, 0, describeRun(`kcat -C partition ${p} while ZooKeeper is down`, c));
    assert.deepEqual(c.stdout.trim().split('\n'), [`before-${p}`, `during-${p}`]);
  }
  const down = Date.now() - t0;
  assert.ok(down < SESSION_MS, `ZooKeeper was down ${down} ms, which is not less than the session timeout`);
  for (let i = 0; i < 3; i++) zk.start(i);
  await zk.waitServing();
  await waitFor(
    'every broker logging the connection back (or a new session)',
    async () => (brokers.every((b) => BACK.test(b.logs())) ? true : undefined),
    30_000,
  );

  // Metadata changes resume: a topic created through broker 2 shows up in every broker's image.
  const b = admin(brokers[1]!);
  try {
    await b.createTopics([{ topic: 'after-outage', numPartitions: 2, replicationFactor: 3 }], { timeoutMs: 30_000 });
  } finally {
    await b.close();
  }
  for (const x of brokers)
    await waitFor(`after-outage in broker ${x.bootstrap}`, async () => {
      const c = admin(x);
      try {
        return (await c.describeTopics(['after-outage']))[0]?.partitions.length === 2 ? true : undefined;
      } finally {
        await c.close();
      }
    });
  for (let p = 0; p < 3; p++) assert.equal((await produce(p, `after-${p}`)).code, 0);
});
