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
