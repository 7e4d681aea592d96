// The broker's replication driver (cluster mode) on a real Partition, with a manual clock and a recorded
// AlterPartition channel: acks=all waits for the follower, times out with REQUEST_TIMED_OUT, min.insync.replicas
// refuses before the append, a lagging follower is proposed out of the ISR and the HW follows only the committed ISR,
// the log's HW (what consumers read) is the core's, and HWs are checkpointed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Partition } from '../../../src/broker/partition.ts';
import { toLogConfig } from '../../../src/broker/replica-manager.ts';
import { REPLICATION_OFFSET_CHECKPOINT, Replication } from '../../../src/broker/replication.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { buildBatch } from '../../../src/records/index.ts';
import type { AlterPartitionRequest } from '../../../src/replication/types.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { createLogger } from '../../../src/util/log.ts';

const logger = createLogger({ name: 'test', level: 'silent' });

test('Replication: acks=all, timeouts, min.insync.replicas, ISR shrink through AlterPartition, HW checkpoint', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'repl-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = { ...resolveTopicConfig(loadBrokerConfig({ env: {} }), {}), minInsyncReplicas: 2 };
  const log = PartitionLog.open(join(root, 't-0'), toLogConfig(cfg), { cleanShutdown: true });
  const p = new Partition({ topic: 't', topicId: 'tid', index: 0, log, leaderEpoch: 0, config: cfg, logger });
  let now = 1000;
  const sent: AlterPartitionRequest[] = [];
  let wakes = 0;
  const repl = new Replication(
    {
      nodeId: 1,
      replicaLagTimeMaxMs: 500,
      logger,
      clock: { now: () => now },
      alterPartition: (_topicId, _partition, req) => {
        sent.push(req);
        return new Promise(() => {}); // answered through metadata below
      },
      fetcher: {
        brokerEpoch: () => 1n,
        numFetchers: 1,
        fetchMaxBytes: 1 << 20,
        responseMaxBytes: 1 << 20,
        waitMaxMs: 100,
        minBytes: 1,
        backoffMs: 100,
        socketTimeoutMs: 1000,
        endpoint: () => undefined,
      },
    },
    () => wakes++,
  );
  t.after(() => repl.close());
  const info = { partition: 0, leader: 1, leaderEpoch: 4, partitionEpoch: 7, replicas: [1, 2], isr: [1, 2] };
  p.makeLeader(4);
  repl.apply(p, info as never);
  assert.ok(repl.leads(p));
  const append = (n: number) => {
    const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) }));
    p.appendAsLeader(buildBatch({ records, now }), now);
    return p.log.logEndOffset - 1;
  };
  // acks=all waits for the follower's fetch past the records; consumers see nothing until then.
  assert.equal(repl.checkProduce(p, -1), ErrorCode.NONE);
  const first = repl.waitForIsr(p, append(3), 30_000);
  assert.equal(p.log.highWatermark, 0);
  let r = repl.fetchFromFollower(p, { replicaId: 2, currentLeaderEpoch: 4, fetchOffset: 0, lastFetchedEpoch: -1 });
  assert.equal(r.readFrom, 0);
  r = repl.fetchFromFollower(p, { replicaId: 2, currentLeaderEpoch: 4, fetchOffset: 3, lastFetchedEpoch: 4 });
  assert.equal(await first, ErrorCode.NONE);
  assert.equal(p.log.highWatermark, 3, 'the log HW is the core HW');
  assert.ok(wakes > 0, 'waiting fetches are woken when the HW moves');
  // A stale leader epoch from a follower is fenced.
  r = repl.fetchFromFollower(p, { replicaId: 2, currentLeaderEpoch: 3, fetchOffset: 3, lastFetchedEpoch: 4 });
  assert.equal(r.error, ErrorCode.FENCED_LEADER_EPOCH);
  // The follower stops fetching: the produce times out, and the follower is proposed out of the ISR.
  const second = repl.waitForIsr(p, append(1), 200);
  now += 600;
  repl.tick();
  assert.equal(await second, ErrorCode.REQUEST_TIMED_OUT);
  assert.deepEqual(sent.at(-1), { brokerId: 1, leaderEpoch: 4, partitionEpoch: 7, newIsr: [1] });
  assert.equal(p.log.highWatermark, 3, 'no HW move on a shrink the controller has not committed');
  // The controller commits the shrink: ISR [1] is below min.insync.replicas 2, acks=all is refused before appending.
  repl.apply(p, { ...info, partitionEpoch: 8, isr: [1] } as never);
  assert.equal(repl.checkProduce(p, -1), ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(p.log.highWatermark, 3, 'and the HW stays (strict min ISR)');
  repl.checkpoint();
  assert.match(readFileSync(join(root, REPLICATION_OFFSET_CHECKPOINT), 'utf8'), /^0\n1\nt 0 3\n$/);
  // Leadership moves away: the partition is no longer led here.
  p.makeFollower(5);
  repl.apply(p, { ...info, leader: 2, leaderEpoch: 5, partitionEpoch: 9, isr: [2] } as never);
  assert.equal(repl.leads(p), false);
  assert.equal(repl.checkProduce(p, -1), ErrorCode.NOT_LEADER_OR_FOLLOWER);
});
