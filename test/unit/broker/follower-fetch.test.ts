// Fetch from follower (KIP-392) and leader-side replication throttles in ReplicaManager, cluster mode (a Replication
// whose fetchers have no endpoint, so only what the test does happens): a follower serves a consumer's v11+ fetch up
// to its own HW and never beyond, OFFSET_OUT_OF_RANGE past its log end, NOT_LEADER_OR_FOLLOWER to an older fetch; a
// leader with RackAwareReplicaSelector points a consumer to an in-sync follower in its rack that holds the offset;
// leader.replication.throttled.replicas holds back a follower out of the ISR once the leader quota is exceeded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type FetchParams, ReplicaManager } from '../../../src/broker/replica-manager.ts';
import type { ReplicationOptions } from '../../../src/broker/replication.ts';
import { loadBrokerConfig, RACK_AWARE_REPLICA_SELECTOR } from '../../../src/config/broker-config.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { type MetadataRecord, record } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { batches, buildBatch } from '../../../src/records/index.ts';
import { selectReadReplica } from '../../../src/replication/replica-selector.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { createLogger } from '../../../src/util/log.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-ffr-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'test', level: 'silent' });
const brokerConfig = loadBrokerConfig({ overrides: [`log.dirs=${root}`], env: {}, logger });

function setup(replication: Partial<ReplicationOptions> = {}) {
  const dir = mkdtempSync(join(root, 'b-'));
  const logs = LogManager.open({ logDirs: [dir] });
  let now = 1_000_000;
  const rm = new ReplicaManager({
    logs,
    log: logger,
    nodeId: 1,
    topicConfig: (o) => resolveTopicConfig(brokerConfig, { ...o }),
    replication: {
      nodeId: 1,
      replicaLagTimeMaxMs: 1e9,
      alterPartition: () => new Promise(() => {}),
      logger,
      clock: { now: () => now },
      fetcher: {
        brokerEpoch: () => 1n,
        numFetchers: 1,
        fetchMaxBytes: 1 << 20,
        responseMaxBytes: 1 << 20,
        waitMaxMs: 100,
        minBytes: 1,
        backoffMs: 60_000,
        socketTimeoutMs: 1000,
        endpoint: () => undefined,
      },
      replicaSelector: 'rack-aware',
      brokerRack: (id) => `r${id}`,
      ...replication,
    },
  });
  let image = MetadataImage.empty('c');
  let offset = 0;
  const apply = (...rs: MetadataRecord[]) => {
    const previous = image;
    image = image.applyAll(rs.map((r) => ({ record: r, offset: offset++ })));
    rm.applyImage(image, previous);
  };
  return {
    rm,
    apply,
    advance: (ms: number) => {
      now += ms;
    },
    close: () => rm.close(),
  };
}

const topic = (name: string, topicId: string, p: { replicas: number[]; isr: number[]; leader: number }) => [
  record('TopicRecord', { name, topicId }),
  record('PartitionRecord', { topicId, partitionId: 0, ...p, leaderEpoch: 0, partitionEpoch: 0 }),
];

const fetchOf = (
  name: string,
  fetchOffset: number,
  extra: Partial<FetchParams> = {},
  currentLeaderEpoch = -1,
): FetchParams => ({
  partitions: [{ topic: name, partition: 0, fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch, lastFetchedEpoch: -1 }],
  maxWaitMs: 0,
  minBytes: 0,
  maxBytes: 1 << 20,
  magic: 2,
  ...extra,
});

/** The offsets of the records in a fetch answer. */
function offsets(records: Buffer | undefined): number[] {
  const out: number[] = [];
  if (records === undefined) return out;
  for (const b of batches(records))
    for (let o = b.header.baseOffset; o <= b.header.baseOffset + b.header.lastOffsetDelta; o++) out.push(o);
  return out;
}

const values = (n: number) => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) }));

