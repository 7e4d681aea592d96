// AlterPartition (56) decided by the controller: only the current leader, at its leader epoch and the partition
// epoch it acts on, may change the ISR, to replicas that are usable; the change is a PartitionChangeRecord.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ControllerEvent, decide } from '../../../src/controller/decisions.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const settings = { defaultPartitions: 1, defaultReplicationFactor: 3, uncleanLeaderElection: false };
const topicId = Buffer.alloc(16, 7).toString('base64url');

function cluster() {
  let image = MetadataImage.empty('c');
  const run = (e: ControllerEvent) => {
    const d = decide(image, e, settings);
    for (const r of d.records) image = image.apply(r, image.offset + 1);
    return d;
  };
  for (const b of [1, 2, 3])
    run({
      type: 'brokerRegistered',
      brokerId: b,
      epoch: BigInt(10 + b),
      incarnationId: 'x',
      endpoints: [],
      rack: null,
    });
  run({
    type: 'createTopics',
    topics: [{ name: 't', topicId, numPartitions: -1, replicationFactor: -1, assignments: [[1, 2, 3]], configs: {} }],
    startIndex: 0,
    replicaShift: 0,
  });
  return { run, image: () => image, p: () => image.partition('t', 0)! };
}

const alter = (
  p: { leaderEpoch: number; partitionEpoch: number },
  newIsr: number[],
  over: Partial<ControllerEvent> = {},
) =>
  ({
    type: 'alterPartition',
    brokerId: 1,
    brokerEpoch: 11n,
    topicId,
    partition: 0,
    leaderEpoch: p.leaderEpoch,
    partitionEpoch: p.partitionEpoch,
    newIsr,
    ...over,
  }) as ControllerEvent;

test('AlterPartition: a shrink and an expansion by the leader become PartitionChangeRecords', () => {
  const c = cluster();
  const p0 = c.p();
  assert.equal(p0.leader, 1);
  assert.deepEqual(p0.isr, [1, 2, 3]);
  const d = c.run(alter(p0, [1, 2]));
  assert.equal(d.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    d.records.map((r) => r.type),
    ['PartitionChangeRecord'],
  );
  const p1 = c.p();
  assert.deepEqual(p1.isr, [1, 2]);
  assert.equal(p1.leaderEpoch, p0.leaderEpoch, 'an ISR change keeps the leader epoch');
  assert.ok(p1.partitionEpoch > p0.partitionEpoch, 'and bumps the partition epoch');
  assert.equal(c.run(alter(p1, [1, 2, 3])).errorCode, ErrorCode.NONE);
  assert.deepEqual(c.p().isr, [1, 2, 3]);
  // The same ISR again writes nothing.
  assert.deepEqual(c.run(alter(c.p(), [1, 2, 3])).records, []);
});

test('AlterPartition: stale partition epoch, fenced leader epoch, non-leaders, stale brokers, bad ISRs', () => {
  const c = cluster();
  const p0 = c.p();
  c.run(alter(p0, [1, 2]));
  const no = (e: ControllerEvent) => {
    const d = c.run(e);
    assert.deepEqual(d.records, []);
    return d.errorCode;
  };
  assert.equal(no(alter(p0, [1])), ErrorCode.INVALID_UPDATE_VERSION, 'acting on an ISR the controller replaced');
  const p1 = c.p();
  assert.equal(no(alter({ ...p1, leaderEpoch: p1.leaderEpoch - 1 }, [1])), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(no(alter(p1, [1, 2], { brokerId: 2, brokerEpoch: 12n } as never)), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(no(alter(p1, [1], { brokerEpoch: 99n } as never)), ErrorCode.STALE_BROKER_EPOCH);
  assert.equal(no(alter(p1, [2, 3])), ErrorCode.INVALID_REQUEST, 'the leader must stay in the ISR');
  assert.equal(no(alter(p1, [1, 4])), ErrorCode.INELIGIBLE_REPLICA, 'not a replica');
  assert.equal(no(alter(p1, [1, 2], { partition: 5 } as never)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // A fenced broker cannot join the ISR (its session ended).
  c.run({ type: 'brokerGone', brokerId: 3, epoch: 13n });
  assert.equal(no(alter(c.p(), [1, 2, 3])), ErrorCode.INELIGIBLE_REPLICA);
  assert.equal(c.run(alter(c.p(), [1])).errorCode, ErrorCode.NONE);
});
