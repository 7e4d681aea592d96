// http.auth=basic on an https:// operations listener of a broker with SASL users and ACLs: /health and /ready stay
// open; /metrics and the console need a broker user's credentials (a PLAIN user of the JAAS config or a SCRAM user,
// checked by authenticating to the SASL_PLAINTEXT listener, or the SASL_SSL one over TLS); console actions run as
// that user, so a user without the ACL gets 403 with a message naming it, and the super user may do everything.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { after, afterEach, describe, test } from 'node:test';
import { Admin } from '../../src/client/admin.ts';
import { KafkaClientError } from '../../src/client/errors.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { AlterUserScramCredentialsResponse } from '../../src/protocol/generated/messages.ts';
import { saltedPassword, scramMechanismByName } from '../../src/security/scram.ts';
import { type BrokerHandle, freePort, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { type CertFiles, makeCerts } from '../helpers/certs.ts';
import { httpPort } from '../helpers/prometheus.ts';

const PLAIN_JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_bob="bob-secret";';
const ALICE = { user: 'alice', password: 'alice-scram-secret' };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('operations HTTP listener with http.auth=basic over https', { timeout: 120_000 }, () => {
  let certs: CertFiles | undefined;
  let broker: BrokerHandle | undefined;
  const setup = sharedSetup(async () => {
    certs = makeCerts();
    const saslPort = await freePort();
    broker = await startBrokerProcess({
      extraListeners: `SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      overrides: {
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-256,PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
        'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerKeystore,
        'http.listeners': 'https://127.0.0.1:0',
        'http.auth': 'basic',
      },
    });
    // alice gets a SCRAM-SHA-256 credential from the super user, through our client's SASL PLAIN.
    const admin = new Admin({
      bootstrapServers: `127.0.0.1:${saslPort}`,
      sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' },
    });
    try {
      const conn = await admin.cluster.any();
      const salt = randomBytes(16);
      const res = await conn.send<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
        deletions: [],
        upsertions: [
          {
            name: ALICE.user,
            mechanism: scramMechanismByName('SCRAM-SHA-256')!.id,
            iterations: 4096,
            salt,
            saltedPassword: saltedPassword(scramMechanismByName('SCRAM-SHA-256')!, ALICE.password, salt, 4096),
          },
        ],
      });
      assert.equal(res.results[0]?.errorCode, 0, res.results[0]?.errorMessage ?? '');
    } finally {
      await admin.close();
    }
    return { broker, saslPort, port: httpPort(broker), ca: readFileSync(certs.caCert) };
  });
  after(async () => {
    await broker?.stop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  async function call(
    path: string,
    o: { user?: string; password?: string; method?: string; json?: unknown } = {},
  ): Promise<Answer> {
    const { port, ca } = await setup.get();
    const headers: Record<string, string> = {};
    if (o.user !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
    const body = o.json === undefined ? undefined : JSON.stringify(o.json);
    if (body !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, ca, servername: 'localhost' },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  test('/health and /ready need no credentials; /metrics asks for them and takes PLAIN and SCRAM users', async () => {
    assert.equal((await call('/health')).status, 200);
    assert.equal((await call('/ready')).status, 200);
    const anonymous = await call('/metrics');
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="Tributary"/);
    const wrong = await call('/metrics', { user: 'bob', password: 'not-bobs' });
    assert.equal(wrong.status, 401, wrong.body);
    assert.match(JSON.parse(wrong.body).error, /authentication failed for bob/);
    assert.equal((await call('/metrics', { user: 'nobody', password: 'x' })).status, 401);
    const plain = await call('/metrics', { user: 'bob', password: 'bob-secret' });
    assert.equal(plain.status, 200, plain.body);
    assert.match(plain.body, /kafka_server_replicamanager_partitioncount/);
    const scram = await call('/metrics', { user: ALICE.user, password: ALICE.password });
    assert.equal(scram.status, 200, scram.body);
    // The console's page is behind the same check.
    assert.equal((await call('/')).status, 401);
  });

  test('console actions run as the user: 403 naming the user without the ACL, allowed for the super user', async () => {
    const bob = { user: 'bob', password: 'bob-secret' };
    const admin = { user: 'admin', password: 'admin-secret' };
    const denied = await call('/api/topics', { ...bob, method: 'POST', json: { name: 'auth-topic' } });
    assert.equal(denied.status, 403, denied.body);
    assert.match(JSON.parse(denied.body).error, /^User:bob is not authorized: TOPIC_AUTHORIZATION_FAILED/);
    const created = await call('/api/topics', { ...admin, method: 'POST', json: { name: 'auth-topic' } });
    assert.equal(created.status, 201, created.body);
    const asAdmin = JSON.parse((await call('/api/topics', admin)).body) as Array<{ name: string }>;
    assert.ok(
      asAdmin.some((t) => t.name === 'auth-topic'),
      'the super user sees the topic',
    );
    // Without Describe on the topic bob's listing leaves it out, as Metadata does for any client.
    const asBob = await call('/api/topics', bob);
    assert.equal(asBob.status, 200, asBob.body);
    assert.ok(!(JSON.parse(asBob.body) as Array<{ name: string }>).some((t) => t.name === 'auth-topic'));
    const produce = await call('/api/topics/auth-topic/messages', { ...bob, method: 'POST', json: { value: 'x' } });
    assert.equal(produce.status, 403, produce.body);
    assert.match(JSON.parse(produce.body).error, /User:bob is not authorized/);
  });

  test('our client authenticates with SASL and reports a refused password as SASL_AUTHENTICATION_FAILED', async () => {
    const { saslPort } = await setup.get();
    const admin = new Admin({
      bootstrapServers: `127.0.0.1:${saslPort}`,
      retries: 0,
      sasl: { mechanism: 'SCRAM-SHA-256', username: ALICE.user, password: 'wrong' },
    });
    try {
      await assert.rejects(admin.cluster.any(), (e: Error) => {
        const cause = e.cause;
        assert.ok(cause instanceof KafkaClientError, String(e));
        assert.equal(cause.name, 'SASL_AUTHENTICATION_FAILED');
        return true;
      });
    } finally {
      await admin.close();
    }
  });
});

describe('http.auth=basic on a broker whose only SASL listener is SASL_SSL', { timeout: 120_000 }, () => {
  let certs: CertFiles | undefined;
  let broker: BrokerHandle | undefined;
  const setup = sharedSetup(async () => {
    certs = makeCerts();
    broker = await startBrokerProcess({
      extraListeners: `SASL_SSL://127.0.0.1:${await freePort()}`,
      overrides: {
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS,
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerKeystore,
        'http.listeners': 'http://127.0.0.1:0',
        'http.auth': 'basic',
      },
    });
    return httpPort(broker);
  });
  after(async () => {
    await broker?.stop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('users are checked over TLS at the SASL_SSL listener', async () => {
    const port = await setup.get();
    const metrics = async (user: string, password: string) =>
      fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      });
    const ok = await metrics('bob', 'bob-secret');
    assert.equal(ok.status, 200, await ok.text());
    const wrong = await metrics('bob', 'not-bobs');
    assert.equal(wrong.status, 401, await wrong.text());
  });
});
