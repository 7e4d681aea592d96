// A broker's replicas in a failed log dir (JBOD: the broker keeps running on its other dirs), reported to the
// controller: they leave their ISRs and leaderships, the broker's other partitions are untouched; and the broker's
// side, which replicas it reports (replicasToReport), so that reporting again converges instead of looping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ControllerEvent, decide } from '../../../src/controller/decisions.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { NO_LEADER } from '../../../src/metadata/records.ts';
import { replicasToReport } from '../../../src/node/offline-replicas.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const settings = { defaultPartitions: 1, defaultReplicationFactor: 3, uncleanLeaderElection: false };
const topicId = Buffer.alloc(16, 7).toString('base64url');
const soloId = Buffer.alloc(16, 8).toString('base64url');

/** Brokers 1–3; topic t: p0 [1,2,3], p1 [1,3,2], p2 [2,1,3]; topic solo: p0 [1]. Broker 1 leads t-0, t-1, solo-0. */
function cluster(configs: Record<string, string> = {}) {
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
    topics: [
      {
        name: 't',
        topicId,
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          [1, 2, 3],
          [1, 3, 2],
          [2, 1, 3],
        ],
        configs,
      },
      { name: 'solo', topicId: soloId, numPartitions: -1, replicationFactor: -1, assignments: [[1]], configs: {} },
    ],
    startIndex: 0,
    replicaShift: 0,
  });
  assert.equal(image.topics.size, 2);
  return {
    run,
    image: () => image,
    p: (i: number) => image.partition('t', i)!,
    solo: () => image.partition('solo', 0)!,
  };
}

const offline = (replicas: Array<{ topicId: string; partition: number }>, over: Partial<ControllerEvent> = {}) =>
  ({ type: 'offlineReplicas', brokerId: 1, brokerEpoch: 11n, replicas, ...over }) as ControllerEvent;
const t = (...partitions: number[]) => partitions.map((partition) => ({ topicId, partition }));
const solo = [{ topicId: soloId, partition: 0 }];

test('offline replicas: leadership moves to the next ISR member, the replica leaves every ISR', () => {
  const c = cluster();
  const before = c.p(0);
  const d = c.run(offline(t(0, 2)));
  assert.equal(d.errorCode, ErrorCode.NONE);
  assert.equal(c.p(0).leader, 2, 'the next replica in the ISR leads');
  assert.deepEqual(c.p(0).isr, [2, 3]);
  assert.ok(c.p(0).leaderEpoch > before.leaderEpoch);
  assert.equal(c.p(2).leader, 2, 'a partition it follows keeps its leader');
  assert.deepEqual(c.p(2).isr, [2, 3], 'and loses it from the ISR');
  // Partitions in the broker's healthy dir are untouched.
  assert.equal(c.p(1).leader, 1);
  assert.deepEqual(c.p(1).isr, [1, 3, 2]);
  assert.equal(c.image().brokers.get(1)!.fenced, false, 'the broker stays registered and unfenced');
  // Reported again (a retry after a lost answer): nothing more to do.
  assert.deepEqual(c.run(offline(t(0, 2))).records, []);
});

test('offline replicas: a sole replica leaves the partition leaderless, or to an unclean leader if allowed', () => {
  const c = cluster();
  c.run(offline(solo));
  assert.equal(c.solo().leader, NO_LEADER);
  // ELR is on (a new cluster's eligible.leader.replicas.version 1, as Kafka 4.4): the ISR empties and the replica
  // is remembered as the last known leader, the only one known to have everything (KIP-966).
  assert.deepEqual(c.solo().isr, []);
  assert.deepEqual(c.solo().lastKnownElr, [1]);

  const u = cluster({ 'unclean.leader.election.enable': 'true' });
  // Broker 1 alone in p0's ISR (2 and 3 fell behind), then its dir fails: unclean election picks another replica.
  u.run({
    type: 'alterPartition',
    brokerId: 1,
    brokerEpoch: 11n,
    topicId,
    partition: 0,
    leaderEpoch: u.p(0).leaderEpoch,
    partitionEpoch: u.p(0).partitionEpoch,
    newIsr: [1],
  });
  u.run(offline(t(0)));
  assert.equal(u.p(0).leader, 2);
  assert.deepEqual(u.p(0).isr, [2]);
});

test('offline replicas: a stale broker epoch is refused, unknown partitions and non-replicas are skipped', () => {
  const c = cluster();
  const stale = c.run(offline(t(0), { brokerEpoch: 5n } as Partial<ControllerEvent>));
  assert.equal(stale.errorCode, ErrorCode.STALE_BROKER_EPOCH);
  assert.deepEqual(stale.records, []);
  const other = Buffer.alloc(16, 9).toString('base64url');
  const d = c.run({
    type: 'offlineReplicas',
    brokerId: 3,
    brokerEpoch: 13n,
    replicas: [{ topicId: other, partition: 0 }, { topicId, partition: 9 }, ...solo],
  });
  assert.equal(d.errorCode, ErrorCode.NONE);
  assert.deepEqual(d.records, []);
});

test('replicasToReport: led or in an ISR with others, and offline here; the report converges', () => {
  const c = cluster();
  const down = new Set(['t-0', 't-2', 'solo-0']);
  const isOffline = (topic: string, p: number) => down.has(`${topic}-${p}`);
  const name = (x: { topicId: string; partition: number }) => `${x.topicId === soloId ? 'solo' : 't'}-${x.partition}`;
  const parts = (xs: Array<{ topicId: string; partition: number }>) => xs.map(name).sort();
  assert.deepEqual(parts(replicasToReport(c.image(), 1, isOffline)), ['solo-0', 't-0', 't-2']);
  assert.deepEqual(
    replicasToReport(c.image(), 2, () => false),
    [],
    'a broker whose logs are all online reports nothing',
  );
  c.run(offline(replicasToReport(c.image(), 1, isOffline)));
  // solo-0 is leaderless with broker 1 its last ISR member: nothing left to move, so nothing is reported again.
  assert.deepEqual(replicasToReport(c.image(), 1, isOffline), []);
  // An election that picks it again (it is still solo-0's ISR) is reported again.
  c.run({ type: 'brokerRegistered', brokerId: 2, epoch: 20n, incarnationId: 'y', endpoints: [], rack: null });
  assert.equal(c.solo().leader, 1);
  assert.deepEqual(parts(replicasToReport(c.image(), 1, isOffline)), ['solo-0']);
});
