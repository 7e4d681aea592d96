// The controller's metrics in a ZooKeeper cluster of three broker processes: exactly one broker (the one holding
// /controller) reports kafka_controller_kafkacontroller_activecontrollercount 1 and the cluster-wide counts, the
// others 0; after that broker is killed, another one takes over and reports 1.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { Admin } from '../../src/index.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { httpPort, parseMetrics, sample } from '../helpers/prometheus.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(() =>
  startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 3,
    sessionTimeoutMs: 2000,
    overrides: { 'http.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': '1' },
    onProgress: (c) => {
      started = c;
    },
  }),
);
after(() => stopZooKeeperCluster(started));
afterEach((t) => {
  for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
});

interface ControllerSeries {
  active: number | undefined;
  partitions: number | undefined;
  topics: number | undefined;
}

async function controllerSeries(b: BrokerHandle): Promise<ControllerSeries> {
  const r = await fetch(`http://127.0.0.1:${httpPort(b)}/metrics`);
  assert.equal(r.status, 200);
  const m = await parseMetrics(await r.text());
  return {
    active: sample(m, 'kafka_controller_kafkacontroller_activecontrollercount'),
    partitions: sample(m, 'kafka_controller_kafkacontroller_globalpartitioncount'),
    topics: sample(m, 'kafka_controller_kafkacontroller_globaltopiccount'),
  };
}

/** Polls until exactly one of `brokers` reports itself active; returns it and everyone's series. */
async function activeOne(brokers: BrokerHandle[]): Promise<{ active: BrokerHandle; series: ControllerSeries[] }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const series = await Promise.all(brokers.map(controllerSeries));
    for (const s of series) assert.ok(s.active === 0 || s.active === 1, `activecontrollercount is ${s.active}`);
    const ones = series.flatMap((s, i) => (s.active === 1 ? [brokers[i]!] : []));
    assert.ok(ones.length <= 1, `${ones.length} brokers report themselves the active controller`);
    if (ones.length === 1) return { active: ones[0]!, series };
    if (Date.now() > deadline) throw new Error('no broker reports itself the active controller after 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('exactly one broker reports the active controller, and another after it is killed', {
  timeout: 180_000,
}, async () => {
  const { brokers } = await setup.get();
  const admin = new Admin({ bootstrapServers: brokers.map((b) => b.bootstrap).join(',') });
  try {
    await admin.createTopics([{ topic: 'ops-controller', numPartitions: 4, replicationFactor: 3 }]);
    const controllerId = (await admin.describeCluster()).controllerId;
    const first = await activeOne(brokers);
    assert.equal(first.active, brokers[controllerId - 1], `Metadata names broker ${controllerId} the controller`);
    for (const [i, s] of first.series.entries()) {
      if (brokers[i] === first.active) {
        assert.ok((s.partitions ?? 0) >= 4, `the controller counts the cluster's partitions (${s.partitions})`);
        assert.ok((s.topics ?? 0) >= 1);
      } else {
        assert.equal(s.partitions, 0, 'a broker that is not the controller reports 0 partitions');
        assert.equal(s.topics, 0);
      }
    }
    await first.active.kill9();
    const survivors = brokers.filter((b) => b !== first.active);
    const second = await activeOne(survivors);
    assert.notEqual(second.active, first.active);
  } finally {
    await admin.close();
  }
});
