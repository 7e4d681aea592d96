// The TypeScript client's security settings against a broker process with TLS and SASL listeners: SCRAM credentials
// made with Admin.alterUserScramCredentials, then Producer / Consumer / Admin over SASL_SSL (SCRAM-SHA-512 and -256),
// SASL_PLAINTEXT (PLAIN) and mTLS; wrong passwords, an untrusted CA and a missing client certificate fail cleanly;
// a connection re-authenticates before its session lifetime (KIP-368) ends and stays usable past it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, describe, test } from 'node:test';
import { Admin, BrokerConnection, Consumer, type KafkaClientError, Producer } from '../../src/client/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { type BrokerHandle, freePort, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { type CertFiles, makeCerts } from '../helpers/certs.ts';

const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="bob-secret" user_admin="admin-secret";';

describe('TypeScript client over TLS and SASL', { timeout: 300_000 }, () => {
  let certs: CertFiles;
  const setup = sharedSetup(async () => {
    certs = makeCerts();
    const [saslSsl, saslPlain, mtls, reauth] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const broker = await startBrokerProcess({
      extraListeners:
        `SASL_SSL://127.0.0.1:${saslSsl},SASL_PLAINTEXT://127.0.0.1:${saslPlain},` +
        `MTLS://127.0.0.1:${mtls},REAUTH://127.0.0.1:${reauth}`,
      overrides: {
        'listener.security.protocol.map':
          'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,MTLS:SSL,REAUTH:SASL_SSL',
        'inter.broker.listener.name': 'PLAINTEXT',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerKeystore,
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
        'listener.name.mtls.ssl.truststore.type': 'PEM',
        'listener.name.mtls.ssl.truststore.location': certs.caCert,
        'listener.name.mtls.ssl.client.auth': 'required',
        'listener.name.reauth.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
        'listener.name.reauth.connections.max.reauth.ms': '2000',
        'group.initial.rebalance.delay.ms': '0',
        'num.partitions': '1',
      },
    });
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    // As Kafka: one change per user and request.
    await admin.alterUserScramCredentials({
      upsertions: [{ user: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-secret', iterations: 8192 }],
    });
    await admin.alterUserScramCredentials({
      upsertions: [{ user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-256' }],
    });
    await admin.close();
    return { broker, saslSsl, saslPlain, mtls, reauth };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker as BrokerHandle | undefined));

  const ca = () => readFileSync(certs.caCert);

  test('Admin.describeUserScramCredentials shows what alterUserScramCredentials stored', async () => {
    const { broker } = await setup.get();
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    try {
      const creds = await admin.describeUserScramCredentials(['alice']);
      assert.deepEqual(
        [...(creds.get('alice') ?? [])].sort((a, b) => a.mechanism.localeCompare(b.mechanism)),
        [
          { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
          { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
        ],
      );
    } finally {
      await admin.close();
    }
  });

  test('Producer and Consumer over SASL_SSL with SCRAM-SHA-512', async () => {
    const { saslSsl } = await setup.get();
    const security = {
      bootstrapServers: `127.0.0.1:${saslSsl}`,
      ssl: { ca: ca() },
      sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: 'alice-secret' },
    };
    const producer = new Producer({ ...security, lingerMs: 0 });
    const consumer = new Consumer({ ...security, groupId: 'secure-g', autoOffsetReset: 'earliest' });
    try {
      for (let i = 0; i < 10; i++) await producer.send({ topic: 'secure', messages: [{ value: `m${i}` }] });
      await consumer.subscribe(['secure']);
      const got: string[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length < 10 && Date.now() < deadline)
        for (const m of await consumer.poll(1000)) got.push(String(m.value));
      assert.deepEqual(
        got,
        Array.from({ length: 10 }, (_, i) => `m${i}`),
      );
    } finally {
      await producer.close();
      await consumer.close();
    }
  });

  test('SCRAM-SHA-256 over SASL_SSL and PLAIN over SASL_PLAINTEXT', async () => {
    const { saslSsl, saslPlain } = await setup.get();
    const a256 = new Admin({
      bootstrapServers: `127.0.0.1:${saslSsl}`,
      ssl: { ca: ca() },
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-256' },
    });
    const plain = new Admin({
      bootstrapServers: `127.0.0.1:${saslPlain}`,
      sasl: { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' },
    });
    try {
      assert.ok((await a256.describeCluster()).brokers.length === 1);
      assert.ok((await plain.describeCluster()).brokers.length === 1);
    } finally {
      await a256.close();
      await plain.close();
    }
  });

  test('a wrong password, an unknown user, a mechanism the listener lacks: clean errors', async () => {
    const { saslSsl, saslPlain } = await setup.get();
    const open = (port: number, sasl: object, ssl = true) =>
      BrokerConnection.open('127.0.0.1', port, 'test', 10_000, {
        ssl: ssl ? { ca: ca() } : undefined,
        sasl: sasl as never,
      });
    const failed = (e: KafkaClientError) => e.name === 'SASL_AUTHENTICATION_FAILED';
    await assert.rejects(open(saslSsl, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'nope' }), failed);
    await assert.rejects(open(saslSsl, { mechanism: 'SCRAM-SHA-512', username: 'mallory', password: 'x' }), failed);
    await assert.rejects(
      open(saslPlain, { mechanism: 'PLAIN', username: 'bob', password: 'wrong' }, false),
      (e: KafkaClientError) => failed(e) && /Invalid username or password/.test(e.message),
    );
    await assert.rejects(
      open(saslPlain, { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' }, false),
      (e: KafkaClientError) => e.name === 'UNSUPPORTED_SASL_MECHANISM' && /enabled: PLAIN/.test(e.message),
    );
    // An Admin over a bad password does not hang: the bootstrap error says why.
    const admin = new Admin({
      bootstrapServers: `127.0.0.1:${saslPlain}`,
      sasl: { mechanism: 'PLAIN', username: 'bob', password: 'wrong' },
      retries: 0,
    });
    await assert.rejects(admin.listTopics(), /SASL_AUTHENTICATION_FAILED/);
    await admin.close();
  });

  test('TLS: the broker certificate must verify; mTLS needs a client certificate', async () => {
    const { mtls, saslSsl } = await setup.get();
    const carol = certs.client('carol');
    const ok = await BrokerConnection.open('127.0.0.1', mtls, 'test', 10_000, {
      ssl: { ca: ca(), cert: readFileSync(carol.cert), key: readFileSync(carol.key) },
    });
    await ok.negotiate();
    assert.ok(ok.supports(ApiKey.Metadata));
    ok.close();
    // No client certificate: the handshake (or the first request) fails.
    const noCert = async () => {
      const c = await BrokerConnection.open('127.0.0.1', mtls, 'test', 10_000, { ssl: { ca: ca() } });
      try {
        await c.negotiate();
      } finally {
        c.close();
      }
    };
    await assert.rejects(noCert());
    // Trusting only Node's root CAs, the test CA's certificate does not verify.
    await assert.rejects(
      BrokerConnection.open('127.0.0.1', saslSsl, 'test', 10_000, { ssl: true }),
      (e: NodeJS.ErrnoException) => /certificate/i.test(e.message),
    );
    // The name checked must be in the certificate (it is issued for 127.0.0.1 and localhost).
    await assert.rejects(
      BrokerConnection.open('127.0.0.1', saslSsl, 'test', 10_000, { ssl: { ca: ca(), servername: 'kafka.example' } }),
      (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  test('re-authentication (KIP-368): a connection stays usable past its session lifetime', async () => {
    const { reauth } = await setup.get();
    const c = await BrokerConnection.open('127.0.0.1', reauth, 'test', 10_000, {
      ssl: { ca: ca() },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' },
    });
    try {
      assert.equal(c.sessionLifetimeMs, 2000);
      // Without re-authentication the broker closes the connection at the first request after 2 s.
      const until = Date.now() + 5000;
      let requests = 0;
      while (Date.now() < until) {
        await c.request(ApiKey.Metadata, { topics: [], allowAutoTopicCreation: false });
        requests++;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(c.isOpen);
      assert.ok(requests > 10);
    } finally {
      c.close();
    }
  });
});
