import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { PartitionLeader } from '../../../src/replication/leader.ts';
import { MemoryReplicaLog } from '../../../src/replication/memory-log.ts';
import type { PartitionState, ReplicationConfig } from '../../../src/replication/types.ts';

const config: ReplicationConfig = { replicaLagTimeMaxMs: 1000, minInsyncReplicas: 2, alterPartitionRetryMs: 500 };

function setup(opts: { isr?: number[]; epoch?: number; logEpochs?: number[]; hw?: number } = {}) {
  const clock = { t: 0, now: () => clock.t };
  const log = new MemoryReplicaLog();
  for (const e of opts.logEpochs ?? []) log.appendAsLeader([100 + log.logEndOffset()], e);
  const state: PartitionState = {
    leader: 0,
    leaderEpoch: opts.epoch ?? 5,
    partitionEpoch: 10,
    replicas: [0, 1, 2],
    isr: opts.isr ?? [0, 1, 2],
  };
  const leader = new PartitionLeader(0, log, clock, config, state, opts.hw ?? 0);
  const fetch = (
    replicaId: number,
    fetchOffset: number,
    lastFetchedEpoch = -1,
    currentLeaderEpoch = state.leaderEpoch,
  ) => leader.fetchFromFollower({ replicaId, currentLeaderEpoch, fetchOffset, lastFetchedEpoch });
  return { clock, log, state, leader, fetch };
}

