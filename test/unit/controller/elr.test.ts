// Eligible leader replicas (KIP-966) in the controller's decisions: which replicas join the ELR when the ISR shrinks
// below min.insync.replicas, elections from it when the ISR empties, unclean shutdowns leaving it, the last known
// leader, unclean elections clearing it, snapshots and ClearElrRecord keeping the image right.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ControllerEvent, decide } from '../../../src/controller/decisions.ts';
import { partitionChange } from '../../../src/controller/partition-change.ts';
import { imageRecords } from '../../../src/controller/store-log.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { record } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const settings = { defaultPartitions: 1, defaultReplicationFactor: 3, uncleanLeaderElection: false };
const TOPIC_ID = Buffer.alloc(16, 9).toString('base64url');
const ELR_FEATURE = 'eligible.leader.replicas.version';

/** Brokers 1, 2, 3 (epochs 10, 20, 30) and topic t = [[1, 2, 3]] with min.insync.replicas 2. */
function cluster(opts: { elr?: boolean; configs?: Record<string, string> } = {}) {
  let image = MetadataImage.empty('c');
  const run = (e: ControllerEvent) => {
    const d = decide(image, e, settings);
    for (const r of d.records) image = image.apply(r, image.offset + 1);
    return d;
  };
  const register = (brokerId: number, epoch: bigint, incarnationId = `inc-${brokerId}`, previousBrokerEpoch = -1n) =>
    run({ type: 'brokerRegistered', brokerId, epoch, incarnationId, endpoints: [], rack: null, previousBrokerEpoch });
  for (const b of [1, 2, 3]) register(b, BigInt(b * 10));
  if (opts.elr === false)
    image = image.apply(record('FeatureLevelRecord', { name: ELR_FEATURE, featureLevel: 0 }), image.offset + 1);
  run({
    type: 'createTopics',
    topics: [
      {
        name: 't',
        topicId: TOPIC_ID,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [[1, 2, 3]],
        configs: { 'min.insync.replicas': '2', ...opts.configs },
      },
    ],
    startIndex: 0,
    replicaShift: 0,
  });
  const p = () => image.partition('t', 0)!;
  const state = () => ({ leader: p().leader, isr: p().isr, elr: p().elr ?? [], lastKnownElr: p().lastKnownElr ?? [] });
  /** The leader's AlterPartition to `newIsr`. */
  const shrink = (newIsr: number[]) => {
    const cur = p();
    const d = run({
      type: 'alterPartition',
      brokerId: cur.leader,
      brokerEpoch: image.brokers.get(cur.leader)!.epoch,
      topicId: TOPIC_ID,
      partition: 0,
      leaderEpoch: cur.leaderEpoch,
      partitionEpoch: cur.partitionEpoch,
      newIsr,
    });
    assert.equal(d.errorCode, ErrorCode.NONE);
  };
  const gone = (brokerId: number) => run({ type: 'brokerGone', brokerId, epoch: image.brokers.get(brokerId)!.epoch });
  return { run, register, shrink, gone, p, state, image: () => image };
}

test('a new cluster has ELR on; replicas leaving the ISR below min ISR join the ELR, the others do not', () => {
  const c = cluster();
  assert.equal(c.image().features.get(ELR_FEATURE), 1);
  c.shrink([1, 2]); // 3 leaves while the ISR stays at min ISR: the HW moved on without it
  assert.deepEqual(c.state(), { leader: 1, isr: [1, 2], elr: [], lastKnownElr: [] });
  c.shrink([1]); // 2 leaves: the ISR is below min ISR, the HW stops, 2 has everything committed
  assert.deepEqual(c.state(), { leader: 1, isr: [1], elr: [2], lastKnownElr: [] });
  // The leader dies: 2 leads from the ELR, alone in the ISR; 1 (in the ISR at the time) joins the ELR.
  c.gone(1);
  assert.deepEqual(c.state(), { leader: 2, isr: [2], elr: [1], lastKnownElr: [] });
  assert.equal(c.p().leaderEpoch, 1);
  // 3 catches up and rejoins: the ISR is back at min ISR and the ELR is cleared.
  c.shrink([2, 3]);
  assert.deepEqual(c.state(), { leader: 2, isr: [2, 3], elr: [], lastKnownElr: [] });
});

test('without ELR the same failure leaves the partition offline, its ISR the dead leader', () => {
  const c = cluster({ elr: false });
  c.shrink([1, 2]);
  c.shrink([1]);
  c.gone(1);
  assert.deepEqual(c.state(), { leader: -1, isr: [1], elr: [], lastKnownElr: [] });
});

test('a fenced ELR member is not eligible; it leads once it registers again after a clean shutdown', () => {
  const c = cluster();
  c.shrink([1, 2]);
  c.shrink([1]);
  c.gone(2); // not in the ISR: its ELR place stays
  assert.deepEqual(c.state(), { leader: 1, isr: [1], elr: [2], lastKnownElr: [] });
  c.gone(1); // no ISR member and no live ELR member: leaderless, 1 the last known leader
  assert.deepEqual(c.state(), { leader: -1, isr: [], elr: [1, 2], lastKnownElr: [1] });
  c.register(2, 40n, 'inc-2b', 20n); // restarted after a clean shutdown: previous epoch 20 is its last registration
  assert.deepEqual(c.state(), { leader: 2, isr: [2], elr: [1], lastKnownElr: [] });
});

