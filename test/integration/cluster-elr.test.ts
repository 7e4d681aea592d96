// Eligible leader replicas (KIP-966, on in a new cluster as in Kafka 4.1+) with real processes: four brokers on a
// ZooKeeper node, a topic on brokers 1-3 with min.insync.replicas 2, driven and watched with Kafka 4.4's own
// kafka-topics.sh (DescribeTopicPartitions) and console clients. Followers 3 and then 2 stop cleanly (SIGTERM): 2
// leaves an ISR below min ISR and becomes an eligible leader replica; the leader 1 is killed (kill -9): no ISR member
// is left, the partition waits with ELR [1, 2] and last known leader 1. Broker 2 starts again after its clean
// shutdown (its log dirs' markers name its last broker epoch), so it stays eligible and leads, with every record.
// Broker 1, back from its kill -9 (no marker: an unclean shutdown), leaves the ELR.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { type BrokerHandle, printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { describeRun, runProcess, waitFor } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const TOPICS = 'org.apache.kafka.tools.TopicCommand';

let started: ZooKeeperCluster | undefined;
const setup = sharedSetup(async () => {
  const libs = ensureKafkaTools();
  const cluster = await startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 4,
    sessionTimeoutMs: 2000,
    overrides: { 'auto.leader.rebalance.enable': 'false' },
    onProgress: (c) => {
      started = c;
    },
  });
  return { ...cluster, libs };
});

after(() => stopZooKeeperCluster(started));

interface Described {
  leader: string;
  isr: string;
  elr: string;
  lastKnownElr: string;
}

/** kafka-topics.sh --describe of partition 0 of `topic`, through `via`. */
async function describeTopic(libs: string, via: BrokerHandle, topic: string): Promise<Described> {
  const r = await runKafkaTool(libs, TOPICS, ['--bootstrap-server', via.bootstrap, '--describe', '--topic', topic]);
  assert.equal(r.code, 0, describeRun('kafka-topics --describe', r));
  const line = r.stdout.split('\n').find((l) => /\tPartition: 0\t/.test(l));
  assert.ok(line, describeRun('a partition line', r));
  const field = (name: string) => new RegExp(`\\t${name}: ([^\\t]*)`).exec(line)?.[1]?.trim() ?? '?';
  return { leader: field('Leader'), isr: field('Isr'), elr: field('Elr'), lastKnownElr: field('LastKnownElr') };
}

describe('eligible leader replicas (KIP-966) in a ZooKeeper cluster', { timeout: 300_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('kafka-topics.sh shows the ELR; a cleanly stopped ELR member leads when the ISR is gone, nothing lost', async () => {
    const { brokers, libs } = await setup.get();
    const [b1, b2, b3, b4] = brokers as [BrokerHandle, BrokerHandle, BrokerHandle, BrokerHandle];
    const created = await runKafkaTool(libs, TOPICS, [
      '--bootstrap-server',
      b4.bootstrap,
      '--create',
      '--topic',
      'elr',
      '--replica-assignment',
      '1:2:3',
      '--config',
      'min.insync.replicas=2',
    ]);
    assert.equal(created.code, 0, describeRun('create elr', created));
    const until = (what: string, want: Described, timeoutMs = 30_000) =>
      waitFor(
        what,
        async () => {
          const d = await describeTopic(libs, b4, 'elr');
          return JSON.stringify(d) === JSON.stringify(want) ? d : undefined;
        },
        timeoutMs,
      );
    await until('ISR 1,2,3', { leader: '1', isr: '1,2,3', elr: '', lastKnownElr: '' });

    const values = Array.from({ length: 20 }, (_, i) => `elr-${i}`);
    const produced = await runProcess(
      'java',
      [
        '-cp',
        `${libs}/*`,
        'org.apache.kafka.tools.ConsoleProducer',
        '--bootstrap-server',
        b4.bootstrap,
        '--topic',
        'elr',
      ],
      { input: `${values.join('\n')}\n`, timeoutMs: 120_000 },
    );
    assert.equal(produced.code, 0, describeRun('console producer (acks=all)', produced));

    // 3 leaves while the ISR stays at min ISR: the HW may move on without it, so it is no eligible leader.
    await b3.stop();
    await until('ISR 1,2 without ELR', { leader: '1', isr: '1,2', elr: '', lastKnownElr: '' });
    // 2 leaves an ISR below min ISR: the HW stops, 2 has everything committed.
    await b2.stop();
    await until('ISR 1, ELR 2', { leader: '1', isr: '1', elr: '2', lastKnownElr: '' });
    // The leader dies uncleanly: no ISR member left; 1 joins the ELR, and is the last known leader.
    await b1.kill9();
    await until('no leader, ELR 1,2', { leader: 'none', isr: '', elr: '1,2', lastKnownElr: '1' });

    // 2 comes back after its clean shutdown: still eligible, it leads alone (the ISR is below min ISR).
    await b2.restart();
    await until('2 leads from the ELR', { leader: '2', isr: '2', elr: '1', lastKnownElr: '' });
    const consumed = await runKafkaTool(libs, 'org.apache.kafka.tools.consumer.ConsoleConsumer', [
      '--bootstrap-server',
      b4.bootstrap,
      '--topic',
      'elr',
      '--partition',
      '0',
      '--offset',
      'earliest',
      '--max-messages',
      '20',
      '--timeout-ms',
      '60000',
    ]);
    assert.equal(consumed.code, 0, describeRun('console consumer', consumed));
    assert.deepEqual(consumed.stdout.trim().split('\n'), values, 'every acknowledged record, in order');

    // 1 comes back from kill -9 (no clean-shutdown marker): out of the ELR at once (and back in the ISR once it
    // has caught up, which clears the ELR: the ISR is at min ISR again).
    await b1.restart();
    const back = await waitFor(
      '1 out of the ELR',
      async () => {
        const d = await describeTopic(libs, b4, 'elr');
        return d.elr === '' && d.leader === '2' ? d : undefined;
      },
      30_000,
    );
    assert.ok(back.isr === '2' || back.isr === '1,2', `ISR ${back.isr}`);
    await b3.restart();
    await until('all back', { leader: '2', isr: '1,2,3', elr: '', lastKnownElr: '' }, 60_000);
  });
});
