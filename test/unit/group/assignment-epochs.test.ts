// KIP-1251 assignment epochs in consumer (KIP-848) groups: commits carrying an earlier member epoch are accepted,
// partition by partition, for what the member already owned at that epoch; persistence of the epochs in
// ConsumerGroupCurrentMemberAssignmentValue (tagged AssignmentEpochs) and the strict rule for records without them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerHeartbeatRequest, TopicsView } from '../../../src/coordinator/group/consumer.ts';
import { cgCurrentRecord, decodeRecord } from '../../../src/coordinator/group/records.ts';
import type { Effects, GroupShard } from '../../../src/coordinator/group/shard.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { newShard } from './helpers.ts';

const TID = Buffer.from('topic-t_________').toString('base64url');
const topics: TopicsView = {
  get: (name) => (name === 't' ? { id: TID, numPartitions: 4 } : undefined),
  names: () => ['t'],
};

/** A cooperative member: each heartbeat reports what the previous answer assigned. */
class Member {
  epoch = 0;
  owned: number[] = [];
  readonly shard: GroupShard;
  readonly id: string;
  constructor(shard: GroupShard, id: string) {
    this.shard = shard;
    this.id = id;
  }
  beat(now: number, over: Partial<ConsumerHeartbeatRequest> = {}): Effects['records'] {
    const r = this.shard.consumerHeartbeat(
      {
        groupId: 'g',
        memberId: this.id,
        memberEpoch: this.epoch,
        instanceId: null,
        rackId: null,
        rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: ['t'],
        subscribedTopicRegex: null,
        serverAssignor: 'range',
        topicPartitions: this.epoch === 0 ? [] : [{ topicId: TID, partitions: this.owned }],
        clientId: 'c',
        clientHost: '/127.0.0.1',
        ...over,
      },
      topics,
      now,
    );
    assert.equal(r.response.errorCode, ErrorCode.NONE, r.response.errorMessage ?? '');
    this.epoch = r.response.memberEpoch;
    if (r.response.assignment) this.owned = r.response.assignment.flatMap((t) => t.partitions).sort();
    return r.fx.records;
  }
}

/** Commits partitions 0-3 of t as `memberId` at `epoch`: partition → error code, and how many records it wrote. */
function commitAll(shard: GroupShard, memberId: string, epoch: number, transactional = false) {
  const r = shard.commitOffsets(
    {
      groupId: 'g',
      generationId: epoch,
      memberId,
      groupInstanceId: null,
      apiVersion: transactional ? undefined : 9,
      transactional,
      partitions: [0, 1, 2, 3].map((partition) => ({
        topic: 't',
        partition,
        offset: 10,
        leaderEpoch: -1,
        metadata: '',
        expireTimestamp: -1,
      })),
    },
    0,
  );
  return { codes: r.results.map((x) => x.errorCode), written: r.records.map((x) => decodeRecord(x.key, x.value)) };
}

const { NONE, STALE_MEMBER_EPOCH: STALE } = ErrorCode;

/**
 * a owns 0-3 at epoch 1; b joins (epoch 2): a keeps 0-1, b gets 2-3 at epoch 2; b leaves (epoch 3): a gets 2-3 back
 * at epoch 3 and keeps 0-1 (assigned at epoch 1).
 */
function scenario() {
  const shard = newShard();
  const log: Effects['records'][] = [];
  const a = new Member(shard, 'a');
  const b = new Member(shard, 'b');
  log.push(a.beat(0));
  log.push(b.beat(1));
  log.push(a.beat(2)); // told to revoke 2-3
  log.push(a.beat(3)); // revoked: epoch 2 with 0-1
  log.push(b.beat(4)); // gets 2-3 at epoch 2
  assert.deepEqual([a.epoch, a.owned, b.epoch, b.owned], [2, [0, 1], 2, [2, 3]]);
  log.push(b.beat(5, { memberEpoch: -1 })); // leaves: epoch 3
  log.push(a.beat(6));
  assert.deepEqual([a.epoch, a.owned], [3, [0, 1, 2, 3]]);
  return { shard, log };
}

