// ACLs with the built-in authorizer (authorizer.class.name = Kafka's StandardAuthorizer): the Java Admin client,
// as a super user over SASL, creates and lists ACLs; a user with them produces and consumes through its group
// (confluent-kafka, kafka-python); a user without them gets TOPIC_AUTHORIZATION_FAILED / GROUP_AUTHORIZATION_FAILED
// and writes nothing, and does not see the topics in a listing (kcat).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import {
  type BrokerHandle,
  freePort,
  makeTempDir,
  printLogsOnFailure,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, PY_DIR, requireBinary, requirePython, runProcess } from '../helpers/clients.ts';
import { ensureJavaClientJars, runJavaProgram } from '../helpers/java-clients.ts';

const SCRIPT = path.join(PY_DIR, 'security_clients.py');
const USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' };
const JAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`;

/** Java client properties for SASL/PLAIN as `user`. */
function saslProps(user: keyof typeof USERS): string {
  return [
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=PLAIN',
    `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${USERS[user]}";`,
    '',
  ].join('\n');
}

interface PyResult {
  produced: number[];
  consumed: string[];
  error: string | null;
}

describe('ACLs', { timeout: 600_000 }, () => {
  const setup = sharedSetup(async () => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    requirePython('kafka', 'apt-get install python3-kafka');
    const libs = ensureJavaClientJars();
    const saslPort = await freePort();
    const broker = await startBrokerProcess({
      extraListeners: `SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      overrides: {
        'inter.broker.listener.name': 'PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
        'group.initial.rebalance.delay.ms': '0',
      },
    });
    const propsDir = makeTempDir('tributary-acls-');
    const props = path.join(propsDir, 'admin.properties');
    writeFileSync(props, saslProps('admin'));
    const r = await runJavaProgram(libs, 'SecurityClient', ['acls', `127.0.0.1:${saslPort}`, props, 'alice']);
    assert.equal(r.code, 0, describeRun('SecurityClient acls', r));
    return { kcat, python, libs, broker, saslPort, propsDir, aclsOut: r.stdout };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker as BrokerHandle | undefined));

  const run = async (client: string, user: keyof typeof USERS, topic: string, group: string | null) => {
    const { python, saslPort } = await setup.get();
    const spec = {
      bootstrap: `127.0.0.1:${saslPort}`,
      topic,
      n: 5,
      group,
      security: { protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN', user, password: USERS[user] },
    };
    const r = await runProcess(python, [SCRIPT, client, JSON.stringify(spec)], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, describeRun(`security_clients.py ${client}`, r));
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as PyResult;
  };

  test('the Java Admin client (a super user) creates ACLs and DescribeAcls lists them', async () => {
    const { aclsOut } = await setup.get();
    assert.match(aclsOut, /created 4\n/);
    assert.match(aclsOut, /acl GROUP LITERAL alice-g READ\n/);
    assert.match(aclsOut, /acl TOPIC PREFIXED alice- CREATE\n/);
    assert.match(aclsOut, /acl TOPIC PREFIXED alice- READ\n/);
    assert.match(aclsOut, /acl TOPIC PREFIXED alice- WRITE\n/);
  });

  test('a user with ACLs produces and consumes through its group (confluent-kafka, kafka-python)', async () => {
    for (const client of ['confluent', 'kafka-python']) {
      const res = await run(client, 'alice', `alice-${client}`, 'alice-g');
      assert.equal(res.error, null, `${client}: ${JSON.stringify(res)}`);
      assert.equal(res.consumed.length, 5, client);
    }
  });

  test('a user without ACLs gets TOPIC_AUTHORIZATION_FAILED and writes nothing', async () => {
    const { libs, saslPort: port, propsDir } = await setup.get();
    const res = await run('confluent', 'bob', 'alice-confluent', null);
    assert.deepEqual(res.produced, []);
    assert.match(res.error ?? '', /Topic authorization failed/i, res.error ?? '');
    // kafka-python 2.0.2 gets TOPIC_AUTHORIZATION_FAILED in Metadata and keeps asking until max_block_ms: it fails
    // to send (a timeout), and writes nothing.
    const kp = await run('kafka-python', 'bob', 'alice-confluent', null);
    assert.deepEqual(kp.produced, []);
    assert.notEqual(kp.error, null);
    const props = path.join(propsDir, 'bob.properties');
    writeFileSync(props, saslProps('bob'));
    const java = await runJavaProgram(libs, 'SecurityClient', [
      'roundtrip',
      `127.0.0.1:${port}`,
      props,
      'alice-confluent',
      '1',
    ]);
    assert.equal(java.code, 0, describeRun('SecurityClient roundtrip as bob', java));
    assert.match(
      java.stdout,
      /error TopicAuthorizationException: Not authorized to access topics: \[alice-confluent\]/,
    );
    // alice still reads exactly her 5 records: bob wrote nothing.
    const { kcat, saslPort } = await setup.get();
    const asAlice = ['-X', 'security.protocol=sasl_plaintext', '-X', 'sasl.mechanisms=PLAIN'];
    const c = await runProcess(
      kcat,
      [
        '-b',
        `127.0.0.1:${saslPort}`,
        ...asAlice,
        '-X',
        'sasl.username=alice',
        '-X',
        `sasl.password=${USERS.alice}`,
        '-C',
        '-t',
        'alice-confluent',
        '-p',
        '0',
        '-o',
        'beginning',
        '-e',
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(c.code, 0, describeRun('kcat -C as alice', c));
    assert.equal(c.stdout.trim().split('\n').length, 5, c.stdout);
  });

  test("a user without ACLs cannot delete or list another user's records (DeleteRecords, ListOffsets)", async () => {
    const { libs, saslPort, propsDir } = await setup.get();
    const asUser = async (user: keyof typeof USERS) => {
      const props = path.join(propsDir, `${user}-admin.properties`);
      writeFileSync(props, saslProps(user));
      const r = await runJavaProgram(libs, 'SecurityClient', [
        'delete-records',
        `127.0.0.1:${saslPort}`,
        props,
        'alice-kafka-python',
      ]);
      assert.equal(r.code, 0, describeRun(`SecurityClient delete-records as ${user}`, r));
      return r.stdout;
    };
    const bob = await asUser('bob');
    assert.match(bob, /delete error TopicAuthorizationException\n/);
    assert.match(bob, /list error TopicAuthorizationException\n/);
    // alice may not DELETE either (she has READ, WRITE and CREATE), but she may list: her 5 records are all there.
    const alice = await asUser('alice');
    assert.match(alice, /delete error TopicAuthorizationException\n/);
    assert.match(alice, /end 5\n/);
    // Nor may she change the topic's configs (retention.ms=1 would delete it) or read them: no *_CONFIGS ACLs.
    const props = path.join(propsDir, 'alice-admin.properties');
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'alter-config',
      `127.0.0.1:${saslPort}`,
      props,
      'alice-kafka-python',
    ]);
    assert.equal(r.code, 0, describeRun('SecurityClient alter-config as alice', r));
    assert.match(r.stdout, /alter error TopicAuthorizationException\n/);
    assert.match(r.stdout, /describe error TopicAuthorizationException\n/);
  });

  test('a consumer group without ACLs gets GROUP_AUTHORIZATION_FAILED (confluent-kafka, kafka-python)', async () => {
    for (const client of ['confluent', 'kafka-python']) {
      const res = await run(client, 'alice', `alice-g-${client}`, 'not-alices-group');
      assert.equal(res.produced.length, 5, `${client} may write its topic: ${JSON.stringify(res)}`);
      assert.equal(res.consumed.length, 0, client);
      assert.match(
        res.error ?? '',
        /Group ?Authorization ?Failed|GROUP_AUTHORIZATION_FAILED/i,
        `${client}: ${res.error}`,
      );
    }
  });

  test('topics a user may not describe are hidden from listings; kcat -P as bob is refused', async () => {
    const { kcat, saslPort } = await setup.get();
    const as = (user: keyof typeof USERS) => [
      '-b',
      `127.0.0.1:${saslPort}`,
      '-X',
      'security.protocol=sasl_plaintext',
      '-X',
      'sasl.mechanisms=PLAIN',
      '-X',
      `sasl.username=${user}`,
      '-X',
      `sasl.password=${USERS[user]}`,
    ];
    const list = async (user: keyof typeof USERS) => {
      const r = await runProcess(kcat, [...as(user), '-L', '-J'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, describeRun(`kcat -L as ${user}`, r));
      return (JSON.parse(r.stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic).sort();
    };
    assert.ok((await list('alice')).includes('alice-confluent'));
    assert.deepEqual(await list('bob'), []);
    assert.ok((await list('admin')).includes('alice-confluent'), 'super users see everything');
    const p = await runProcess(kcat, [...as('bob'), '-P', '-t', 'alice-confluent', '-p', '0'], {
      input: 'sneaky\n',
      timeoutMs: 30_000,
    });
    assert.notEqual(p.code, 0, describeRun('kcat -P as bob', p));
    assert.match(p.stderr, /authorization failed/i);
  });
});
