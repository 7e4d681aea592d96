// SCRAM credentials and ACLs in a three-broker cluster on ZooKeeper: both are metadata records written by the
// controller, so what one broker accepts every broker enforces. The Java Admin client creates SCRAM-SHA-256
// credentials and ACLs through broker 1; confluent-kafka (librdkafka) then authenticates at brokers 2 and 3 over
// their SASL_PLAINTEXT listeners: alice, allowed, produces and consumes through her group wherever the leaders are;
// bob, authenticated but without ACLs, gets TOPIC_AUTHORIZATION_FAILED; a wrong password fails at every broker.
// The PLAINTEXT listener (inter-broker, and the test's admin) is User:ANONYMOUS, a super user here.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import { Admin } from '../../src/index.ts';
import { freePort, makeTempDir, printLogsOnFailure } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { ensureJavaClientJars, runJavaProgram } from '../helpers/java-clients.ts';
import { startZooKeeperCluster, stopZooKeeperCluster, type ZooKeeperCluster } from '../helpers/zk-cluster.ts';

const SCRIPT = path.join(PY_DIR, 'security_clients.py');
const USERS = { alice: 'alice-scram-secret', bob: 'bob-scram-secret' };

let started: ZooKeeperCluster | undefined;
after(() => stopZooKeeperCluster(started));
afterEach((t) => {
  for (const b of started?.brokers ?? []) printLogsOnFailure(t, b);
});

interface PyResult {
  produced: number[];
  consumed: string[];
  error: string | null;
}

test('a SCRAM user and ACLs created through one broker are honoured by every broker', {
  timeout: 300_000,
}, async () => {
  const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
  const libs = ensureJavaClientJars();
  const saslPorts = [await freePort(), await freePort(), await freePort()];
  const cluster = await startZooKeeperCluster({
    zookeeperNodes: 1,
    brokers: 3,
    sessionTimeoutMs: 2000,
    extraListeners: (id) => `SASL_PLAINTEXT://127.0.0.1:${saslPorts[id - 1]}`,
    overrides: {
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:ANONYMOUS',
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.num.partitions': '3',
      'offsets.topic.replication.factor': '3',
    },
    onProgress: (c) => {
      started = c;
    },
  });
  const [b1, b2, b3] = cluster.brokers as [
    (typeof cluster.brokers)[0],
    (typeof cluster.brokers)[0],
    (typeof cluster.brokers)[0],
  ];

  // Through broker 1 only: the credentials, then alice's ACLs (prefixed alice- topics, group alice-g).
  for (const user of ['alice', 'bob'] as const) {
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'scram-upsert',
      b1.bootstrap,
      user,
      USERS[user],
      'SCRAM-SHA-256',
    ]);
    assert.equal(r.code, 0, describeRun(`SecurityClient scram-upsert ${user}`, r));
    assert.match(r.stdout, /described SCRAM_SHA_256 8192\n/);
  }
  const props = path.join(makeTempDir('cluster-acls-'), 'plaintext.properties');
  writeFileSync(props, '');
  const acls = await runJavaProgram(libs, 'SecurityClient', ['acls', b1.bootstrap, props, 'alice']);
  assert.equal(acls.code, 0, describeRun('SecurityClient acls', acls));
  assert.match(acls.stdout, /created 4\n/);
  const admin = new Admin({ bootstrapServers: b1.bootstrap });
  try {
    await admin.createTopics([{ topic: 'alice-t', numPartitions: 1, replicationFactor: 3 }]);
  } finally {
    await admin.close();
  }
  // The metadata log is applied in order: a broker that has the topic has the credentials and ACLs before it.
  for (const b of [b2, b3])
    await waitFor(`alice-t in ${b.bootstrap}`, async () => {
      const a = new Admin({ bootstrapServers: b.bootstrap });
      try {
        const d = (await a.describeTopics(['alice-t']).catch(() => []))[0];
        return d && d.partitions[0]!.leader > 0 ? true : undefined;
      } finally {
        await a.close();
      }
    });

  const run = async (port: number, user: keyof typeof USERS, password: string, group: string | null) => {
    const spec = {
      bootstrap: `127.0.0.1:${port}`,
      topic: 'alice-t',
      n: 5,
      group,
      security: { protocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', user, password },
    };
    const r = await runProcess(python, [SCRIPT, 'confluent', JSON.stringify(spec)], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, describeRun(`security_clients.py as ${user} at port ${port}`, r));
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as PyResult;
  };

  // alice at broker 3 (and whichever broker leads alice-t and coordinates alice-g).
  const alice = await run(saslPorts[2]!, 'alice', USERS.alice, 'alice-g');
  assert.equal(alice.error, null, JSON.stringify(alice));
  assert.equal(alice.produced.length, 5);
  assert.deepEqual(alice.consumed, ['v0', 'v1', 'v2', 'v3', 'v4']);
  // bob at broker 2: authenticated (his credential came through broker 1), refused by alice's ACLs.
  const bob = await run(saslPorts[1]!, 'bob', USERS.bob, null);
  assert.deepEqual(bob.produced, []);
  assert.match(bob.error ?? '', /Topic authorization failed/i, JSON.stringify(bob));
  // A wrong password fails authentication at broker 2 as well.
  const wrong = await run(saslPorts[1]!, 'alice', 'not-her-password', null);
  assert.deepEqual(wrong.produced, []);
  assert.notEqual(wrong.error, null);
  // librdkafka reports the failure as timed-out messages; the broker says why.
  assert.match(b2.logs(), /Failed authentication with .*invalid credentials with SASL mechanism SCRAM-SHA-256/);
});
