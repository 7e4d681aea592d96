// Share groups (KIP-932) end to end through raw ShareGroupHeartbeat / ShareFetch / ShareAcknowledge requests (Kafka
// 4.4's versions: heartbeat v1, ShareFetch v2, ShareAcknowledge v2): five members share one
// partition; one is killed mid-way (it stops heartbeating, never acknowledges) and its locked records go to the
// others once its session times out; nothing is lost, REJECTed records never come back; a group whose
// share.delivery.count.limit is 2 (a GROUP config) gets each record at most twice; after a kill -9 and restart,
// the share-partition state comes back from __share_group_state: accepted records stay done, locked ones come back
// with their delivery counted; the share-groups CLI shows the start offset and lag, and resets (refused while a member
// is active) and deletes the offsets.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  CreateTopicsResponse,
  IncrementalAlterConfigsResponse,
  MetadataResponse,
  ShareAcknowledgeResponse,
  ShareFetchResponse,
  ShareGroupHeartbeatResponse,
} from '../../src/protocol/generated/messages.ts';
import { batches, buildBatch, iterateRecords } from '../../src/records/index.ts';
import {
  type BrokerHandle,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, runProcess } from '../helpers/clients.ts';

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

const ACCEPT = 1;
const RELEASE = 2;
const REJECT = 3;
const RECORDS = 200;

interface Member {
  id: string;
  conn: BrokerConnection;
  epoch: number;
  session: number;
  alive: boolean;
}

