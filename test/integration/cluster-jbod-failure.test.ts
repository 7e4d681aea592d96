// JBOD: a broker with two log dirs, one of which fails (ENOSPC on a write, injected for that directory alone through
// the storage layer's I/O hook). The broker keeps running on its other dir; it reports the replicas in the failed
// dir to the controller, which moves their leadership to the other in-sync replicas and takes them out of the ISRs.
// acks=all writes go on at the new leader with nothing acknowledged lost, and the partitions in the healthy dir stay
// led by the broker. Without the report the failed dir's partitions stayed led by it, answering KAFKA_STORAGE_ERROR.
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin, type RunningCluster, startCluster } from '../../src/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { errnoError, ioFaults } from '../../src/storage/file-io.ts';
import { waitFor } from '../helpers/clients.ts';
import { produceOne } from '../helpers/produce.ts';

let cluster: RunningCluster;
let admin: Admin;
before(async () => {
  cluster = await startCluster({
    brokers: 3,
    logDirsPerBroker: 2,
    sessionTimeoutMs: 2000,
    config: { 'replica.lag.time.max.ms': '1000', 'replica.fetch.wait.max.ms': '100' },
  });
  admin = new Admin({ bootstrapServers: cluster.bootstrap });
});
after(async () => {
  ioFaults.before = undefined;
  await admin?.close();
  await cluster?.stop();
});

test('one of two log dirs fails: its partitions move away, the healthy dir keeps its leaderships', {
  timeout: 120_000,
}, async () => {
  await admin.createTopics([
    { topic: 'j', numPartitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
  ]);
  const partitions = async () => (await admin.describeTopics(['j']))[0]!.partitions;
  const settled = await waitFor(
    'a full ISR everywhere',
    async () => {
      const ps = await partitions();
      return ps.every((x) => x.leader > 0 && x.isr.length === 3) ? ps : undefined;
    },
    30_000,
  );
  // A broker leading one partition in each of its two log dirs.
  const dirOf = (nodeId: number, partition: number) => {
    const dirs = cluster.brokers.find((b) => b.nodeId === nodeId)!.broker.config.logDirs;
    return dirs.find((d) => existsSync(join(d, `j-${partition}`)))!;
  };
  let pick: { nodeId: number; failing: number; healthy: number; dir: string } | undefined;
  for (const b of cluster.brokers) {
    const led = settled.filter((x) => x.leader === b.nodeId).map((x) => x.partition);
    const [dir0, dir1] = b.broker.config.logDirs;
    const a = led.find((x) => dirOf(b.nodeId, x) === dir0);
    const h = led.find((x) => dirOf(b.nodeId, x) === dir1);
    if (a !== undefined && h !== undefined) pick = { nodeId: b.nodeId, failing: a, healthy: h, dir: dir0! };
  }
  assert.ok(pick, `no broker leads a partition in each of its log dirs: ${JSON.stringify(settled)}`);
  const { nodeId, failing, healthy, dir } = pick;
  const inFailedDir = settled.map((x) => x.partition).filter((x) => dirOf(nodeId, x) === dir);
  const broker = cluster.brokers.find((b) => b.nodeId === nodeId)!;
  const conn = await BrokerConnection.open('127.0.0.1', broker.port);
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await produceOne(conn, 'j', failing, `a${i}`)).errorCode, ErrorCode.NONE);
      assert.equal((await produceOne(conn, 'j', healthy, `h${i}`)).errorCode, ErrorCode.NONE);
    }

    // That dir's disk is full: every write or fsync of a file in it fails with ENOSPC.
    ioFaults.before = (_op, fd) => {
      let file = '';
      try {
        file = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {}
      if (file.startsWith(`${dir}/`)) throw errnoError('ENOSPC', 'no space left on device');
    };
    const failed = await produceOne(conn, 'j', failing, 'lost');
    assert.notEqual(failed.errorCode, ErrorCode.NONE, 'the write that hit the full disk is not acknowledged');

    // Every partition in the failed dir: led by another broker, and this one out of its ISR.
    const after = await waitFor(
      'the failed dir’s replicas out of leaderships and ISRs',
      async () => {
        const ps = await partitions();
        const done = ps
          .filter((x) => inFailedDir.includes(x.partition))
          .every((x) => x.leader > 0 && x.leader !== nodeId && !x.isr.includes(nodeId));
        return done ? ps : undefined;
      },
      30_000,
    );
    // The healthy dir's partition is still led by the broker, which still runs and takes acks=all writes there.
    const h = after.find((x) => x.partition === healthy)!;
    assert.equal(h.leader, nodeId, 'the partition in the healthy dir stays led by the broker');
    assert.ok(h.isr.includes(nodeId));
    const r = await produceOne(conn, 'j', healthy, 'h-after');
    assert.equal(r.errorCode, ErrorCode.NONE, 'acks=all goes on in the healthy dir');
    assert.equal(Number(r.baseOffset), 5);

    const moved = after.find((x) => x.partition === failing)!;
    const next = await BrokerConnection.open('127.0.0.1', cluster.brokers.find((b) => b.nodeId === moved.leader)!.port);
    try {
      const r2 = await produceOne(next, 'j', failing, 'a-after');
      assert.equal(r2.errorCode, ErrorCode.NONE, 'acks=all continues at the new leader (min.insync.replicas=2)');
      assert.equal(Number(r2.baseOffset), 5, 'every acknowledged record is still there, the failed write is not');
    } finally {
      next.close();
    }
    // The old leader answers for the moved partition as a replica that no longer leads it.
    assert.notEqual((await produceOne(conn, 'j', failing, 'x')).errorCode, ErrorCode.NONE);
  } finally {
    ioFaults.before = undefined;
    conn.close();
  }
});
