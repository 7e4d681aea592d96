// Brokers that talk to each other over TLS and SASL: three broker processes on a ZooKeeper ensemble whose
// inter-broker listener is SASL_SSL (PLAIN, each broker's credentials in the listener's JAAS config, the test CA as
// trust store, host names checked). A replication-factor-3 topic reaches an ISR of 3, so the replica fetchers
// connected and authenticated; transactions spanning the three brokers commit and abort (WriteTxnMarkers and KIP-890
// verification between brokers over that listener); the brokers' INTERNAL listener refuses a client without
// credentials; certificates rotated to a new CA at runtime (dynamic listener.name.internal.ssl.* stores) are what
// broker-to-broker connections made afterwards present and trust.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { Admin, BrokerConnection, type KafkaClientError, Producer } from '../../src/client/index.ts';
import { freePort, printLogsOnFailure, sharedSetup } from '../helpers/broker.ts';
import { makeCerts } from '../helpers/certs.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" ' +
  'user_broker="broker-secret";';

let started: ZooKeeperCluster | undefined;
const internalPorts = new Map<number, number>();
const setup = sharedSetup(async () => {
  const certs = makeCerts();
  const cluster = await startZooKeeperCluster({
    zookeeperNodes: 3,
    brokers: 3,
    sessionTimeoutMs: 4000,
    extraListeners: async (id) => {
      const port = await freePort();
      internalPorts.set(id, port);
      return `INTERNAL://127.0.0.1:${port}`;
    },
    overrides: {
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL',
      'inter.broker.listener.name': 'INTERNAL',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'listener.name.internal.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.internal.plain.sasl.jaas.config': JAAS,
      'listener.name.internal.ssl.keystore.type': 'PEM',
      'listener.name.internal.ssl.keystore.location': certs.brokerKeystore,
      'listener.name.internal.ssl.truststore.type': 'PEM',
      'listener.name.internal.ssl.truststore.location': certs.caCert,
      'offsets.topic.replication.factor': '3',
      'offsets.topic.num.partitions': '1',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.num.partitions': '1',
      'replica.fetch.backoff.ms': '200',
    },
    onProgress: (c) => {
      started = c;
    },
  });
  return { cluster, certs };
});

after(() => stopZooKeeperCluster(started));

