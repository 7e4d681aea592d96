// Leadership in a three-broker cluster on a three-node ZooKeeper ensemble, driven by Kafka's own tools:
// kafka-topics.sh with explicit replica assignments (CreateTopics, CreatePartitions), kafka-leader-election.sh
// (ElectLeaders through the controller) after a broker restart moved leaders away, and an unclean election of a
// partition whose whole ISR is gone; kafka-reassign-partitions.sh; the Java client producing and consuming.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { type BrokerHandle, makeTempDir, printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { describeRun, runProcess, waitFor } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const SESSION_MS = 2000;
const TOPICS = 'org.apache.kafka.tools.TopicCommand';
const ELECTION = 'org.apache.kafka.tools.LeaderElectionCommand';
const REASSIGN = 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand';

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(async () => {
  const libs = ensureKafkaTools();
  const cluster = await startZooKeeperCluster({
    zookeeperNodes: 3,
    brokers: 3,
    sessionTimeoutMs: SESSION_MS,
    overrides: {
      'offsets.topic.num.partitions': '1',
      'offsets.topic.replication.factor': '3',
      // Elections here are the tool's (cluster-leader-rebalance.test.ts covers the automatic one).
      'auto.leader.rebalance.enable': 'false',
    },
    onProgress: (c) => {
      started = c;
    },
  });
  return { ...cluster, libs };
});

after(() => stopZooKeeperCluster(started));

async function partitions(bootstrap: string, topic: string) {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    return (await admin.describeTopics([topic]))[0]!.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    }));
  } finally {
    await admin.close();
  }
}