test('a commit with the previous member epoch is accepted for the partitions owned at that epoch only', () => {
  const { shard } = scenario();
  const m = shard.consumer.groups.get('g')!.members.get('a')!;
  assert.deepEqual([...m.assignmentEpochs].sort(), [
    [`${TID}:0`, 1],
    [`${TID}:1`, 1],
    [`${TID}:2`, 3],
    [`${TID}:3`, 3],
  ]);
  // Current epoch: everything, as before KIP-1251.
  assert.deepEqual(commitAll(shard, 'a', 3).codes, [NONE, NONE, NONE, NONE]);
  // The in-flight commit of epoch 2 (the java-client race): 0-1 were a's at epoch 2, 2-3 were b's.
  const at2 = commitAll(shard, 'a', 2);
  assert.deepEqual(at2.codes, [NONE, NONE, STALE, STALE]);
  assert.deepEqual(
    at2.written.map((r) => (r.type === 'offset' ? r.partition : -1)),
    [0, 1],
    'only the accepted partitions are written',
  );
  // Epoch 1: a owned 0-1 since then.
  assert.deepEqual(commitAll(shard, 'a', 1).codes, [NONE, NONE, STALE, STALE]);
  // Epoch 0 (before joining), negative, or later than the member's: refused as a whole.
  assert.deepEqual(commitAll(shard, 'a', 0).codes, [STALE, STALE, STALE, STALE]);
  assert.deepEqual(commitAll(shard, 'a', 4).codes, [STALE, STALE, STALE, STALE]);
  assert.deepEqual(commitAll(shard, 'a', 4).written, []);
  // TxnOffsetCommit follows the same rule.
  assert.deepEqual(commitAll(shard, 'a', 2, true).codes, [NONE, NONE, STALE, STALE]);
  assert.deepEqual(commitAll(shard, 'a', 5, true).codes, [STALE, STALE, STALE, STALE]);
  // OffsetFetch keeps the strict check.
  assert.equal(shard.validateFetchMember('g', 'a', 2), STALE);
  assert.equal(shard.validateFetchMember('g', 'a', 3), NONE);
  // A commit for a partition of a topic the group does not know is refused with an earlier epoch.
  const other = shard.commitOffsets(
    {
      groupId: 'g',
      generationId: 2,
      memberId: 'a',
      groupInstanceId: null,
      apiVersion: 9,
      partitions: [{ topic: 'u', partition: 0, offset: 1, leaderEpoch: -1, metadata: '', expireTimestamp: -1 }],
    },
    0,
  );
  assert.deepEqual(
    other.results.map((r) => r.errorCode),
    [STALE],
  );
});

test('partitions pending revocation keep their assignment epoch; revoked ones lose it', () => {
  const shard = newShard();
  const a = new Member(shard, 'a');
  const b = new Member(shard, 'b');
  a.beat(0);
  b.beat(1);
  a.beat(2); // a: 0-1 assigned, 2-3 pending revocation, still epoch 1
  const m = shard.consumer.groups.get('g')!.members.get('a')!;
  assert.equal(m.memberEpoch, 1);
  assert.equal(m.pendingRevocation.get(TID)?.size, 2);
  assert.equal(m.assignmentEpochs.size, 4);
  a.beat(3); // revoked: epoch 2
  assert.deepEqual([...m.assignmentEpochs.keys()].sort(), [`${TID}:0`, `${TID}:1`]);
  // b owns 2-3 since epoch 2, its first: a commit with epoch 1 (before it joined) is refused for every partition;
  // its current epoch commits any partition (the rule Kafka keeps for the current epoch).
  b.beat(4);
  assert.deepEqual(commitAll(shard, 'b', 1).codes, [STALE, STALE, STALE, STALE]);
  assert.deepEqual(commitAll(shard, 'b', 2).codes, [NONE, NONE, NONE, NONE]);
  assert.deepEqual(commitAll(shard, 'a', 1).codes, [NONE, NONE, STALE, STALE]);
});

test('assignment epochs survive the records (AssignmentEpochs tagged field) and a reload', () => {
  const { shard, log } = scenario();
  const current = log
    .flat()
    .map((r) => decodeRecord(r.key, r.value))
    .filter((r) => r.type === 'cg-current' && r.value !== null && r.memberId === 'a');
  const last = current.at(-1)!;
  assert.ok(last.type === 'cg-current' && last.value !== null);
  assert.deepEqual(last.value.assignedPartitions, [
    { topicId: TID, partitions: [0, 1, 2, 3], assignmentEpochs: [1, 1, 3, 3] },
  ]);
  const copy = newShard();
  for (const rs of log) for (const r of rs) copy.replay(r.key, r.value, 0);
  copy.loaded(0);
  const a = copy.consumer.groups.get('g')!.members.get('a')!;
  assert.deepEqual(a.assignmentEpochs, shard.consumer.groups.get('g')!.members.get('a')!.assignmentEpochs);
  assert.deepEqual(commitAll(copy, 'a', 2).codes, [NONE, NONE, STALE, STALE]);
});

test('a member record without assignment epochs (older log) keeps the strict rule', () => {
  const { log } = scenario();
  // Rewrite every current-assignment record as a broker without KIP-1251 wrote it: no AssignmentEpochs.
  const old = log.map((rs) =>
    rs.map((r) => {
      const d = decodeRecord(r.key, r.value);
      if (d.type !== 'cg-current' || d.value === null) return r;
      const strip = (l: Array<{ topicId: string; partitions: number[] }>) =>
        l.map(({ topicId, partitions }) => ({ topicId, partitions }));
      const rec = cgCurrentRecord('g', d.memberId, {
        ...d.value,
        assignedPartitions: strip(d.value.assignedPartitions),
        partitionsPendingRevocation: strip(d.value.partitionsPendingRevocation),
      });
      const back = decodeRecord(rec.key, rec.value);
      assert.ok(back.type === 'cg-current' && back.value?.assignedPartitions.every((t) => t.assignmentEpochs === null));
      return rec;
    }),
  );
  const shard = newShard();
  for (const rs of old) for (const r of rs) shard.replay(r.key, r.value, 0);
  shard.loaded(0);
  assert.deepEqual(commitAll(shard, 'a', 3).codes, [NONE, NONE, NONE, NONE]);
  assert.deepEqual(commitAll(shard, 'a', 2).codes, [STALE, STALE, STALE, STALE]);
  assert.deepEqual(commitAll(shard, 'a', 1).codes, [STALE, STALE, STALE, STALE]);
});