describe('a cluster with a SASL_SSL inter-broker listener', { timeout: 300_000 }, () => {
  afterEach((t) => {
    for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
  });

  test('a replication-factor-3 topic replicates over SASL_SSL: ISR 3, records on every replica', async () => {
    const { cluster } = await setup.get();
    const bootstrap = cluster.brokers.map((b) => b.bootstrap).join(',');
    const admin = new Admin({ bootstrapServers: bootstrap });
    const producer = new Producer({ bootstrapServers: bootstrap, acks: -1, lingerMs: 0 });
    try {
      await admin.createTopics([{ topic: 'secured', numPartitions: 2, replicationFactor: 3 }]);
      // acks=all completes only once every ISR member fetched the records.
      for (let i = 0; i < 20; i++)
        await producer.send({ topic: 'secured', messages: [{ key: `k${i}`, value: `v${i}` }] });
      // A follower is in the ISR only once it fetched up to the leader's end: over the SASL_SSL listener.
      await waitFor(
        'ISR 3 on every partition',
        async () => {
          const [d] = await admin.describeTopics(['secured']);
          return d!.partitions.every((p) => p.isr.length === 3 && p.replicas.length === 3) ? true : undefined;
        },
        60_000,
      );
      const ends = await admin.listOffsets([{ topic: 'secured' }], 'latest');
      assert.equal(
        ends.reduce((n, e) => n + e.offset, 0),
        20,
      );
      for (const b of cluster.brokers) assert.doesNotMatch(b.logs(), /Failed authentication/);
    } finally {
      await producer.close();
      await admin.close();
    }
  });

  test('transactions over three leaders: markers and verification travel the SASL_SSL listener', async () => {
    const { cluster } = await setup.get();
    const py = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    const bootstrap = cluster.brokers.map((b) => b.bootstrap).join(',');
    const admin = new Admin({ bootstrapServers: bootstrap });
    try {
      await admin.createTopics([{ topic: 'secured-txn', numPartitions: 3, replicationFactor: 3 }]);
      const parts = await waitFor('every partition led with a full ISR', async () => {
        const [d] = await admin.describeTopics(['secured-txn']);
        return d!.partitions.length === 3 && d!.partitions.every((p) => p.leader > 0 && p.isr.length === 3)
          ? d!.partitions
          : undefined;
      });
      assert.ok(new Set(parts.map((p) => p.leader)).size > 1, `leaders spread: ${JSON.stringify(parts)}`);
    } finally {
      await admin.close();
    }
    const script = join(PY_DIR, 'txn_cluster.py');
    // Rounds 0 and 2 commit, round 1 aborts (txn_cluster.py), each writing 3 records to every partition.
    const run = await runProcess(py, [script, bootstrap, 'txns', 'secured-txn', 'sec', '0', '3'], {
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 0, describeRun('txn_cluster.py txns', run));
    const { committed } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { committed: string[] };
    assert.equal(committed.length, 2 * 3 * 3);
    const read = await runProcess(py, [script, bootstrap, 'read', 'secured-txn', 'read_committed'], {
      timeoutMs: 90_000,
    });
    assert.equal(read.code, 0, describeRun('txn_cluster.py read', read));
    const seen = Object.values(JSON.parse(read.stdout.trim().split('\n').at(-1)!) as Record<string, string[]>).flat();
    // Every partition's LSO passed its commit markers, or read_committed would stop short of the second commit.
    assert.deepEqual([...seen].sort(), [...committed].sort());
    for (const b of cluster.brokers) assert.doesNotMatch(b.logs(), /Failed authentication/);
  });

  test('the INTERNAL listener wants TLS and the broker credentials', async () => {
    const { certs } = await setup.get();
    const port = internalPorts.get(1)!;
    const ca = readFileSync(certs.caCert);
    await assert.rejects(
      BrokerConnection.open('127.0.0.1', port, 'test', 10_000, {
        ssl: { ca },
        sasl: { mechanism: 'PLAIN', username: 'broker', password: 'wrong' },
      }),
      (e: KafkaClientError) => e.name === 'SASL_AUTHENTICATION_FAILED',
    );
    const ok = await BrokerConnection.open('127.0.0.1', port, 'test', 10_000, {
      ssl: { ca },
      sasl: { mechanism: 'PLAIN', username: 'broker', password: 'broker-secret' },
    });
    ok.close();
  });

  test('certificates rotated to a new CA at runtime: later broker-to-broker connections present and trust it', async () => {
    const { cluster, certs } = await setup.get();
    const bootstrap = cluster.brokers.map((b) => b.bootstrap).join(',');
    // A second CA and a broker certificate it signed, with the same subject and names as the first.
    const next = makeCerts();
    const bothCas = join(next.dir, 'both-cas.pem');
    writeFileSync(bothCas, readFileSync(certs.caCert, 'utf8') + readFileSync(next.caCert, 'utf8'));
    const ids = cluster.brokers.map((_, i) => i + 1);
    const admin = new Admin({ bootstrapServers: bootstrap });
    try {
      // First every broker trusts both CAs, then every broker presents the new certificate (Kafka's rotation order).
      for (const id of ids)
        await admin.alterConfigs({ type: 'broker', name: String(id) }, [
          { name: 'listener.name.internal.ssl.truststore.location', value: bothCas },
        ]);
      for (const id of ids)
        await admin.alterConfigs({ type: 'broker', name: String(id) }, [
          { name: 'listener.name.internal.ssl.keystore.location', value: next.brokerKeystore },
        ]);
    } finally {
      await admin.close();
    }
    // The INTERNAL listeners serve the new certificate: a client trusting only the new CA gets in.
    const servesNewCa = async (id: number) => {
      const conn = await BrokerConnection.open('127.0.0.1', internalPorts.get(id)!, 'test', 10_000, {
        ssl: { ca: readFileSync(next.caCert) },
        sasl: { mechanism: 'PLAIN', username: 'broker', password: 'broker-secret' },
      });
      conn.close();
    };
    for (const id of ids) await servesNewCa(id);
    // Broker 3 restarts: brokers 1 and 2 open new connections to it, which present the new CA's certificate — they
    // replicate only if their inter-broker client reloaded its trust store (their static one trusts the old CA).
    await cluster.brokers[2]!.restart();
    await servesNewCa(3);
    const admin2 = new Admin({ bootstrapServers: bootstrap });
    const producer = new Producer({ bootstrapServers: bootstrap, acks: -1, lingerMs: 0 });
    try {
      await admin2.createTopics([{ topic: 'rotated', numPartitions: 3, replicationFactor: 3 }]);
      const parts = await waitFor('every partition of the new topic led', async () => {
        const [d] = await admin2.describeTopics(['rotated']);
        return d!.partitions.length === 3 && d!.partitions.every((p) => p.leader > 0) ? d!.partitions : undefined;
      });
      assert.ok(
        parts.some((p) => p.leader === 3),
        `a partition led by the restarted broker: ${JSON.stringify(parts)}`,
      );
      for (let p = 0; p < 3; p++)
        await producer.send({ topic: 'rotated', messages: [{ partition: p, key: `k${p}`, value: `v${p}` }] });
      // acks=all answered and the ISR stayed whole: every follower fetched over new TLS connections.
      const [d] = await admin2.describeTopics(['rotated']);
      assert.ok(
        d!.partitions.every((p) => p.isr.length === 3),
        `ISR 3 after the rotation: ${JSON.stringify(d!.partitions)}`,
      );
      for (const b of cluster.brokers) assert.doesNotMatch(b.logs(), /TLS listener not reloaded/);
    } finally {
      await producer.close();
      await admin2.close();
    }
  });
});
