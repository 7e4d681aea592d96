// Transactions across brokers: a real ZooKeeper and three broker processes; a replication-factor-3 topic whose
// partitions are led by different brokers (checked in the metadata). A transactional confluent-kafka producer
// (transaction version 1: AddPartitionsToTxn from the client, so each partition leader verifies with the coordinator
// on another broker, AddPartitionsToTxn verify-only) commits some transactions and aborts others; the coordinator
// writes the markers to every leader (WriteTxnMarkers between brokers). Then the coordinator's broker is kill -9'd,
// a new producer with the same transactional id re-initializes with the new coordinator and goes on. Afterwards
// read_committed sees exactly the committed records, read_uncommitted all of them, and every partition's last stable
// offset is its high watermark.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../src/protocol/generated/messages.ts';
import { printLogsOnFailure, REPO_ROOT, sharedSetup } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requireBinary, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { ensureKafkaTools } from '../helpers/kafka-tools.ts';
import { requestsSeen } from '../helpers/request-log.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

// The request log (debug, JSON) shows which inter-broker requests each broker served.
process.env.TRIBUTARY_LOG_LEVEL = 'debug';
process.env.TRIBUTARY_LOG_FORMAT = 'json';

const SESSION_MS = 2000;
const TOPIC = 'txn-spread';
const PARTITIONS = 6;
const SCRIPT = join(PY_DIR, 'txn_cluster.py');

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(() =>
  startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 3,
    sessionTimeoutMs: SESSION_MS,
    overrides: {
      'offsets.topic.replication.factor': '3',
      'offsets.topic.num.partitions': '1',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.num.partitions': '1',
      'transaction.state.log.min.isr': '2',
      'replica.fetch.backoff.ms': '200',
      // A dead follower stays in the ISR of partitions whose leader survived until the leader drops it after this
      // long (the controller moves leaders off a dead broker, but does not shrink those ISRs itself); acks=all
      // produces wait for it meanwhile.
      'replica.lag.time.max.ms': '3000',
    },
    onProgress: (c) => {
      started = c;
    },
  }),
);

after(() => stopZooKeeperCluster(started));

