import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { PartitionFollower } from '../../../src/replication/follower.ts';
import { PartitionLeader } from '../../../src/replication/leader.ts';
import { type MemoryBatch, MemoryReplicaLog } from '../../../src/replication/memory-log.ts';
import { PartitionReplica } from '../../../src/replication/replica.ts';
import type { ReplicationConfig } from '../../../src/replication/types.ts';

const config: ReplicationConfig = { replicaLagTimeMaxMs: 1000, minInsyncReplicas: 1, alterPartitionRetryMs: 500 };
const clock = { now: () => 0 };

/** A log holding one record per listed epoch (values 100 + offset, or `base` + offset). */
function logOf(epochs: number[], base = 100): MemoryReplicaLog {
  const log = new MemoryReplicaLog();
  for (const e of epochs)
    log.appendAsFollower({ baseOffset: log.logEndOffset(), values: [base + log.logEndOffset()], epochs: [e] });
  return log;
}

/** Runs follower ↔ leader fetches until the follower has nothing more to fetch. */
function sync(follower: PartitionFollower<MemoryBatch>, leader: PartitionLeader, leaderLog: MemoryReplicaLog): number {
  let rounds = 0;
  for (;;) {
    rounds++;
    assert.ok(rounds < 50, 'converges');
    const req = follower.nextFetch();
    const { result } = leader.fetchFromFollower(req);
    const batches = result.readFrom >= 0 ? leaderLog.read(result.readFrom, 2) : undefined;
    const action = follower.onFetchAnswer(req, {
      error: result.error,
      divergingEpoch: result.divergingEpoch,
      highWatermark: result.highWatermark,
      batches,
      records: batches?.values.length ?? 0,
    });
    if (action !== 'fetch') return rounds;
  }
}

describe('MemoryReplicaLog epoch cache (LeaderEpochFileCache.endOffsetFor)', () => {
  test('latest epoch ends at the log end, others at the next start, unknown above, floor below', () => {
    const log = logOf([1, 1, 3, 3, 6]);
    assert.deepEqual(log.endOffsetForEpoch(6), { epoch: 6, endOffset: 5 });
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 4 });
    assert.deepEqual(
      log.endOffsetForEpoch(2),
      { epoch: 1, endOffset: 2 },
      'largest epoch ≤ 2 is 1; epoch 3 starts at 2',
    );
    assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 0 }, 'below every epoch');
    assert.deepEqual(log.endOffsetForEpoch(7), { epoch: -1, endOffset: -1 });
    assert.deepEqual(log.endOffsetForEpoch(-1), { epoch: -1, endOffset: -1 });
    log.truncateTo(3);
    assert.deepEqual(log.epochEntries(), [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    log.assignEpochStartOffset(8, 3);
    log.truncateTo(3);
    assert.equal(log.latestEpoch(), 3, 'truncating at the log end drops an epoch that starts there');
  });
});