test('an unclean shutdown removes the broker from ISR and ELR; the last known leader leads once the ELR is empty', () => {
  const c = cluster();
  c.shrink([1, 2]);
  c.shrink([1]);
  c.gone(2);
  c.gone(1);
  assert.deepEqual(c.state(), { leader: -1, isr: [], elr: [1, 2], lastKnownElr: [1] });
  c.register(2, 40n, 'inc-2b', -1n); // no clean-shutdown marker: may have lost records
  assert.deepEqual(c.state(), { leader: -1, isr: [], elr: [1], lastKnownElr: [1] });
  // The same process registering again (a new session, same incarnation) is no restart: nothing changes.
  c.gone(2);
  c.register(2, 50n, 'inc-2b', -1n);
  assert.deepEqual(c.state(), { leader: -1, isr: [], elr: [1], lastKnownElr: [1] });
  // 1 comes back uncleanly too: the ELR is empty, and the last known leader is the best there is (balanced
  // recovery, as Kafka: an unclean election of sorts, whatever unclean.leader.election.enable says).
  c.register(1, 60n, 'inc-1b', -1n);
  assert.deepEqual(c.state(), { leader: 1, isr: [1], elr: [], lastKnownElr: [] });
});

test('unclean election comes after the ELR and clears it', () => {
  const c = cluster({ configs: { 'unclean.leader.election.enable': 'true' } });
  c.shrink([1, 2]);
  c.shrink([1]);
  c.gone(2);
  c.gone(1); // ELR [1, 2] with nobody live: 3 (outside the ISR since before) is elected uncleanly
  assert.deepEqual(c.state(), { leader: 3, isr: [3], elr: [], lastKnownElr: [] });
});

test('ElectLeaders UNCLEAN takes a live ELR member first; PREFERRED needs the preferred replica valid', () => {
  const c = cluster();
  c.shrink([1, 3]);
  c.shrink([1]);
  c.gone(3);
  c.gone(1);
  assert.deepEqual(c.state(), { leader: -1, isr: [], elr: [1, 3], lastKnownElr: [1] });
  const at = [{ topic: 't', partition: 0 }];
  const pref = c.run({ type: 'electLeaders', electionType: 'preferred', partitions: at });
  assert.equal(pref.elections![0]!.errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  c.register(3, 40n, 'inc-3', -1n); // the same incarnation: a new session, not a restart; elected at once
  assert.deepEqual(c.state(), { leader: 3, isr: [3], elr: [1], lastKnownElr: [] });
});

test('controlled shutdown of the only ISR member hands leadership to a live ELR member', () => {
  const c = cluster();
  c.shrink([1, 2]);
  c.shrink([1]);
  const b1 = c.image().brokers.get(1)!;
  const d = c.run({ type: 'controlledShutdown', brokerId: 1, epoch: b1.epoch });
  assert.equal(d.remainingLeaders, 0);
  assert.deepEqual(c.state(), { leader: 2, isr: [2], elr: [1], lastKnownElr: [] });
});

test('snapshots keep ELR and last known leader; ClearElrRecord (min ISR changed) clears them', () => {
  const c = cluster();
  c.shrink([1, 2]);
  c.shrink([1]);
  c.gone(2);
  c.gone(1);
  let replayed = MetadataImage.empty('c');
  for (const r of imageRecords(c.image())) replayed = replayed.apply(r, replayed.offset + 1);
  const p = replayed.partition('t', 0)!;
  assert.deepEqual([p.elr, p.lastKnownElr], [[1, 2], [1]]);
  const cleared = replayed.apply(record('ClearElrRecord', { topicName: 't' }), replayed.offset + 1).partition('t', 0)!;
  assert.deepEqual(
    [cleared.elr, cleared.lastKnownElr, cleared.partitionEpoch],
    [undefined, undefined, p.partitionEpoch + 1],
  );
  const all = replayed.apply(record('ClearElrRecord', { topicName: '' }), replayed.offset + 1).partition('t', 0)!;
  assert.equal(all.elr, undefined);
});

test('partitionChange keeps its invariants over random states and inputs', () => {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = (xs: number[]) => xs.filter(() => rnd() < 0.5);
  const replicas = [1, 2, 3, 4];
  for (let i = 0; i < 20000; i++) {
    const minIsr = 1 + Math.floor(rnd() * 4);
    const elrEnabled = rnd() < 0.8;
    const isr = pick(replicas);
    const elr = elrEnabled && isr.length < minIsr ? pick(replicas.filter((r) => !isr.includes(r))) : [];
    const leader = isr.length > 0 && rnd() < 0.8 ? isr[Math.floor(rnd() * isr.length)]! : -1;
    const live = new Set(pick(replicas));
    const targetIsr = isr.filter(() => rnd() < 0.8);
    const election = (['preferred', 'online', 'unclean', 'none'] as const)[Math.floor(rnd() * 4)]!;
    const current = { leader, isr, elr, lastKnownElr: isr.length === 0 && rnd() < 0.5 ? [1] : [] };
    const r = partitionChange({
      current,
      replicas,
      targetIsr: election === 'none' && leader >= 0 && !targetIsr.includes(leader) ? [...targetIsr, leader] : targetIsr,
      election,
      elrEnabled,
      minIsr,
      acceptable: (id) => live.has(id),
      uncleanShutdown: rnd() < 0.2 ? [replicas[Math.floor(rnd() * 4)]!] : [],
    });
    // A changed leader may lead; a clean one comes from the ISR or (ISR empty) the ELR; nothing committed is lost:
    // a clean election never picks a replica outside ISR ∪ ELR.
    if (r.leader !== leader && r.leader !== -1) {
      assert.ok(live.has(r.leader), `elected ${r.leader}, which may not lead`);
      if (!r.unclean) assert.ok(isr.includes(r.leader) || elr.includes(r.leader), `clean election of ${r.leader}`);
    }
    if (!elrEnabled) assert.ok(r.isr.length > 0 || isr.length === 0, 'ISR emptied without ELR');
  }
});
