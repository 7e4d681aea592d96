// The Partition as a ReplicaLog: a follower appends the leader's batches as they are (offsets, epochs, epoch cache,
// producer state) and truncation drops records, epoch entries and producer state above the cut.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Partition } from '../../../src/broker/partition.ts';
import { toLogConfig } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { buildBatch } from '../../../src/records/index.ts';
import { PartitionFollower } from '../../../src/replication/follower.ts';
import { PartitionLeader } from '../../../src/replication/leader.ts';
import { PartitionReplicaLog } from '../../../src/replication/partition-replica-log.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { createLogger } from '../../../src/util/log.ts';

const logger = createLogger({ name: 'test', level: 'silent' });

test('a follower Partition keeps the leader batches, epochs and producer state; truncation undoes them', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'prl-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = resolveTopicConfig(loadBrokerConfig({ env: {} }), {});
  const open = (name: string) => {
    const log = PartitionLog.open(join(root, name), toLogConfig(cfg), { cleanShutdown: true });
    return new Partition({ topic: 't', topicId: 'id', index: 0, log, leaderEpoch: 0, config: cfg, logger });
  };
  const leader = open('leader');
  const follower = open('follower');
  follower.log.hwFollowsLeo = false;
  const produce = (n: number, seq: number) => {
    const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${seq + i}`) }));
    leader.appendAsLeader(buildBatch({ records, producerId: 7, producerEpoch: 0, baseSequence: seq }), Date.now());
  };
  leader.makeLeader(1);
  produce(3, 0); // epoch 1: 0..2
  leader.makeLeader(4);
  produce(2, 3); // epoch 4: 3..4
  produce(1, 5); // epoch 4: 5
  const rl = new PartitionReplicaLog(follower);
  const all = leader.log.read(0, 1 << 20, leader.log.logEndOffset, true).records;
  rl.appendAsFollower(all);
  assert.equal(rl.logEndOffset(), 6);
  assert.equal(rl.latestEpoch(), 4);
  assert.deepEqual(follower.log.epochs.list(), leader.log.epochs.list());
  assert.deepEqual(rl.endOffsetForEpoch(1), { epoch: 1, endOffset: 3 });
  assert.deepEqual(rl.endOffsetForEpoch(2), { epoch: 1, endOffset: 3 });
  assert.deepEqual(rl.endOffsetForEpoch(9), { epoch: -1, endOffset: -1 });
  assert.deepEqual(follower.log.read(0, 1 << 20, 6, true).records, all, 'the same bytes: offsets and epochs kept');
  assert.equal(follower.producers.get(7)?.batches.at(-1)?.lastSeq, 5);
  // Appending again at the wrong offset is refused (never assigns offsets).
  assert.throws(() => rl.appendAsFollower(all), /replicated batch at offset 0, the log ends at 6/);
  rl.truncateTo(3);
  assert.equal(rl.logEndOffset(), 3);
  assert.deepEqual(follower.log.epochs.list(), [{ epoch: 1, startOffset: 0 }]);
  assert.equal(follower.producers.get(7)?.batches.at(-1)?.lastSeq, 2);
  // An epoch entry at the log end (no data) goes with a truncation to the log end.
  rl.assignEpochStartOffset(6, 3);
  assert.equal(rl.latestEpoch(), 6);
  rl.truncateTo(3);
  assert.equal(rl.latestEpoch(), 1);
});

test('a former leader with a divergent tail truncates by divergingEpoch and converges, on real logs', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'prl-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = resolveTopicConfig(loadBrokerConfig({ env: {} }), {});
  const open = (name: string) => {
    const log = PartitionLog.open(join(root, name), toLogConfig(cfg), { cleanShutdown: true });
    const p = new Partition({ topic: 't', topicId: 'id', index: 0, log, leaderEpoch: 0, config: cfg, logger });
    p.log.hwFollowsLeo = false;
    return p;
  };
  const a = open('a');
  const b = open('b');
  let seq = 0;
  const produce = (p: Partition, n: number) => {
    const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) }));
    p.appendAsLeader(buildBatch({ records, producerId: 9, producerEpoch: 0, baseSequence: seq }), Date.now());
    seq += n;
  };
  // Epoch 1 led by b, replicated to a: offsets 0..2.
  b.makeLeader(1);
  produce(b, 3);
  new PartitionReplicaLog(a).appendAsFollower(b.log.read(0, 1 << 20, 3, true).records);
  // b writes offsets 3..4 in epoch 2 and dies before a fetches them; a leads epoch 3 and writes 3..5.
  b.makeLeader(2);
  produce(b, 2);
  a.makeLeader(3);
  seq = 3;
  produce(a, 3);
  const config = { replicaLagTimeMaxMs: 10_000, minInsyncReplicas: 2, alterPartitionRetryMs: 1000 };
  const clock = { now: () => 1000 };
  const state = { leader: 1, leaderEpoch: 3, partitionEpoch: 5, replicas: [1, 2], isr: [1, 2] };
  const leader = new PartitionLeader(1, new PartitionReplicaLog(a), clock, config, state, 3);
  b.makeFollower(3);
  const follower = new PartitionFollower(2, 1, 3, new PartitionReplicaLog(b), config, 3);
  for (let round = 0; round < 10; round++) {
    const req = follower.nextFetch();
    const { result } = leader.fetchFromFollower(req);
    const records =
      result.readFrom >= 0 ? a.log.read(result.readFrom, 1 << 20, a.log.logEndOffset, true).records : undefined;
    const action = follower.onFetchAnswer(req, {
      error: result.error,
      divergingEpoch: result.divergingEpoch,
      highWatermark: result.highWatermark,
      batches: records,
      records: records?.length ? 1 : 0,
    });
    if (action === 'backoff' && b.log.logEndOffset === a.log.logEndOffset) break;
  }
  assert.equal(follower.truncations, 1, 'one divergence truncation');
  assert.equal(b.log.logEndOffset, 6);
  assert.deepEqual(b.log.read(0, 1 << 20, 6, true).records, a.log.read(0, 1 << 20, 6, true).records);
  assert.deepEqual(b.log.epochs.list(), a.log.epochs.list());
  assert.equal(leader.highWatermark, 6, 'the follower caught up: the HW is the log end');
  assert.equal(follower.highWatermark, 6);
  assert.equal(
    b.producers.get(9)?.batches.at(-1)?.lastSeq,
    5,
    'producer state follows the leader’s, not the lost tail',
  );
});

test('a follower below the leader log start restarts its log there', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'prl-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = resolveTopicConfig(loadBrokerConfig({ env: {} }), {});
  const log = PartitionLog.open(join(root, 'f'), toLogConfig(cfg), { cleanShutdown: true });
  const p = new Partition({ topic: 't', topicId: 'id', index: 0, log, leaderEpoch: 0, config: cfg, logger });
  p.makeLeader(1);
  p.appendAsLeader(
    buildBatch({ records: [{ value: Buffer.from('a') }], producerId: 3, producerEpoch: 0, baseSequence: 0 }),
    Date.now(),
  );
  p.restartAt(40);
  assert.equal(p.log.logStartOffset, 40);
  assert.equal(p.log.logEndOffset, 40);
  assert.deepEqual(p.log.epochs.list(), []);
  assert.equal(p.producers.producers.size, 0);
});
