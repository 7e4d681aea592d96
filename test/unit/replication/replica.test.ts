import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { MemoryReplicaLog } from '../../../src/replication/memory-log.ts';
import { PartitionReplica } from '../../../src/replication/replica.ts';
import type { PartitionState, ReplicationConfig } from '../../../src/replication/types.ts';

const config: ReplicationConfig = { replicaLagTimeMaxMs: 1000, minInsyncReplicas: 2, alterPartitionRetryMs: 500 };

function leaderAt(epoch: number) {
  const clock = { t: 0, now: () => clock.t };
  const log = new MemoryReplicaLog();
  const replica = new PartitionReplica(0, log, clock, config, 0);
  const state: PartitionState = {
    leader: 0,
    leaderEpoch: epoch,
    partitionEpoch: 1,
    replicas: [0, 1, 2],
    isr: [0, 1, 2],
  };
  replica.applyPartitionState(state);
  const role = replica.role;
  assert.equal(role.kind, 'leader');
  const last = log.appendAsLeader([7, 8], epoch);
  assert.deepEqual(role.leader.afterAppend(42, last, 30_000).completed, []);
  return { clock, log, replica, state, last };
}

describe('PartitionReplica role changes', () => {
  // Found by the cluster fault harness (zk-quorum-loss): the broker was fenced and elected again at once, so the
  // leader epoch went 1 -> 3 with the same leader. The waiting produce failed with NOT_LEADER_OR_FOLLOWER although
  // its records were in the log; librdkafka took that as "not persisted", renumbered them under a bumped producer
  // epoch, and they were written twice.
  test('a leader that keeps leading under a newer epoch keeps its waiting produces', () => {
    const { replica, state, last } = leaderAt(1);
    const effects = replica.applyPartitionState({ ...state, leaderEpoch: 3, partitionEpoch: 3, isr: [0, 1] });
    assert.deepEqual(effects.completed, [], 'the produce is still waiting, not failed');
    const role = replica.role;
    assert.equal(role.kind, 'leader');
    assert.equal(role.leader.leaderEpoch, 3);
    const r = role.leader.fetchFromFollower({
      replicaId: 1,
      currentLeaderEpoch: 3,
      fetchOffset: last + 1,
      lastFetchedEpoch: 3,
    });
    assert.equal(r.result.error, ErrorCode.NONE);
    assert.deepEqual(r.effects.completed, [{ requestId: 42, error: ErrorCode.NONE }]);
  });

  test('the handed-over produce still times out at its deadline', () => {
    const { clock, replica, state } = leaderAt(1);
    replica.applyPartitionState({ ...state, leaderEpoch: 2, partitionEpoch: 2 });
    const role = replica.role;
    assert.equal(role.kind, 'leader');
    clock.t = 30_000;
    assert.deepEqual(role.leader.tick().completed, [{ requestId: 42, error: ErrorCode.REQUEST_TIMED_OUT }]);
  });

  test('leadership moving to another broker fails the waiting produce with NOT_LEADER_OR_FOLLOWER', () => {
    const { replica, state } = leaderAt(1);
    const effects = replica.applyPartitionState({ ...state, leader: 1, leaderEpoch: 2, partitionEpoch: 2 });
    assert.deepEqual(effects.completed, [{ requestId: 42, error: ErrorCode.NOT_LEADER_OR_FOLLOWER }]);
    assert.equal(replica.role.kind, 'follower');
  });
});
