// A broker whose only log dir fails (ENOSPC on a write, injected for that broker's directory alone through the
// storage layer's I/O hook) shuts down, as Kafka's does when all its log dirs have failed: its leaderships move to
// the other in-sync replicas, acks=all writes continue on them, and nothing acknowledged before is lost. Without the
// shutdown the broker stayed leader (its session alive), answering KAFKA_STORAGE_ERROR for as long as it ran.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
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

test("a leader whose only log dir fills up shuts down; its partition's leadership moves to the ISR", {
  timeout: 120_000,
}, async () => {
  await admin.createTopics([
    { topic: 'd', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
  ]);
  const partition = async () => (await admin.describeTopics(['d']))[0]!.partitions[0]!;
  const p = await waitFor(
    'a full ISR',
    async () => {
      const x = await partition();
      return x.leader > 0 && x.isr.length === 3 ? x : undefined;
    },
    30_000,
  );
  const leader = cluster.brokers.find((b) => b.nodeId === p.leader)!;
  const conn = await BrokerConnection.open('127.0.0.1', leader.port);
  for (let i = 0; i < 5; i++) assert.equal((await produceOne(conn, 'd', 0, `v${i}`)).errorCode, ErrorCode.NONE);

  // The leader's disk is full: every write or fsync of a file in its log dir fails with ENOSPC.
  const dir = leader.broker.config.logDirs[0]!;
  ioFaults.before = (_op, fd) => {
    let file = '';
    try {
      file = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {}
    if (file.startsWith(dir)) throw errnoError('ENOSPC', 'no space left on device');
  };
  const failed = await produceOne(conn, 'd', 0, 'lost').catch(() => undefined);
  assert.notEqual(failed?.errorCode, ErrorCode.NONE, 'the write that hit the full disk is not acknowledged');
  conn.close();

  const moved = await waitFor(
    'leadership off the failed broker',
    async () => {
      const x = await partition();
      return x.leader > 0 && x.leader !== p.leader && !x.isr.includes(p.leader) ? x : undefined;
    },
    30_000,
  );
  await assert.rejects(BrokerConnection.open('127.0.0.1', leader.port), 'the failed broker has stopped listening');

  const next = await BrokerConnection.open('127.0.0.1', cluster.brokers.find((b) => b.nodeId === moved.leader)!.port);
  try {
    const r = await produceOne(next, 'd', 0, 'after');
    assert.equal(r.errorCode, ErrorCode.NONE, 'acks=all continues on the other two (min.insync.replicas=2)');
    assert.equal(Number(r.baseOffset), 5, 'every acknowledged record is still there, the failed write is not');
  } finally {
    next.close();
  }
});
