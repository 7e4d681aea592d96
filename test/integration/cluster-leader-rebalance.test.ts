// auto.leader.rebalance.enable in a startCluster() cluster (three brokers in one process, in-memory store): a
// reassignment that only reorders the replicas makes broker 2 the preferred replica of partitions broker 1 leads,
// and the active controller's leader.imbalance.check.interval.seconds timer moves leadership to broker 2; with the
// rebalance off, it stays. (Reordering is the one way to get a preferred replica in the ISR without leading it
// until replication re-adds restarted brokers to ISRs.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(rebalance: boolean): Promise<number[]> {
  const cluster = await startCluster({
    brokers: 3,
    sessionTimeoutMs: 2000,
    config: {
      'auto.leader.rebalance.enable': String(rebalance),
      'leader.imbalance.check.interval.seconds': '1',
    },
  });
  try {
    const b = cluster.brokers[2]!;
    const conn = await BrokerConnection.open('127.0.0.1', b.port, 't');
    const leaders = async () => {
      const admin = new Admin({ bootstrapServers: b.bootstrap });
      try {
        return (await admin.describeTopics(['rb']))[0]!.partitions.map((p) => p.leader);
      } finally {
        await admin.close();
      }
    };
    try {
      const created = await conn.send<{ topics: Array<{ errorCode: number; errorMessage: string | null }> }>(
        ApiKey.CreateTopics,
        5,
        {
          topics: [
            {
              name: 'rb',
              numPartitions: -1,
              replicationFactor: -1,
              assignments: [
                { partitionIndex: 0, brokerIds: [1, 2] },
                { partitionIndex: 1, brokerIds: [1, 2] },
              ],
              configs: [],
            },
          ],
          timeoutMs: 30_000,
          validateOnly: false,
        },
      );
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE, created.topics[0]!.errorMessage ?? '');
      assert.deepEqual(await leaders(), [1, 1]);
      const moved = await conn.send<{
        responses: Array<{ partitions: Array<{ errorCode: number; errorMessage: string | null }> }>;
      }>(ApiKey.AlterPartitionReassignments, 0, {
        timeoutMs: 30_000,
        topics: [
          {
            name: 'rb',
            partitions: [
              { partitionIndex: 0, replicas: [2, 1] },
              { partitionIndex: 1, replicas: [2, 1] },
            ],
          },
        ],
      });
      for (const p of moved.responses[0]!.partitions) assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? '');
      if (!rebalance) {
        // Several check intervals pass with nothing moving.
        await new Promise((r) => setTimeout(r, 3000));
        return await leaders();
      }
      return await until('leadership back on the preferred replica', async () => {
        const l = await leaders();
        return l.every((x) => x === 2) ? l : undefined;
      });
    } finally {
      conn.close();
    }
  } finally {
    await cluster.stop();
  }
}

test('auto.leader.rebalance.enable: the controller moves leadership to the preferred replica', {
  timeout: 60_000,
}, async () => {
  assert.deepEqual(await run(true), [2, 2]);
});

test('auto.leader.rebalance.enable=false: leadership stays', { timeout: 60_000 }, async () => {
  assert.deepEqual(await run(false), [1, 1]);
});
