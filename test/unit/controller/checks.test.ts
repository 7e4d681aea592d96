// Each invariant checker of the controller simulation, shown able to fail: fed a history that breaks it, it reports
// a violation (and a clean history reports none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBatchNode } from '../../../src/controller/store-log.ts';
import { type MetadataRecord, record } from '../../../src/metadata/records.ts';
import { ClusterChecker } from '../../sim/controller-checks.ts';

const T = 'AAAAAAAAAAAAAAAAAAAAAQ';
let seq = 0;
function batch(c: ClusterChecker, epoch: number, records: MetadataRecord[], currentEpoch = epoch, base?: number) {
  const path = `/metadata/log/batch-${String(seq++).padStart(10, '0')}`;
  c.onBatch(
    path,
    encodeBatchNode({ controllerEpoch: epoch, baseOffset: base ?? c.truth.offset + 1 }, records),
    currentEpoch,
  );
  return path;
}
const broker = (id: number, epoch: bigint) => [
  record('RegisterBrokerRecord', { brokerId: id, brokerEpoch: epoch, fenced: true }),
  record('UnfenceBrokerRecord', { id, epoch }),
];
const topic = (leader: number, isr: number[], replicas = [1, 2]) => [
  record('TopicRecord', { name: 't', topicId: T }),
  record('PartitionRecord', { topicId: T, partitionId: 0, replicas, isr, leader, leaderEpoch: 0, partitionEpoch: 0 }),
];
const change = (leader: number, isr: number[] | null = null) =>
  record('PartitionChangeRecord', { topicId: T, partitionId: 0, leader, isr });

function healthy(): ClusterChecker {
  const c = new ClusterChecker();
  batch(c, 1, [...broker(1, 10n), ...broker(2, 11n), ...topic(1, [1, 2])]);
  return c;
}

test('a clean history has no violation', () => {
  const c = healthy();
  batch(c, 1, [record('FenceBrokerRecord', { id: 1, epoch: 10n }), change(2, [2])]);
  c.checkNodes([{ id: 1, activeEpoch: 1, imageOffset: c.truth.offset, refused: 0 }]);
  assert.deepEqual(c.violations, []);
});

test('no write accepted from an older controller epoch', () => {
  const c = healthy();
  batch(c, 1, [change(2)], 2);
  assert.match(c.violations.join(), /controller epoch 1 accepted in epoch 2/);
});

test('the log is one sequence: a batch not at the log end is caught', () => {
  const c = healthy();
  batch(c, 1, [change(2)], 1, 2);
  assert.match(c.violations.join(), /base offset 2 after log end/);
});

test('a leader outside its ISR, fenced, or unregistered is caught', () => {
  const a = healthy();
  batch(a, 1, [change(2, [1])]);
  assert.match(a.violations.join(), /leader 2 not in ISR/);
  const b = healthy();
  batch(b, 1, [record('FenceBrokerRecord', { id: 1, epoch: 10n })]);
  assert.match(b.violations.join(), /leader 1 is fenced/);
  const c = new ClusterChecker();
  batch(c, 1, topic(3, [3], [3]));
  assert.match(c.violations.join(), /leader 3 is not registered/);
});

test('leader epochs only grow: a partition re-created with a lower epoch is caught', () => {
  const c = healthy();
  batch(c, 1, [change(2, [2, 1]), change(1), change(2)]);
  assert.deepEqual(c.violations, []);
  batch(c, 1, [
    record('PartitionRecord', { topicId: T, partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1 }),
  ]);
  assert.match(c.violations.join(), /leader epoch went back 3 -> 1/);
});

test('one active controller per epoch, both as activations and as what nodes believe', () => {
  const c = new ClusterChecker();
  c.onActivate(1, 5);
  c.onActivate(1, 5);
  assert.deepEqual(c.violations, []);
  c.onActivate(2, 5);
  assert.match(c.violations.join(), /both active controllers of epoch 5/);
  const d = new ClusterChecker();
  d.checkNodes([
    { id: 1, activeEpoch: 3, imageOffset: -1, refused: 0 },
    { id: 2, activeEpoch: 4, imageOffset: -1, refused: 0 }, // a zombie of an older epoch is allowed to believe
  ]);
  assert.deepEqual(d.violations, []);
  d.checkNodes([
    { id: 1, activeEpoch: 4, imageOffset: -1, refused: 0 },
    { id: 2, activeEpoch: 4, imageOffset: -1, refused: 0 },
  ]);
  assert.match(d.violations.join(), /active in epoch 4/);
});

test('every image a prefix of the log: ahead of the log, a batch the log does not hold there, refused batches', () => {
  const c = healthy();
  const path = [...c.batches.keys()][0]!;
  c.onApplied(1, path, 0);
  c.checkNodes([{ id: 1, activeEpoch: null, imageOffset: c.truth.offset, refused: 0 }]);
  assert.deepEqual(c.violations, []);
  c.onApplied(2, path, 7);
  c.onApplied(2, '/metadata/log/batch-9999999999', 0);
  c.checkNodes([{ id: 3, activeEpoch: null, imageOffset: c.truth.offset + 1, refused: 1 }]);
  assert.equal(c.violations.length, 4, c.violations.join('\n'));
});

test('ELR rules (KIP-966): an empty ISR or an ELR without the feature, an ELR at min ISR, an unclean leader keeping it', () => {
  const elrOn = record('FeatureLevelRecord', { name: 'eligible.leader.replicas.version', featureLevel: 1 });
  const elrChange = (leader: number, isr: number[], elr: number[]) =>
    record('PartitionChangeRecord', { topicId: T, partitionId: 0, leader, isr, eligibleLeaderReplicas: elr });
  // Without the feature: an empty ISR, and an ELR, are violations.
  const off = healthy();
  batch(off, 1, [elrChange(-1, [], [1])]);
  assert.match(off.violations.join(), /empty ISR/);
  assert.match(off.violations.join(), /ELR \[1\] with the feature off/);
  // With it (min ISR 1 here): an ELR beside a non-empty ISR is at min ISR; an ELR member in the ISR is caught.
  const on = healthy();
  batch(on, 1, [elrOn, elrChange(1, [1], [2])]);
  assert.match(on.violations.join(), /ELR \[2\] kept with the ISR \[1\] at min ISR 1/);
  const both = healthy();
  batch(both, 1, [elrOn, elrChange(1, [1], [1])]);
  assert.match(both.violations.join(), /not distinct replicas outside the ISR/);
  // A leader from outside ISR and ELR must lead an ISR of itself with no ELR; from the ELR it is clean.
  const clean = new ClusterChecker();
  batch(clean, 1, [...broker(1, 10n), ...broker(2, 11n), ...broker(3, 12n), elrOn, ...topic(1, [1], [1, 2, 3])]);
  batch(clean, 1, [
    record('ConfigRecord', { resourceType: 2, resourceName: 't', name: 'min.insync.replicas', value: '3' }),
    elrChange(-1, [], [2]),
    elrChange(2, [2], []),
  ]);
  assert.deepEqual(clean.violations, []);
  batch(clean, 1, [elrChange(-1, [], [2])]);
  batch(clean, 1, [elrChange(3, [3, 2], [])]);
  assert.match(clean.violations.join(), /leader 3 from outside ISR\/ELR \[2\] with ISR \[3,2\]/);
});