describe('fetch from follower (KIP-392) in ReplicaManager', () => {
  test('a follower serves v11+ consumer fetches up to its HW, never beyond', async () => {
    const { rm, apply, close } = setup();
    try {
      apply(...topic('f', 'AAAAAAAAAAAAAAAAAAAAAQ', { replicas: [2, 1], isr: [2, 1], leader: 2 }));
      const p = rm.get('f', 0)!;
      assert.equal(p.isLeader, false);
      p.appendAsFollower(buildBatch({ baseOffset: 0, partitionLeaderEpoch: 0, records: values(5) }));
      p.log.setHighWatermark(3);
      const rack = { clientRack: 'r1' };
      const a = await rm.fetch(fetchOf('f', 0, rack));
      assert.equal(a.partitions[0]!.errorCode, ErrorCode.NONE);
      assert.equal(a.partitions[0]!.highWatermark, 3);
      // Batches are whole: the read stops before the batch that crosses the HW, so a 5-record batch is not served.
      assert.ok(offsets(a.partitions[0]!.records).every((o) => o < 3));
      a.release();
      p.appendAsFollower(buildBatch({ baseOffset: 5, partitionLeaderEpoch: 0, records: values(2) }));
      p.log.setHighWatermark(5);
      const b = await rm.fetch(fetchOf('f', 0, rack));
      assert.deepEqual(offsets(b.partitions[0]!.records), [0, 1, 2, 3, 4], 'the batch below the HW, not the one above');
      b.release();
      const above = await rm.fetch(fetchOf('f', 6, rack));
      assert.equal(above.partitions[0]!.errorCode, ErrorCode.NONE, 'between the HW and the log end: nothing yet');
      assert.equal(above.partitions[0]!.records?.length ?? 0, 0);
      const past = await rm.fetch(fetchOf('f', 8, rack));
      assert.equal(past.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      const old = await rm.fetch(fetchOf('f', 0));
      assert.equal(old.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a fetch before v11: leaders only');
      const newer = await rm.fetch(fetchOf('f', 0, rack, 1));
      assert.equal(newer.partitions[0]!.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    } finally {
      close();
    }
  });

  test('the leader names an in-sync follower in the client rack that holds the offset', async () => {
    const { rm, apply, close } = setup();
    try {
      apply(...topic('l', 'AAAAAAAAAAAAAAAAAAAAAg', { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }));
      assert.equal(
        (await rm.produce('l', 0, buildBatch({ records: values(4) }), Date.now())).errorCode,
        ErrorCode.NONE,
      );
      // Nothing known of the followers yet: the leader serves.
      const first = await rm.fetch(fetchOf('l', 0, { clientRack: 'r2' }));
      assert.equal(first.partitions[0]!.preferredReadReplica, undefined);
      assert.deepEqual(offsets(first.partitions[0]!.records), []);
      first.release();
      // Follower 2 fetches at 4 (it has everything); follower 3 only at 2.
      for (const [id, at] of [
        [2, 4],
        [3, 2],
      ] as const)
        (await rm.fetch(fetchOf('l', at, { replicaId: id }))).release();
      const toTwo = await rm.fetch(fetchOf('l', 0, { clientRack: 'r2' }));
      assert.equal(toTwo.partitions[0]!.preferredReadReplica, 2);
      assert.equal(toTwo.partitions[0]!.records, undefined, 'no records with a preferred read replica');
      const threeHolds = await rm.fetch(fetchOf('l', 1, { clientRack: 'r3' }));
      assert.equal(threeHolds.partitions[0]!.preferredReadReplica, 3);
      const threeLacks = await rm.fetch(fetchOf('l', 3, { clientRack: 'r3' }));
      assert.equal(threeLacks.partitions[0]!.preferredReadReplica, undefined, 'follower 3 lacks offset 3: the leader');
      threeLacks.release();
      for (const rack of ['r1', '', 'r9']) {
        const r = await rm.fetch(fetchOf('l', 0, { clientRack: rack }));
        assert.equal(r.partitions[0]!.preferredReadReplica, undefined, `rack "${rack}": the leader`);
        r.release();
      }
      // A follower out of the ISR is not chosen.
      apply(record('PartitionChangeRecord', { topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitionId: 0, isr: [1, 3] }));
      const out = await rm.fetch(fetchOf('l', 0, { clientRack: 'r2' }));
      assert.equal(out.partitions[0]!.preferredReadReplica, undefined);
      out.release();
    } finally {
      close();
    }
  });

  test('without replica.selector.class consumers read from the leader', async () => {
    const { rm, apply, close } = setup({ replicaSelector: null });
    try {
      apply(...topic('n', 'AAAAAAAAAAAAAAAAAAAAAw', { replicas: [1, 2], isr: [1, 2], leader: 1 }));
      await rm.produce('n', 0, buildBatch({ records: values(2) }), Date.now());
      (await rm.fetch(fetchOf('n', 2, { replicaId: 2 }))).release();
      const r = await rm.fetch(fetchOf('n', 0, { clientRack: 'r2' }));
      assert.equal(r.partitions[0]!.preferredReadReplica, undefined);
      assert.deepEqual(offsets(r.partitions[0]!.records), [0, 1]);
      r.release();
    } finally {
      close();
    }
  });

  test('RackAwareReplicaSelector: leader in rack, else the most caught-up replica in rack, else the leader', () => {
    const leader = { id: 1, rack: 'a', logEndOffset: 10, timeSinceCaughtUpMs: 0 };
    const b1 = { id: 2, rack: 'b', logEndOffset: 8, timeSinceCaughtUpMs: 5 };
    const b2 = { id: 3, rack: 'b', logEndOffset: 9, timeSinceCaughtUpMs: 50 };
    const b3 = { id: 4, rack: 'b', logEndOffset: 9, timeSinceCaughtUpMs: 10 };
    assert.equal(selectReadReplica('a', leader, [b1, b2]), 1);
    assert.equal(selectReadReplica('b', leader, [b1, b2, b3]), 4);
    assert.equal(selectReadReplica('c', leader, [b1]), 1);
    assert.equal(selectReadReplica('', leader, [b1]), 1);
  });

  test('replica.selector.class: the rack-aware selector or nothing; another class is refused at start', () => {
    const load = (v: string) => loadBrokerConfig({ overrides: [`replica.selector.class=${v}`], env: {}, logger });
    assert.equal(load(RACK_AWARE_REPLICA_SELECTOR).replicaSelector, 'rack-aware');
    assert.equal(brokerConfig.replicaSelector, null);
    assert.throws(
      () => load('com.example.MySelector'),
      (e: unknown) => e instanceof ConfigError && /RackAwareReplicaSelector/.test(e.message),
    );
  });
});

describe('leader-side replication throttle in ReplicaManager', () => {
  test('a throttled follower out of the ISR gets no records while the leader quota is exceeded', async () => {
    const { rm, apply, advance, close } = setup({
      throttle: { leaderRate: () => 100, followerRate: () => 100, windows: 11, windowMs: 1000 },
    });
    try {
      apply(
        record('TopicRecord', { name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAABA' }),
        record('ConfigRecord', {
          resourceType: 2,
          resourceName: 't',
          name: 'leader.replication.throttled.replicas',
          value: '*',
        }),
        record('PartitionRecord', {
          topicId: 'AAAAAAAAAAAAAAAAAAAABA',
          partitionId: 0,
          replicas: [1, 2, 3],
          isr: [1, 2],
          leader: 1,
          leaderEpoch: 0,
          partitionEpoch: 0,
        }),
      );
      const big = Buffer.alloc(2000, 'x');
      await rm.produce('t', 0, buildBatch({ records: [{ value: big }] }), Date.now());
      await rm.produce('t', 0, buildBatch({ records: [{ value: big }] }), Date.now());
      // Under the quota: the first fetch gets its records (2000+ bytes > 100 B/s × 10 s: now exceeded).
      const a = await rm.fetch(fetchOf('t', 0, { replicaId: 3, maxBytes: 2500 }));
      assert.deepEqual(offsets(a.partitions[0]!.records), [0]);
      a.release();
      const b = await rm.fetch(fetchOf('t', 1, { replicaId: 3 }));
      assert.equal(b.partitions[0]!.errorCode, ErrorCode.NONE);
      assert.equal(b.partitions[0]!.records?.length ?? 0, 0, 'over the quota: nothing for the follower out of the ISR');
      // A follower in the ISR is not held back.
      const c = await rm.fetch(fetchOf('t', 0, { replicaId: 2 }));
      assert.deepEqual(offsets(c.partitions[0]!.records), [0, 1]);
      c.release();
      // Once the samples age out the throttled follower gets records again.
      advance(12_000);
      const d = await rm.fetch(fetchOf('t', 1, { replicaId: 3 }));
      assert.deepEqual(offsets(d.partitions[0]!.records), [1]);
      d.release();
    } finally {
      close();
    }
  });
});