describe('leader election in a three-broker ZooKeeper cluster', { timeout: 300_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });
  const tool = async (via: BrokerHandle, mainClass: string, ...args: string[]) =>
    runKafkaTool((await setup.get()).libs, mainClass, ['--bootstrap-server', via.bootstrap, ...args]);

  test('kafka-topics.sh: explicit replica assignments in CreateTopics and CreatePartitions', async () => {
    const { brokers } = await setup.get();
    const [b1, b2, b3] = brokers as [BrokerHandle, BrokerHandle, BrokerHandle];
    for (const [topic, assignment] of [
      ['el', '1:2,1:2,2:1'],
      ['un', '2:3'],
      ['gone', '3'],
    ] as const) {
      const r = await tool(b3, TOPICS, '--create', '--topic', topic, '--replica-assignment', assignment);
      assert.equal(r.code, 0, describeRun(`kafka-topics --create ${topic}`, r));
    }
    const grow = await tool(
      b2,
      TOPICS,
      '--alter',
      '--topic',
      'el',
      '--partitions',
      '4',
      '--replica-assignment',
      '1:2,1:2,2:1,3:1',
    );
    assert.equal(grow.code, 0, describeRun('kafka-topics --alter', grow));
    const bad = await tool(b1, TOPICS, '--create', '--topic', 'bad', '--replica-assignment', '1:7');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /Unknown broker 7/);
    // Every broker's image has them as asked: replicas in order, the first live one leading.
    for (const b of brokers)
      assert.deepEqual(await partitions(b.bootstrap, 'el'), [
        { partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2] },
        { partition: 1, leader: 1, replicas: [1, 2], isr: [1, 2] },
        { partition: 2, leader: 2, replicas: [2, 1], isr: [2, 1] },
        { partition: 3, leader: 3, replicas: [3, 1], isr: [3, 1] },
      ]);
  });

  test('kafka-leader-election.sh --election-type preferred, before and after a restart moved leaders away', async () => {
    const { brokers } = await setup.get();
    const [b1, b2, b3] = brokers as [BrokerHandle, BrokerHandle, BrokerHandle];
    const noop = await tool(b2, ELECTION, '--election-type', 'preferred', '--topic', 'el', '--partition', '0');
    assert.equal(noop.code, 0, describeRun('preferred, nothing to do', noop));
    assert.match(noop.stdout, /Valid replica already elected for partitions el-0/);

    await b1.kill9();
    await waitFor('el-0 and el-1 led by broker 2', async () => {
      const ps = await partitions(b2.bootstrap, 'el');
      return ps[0]!.leader === 2 && ps[1]!.leader === 2 && ps[3]!.leader === 3 ? ps : undefined;
    });
    await b1.restart();
    await waitFor('broker 1 registered again', async () => {
      const admin = new Admin({ bootstrapServers: b2.bootstrap });
      try {
        return (await admin.describeCluster()).brokers.length === 3 ? true : undefined;
      } finally {
        await admin.close();
      }
    });
    // Broker 1 is back. It rejoins the ISRs of el-0 and el-1 only by catching up, through data replication: without
    // it the preferred election is refused per partition, with it the leadership moves back. What the tool reports
    // must match the ISRs the controller sees (given up to 10 s to settle).
    let rejoined = false;
    try {
      await waitFor(
        'broker 1 back in the ISRs of el-0 and el-1',
        async () => {
          const ps = await partitions(b2.bootstrap, 'el');
          return ps[0]!.isr.includes(1) && ps[1]!.isr.includes(1) ? true : undefined;
        },
        10_000,
      );
      rejoined = true;
    } catch {
      // still outside the ISRs
    }
    const r = await tool(b2, ELECTION, '--election-type', 'preferred', '--topic', 'el', '--partition', '0');
    const all = await tool(b1, ELECTION, '--election-type', 'preferred', '--all-topic-partitions');
    if (rejoined) {
      assert.equal(r.code, 0, describeRun('preferred, back in the ISR', r));
      assert.match(r.stdout, /Successfully completed leader election \(PREFERRED\) for partitions el-0/);
      assert.equal(all.code, 0, describeRun('preferred, all partitions', all));
      assert.match(all.stdout, /Successfully completed leader election \(PREFERRED\) for partitions .*el-1/);
    } else {
      assert.equal(r.code, 1, describeRun('preferred, not in the ISR', r));
      assert.match(r.stdout + r.stderr, /el-0.*PreferredLeaderNotAvailable/s);
      // Every partition: el-0 and el-1 cannot move, the rest are led by their preferred replica (left out).
      assert.equal(all.code, 1, describeRun('preferred, all partitions', all));
      const failed = [...(all.stdout + all.stderr).matchAll(/for partition: ([\w-]+-\d+)/g)].map((m) => m[1]).sort();
      assert.deepEqual(failed, ['el-0', 'el-1']);
    }
    const ps = await waitFor('the leaders in broker 3 image', async () => {
      const l = (await partitions(b3.bootstrap, 'el')).map((p) => p.leader);
      return l[0] === (rejoined ? 1 : 2) ? l : undefined;
    });
    assert.deepEqual(ps, rejoined ? [1, 1, 2, 3] : [2, 2, 2, 3]);
  });

  test('kafka-leader-election.sh --election-type unclean: a live replica outside the lost ISR leads', async () => {
    const { brokers } = await setup.get();
    const [b1, b2, b3] = brokers as [BrokerHandle, BrokerHandle, BrokerHandle];
    // un is on [2, 3]: broker 2 dies (3 leads, ISR [3]), then 3 dies (no leader; with eligible leader replicas, on
    // in a new cluster, the ISR empties and 3 is its ELR); 2 comes back.
    await b2.kill9();
    await waitFor('un-0 led by 3', async () =>
      (await partitions(b1.bootstrap, 'un'))[0]!.leader === 3 ? true : undefined,
    );
    await b3.kill9();
    await waitFor('un-0 leaderless', async () =>
      (await partitions(b1.bootstrap, 'un'))[0]!.leader === -1 ? true : undefined,
    );
    await b2.restart();
    await waitFor('broker 2 back', async () => {
      const admin = new Admin({ bootstrapServers: b1.bootstrap });
      try {
        return (await admin.describeCluster()).brokers.some((b) => b.nodeId === 2) ? true : undefined;
      } finally {
        await admin.close();
      }
    });
    // Automatic elections never pick a replica outside the ISR and ELR (unclean.leader.election.enable is false).
    assert.deepEqual((await partitions(b1.bootstrap, 'un'))[0], {
      partition: 0,
      leader: -1,
      replicas: [2, 3],
      isr: [],
    });
    const pref = await tool(b1, ELECTION, '--election-type', 'preferred', '--topic', 'un', '--partition', '0');
    assert.equal(pref.code, 1, describeRun('preferred on a leaderless partition', pref));
    const r = await tool(b1, ELECTION, '--election-type', 'unclean', '--topic', 'un', '--partition', '0');
    assert.equal(r.code, 0, describeRun('unclean', r));
    assert.match(r.stdout, /Successfully completed leader election \(UNCLEAN\) for partitions un-0/);
    const un = await waitFor('un-0 led by 2 in broker 2 image', async () => {
      const p = (await partitions(b2.bootstrap, 'un'))[0]!;
      return p.leader === 2 ? p : undefined;
    });
    assert.deepEqual(un.isr, [2]);
    // gone is only on broker 3, which is down: no replica can lead.
    const none = await tool(b1, ELECTION, '--election-type', 'unclean', '--topic', 'gone', '--partition', '0');
    assert.equal(none.code, 1, describeRun('unclean, no live replica', none));
    assert.match(none.stdout + none.stderr, /gone-0.*EligibleLeadersNotAvailable/s);
    const again = await tool(b1, ELECTION, '--election-type', 'unclean', '--topic', 'un', '--partition', '0');
    assert.match(again.stdout, /Valid replica already elected for partitions un-0/);
  });

  test('kafka-reassign-partitions.sh: a reassignment stays ongoing until the new replica is in the ISR; cancel restores', async () => {
    const { brokers } = await setup.get();
    const [b1, b2] = brokers as [BrokerHandle, BrokerHandle, BrokerHandle];
    // Broker 3 is still down (previous test): registered but fenced, it can be a target yet never join the ISR.
    const created = await tool(b1, TOPICS, '--create', '--topic', 'mv', '--replica-assignment', '1:2');
    assert.equal(created.code, 0, describeRun('create mv', created));
    const file = path.join(makeTempDir('reassign-'), 'plan.json');
    writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'mv', partition: 0, replicas: [2, 3] }] }));
    // Started with AlterPartitionReassignments itself: the tool's --execute refuses a broker DescribeCluster does not
    // list (a down one), and a live one would catch up and complete the move once replication is in.
    const conn = await BrokerConnection.open('127.0.0.1', b2.port, 't');
    try {
      const res = await conn.send<{
        responses: Array<{ partitions: Array<{ errorCode: number; errorMessage: string | null }> }>;
      }>(ApiKey.AlterPartitionReassignments, 0, {
        timeoutMs: 30_000,
        topics: [{ name: 'mv', partitions: [{ partitionIndex: 0, replicas: [2, 3] }] }],
      });
      const r = res.responses[0]!.partitions[0]!;
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
    } finally {
      conn.close();
    }
    // Broker 3 is added but cannot be in the ISR while down: adding [3], removing [1], still led by 1.
    const moving = await waitFor('mv-0 reassigning in broker 1 image', async () => {
      const p = (await partitions(b1.bootstrap, 'mv'))[0]!;
      return p.replicas.length === 3 ? p : undefined;
    });
    assert.deepEqual(moving, { partition: 0, leader: 1, replicas: [2, 3, 1], isr: [1, 2] });
    const verify = await tool(b1, REASSIGN, '--reassignment-json-file', file, '--verify');
    assert.match(verify.stdout, /Reassignment of partition mv-0 is still in progress/, describeRun('verify', verify));
    // The tool cancels, then clears replication throttles on every broker the cluster registered, which times out for
    // the down broker 3 (as against Kafka): the exit code is 1 for that, after the cancel succeeded.
    const config = path.join(path.dirname(file), 'admin.properties');
    writeFileSync(config, 'default.api.timeout.ms=5000\nrequest.timeout.ms=3000\n');
    const cancel = await tool(b1, REASSIGN, '--reassignment-json-file', file, '--cancel', '--command-config', config);
    assert.match(
      cancel.stdout,
      /Successfully cancelled partition reassignment for: mv-0/,
      describeRun('cancel', cancel),
    );
    // Back on brokers 1 and 2, in the order the reassignment left them (Kafka's revert keeps it too).
    const back = await waitFor('mv-0 back on [2, 1]', async () => {
      const p = (await partitions(b2.bootstrap, 'mv'))[0]!;
      return p.replicas.length === 2 ? p : undefined;
    });
    assert.deepEqual(back, { partition: 0, leader: 1, replicas: [2, 1], isr: [1, 2] });
    const after = await tool(b1, REASSIGN, '--reassignment-json-file', file, '--verify', '--command-config', config);
    assert.doesNotMatch(after.stdout, /still in progress/, describeRun('verify after cancel', after));
  });

  test("the Java client (Kafka 4.4's console producer and consumer) produces to and consumes from the cluster", async () => {
    const { brokers } = await setup.get();
    const [b1, b2, b3] = brokers as [BrokerHandle, BrokerHandle, BrokerHandle];
    await b3.restart();
    await waitFor('three brokers', async () => {
      const admin = new Admin({ bootstrapServers: b1.bootstrap });
      try {
        return (await admin.describeCluster()).brokers.length === 3 ? true : undefined;
      } finally {
        await admin.close();
      }
    });
    const created = await tool(
      b1,
      TOPICS,
      '--create',
      '--topic',
      'java',
      '--partitions',
      '3',
      '--replication-factor',
      '3',
    );
    assert.equal(created.code, 0, describeRun('create java', created));
    const values = Array.from({ length: 30 }, (_, i) => `java-${i}`);
    const libs = (await setup.get()).libs;
    // Idempotent (the default): a producer id block from the controller, then each partition's leader.
    const produced = await runProcess(
      'java',
      [
        '-cp',
        `${libs}/*`,
        'org.apache.kafka.tools.ConsoleProducer',
        '--bootstrap-server',
        b2.bootstrap,
        '--topic',
        'java',
      ],
      { input: `${values.join('\n')}\n`, timeoutMs: 120_000 },
    );
    assert.equal(produced.code, 0, describeRun('console producer', produced));
    // A consumer group: its coordinator is the leader of its __consumer_offsets partition, found from any broker.
    const consumed = await runKafkaTool(libs, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server',
      b3.bootstrap,
      '--topic',
      'java',
      '--group',
      'java-group',
      '--from-beginning',
      '--max-messages',
      '30',
      '--timeout-ms',
      '60000',
    ]);
    assert.equal(consumed.code, 0, describeRun('console consumer', consumed));
    assert.deepEqual(consumed.stdout.trim().split('\n').sort(), [...values].sort());
  });
});