describe('PartitionLeader', () => {
  test('becoming leader records the epoch start at the log end', () => {
    const { log, leader } = setup({ logEpochs: [1, 1, 3] });
    assert.deepEqual(log.epochEntries(), [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
      { epoch: 5, startOffset: 3 },
    ]);
    assert.equal(leader.leaderEpoch, 5);
  });

  test('current_leader_epoch: older is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, -1 unchecked', () => {
    const { leader, fetch } = setup();
    assert.equal(fetch(1, 0, -1, 4).result.error, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal(fetch(1, 0, -1, 6).result.error, ErrorCode.UNKNOWN_LEADER_EPOCH);
    assert.equal(fetch(1, 0, -1, -1).result.error, ErrorCode.NONE);
    assert.equal(leader.checkLeaderEpoch(5), ErrorCode.NONE);
    assert.equal(fetch(7, 0).result.error, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'not a replica');
  });

  test('a fetch past the epoch end of the last fetched epoch gets divergingEpoch and no records', () => {
    // leader log: epoch 1 at 0-1, epoch 3 at 2, epoch 5 from 3
    const { fetch } = setup({ logEpochs: [1, 1, 3] });
    const r = fetch(1, 4, 2).result; // follower has epoch 2 (never on this leader) up to 4
    assert.deepEqual(r.divergingEpoch, { epoch: 1, endOffset: 2 });
    assert.equal(r.readFrom, -1);
    assert.deepEqual(fetch(1, 3, 3).result.divergingEpoch, undefined, 'epoch 3 ends at 3 here too');
    assert.deepEqual(fetch(1, 4, 3).result.divergingEpoch, { epoch: 3, endOffset: 3 });
    assert.equal(fetch(1, 3, 3).result.readFrom, 3);
    assert.equal(fetch(1, 9).result.error, ErrorCode.OFFSET_OUT_OF_RANGE, 'no epoch, beyond the log end');
  });

  test('HW = min LEO over the ISR, never back; acks=all completes when the HW passes the last offset', () => {
    const { log, leader, fetch } = setup();
    const last = log.appendAsLeader([1, 2, 3], 5);
    assert.equal(leader.checkProduce(-1), ErrorCode.NONE);
    assert.deepEqual(leader.afterAppend(7, last, 10_000).completed, []);
    fetch(1, 3);
    assert.equal(leader.highWatermark, 0, 'follower 2 has not fetched');
    assert.deepEqual(fetch(2, 2).effects.completed, []);
    assert.equal(leader.highWatermark, 2);
    assert.deepEqual(fetch(2, 3).effects.completed, [{ requestId: 7, error: ErrorCode.NONE }]);
    assert.equal(leader.highWatermark, 3);
    fetch(2, 1);
    assert.equal(leader.highWatermark, 3, 'an older fetch offset does not move the HW back');
  });

  test('lagging follower: shrink proposed after replica.lag.time.max.ms, counted for the HW until committed', () => {
    const { clock, log, leader, fetch, state } = setup();
    log.appendAsLeader([1, 2], 5);
    fetch(1, 2);
    fetch(2, 0);
    clock.t = 600;
    fetch(1, 2);
    assert.equal(leader.tick().alterPartition, null, 'within the lag time');
    clock.t = 1001;
    fetch(1, 2);
    const req = leader.tick().alterPartition;
    assert.deepEqual(req, { brokerId: 0, leaderEpoch: 5, partitionEpoch: 10, newIsr: [0, 1] });
    assert.equal(leader.highWatermark, 0, 'the shrink is not committed: follower 2 still holds the HW');
    const after = leader.onAlterPartitionAnswer(req!, {
      error: 0,
      state: { ...state, partitionEpoch: 11, isr: [0, 1] },
    });
    assert.equal(after.alterPartition, null);
    assert.deepEqual(leader.committedIsr, [0, 1]);
    assert.equal(leader.highWatermark, 2);
  });

  test('a follower the controller takes out of the ISR (its broker fenced) no longer holds the HW', () => {
    // Found by the cluster transaction test: a broker kill -9'd while caught up was fenced and dropped from the ISR by
    // the controller within its session timeout, yet acks=all to partitions whose leader survived waited out
    // replica.lag.time.max.ms, because the dead follower still counted as "caught up, about to join" for the HW.
    const { clock, log, leader, fetch, state } = setup();
    log.appendAsLeader([1, 2], 5);
    fetch(1, 2);
    fetch(2, 2);
    assert.equal(leader.highWatermark, 2);
    clock.t = 100;
    const removed = leader.onPartitionState({ ...state, partitionEpoch: 11, isr: [0, 1] });
    assert.deepEqual(removed.completed, []);
    const last = log.appendAsLeader([3], 5);
    leader.afterAppend(9, last, 10_000);
    assert.deepEqual(fetch(1, 3).effects.completed, [{ requestId: 9, error: ErrorCode.NONE }]);
    assert.equal(leader.highWatermark, 3, 'follower 2 (fenced, out of the ISR) is not waited for');
    // Alive after all: it fetches up to the log end and is caught up again, a candidate to rejoin.
    clock.t = 200;
    assert.deepEqual(fetch(2, 3).effects.alterPartition?.newIsr, [0, 1, 2]);
  });

  test('last caught-up time is the time of the previous fetch when that fetch reached the leader LEO then', () => {
    const { clock, log, leader, fetch } = setup();
    log.appendAsLeader([1], 5);
    clock.t = 100;
    fetch(1, 1); // caught up at 100
    log.appendAsLeader([2], 5);
    clock.t = 900;
    fetch(1, 1); // behind now, but it had reached the LEO of the fetch at 100 → caught up at 100
    assert.equal(leader.follower(1)!.lastCaughtUpTimeMs, 100);
    clock.t = 1500;
    fetch(1, 2); // reached the LEO as of the fetch at 900 (2) and the current one
    assert.equal(leader.follower(1)!.lastCaughtUpTimeMs, 1500);
    log.appendAsLeader([3], 5);
    clock.t = 1600;
    fetch(1, 2); // the LEO was 2 at the fetch at 1500: caught up as of 1500
    assert.equal(leader.follower(1)!.lastCaughtUpTimeMs, 1500);
  });

  test('expansion: once the follower reaches the HW and the epoch start; counts for the HW before the commit', () => {
    const { clock, log, leader, fetch, state } = setup({ isr: [0, 1], logEpochs: [4, 4] });
    // epoch 5 starts at 2
    log.appendAsLeader([7, 8], 5);
    fetch(1, 4);
    assert.equal(leader.highWatermark, 4);
    assert.equal(fetch(2, 1).effects.alterPartition, null, 'below the HW');
    const req = fetch(2, 4).effects.alterPartition;
    assert.deepEqual(req?.newIsr, [0, 1, 2]);
    log.appendAsLeader([9], 5);
    fetch(1, 5);
    assert.equal(leader.highWatermark, 4, 'the proposed member holds the HW (maximal ISR)');
    assert.equal(leader.checkProduce(-1), ErrorCode.NONE);
    clock.t = 600;
    assert.deepEqual(leader.tick().alterPartition, req, 'resent after alterPartitionRetryMs');
    leader.onAlterPartitionAnswer(req!, { error: ErrorCode.INVALID_UPDATE_VERSION });
    clock.t = 2000;
    assert.equal(leader.tick().alterPartition, null, 'waits for metadata, no resend');
    leader.onPartitionState({ ...state, partitionEpoch: 12, isr: [0, 1, 2] });
    assert.deepEqual(leader.committedIsr, [0, 1, 2]);
    assert.equal(leader.alterPartitionInFlight, null);
  });

  test('a follower from an older epoch joins only after reaching the new epoch start', () => {
    const { fetch, log } = setup({ isr: [0, 1], logEpochs: [4, 4] }); // epoch 5 starts at 2, HW 0
    log.appendAsLeader([1], 5);
    assert.equal(fetch(2, 1, 4).effects.alterPartition, null, 'at the HW but before the epoch start');
    assert.deepEqual(fetch(2, 2, 4).effects.alterPartition?.newIsr, [0, 1, 2]);
  });

  test('OPERATION_NOT_ATTEMPTED returns to the committed ISR; FENCED_LEADER_EPOCH stops until metadata', () => {
    const { clock, leader, fetch } = setup();
    clock.t = 1500;
    fetch(1, 0);
    const req = leader.tick().alterPartition!;
    assert.deepEqual(req.newIsr, [0, 1]);
    leader.onAlterPartitionAnswer(req, { error: ErrorCode.OPERATION_NOT_ATTEMPTED });
    assert.equal(leader.alterPartitionInFlight, null);
    const again = leader.tick().alterPartition!;
    assert.deepEqual(again.newIsr, [0, 1]);
    leader.onAlterPartitionAnswer(again, { error: ErrorCode.FENCED_LEADER_EPOCH });
    clock.t = 5000;
    assert.equal(leader.tick().alterPartition, null);
  });

  test('min.insync.replicas: NOT_ENOUGH_REPLICAS before the append; the HW stops below it (strict min ISR)', () => {
    const { clock, log, leader, fetch, state } = setup({ isr: [0, 1] });
    const last = log.appendAsLeader([1], 5);
    leader.afterAppend(1, last, 3000);
    leader.onPartitionState({ ...state, partitionEpoch: 11, isr: [0] });
    assert.equal(leader.checkProduce(-1), ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal(leader.checkProduce(1), ErrorCode.NONE, 'acks=1 is not checked');
    fetch(1, 1);
    assert.equal(leader.highWatermark, 0);
    clock.t = 3000;
    assert.deepEqual(leader.tick().completed, [{ requestId: 1, error: ErrorCode.REQUEST_TIMED_OUT }]);
  });

  test('resigning fails the waiting produces with NOT_LEADER_OR_FOLLOWER', () => {
    const { log, leader } = setup();
    leader.afterAppend(3, log.appendAsLeader([1], 5), 9999);
    assert.deepEqual(leader.resign().completed, [{ requestId: 3, error: ErrorCode.NOT_LEADER_OR_FOLLOWER }]);
  });

  test('unsafe hwOnProposedIsr advances the HW over a shrink in flight', () => {
    const clock = { t: 0, now: () => clock.t };
    const log = new MemoryReplicaLog();
    const state: PartitionState = { leader: 0, leaderEpoch: 1, partitionEpoch: 1, replicas: [0, 1, 2], isr: [0, 1, 2] };
    const leader = new PartitionLeader(0, log, clock, { ...config, unsafe: { hwOnProposedIsr: true } }, state, 0);
    log.appendAsLeader([1, 2], 1);
    clock.t = 2000;
    leader.fetchFromFollower({ replicaId: 1, currentLeaderEpoch: 1, fetchOffset: 2, lastFetchedEpoch: 1 });
    assert.deepEqual(leader.tick().alterPartition?.newIsr, [0, 1]);
    assert.equal(leader.highWatermark, 2);
  });
});
