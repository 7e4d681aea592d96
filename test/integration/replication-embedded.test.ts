// Replication in startCluster's three in-process brokers: acks=all answers once the ISR has the records, consumers
// see only what is below the high watermark, and min.insync.replicas refuses acks=all (NOT_ENOUGH_REPLICAS, nothing
// appended) when the ISR has shrunk, while the HW stays put (Kafka 4's strict min ISR). (A broker rejoining the ISR
// through AlterPartition is shown by replication-zookeeper.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin, type RunningCluster, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildBatch } from '../../src/records/index.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('replication between in-process brokers', { timeout: 120_000 }, () => {
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
    await admin?.close();
    await cluster?.stop();
  });

  const partition = async () => (await admin.describeTopics(['r']))[0]!.partitions[0]!;
  const latest = async () => (await admin.listOffsets([{ topic: 'r', partitions: [0] }], 'latest'))[0]!.offset;

  async function produce(conn: BrokerConnection, acks: number, value: string, timeoutMs = 5000) {
    const res = (await conn.send(ApiKey.Produce, 9, {
      transactionalId: null,
      acks,
      timeoutMs,
      topicData: [
        { name: 'r', partitionData: [{ index: 0, records: buildBatch({ records: [{ value: Buffer.from(value) }] }) }] },
      ],
    })) as { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> };
    return res.responses[0]!.partitionResponses[0]!;
  }

  test('acks=all, the HW, min.insync.replicas and ISR shrink', async () => {
    await admin.createTopics([
      { topic: 'r', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
    ]);
    const p = await until('a full ISR', async () => {
      const x = await partition();
      return x.leader > 0 && x.isr.length === 3 ? x : undefined;
    });
    const leader = cluster.brokers.find((b) => b.nodeId === p.leader)!;
    const conn = await BrokerConnection.open('127.0.0.1', leader.port);
    try {
      for (let i = 0; i < 5; i++) {
        const r = await produce(conn, -1, `v${i}`);
        assert.equal(r.errorCode, ErrorCode.NONE);
        assert.equal(Number(r.baseOffset), i);
        // Acknowledged with acks=all: the whole ISR has it, so the HW (what consumers see) is past it.
        assert.ok((await latest()) >= i + 1);
      }
      // Followers leave: controlled shutdowns take them out of the ISR.
      const [f1, f2] = cluster.brokers.filter((b) => b.nodeId !== p.leader);
      await cluster.stopBroker(f1!.nodeId);
      const shrunk = await until('ISR without the stopped broker', async () => {
        const x = await partition();
        return x.isr.length === 2 && !x.isr.includes(f1!.nodeId) ? x : undefined;
      });
      assert.equal(shrunk.leader, p.leader);
      assert.equal((await produce(conn, -1, 'two in sync')).errorCode, ErrorCode.NONE, 'ISR 2 = min.insync.replicas');
      const hw = await latest();
      assert.equal(hw, 6);
      await cluster.stopBroker(f2!.nodeId);
      await until('ISR of the leader alone', async () => ((await partition()).isr.length === 1 ? true : undefined));
      const refused = await produce(conn, -1, 'refused');
      assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
      assert.equal((await produce(conn, 1, 'acks=1 is appended')).errorCode, ErrorCode.NONE);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await latest(), hw, 'below min.insync.replicas the HW does not move: the acks=1 record is unseen');
    } finally {
      conn.close();
    }
  });
});
