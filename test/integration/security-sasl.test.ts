// SASL listeners: SCRAM credentials created with the Java Admin client (AlterUserScramCredentials, stored in cluster
// metadata), then kcat, confluent-kafka, kafka-python, kafkajs and the Java client produce and consume over SASL_SSL
// with SCRAM-SHA-512 and over SASL_PLAINTEXT with PLAIN; wrong passwords fail cleanly; before authentication only
// ApiVersions, SaslHandshake and SaslAuthenticate are accepted, with a small frame cap.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import type * as KafkaJSTypes from '../../interop/node_modules/kafkajs/types/index.d.ts';
import { type BrokerHandle, freePort, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { type CertFiles, makeCerts } from '../helpers/certs.ts';
import { describeRun, importInterop, PY_DIR, requireBinary, requirePython, runProcess } from '../helpers/clients.ts';
import { ensureJavaClientJars, runJavaProgram } from '../helpers/java-clients.ts';

type KafkaJS = typeof KafkaJSTypes;

const SCRIPT = path.join(PY_DIR, 'security_clients.py');
const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="bob-secret" user_admin="admin-secret";';
const ALICE = { user: 'alice', password: 'alice-scram-secret' };

interface PyResult {
  produced: number[];
  consumed: string[];
  error: string | null;
}

async function runPy(python: string, client: string, spec: object): Promise<PyResult> {
  const r = await runProcess(python, [SCRIPT, client, JSON.stringify(spec)], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun(`security_clients.py ${client}`, r));
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as PyResult;
}

/** Writes frames to a fresh connection; resolves the bytes received until the broker closed it (or a timeout). */
function exchange(port: number, frames: Buffer[], waitMs = 5000): Promise<{ closed: boolean; data: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      for (const f of frames) s.write(f);
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, data: Buffer.concat(chunks) });
    }, waitMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, data: Buffer.concat(chunks) });
    });
  });
}