describe('share groups: ShareFetch and ShareAcknowledge', { timeout: 180_000 }, () => {
  let broker: BrokerHandle | undefined;
  let admin: BrokerConnection;
  let topicId = '';
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess({
      overrides: {
        'group.share.min.session.timeout.ms': '1000',
        'group.share.session.timeout.ms': '2000',
        'group.share.min.heartbeat.interval.ms': '200',
        'group.share.heartbeat.interval.ms': '300',
        'group.share.min.record.lock.duration.ms': '1000',
      },
    });
    admin = await BrokerConnection.open('127.0.0.1', broker.port);
    const res = await admin.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'jobs', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE);
    const md = await admin.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'jobs' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    topicId = md.topics[0]!.topicId;
    const records = Array.from({ length: RECORDS }, (_, i) => ({ key: null, value: Buffer.from(`job-${i}`) }));
    for (let i = 0; i < RECORDS; i += 20) {
      await admin.send(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          { name: 'jobs', partitionData: [{ index: 0, records: buildBatch({ records: records.slice(i, i + 20) }) }] },
        ],
      });
    }
    for (const [group, configs] of [
      ['workers', { 'share.auto.offset.reset': 'earliest' }],
      [
        'limited',
        {
          'share.auto.offset.reset': 'earliest',
          'share.delivery.count.limit': '2',
          'share.record.lock.duration.ms': '15000',
        },
      ],
    ] as const) {
      const r = await admin.send<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [
          {
            resourceType: 32,
            resourceName: group,
            configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })),
          },
        ],
        validateOnly: false,
      });
      assert.equal(r.responses[0]!.errorCode, ErrorCode.NONE, r.responses[0]!.errorMessage ?? '');
    }
  });
  after(async () => {
    admin?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const join = async (group: string, id: string): Promise<Member> => {
    const conn = await BrokerConnection.open('127.0.0.1', broker!.port);
    const r = await conn.send<ShareGroupHeartbeatResponse>(76, 1, {
      groupId: group,
      memberId: id,
      memberEpoch: 0,
      rackId: null,
      subscribedTopicNames: ['jobs'],
    });
    assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
    return { id, conn, epoch: r.memberEpoch, session: 0, alive: true };
  };

  const heartbeat = async (group: string, m: Member) => {
    const r = await m.conn.send<ShareGroupHeartbeatResponse>(76, 1, {
      groupId: group,
      memberId: m.id,
      memberEpoch: m.epoch,
      rackId: null,
      subscribedTopicNames: null,
    });
    assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
    m.epoch = r.memberEpoch;
  };

  /** One ShareFetch carrying `acks`; returns the acquired offsets with their delivery counts and values. */
  const shareFetch = async (group: string, m: Member, acks: Array<{ offset: number; type: number }>) => {
    const r = await m.conn.send<ShareFetchResponse>(78, 2, {
      shareAcquireMode: 0,
      isRenewAck: false,
      batchSize: 500,
      groupId: group,
      memberId: m.id,
      shareSessionEpoch: m.session,
      maxWaitMs: 200,
      minBytes: 1,
      maxBytes: 1 << 20,
      // About two batches of 20 records: the work is spread over the members.
      maxRecords: 40,
      topics: [
        {
          topicId,
          partitions: [
            {
              partitionIndex: 0,
              acknowledgementBatches: acks.map((a) => ({
                firstOffset: BigInt(a.offset),
                lastOffset: BigInt(a.offset),
                acknowledgeTypes: [a.type],
              })),
            },
          ],
        },
      ],
      forgottenTopicsData: [],
    });
    assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
    m.session++;
    const p = r.responses[0]?.partitions[0];
    if (!p) return { got: [], ackError: ErrorCode.NONE };
    assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? '');
    const values = new Map<number, string>();
    if (p.records) {
      for (const b of batches(p.records)) {
        for (const rec of iterateRecords(p.records.subarray(b.position, b.position + b.size))) {
          values.set(rec.offset, rec.value!.toString());
        }
      }
    }
    const got: Array<{ offset: number; count: number }> = [];
    for (const a of p.acquiredRecords) {
      for (let o = Number(a.firstOffset); o <= Number(a.lastOffset); o++) {
        assert.equal(values.get(o), `job-${o}`, `acquired offset ${o} is in the records`);
        got.push({ offset: o, count: a.deliveryCount });
      }
    }
    return { got, ackError: p.acknowledgeErrorCode };
  };

  test('five members share one partition; a killed member’s records are redelivered; nothing lost; rejected stay out', async () => {
    await setup.get();
    const members: Member[] = [];
    for (let i = 0; i < 5; i++) members.push(await join('workers', `w${i}`));
    const beat = setInterval(() => {
      for (const m of members) if (m.alive) heartbeat('workers', m).catch(() => {});
    }, 300);
    try {
      const accepted = new Set<number>();
      const rejected = new Set<number>();
      const released = new Set<number>();
      const byMember = new Map<string, number>();
      const holder = new Map<number, string>();
      let killedHeld: number[] = [];
      let redelivered = 0;
      const pending = new Map<string, Array<{ offset: number; type: number }>>();
      const deadline = Date.now() + 60_000;
      while (accepted.size + rejected.size < RECORDS && Date.now() < deadline) {
        for (const m of members) {
          if (!m.alive) continue;
          const { got, ackError } = await shareFetch('workers', m, pending.get(m.id) ?? []);
          assert.equal(ackError, ErrorCode.NONE);
          for (const a of pending.get(m.id) ?? []) {
            holder.delete(a.offset);
            if (a.type === ACCEPT) accepted.add(a.offset);
            if (a.type === REJECT) rejected.add(a.offset);
          }
          pending.set(m.id, []);
          for (const { offset, count } of got) {
            assert.ok(!rejected.has(offset), `rejected offset ${offset} came back`);
            assert.ok(!accepted.has(offset), `accepted offset ${offset} came back`);
            const h = holder.get(offset);
            assert.ok(h === undefined || killedHeld.includes(offset), `offset ${offset} held by ${h} and ${m.id}`);
            holder.set(offset, m.id);
            if (count > 1) redelivered++;
            byMember.set(m.id, (byMember.get(m.id) ?? 0) + 1);
          }
          if (m.id === 'w4' && got.length > 0) {
            // Killed mid-way: it holds its records, never acknowledges, stops heartbeating.
            m.alive = false;
            m.conn.close();
            killedHeld = got.map((g) => g.offset);
            continue;
          }
          const acks = got.map(({ offset }) => {
            if (offset % 10 === 3) return { offset, type: REJECT };
            if (offset % 10 === 7 && !released.has(offset)) {
              released.add(offset);
              return { offset, type: RELEASE };
            }
            return { offset, type: ACCEPT };
          });
          for (const a of acks) if (a.type === RELEASE) holder.delete(a.offset);
          pending.set(m.id, acks);
        }
      }
      // Flush the last acknowledgements.
      for (const m of members) {
        if (!m.alive || (pending.get(m.id) ?? []).length === 0) continue;
        const r = await m.conn.send<ShareAcknowledgeResponse>(79, 2, {
          isRenewAck: false,
          groupId: 'workers',
          memberId: m.id,
          shareSessionEpoch: m.session,
          topics: [
            {
              topicId,
              partitions: [
                {
                  partitionIndex: 0,
                  acknowledgementBatches: pending.get(m.id)!.map((a) => ({
                    firstOffset: BigInt(a.offset),
                    lastOffset: BigInt(a.offset),
                    acknowledgeTypes: [a.type],
                  })),
                },
              ],
            },
          ],
        });
        assert.equal(r.errorCode, ErrorCode.NONE);
        m.session++;
      }
      assert.ok(killedHeld.length > 0, 'the killed member held records');
      for (const o of killedHeld) assert.ok(accepted.has(o) || rejected.has(o), `killed member's offset ${o} finished`);
      assert.equal(accepted.size + rejected.size, RECORDS, 'every record accepted or rejected: nothing lost');
      assert.equal(rejected.size, RECORDS / 10);
      assert.ok(redelivered >= killedHeld.length, 'released and killed records were redelivered');
      assert.ok(
        members.slice(0, 4).every((m) => (byMember.get(m.id) ?? 0) > 0),
        `every live member got work: ${[...byMember]}`,
      );
    } finally {
      clearInterval(beat);
      for (const m of members) m.conn.close();
    }
  });

  test('the delivery count limit (a GROUP config of 2) archives a record released twice', async () => {
    await setup.get();
    const m = await join('limited', 'solo');
    try {
      const counts = new Map<number, number>();
      let acks: Array<{ offset: number; type: number }> = [];
      let empty = false;
      for (let round = 0; round < 100 && !empty; round++) {
        await heartbeat('limited', m); // the broker's share session timeout here is 2 s
        const { got } = await shareFetch('limited', m, acks);
        for (const g of got) counts.set(g.offset, Math.max(counts.get(g.offset) ?? 0, g.count));
        empty = got.length === 0 && acks.length === 0;
        acks = got.map((g) => ({ offset: g.offset, type: RELEASE }));
      }
      assert.ok(empty, 'the group ran out of records');
      assert.equal(counts.size, RECORDS);
      assert.ok(
        [...counts.values()].every((c) => c === 2),
        'each record delivered exactly twice',
      );
      const { got } = await shareFetch('limited', m, []);
      assert.deepEqual(got, [], 'nothing left after the limit');
    } finally {
      m.conn.close();
    }
  });

  test('bad share sessions get Kafka error codes', async () => {
    await setup.get();
    const m = await join('workers', 'bad');
    try {
      const send = (epoch: number, acks = false) =>
        m.conn.send<ShareFetchResponse>(78, 2, {
          shareAcquireMode: 0,
          isRenewAck: false,
          batchSize: 500,
          groupId: 'workers',
          memberId: 'bad',
          shareSessionEpoch: epoch,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1024,
          maxRecords: 10,
          topics: [
            {
              topicId,
              partitions: [
                {
                  partitionIndex: 0,
                  acknowledgementBatches: acks ? [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [ACCEPT] }] : [],
                },
              ],
            },
          ],
          forgottenTopicsData: [],
        });
      assert.equal((await send(5)).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
      assert.equal((await send(0, true)).errorCode, ErrorCode.INVALID_REQUEST);
      assert.equal((await send(0)).errorCode, ErrorCode.NONE);
      assert.equal((await send(3)).errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);
      const r = await send(1, true);
      assert.equal(r.responses[0]!.partitions[0]!.acknowledgeErrorCode, ErrorCode.INVALID_RECORD_STATE);
    } finally {
      m.conn.close();
    }
  });

  // Last: it restarts the broker.
  test('share-partition state survives kill -9: accepted stay done, locked ones come back counted', async () => {
    await setup.get();
    const r = await admin.send<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        {
          resourceType: 32,
          resourceName: 'durable',
          configs: [{ name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest' }],
        },
      ],
      validateOnly: false,
    });
    assert.equal(r.responses[0]!.errorCode, ErrorCode.NONE);
    let m = await join('durable', 'd1');
    const first = (await shareFetch('durable', m, [])).got;
    assert.ok(first.length >= 20, `fetched ${first.length}`);
    const accepted = first.slice(0, 10).map((g) => g.offset);
    const held = first.slice(10).map((g) => g.offset);
    await shareFetch(
      'durable',
      m,
      accepted.map((offset) => ({ offset, type: ACCEPT })),
    );
    const d1 = m.id;
    m.conn.close();
    admin.close();
    await broker!.kill9();
    await broker!.restart();
    admin = await BrokerConnection.open('127.0.0.1', broker!.port);
    m = await join('durable', 'd2');
    const seen = new Map<number, number>();
    let acks: Array<{ offset: number; type: number }> = [];
    for (let round = 0; round < 100; round++) {
      await heartbeat('durable', m);
      const { got } = await shareFetch('durable', m, acks);
      if (got.length === 0 && acks.length === 0) break;
      for (const g of got) seen.set(g.offset, g.count);
      acks = got.map((g) => ({ offset: g.offset, type: ACCEPT }));
    }
    // The share-groups CLI reads the start offset and lag back from the share coordinator: all done.
    const described = await runProcess(
      process.execPath,
      [CLI, 'share-groups', 'describe', '-g', 'durable', '--offsets', '--json', '-b', broker!.bootstrap],
      { timeoutMs: 60_000 },
    );
    assert.equal(described.code, 0, describeRun('share-groups describe --offsets', described));
    assert.deepEqual(JSON.parse(described.stdout), [
      { group: 'durable', topic: 'jobs', partition: 0, startOffset: RECORDS, lag: 0 },
    ]);
    const cli = (...args: string[]) =>
      runProcess(process.execPath, [CLI, 'share-groups', ...args, '-b', broker!.bootstrap], { timeoutMs: 60_000 });
    // reset-offsets needs an empty group: refused while a member heartbeats, done once it left. d2 leaves first (its
    // session would otherwise last group.share.session.timeout.ms past its last heartbeat, longer than the CLI runs).
    const leftD2 = await m.conn.send<ShareGroupHeartbeatResponse>(76, 1, {
      groupId: 'durable',
      memberId: m.id,
      memberEpoch: -1,
      rackId: null,
      subscribedTopicNames: null,
    });
    assert.equal(leftD2.errorCode, ErrorCode.NONE);
    m.conn.close();
    m = await join('durable', 'd3');
    const member = m;
    const beat = setInterval(() => void heartbeat('durable', member).catch(() => {}), 300);
    const refused = await cli('reset-offsets', '-g', 'durable', '-t', 'jobs', '--to-offset', '5', '--execute');
    clearInterval(beat);
    assert.notEqual(refused.code, 0, describeRun('reset-offsets with a member', refused));
    assert.match(refused.stderr, /active members/);
    const left = await m.conn.send<ShareGroupHeartbeatResponse>(76, 1, {
      groupId: 'durable',
      memberId: m.id,
      memberEpoch: -1,
      rackId: null,
      subscribedTopicNames: null,
    });
    assert.equal(left.errorCode, ErrorCode.NONE);
    // d1, from before the kill -9, is a member again after the restart (members are stored in __consumer_offsets, as
    // Kafka's): until its session times out the group is not empty, so it leaves too.
    const leftD1 = await admin.send<ShareGroupHeartbeatResponse>(76, 1, {
      groupId: 'durable',
      memberId: d1,
      memberEpoch: -1,
      rackId: null,
      subscribedTopicNames: null,
    });
    assert.ok(
      leftD1.errorCode === ErrorCode.NONE || leftD1.errorCode === ErrorCode.UNKNOWN_MEMBER_ID,
      `d1 leaves: ${leftD1.errorCode}`,
    );
    const dry = await cli('reset-offsets', '-g', 'durable', '-t', 'jobs', '--to-offset', '5', '--json');
    assert.deepEqual(JSON.parse(dry.stdout), [{ group: 'durable', topic: 'jobs', partition: 0, newOffset: 5 }]);
    const reset = await cli('reset-offsets', '-g', 'durable', '-t', 'jobs', '--to-offset', '5', '--execute');
    assert.equal(reset.code, 0, describeRun('reset-offsets --execute', reset));
    const afterReset = await cli('describe', '-g', 'durable', '--offsets', '--json');
    assert.deepEqual(JSON.parse(afterReset.stdout), [
      { group: 'durable', topic: 'jobs', partition: 0, startOffset: 5, lag: RECORDS - 5 },
    ]);
    const del = await cli('delete-offsets', '-g', 'durable', '-t', 'jobs');
    assert.equal(del.code, 0, describeRun('delete-offsets', del));
    const afterDelete = await cli('describe', '-g', 'durable', '--offsets', '--json');
    assert.deepEqual(JSON.parse(afterDelete.stdout), []);
    m.conn.close();
    for (const o of accepted) assert.ok(!seen.has(o), `accepted offset ${o} came back after the restart`);
    for (const o of held) assert.equal(seen.get(o), 2, `locked offset ${o} came back as its second delivery`);
    assert.equal(seen.size + accepted.length, RECORDS, 'every record delivered or done: nothing lost');
  });
});