describe('PartitionFollower', () => {
  test('fetches from the log end with the last epoch; appends as is; HW never above its LEO', () => {
    const leaderLog = logOf([2, 2, 2, 2]);
    const leader = new PartitionLeader(
      0,
      leaderLog,
      clock,
      config,
      { leader: 0, leaderEpoch: 3, partitionEpoch: 0, replicas: [0, 1], isr: [0] },
      4,
    );
    const log = logOf([2]);
    const follower = new PartitionFollower(1, 0, 3, log, config, 0);
    assert.deepEqual(follower.nextFetch(), {
      replicaId: 1,
      currentLeaderEpoch: 3,
      fetchOffset: 1,
      lastFetchedEpoch: 2,
    });
    const req = follower.nextFetch();
    const { result } = leader.fetchFromFollower(req);
    const batches = leaderLog.read(result.readFrom, 2);
    follower.onFetchAnswer(req, { error: 0, highWatermark: 4, batches, records: 2 });
    assert.equal(log.logEndOffset(), 3);
    assert.equal(follower.highWatermark, 3, 'min(leader HW, own LEO)');
    sync(follower, leader, leaderLog);
    assert.deepEqual(log.read(0, 10), leaderLog.read(0, 10));
  });

  test('KIP-279: two leaders failing in a row take more than one truncation round, and the logs converge', () => {
    // Leader: epochs 1 (0-1), 3 (2-3), 5 (4-5). Follower: epoch 1 went on to offset 3 (the epoch-1 leader's
    // unreplicated tail), then epoch 4 (4-6) of a leader that died with writes nobody else has. First round: epoch 4
    // is unknown to the leader, cut at 4 where the leader's epoch 3 ends; second round: epoch 1 ends at 2.
    const leaderLog = logOf([1, 1, 3, 3, 5, 5]);
    const leader = new PartitionLeader(
      0,
      leaderLog,
      clock,
      config,
      { leader: 0, leaderEpoch: 6, partitionEpoch: 0, replicas: [0, 1], isr: [0] },
      2,
    );
    const log = logOf([1, 1]);
    log.appendAsFollower({ baseOffset: 2, values: [502, 503, 504, 505, 506], epochs: [1, 1, 4, 4, 4] });
    const follower = new PartitionFollower(1, 0, 6, log, config, 2);
    const rounds = sync(follower, leader, leaderLog);
    assert.ok(follower.truncations >= 2, `truncated in ${follower.truncations} rounds`);
    assert.ok(rounds >= 3);
    assert.deepEqual(log.read(0, 10).values, leaderLog.read(0, 10).values);
    assert.deepEqual(log.read(0, 10).epochs, [1, 1, 3, 3, 5, 5]);
  });

  test('a follower whose log has the diverging epoch keeps the common part only', () => {
    const leaderLog = logOf([1, 1, 1, 4]);
    const leader = new PartitionLeader(
      0,
      leaderLog,
      clock,
      config,
      { leader: 0, leaderEpoch: 4, partitionEpoch: 0, replicas: [0, 1], isr: [0] },
      0,
    );
    const log = logOf([1, 1, 1, 1, 1], 100); // epoch 1 went on to 5 here (the old leader's unreplicated tail)
    const follower = new PartitionFollower(1, 0, 4, log, config, 0);
    const req = follower.nextFetch();
    const { result } = leader.fetchFromFollower(req);
    assert.deepEqual(result.divergingEpoch, { epoch: 1, endOffset: 3 });
    follower.onFetchAnswer(req, { ...result, records: 0 });
    assert.equal(log.logEndOffset(), 3, 'truncated to the end of epoch 1 on the leader, not to the HW (0)');
  });

  test('FENCED_LEADER_EPOCH waits for metadata; other errors back off; stale answers are dropped', () => {
    const log = logOf([1]);
    const follower = new PartitionFollower(1, 0, 2, log, config, 0);
    const req = follower.nextFetch();
    assert.equal(
      follower.onFetchAnswer(req, { error: ErrorCode.FENCED_LEADER_EPOCH, highWatermark: 0, records: 0 }),
      'waitForMetadata',
    );
    assert.equal(
      follower.onFetchAnswer(req, { error: ErrorCode.UNKNOWN_LEADER_EPOCH, highWatermark: 0, records: 0 }),
      'backoff',
    );
    const stale = { ...req, fetchOffset: 0 };
    const batch = { baseOffset: 0, values: [9], epochs: [1] };
    assert.equal(follower.onFetchAnswer(stale, { error: 0, highWatermark: 1, batches: batch, records: 1 }), 'fetch');
    assert.equal(log.logEndOffset(), 1, 'an answer to a fetch from another log end is not appended');
  });

  test('unsafe truncateToHighWatermark: pre-KIP-101 cut to the HW and no lastFetchedEpoch', () => {
    const log = logOf([1, 1, 1]);
    const follower = new PartitionFollower(1, 0, 2, log, { ...config, unsafe: { truncateToHighWatermark: true } }, 1);
    assert.equal(log.logEndOffset(), 1);
    assert.equal(follower.nextFetch().lastFetchedEpoch, -1);
  });
});

describe('PartitionReplica role changes', () => {
  test('leader → follower on a newer epoch fails waiters; stale metadata is ignored; same epoch updates the ISR', () => {
    const log = new MemoryReplicaLog();
    const replica = new PartitionReplica(0, log, clock, { ...config, minInsyncReplicas: 2 }, 0);
    const s = { leader: 0, leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1], isr: [0, 1] };
    replica.applyPartitionState(s);
    const kind = () => replica.role.kind;
    const role = replica.role;
    assert.ok(role.kind === 'leader');
    const leader = role.leader;
    leader.afterAppend(5, log.appendAsLeader([1], 1), 1000);
    replica.applyPartitionState({ ...s, partitionEpoch: 2, isr: [0] });
    assert.equal(replica.role, role, 'same epoch: the same leader, ISR updated');
    assert.deepEqual(leader.committedIsr, [0]);
    assert.equal(replica.applyPartitionState({ ...s, leaderEpoch: 0, partitionEpoch: 9 }).completed.length, 0);
    assert.equal(kind(), 'leader', 'older leader epoch ignored');
    const out = replica.applyPartitionState({ ...s, leader: 1, leaderEpoch: 2, partitionEpoch: 3 });
    assert.deepEqual(out.completed, [{ requestId: 5, error: ErrorCode.NOT_LEADER_OR_FOLLOWER }]);
    assert.equal(kind(), 'follower');
    assert.equal(log.logEndOffset(), 1, 'becoming follower does not truncate (the fetch protocol does)');
    const hw = replica.highWatermark;
    replica.applyPartitionState({ ...s, leader: -1, leaderEpoch: 3, partitionEpoch: 4 });
    assert.equal(kind(), 'none', 'an offline partition: no role');
    assert.equal(replica.highWatermark, hw, 'the HW stays with the replica');
  });
});