/** A request frame: size, header v1 (api key, version, correlation id 7, null client id), body. */
function request(apiKey: number, version: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(14);
  head.writeInt32BE(10 + body.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(version, 6);
  head.writeInt32BE(7, 8);
  head.writeInt16BE(-1, 12);
  return Buffer.concat([head, body]);
}
const str16 = (s: string) => {
  const b = Buffer.alloc(2 + Buffer.byteLength(s));
  b.writeInt16BE(Buffer.byteLength(s), 0);
  b.write(s, 2);
  return b;
};

describe('SASL listeners', { timeout: 900_000 }, () => {
  let certs: CertFiles;
  const setup = sharedSetup(async () => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    requirePython('kafka', 'apt-get install python3-kafka');
    const libs = ensureJavaClientJars();
    certs = makeCerts();
    const saslSslPort = await freePort();
    const saslPlainPort = await freePort();
    const reauthPort = await freePort();
    const broker = await startBrokerProcess({
      extraListeners: `SASL_SSL://127.0.0.1:${saslSslPort},SASL_PLAINTEXT://127.0.0.1:${saslPlainPort},REAUTH://127.0.0.1:${reauthPort}`,
      overrides: {
        'inter.broker.listener.name': 'PLAINTEXT',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerKeystore,
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
        'group.initial.rebalance.delay.ms': '0',
        // KIP-368: sessions on the REAUTH listener last 3 s; clients re-authenticate on the same connection.
        'listener.security.protocol.map':
          'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,REAUTH:SASL_SSL',
        'listener.name.reauth.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
        'listener.name.reauth.connections.max.reauth.ms': '3000',
      },
    });
    // The Java Admin client creates alice's SCRAM-SHA-512 credential over the PLAINTEXT listener.
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'scram-upsert',
      broker.bootstrap,
      ALICE.user,
      ALICE.password,
      'SCRAM-SHA-512',
    ]);
    assert.equal(r.code, 0, describeRun('SecurityClient scram-upsert', r));
    return { kcat, python, libs, broker, saslSslPort, saslPlainPort, reauthPort, upsert: r.stdout };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker as BrokerHandle | undefined));

  const scram = (password = ALICE.password) => ({
    protocol: 'SASL_SSL',
    ca: certs.caCert,
    mechanism: 'SCRAM-SHA-512',
    user: ALICE.user,
    password,
  });

  test('Admin.alterUserScramCredentials stores the credential; describeUserScramCredentials shows it', async () => {
    const { upsert } = await setup.get();
    assert.match(upsert, /upserted alice\n/);
    assert.match(upsert, /described SCRAM_SHA_512 8192\n/);
  });

  test('confluent-kafka and kafka-python: SASL_SSL with SCRAM-SHA-512, through a consumer group', async () => {
    const { python, saslSslPort } = await setup.get();
    for (const client of ['confluent', 'kafka-python']) {
      const res = await runPy(python, client, {
        bootstrap: `127.0.0.1:${saslSslPort}`,
        topic: `scram-${client}`,
        n: 20,
        group: `scram-g-${client}`,
        security: scram(),
      });
      assert.equal(res.error, null, `${client}: ${JSON.stringify(res)}`);
      assert.deepEqual(res.produced, [...Array(20).keys()], client);
      assert.equal(res.consumed.length, 20, client);
    }
  });

  test('kcat: SASL_SSL with SCRAM-SHA-512 and SASL_PLAINTEXT with PLAIN', async () => {
    const { kcat, saslSslPort, saslPlainPort } = await setup.get();
    const runs: Array<[number, string[]]> = [
      [
        saslSslPort,
        [
          '-X',
          'security.protocol=sasl_ssl',
          '-X',
          `ssl.ca.location=${certs.caCert}`,
          '-X',
          'sasl.mechanisms=SCRAM-SHA-512',
          '-X',
          `sasl.username=${ALICE.user}`,
          '-X',
          `sasl.password=${ALICE.password}`,
        ],
      ],
      [
        saslPlainPort,
        [
          '-X',
          'security.protocol=sasl_plaintext',
          '-X',
          'sasl.mechanisms=PLAIN',
          '-X',
          'sasl.username=bob',
          '-X',
          'sasl.password=bob-secret',
        ],
      ],
    ];
    for (const [port, sec] of runs) {
      const topic = `kcat-sasl-${port}`;
      const common = ['-b', `127.0.0.1:${port}`, ...sec];
      const input = 'a\nb\nc\n';
      const p = await runProcess(kcat, [...common, '-P', '-t', topic, '-p', '0'], { input, timeoutMs: 30_000 });
      assert.equal(p.code, 0, describeRun('kcat -P', p));
      const c = await runProcess(kcat, [...common, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', '3', '-e'], {
        timeoutMs: 30_000,
      });
      assert.equal(c.code, 0, describeRun('kcat -C', c));
      assert.deepEqual(c.stdout.trim().split('\n'), ['a', 'b', 'c']);
    }
  });

  test('kafka-python: SASL_PLAINTEXT with PLAIN (v0 handshake, bare token frames)', async () => {
    const { python, saslPlainPort } = await setup.get();
    const res = await runPy(python, 'kafka-python', {
      bootstrap: `127.0.0.1:${saslPlainPort}`,
      topic: 'plain-kafka-python',
      n: 10,
      group: null,
      security: { protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN', user: 'bob', password: 'bob-secret' },
    });
    assert.equal(res.error, null, JSON.stringify(res));
    assert.equal(res.consumed.length, 10);
  });

  test('kafkajs and the Java client: SASL_SSL with SCRAM-SHA-512', async () => {
    const { libs, saslSslPort, broker } = await setup.get();
    const { Kafka, logLevel } = (await importInterop<{ default: KafkaJS }>('kafkajs/index.js')).default;
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${saslSslPort}`],
      clientId: 'kafkajs-scram',
      ssl: { ca: [readFileSync(certs.caCert, 'utf8')], servername: 'localhost' },
      sasl: { mechanism: 'scram-sha-512', username: ALICE.user, password: ALICE.password },
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'scram-kafkajs', messages: [{ value: 'x' }, { value: 'y' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('scram-kafkajs');
    await admin.disconnect();
    assert.equal(
      offsets.reduce((n, o) => n + Number(o.high), 0),
      2,
    );

    const props = path.join(certs.dir, 'java-scram.properties');
    writeFileSync(
      props,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${ALICE.user}" password="${ALICE.password}";`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caCert}`,
        '',
      ].join('\n'),
    );
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'roundtrip',
      `127.0.0.1:${saslSslPort}`,
      props,
      'scram-java',
      '25',
    ]);
    assert.equal(r.code, 0, describeRun('SecurityClient roundtrip', r));
    assert.match(r.stdout, /acked 25\n/);
    assert.match(r.stdout, /consumed 25\n/);
    assert.ok(!broker.logs().includes(ALICE.password), 'the password never appears in the broker log');
  });

  test('KIP-368: the Java client re-authenticates before its 3 s session ends and keeps producing', async () => {
    const { libs, reauthPort, broker } = await setup.get();
    const props = path.join(certs.dir, 'java-reauth.properties');
    writeFileSync(
      props,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${ALICE.user}" password="${ALICE.password}";`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caCert}`,
        '',
      ].join('\n'),
    );
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'slow',
      `127.0.0.1:${reauthPort}`,
      props,
      'reauth',
      '16',
      '500',
    ]);
    assert.equal(r.code, 0, describeRun('SecurityClient slow', r));
    assert.match(r.stdout, /acked 16\n/);
    assert.match(broker.logs(), /SASL re-authenticated \(KIP-368\).*principal=User:alice/);
    assert.doesNotMatch(broker.logs(), /SASL session expired/);
  });

  test('a wrong password fails cleanly (confluent-kafka, kafka-python, Java, kafkajs) and writes nothing', async () => {
    const { python, libs, saslSslPort, broker } = await setup.get();
    for (const client of ['confluent', 'kafka-python']) {
      const res = await runPy(python, client, {
        bootstrap: `127.0.0.1:${saslSslPort}`,
        topic: 'scram-wrong',
        n: 1,
        group: null,
        security: scram('not-the-password'),
      });
      assert.notEqual(res.error, null, client);
      assert.deepEqual(res.produced, [], client);
      assert.match(res.error!, /auth|SASL/i, `${client}: ${res.error}`);
    }
    const props = path.join(certs.dir, 'java-wrong.properties');
    writeFileSync(
      props,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${ALICE.user}" password="wrong-one";`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caCert}`,
        '',
      ].join('\n'),
    );
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'roundtrip',
      `127.0.0.1:${saslSslPort}`,
      props,
      'scram-wrong',
      '1',
    ]);
    assert.equal(r.code, 0, describeRun('SecurityClient roundtrip (wrong password)', r));
    assert.match(
      r.stdout,
      /error SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/,
    );
    const { Kafka, logLevel } = (await importInterop<{ default: KafkaJS }>('kafkajs/index.js')).default;
    const producer = new Kafka({
      brokers: [`127.0.0.1:${saslSslPort}`],
      ssl: { ca: [readFileSync(certs.caCert, 'utf8')], servername: 'localhost' },
      sasl: { mechanism: 'scram-sha-512', username: ALICE.user, password: 'nope' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer();
    await assert.rejects(producer.connect(), /SASL SCRAM SHA512 authentication failed/);
    assert.match(
      broker.logs(),
      /Failed authentication with 127\.0\.0\.1:\d+ \(Authentication failed during authentication/,
    );
    for (const secret of ['not-the-password', 'wrong-one', 'nope'])
      assert.ok(!broker.logs().includes(secret), `the tried password ${secret} is never logged`);
    // Nothing was written: the topic was never even created (a full listing does not auto-create).
    const md = await runProcess(requireBinary('kcat', 'apt-get install kcat'), ['-b', broker.bootstrap, '-L', '-J'], {
      timeoutMs: 20_000,
    });
    assert.equal(md.code, 0, describeRun('kcat -L', md));
    const topics = (JSON.parse(md.stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
    assert.ok(!topics.includes('scram-wrong'), topics.join(','));
  });

  test('before authentication: only ApiVersions, SaslHandshake and SaslAuthenticate; others close the connection', async () => {
    const { saslPlainPort } = await setup.get();
    // Every API key except the three, at version 0 with an empty body: closed without an answer.
    for (let key = 0; key <= 74; key++) {
      if (key === 17 || key === 18 || key === 36) continue;
      const r = await exchange(saslPlainPort, [request(key, 0)]);
      assert.equal(r.closed, true, `api ${key} must close the connection`);
      assert.equal(r.data.length, 0, `api ${key} must get no answer`);
    }
    // SaslAuthenticate before a handshake closes too; ApiVersions is answered.
    assert.equal((await exchange(saslPlainPort, [request(36, 1, Buffer.alloc(4))])).closed, true);
    const versions = await exchange(saslPlainPort, [request(18, 0)], 1000);
    assert.equal(versions.closed, false);
    assert.equal(versions.data.readInt32BE(4), 7);
    // An unsupported mechanism gets the enabled list, then the connection closes.
    const mech = await exchange(saslPlainPort, [request(17, 1, str16('SCRAM-SHA-256'))]);
    assert.equal(mech.closed, true);
    assert.equal(mech.data.readInt16BE(8), 33, 'UNSUPPORTED_SASL_MECHANISM');
    assert.ok(mech.data.includes(Buffer.from('PLAIN')));
    // After a v1 handshake, a request other than SaslAuthenticate closes.
    const mixed = await exchange(saslPlainPort, [request(17, 1, str16('PLAIN')), request(3, 0, Buffer.alloc(4))]);
    assert.equal(mixed.closed, true);
  });

  test('before authentication frames over sasl.server.max.receive.size close the connection at once', async () => {
    const { saslPlainPort, broker } = await setup.get();
    for (const size of [524_289, 100 * 1024 * 1024, 0x7fffffff, -1]) {
      const head = Buffer.alloc(8);
      head.writeInt32BE(size, 0);
      head.writeInt16BE(17, 4);
      const r = await exchange(saslPlainPort, [head]);
      assert.equal(r.closed, true, `size ${size}`);
    }
    // A v0 handshake then an oversized bare token: closed too.
    const head = Buffer.alloc(4);
    head.writeInt32BE(600_000, 0);
    assert.equal((await exchange(saslPlainPort, [request(17, 0, str16('PLAIN')), head])).closed, true);
    assert.match(broker.logs(), /before authentication; closing the connection/);
  });

  test('v0 handshake with a bare PLAIN token: a wrong password closes; the right one opens every API', async () => {
    const { saslPlainPort } = await setup.get();
    const token = (pw: string) => {
      const t = Buffer.from(`\0bob\0${pw}`);
      const size = Buffer.alloc(4);
      size.writeInt32BE(t.length, 0);
      return Buffer.concat([size, t]);
    };
    const bad = await exchange(saslPlainPort, [request(17, 0, str16('PLAIN')), token('wrong')]);
    assert.equal(bad.closed, true);
    const good = await exchange(
      saslPlainPort,
      [request(17, 0, str16('PLAIN')), token('bob-secret'), request(3, 0, Buffer.alloc(4))],
      1500,
    );
    assert.equal(good.closed, false);
    // Handshake response, the empty token frame (size 0), then a Metadata response with correlation id 7.
    const handshakeLen = good.data.readInt32BE(0);
    const afterHandshake = 4 + handshakeLen;
    assert.equal(good.data.readInt32BE(afterHandshake), 0);
    assert.equal(good.data.readInt32BE(afterHandshake + 8), 7);
  });
});