async function withAdmin<T>(bootstrap: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

type Partitions = Array<{ partition: number; leader: number; isr: number[] }>;
const describe1 = (bootstrap: string, topic: string): Promise<Partitions> =>
  withAdmin(bootstrap, async (a) => (await a.describeTopics([topic]))[0]!.partitions as Partitions);

describe('transactions across brokers on a three-broker ZooKeeper cluster', { timeout: 240_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('markers reach every leader, read_committed sees exactly the committed records, the coordinator fails over', async (t) => {
    const t0 = Date.now();
    const phase = (what: string) => t.diagnostic(`${what} at ${Date.now() - t0} ms`);
    const { brokers } = await setup.get();
    phase('cluster up');
    const py = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    const bootstrap = brokers.map((b) => b.bootstrap).join(',');
    await withAdmin(brokers[0]!.bootstrap, (a) =>
      a.createTopics([
        { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
      ]),
    );
    const parts = await waitFor('every partition led with a full ISR', async () => {
      const ps = await describe1(brokers[0]!.bootstrap, TOPIC);
      return ps.length === PARTITIONS && ps.every((p) => p.leader > 0 && p.isr.length === 3) ? ps : undefined;
    });
    const leaders = new Set(parts.map((p) => p.leader));
    assert.equal(leaders.size, 3, `the partitions are led by every broker: ${JSON.stringify(parts)}`);

    const txns = async (servers: string, first: number) => {
      const r = await runProcess(py, [SCRIPT, servers, 'txns', TOPIC, 'spread', String(first), '6'], {
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, describeRun(`txn_cluster.py txns ${first}`, r));
      t.diagnostic(r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { committed: string[]; aborted: string[] };
    };
    phase('before python phase A');
    const a = await txns(bootstrap, 0);
    assert.equal(a.committed.length, 4 * PARTITIONS * 3, `rounds 0-5 commit four: ${JSON.stringify(a)}`);

    // The Java client on transaction version 2: each leader adds its partition to the transaction at the coordinator
    // (AddPartitionsToTxn v5, not verify-only) when the first batch of a transaction arrives.
    requireBinary('java', 'apt-get install openjdk-17-jdk-headless');
    const libs = ensureKafkaTools();
    const java = await runProcess(
      'java',
      [
        '-cp',
        `${libs}/*`,
        join(REPO_ROOT, 'test', 'integration', 'java', 'TxnCluster.java'),
        bootstrap,
        TOPIC,
        'java',
        '0',
        '6',
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(java.code, 0, describeRun('java TxnCluster', java));
    phase('before java');
    const j = JSON.parse(/^RESULT (.*)$/m.exec(java.stdout)![1]!) as { committed: string[]; aborted: string[] };
    assert.equal(j.committed.length, 4 * PARTITIONS * 3);
    const groupOffset = (server: string) =>
      withAdmin(server, async (x) => (await x.fetchGroupOffsets('java-group', [{ topic: TOPIC, partitions: [0] }]))[0]);
    // Rounds 0, 2, 3, 5 committed offsets 1, 3, 4, 6; round 4's 5 was aborted.
    assert.equal((await groupOffset(bootstrap))?.offset, 6, "the last committed transaction's offset");

    // The coordinator is the leader of __transaction_state-0 (one partition here): kill -9 it between transactions.
    const coordinator = (await describe1(brokers[0]!.bootstrap, '__transaction_state'))[0]!.leader;
    const victim = brokers[coordinator - 1]!;
    const live = brokers.filter((b) => b !== victim);
    await victim.kill9();
    await waitFor(
      'a new transaction coordinator',
      async () => {
        const p = (await describe1(live[0]!.bootstrap, '__transaction_state').catch(() => []))[0];
        return p && p.leader > 0 && p.leader !== coordinator ? p : undefined;
      },
      30_000,
    );
    phase('before failover');
    const b = await txns(live.map((x) => x.bootstrap).join(','), 6);
    const committed = [...a.committed, ...j.committed, ...b.committed];
    const aborted = [...a.aborted, ...j.aborted, ...b.aborted];
    assert.ok(aborted.length >= 4 * PARTITIONS * 3, `aborted rounds: ${aborted.length}`);

    // Every partition's markers are written: the last stable offset reaches the high watermark everywhere.
    phase('before python phase B');
    const server = live[0]!.bootstrap;
    await waitFor(
      'LSO = HW on every partition',
      async () => {
        const [hw, lso] = await withAdmin(server, (x) =>
          Promise.all([
            x.listOffsets([{ topic: TOPIC }], 'latest'),
            x.listOffsets([{ topic: TOPIC }], 'latest', { isolationLevel: 'read_committed' }),
          ]),
        ).catch(() => [[], [{ offset: -1 }]] as const);
        return hw.length === PARTITIONS && hw.every((h, i) => h.offset > 0 && lso[i]?.offset === h.offset)
          ? true
          : undefined;
      },
      30_000,
    );
    const read = async (iso: string) => {
      const r = await runProcess(py, [SCRIPT, server, 'read', TOPIC, iso], { timeoutMs: 90_000 });
      assert.equal(r.code, 0, describeRun(`txn_cluster.py read ${iso}`, r));
      return Object.values(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string[]>).flat();
    };
    phase('before LSO');
    const [rc, ru] = [await read('read_committed'), await read('read_uncommitted')];
    assert.equal((await groupOffset(server))?.offset, 6, 'the group offset survived the coordinator failover');
    assert.deepEqual([...rc].sort(), [...committed].sort(), 'read_committed: exactly the committed records, once');
    assert.deepEqual([...ru].sort(), [...committed, ...aborted].sort(), 'read_uncommitted: every record, once');
    // The first coordinator verified the partition leaders' first writes (AddPartitionsToTxn v4+, verify-only, from
    // the other brokers) and sent its markers to them (WriteTxnMarkers v2); the new coordinator sent markers to the
    // remaining other broker.
    const served = (x: (typeof brokers)[number]) => requestsSeen(x.logs());
    phase('before reads');
    const adds = [...served(victim).keys()].filter((k) => /^AddPartitionsToTxn v[45]$/.test(k));
    assert.ok(adds.length > 0, `leaders' verifications and adds at the coordinator: ${[...served(victim).keys()]}`);
    assert.ok(served(victim).has('EndTxn v5'), 'the Java producer ran transaction version 2');
    // A broker writes markers only into partitions it leads: another's answer NOT_LEADER_OR_FOLLOWER.
    const target = live[0]!;
    const notLed = (await describe1(target.bootstrap, TOPIC)).find((p) => p.leader !== brokers.indexOf(target) + 1)!;
    const conn = await BrokerConnection.open('127.0.0.1', target.port);
    try {
      const res = await conn.send<WriteTxnMarkersResponse, WriteTxnMarkersRequest>(ApiKey.WriteTxnMarkers, 2, {
        markers: [
          {
            producerId: 999_999n,
            producerEpoch: 0,
            transactionResult: false,
            topics: [{ name: TOPIC, partitionIndexes: [notLed.partition] }],
            coordinatorEpoch: 0,
            transactionVersion: 0,
          },
        ],
      });
      assert.equal(res.markers[0]!.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    } finally {
      conn.close();
    }
    for (const x of live) {
      const seen = served(x);
      assert.ok(seen.has('WriteTxnMarkers v2'), `WriteTxnMarkers reached ${x.bootstrap}: ${[...seen.keys()]}`);
      assert.doesNotMatch(x.logs(), /a transaction marker cannot be written/);
    }
  });
});
