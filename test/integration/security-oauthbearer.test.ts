// SASL/OAUTHBEARER listeners against real clients. UNSEC runs Kafka's default unsecured validator (alg "none"):
// librdkafka (confluent-kafka, enable.sasl.oauthbearer.unsecure.jwt) and the Java client (OAuthBearerLoginModule with
// unsecuredLoginStringClaim_sub) produce and consume as User:alice. JWT validates signed tokens against a JWKS file
// made here: the TypeScript client sends RS256/ES256 tokens; a wrong signature, an expired token, a wrong audience and
// an unsigned token are refused (SASL_AUTHENTICATION_FAILED, the reason in the broker's log, never the token); a key
// added to the file is picked up; and the ACLs apply to the token's principal (User:carol). A session ends at the
// token's exp (KIP-368) and the TypeScript client re-authenticates with a fresh token.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Admin, BrokerConnection, Consumer, type KafkaClientError, Producer } from '../../src/client/index.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../src/security/authorizer.ts';
import {
  type BrokerHandle,
  freePort,
  makeTempDir,
  printLogsOnFailure,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { ensureJavaClientJars, runJavaProgram } from '../helpers/java-clients.ts';
import { jwks, makeKey, signJwt, unsecuredJwt } from '../helpers/jwt.ts';

const LOGIN = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';
const ISSUER = 'https://idp.tributary.test';
const rsa = makeKey('RS256', 'rsa-1');
const ec = makeKey('ES256', 'ec-1');
const later = makeKey('PS256', 'rotated-2');

describe('SASL/OAUTHBEARER listeners', { timeout: 600_000 }, () => {
  const dir = makeTempDir('oauth-');
  const jwksFile = path.join(dir, 'jwks.json');
  const setup = sharedSetup(async () => {
    const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    const libs = ensureJavaClientJars();
    writeFileSync(jwksFile, jwks([rsa, ec]));
    const [unsec, jwt] = [await freePort(), await freePort()];
    const broker = await startBrokerProcess({
      extraListeners: `UNSEC://127.0.0.1:${unsec},JWT://127.0.0.1:${jwt}`,
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,UNSEC:SASL_PLAINTEXT,JWT:SASL_PLAINTEXT',
        'inter.broker.listener.name': 'PLAINTEXT',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.unsec.oauthbearer.sasl.jaas.config': `${LOGIN} required unsecuredValidatorAllowableClockSkewMs="2000";`,
        'listener.name.jwt.oauthbearer.sasl.jaas.config': `${LOGIN} required;`,
        'listener.name.jwt.oauthbearer.sasl.server.callback.handler.class':
          'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
        'listener.name.jwt.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwksFile).href,
        'listener.name.jwt.oauthbearer.sasl.oauthbearer.expected.audience': 'tributary',
        'listener.name.jwt.oauthbearer.sasl.oauthbearer.expected.issuer': ISSUER,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:ANONYMOUS;User:alice',
        'group.initial.rebalance.delay.ms': '0',
        'num.partitions': '1',
      },
    });
    return { python, libs, broker, unsec, jwt };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker as BrokerHandle | undefined));

  const nowS = () => Math.floor(Date.now() / 1000);
  const claims = (extra: object = {}) => ({
    sub: 'carol',
    iss: ISSUER,
    aud: ['tributary', 'other'],
    iat: nowS() - 5,
    exp: nowS() + 600,
    ...extra,
  });

  test('confluent-kafka (librdkafka): unsecured JWT as User:alice, through a consumer group', async () => {
    const { python, unsec } = await setup.get();
    const spec = {
      bootstrap: `127.0.0.1:${unsec}`,
      topic: 'oauth-librdkafka',
      n: 20,
      group: 'oauth-g',
      security: { protocol: 'SASL_PLAINTEXT', mechanism: 'OAUTHBEARER', oauthConfig: 'principal=alice' },
    };
    const r = await runProcess(python, [path.join(PY_DIR, 'security_clients.py'), 'confluent', JSON.stringify(spec)], {
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 0, describeRun('security_clients.py confluent', r));
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
    assert.equal(res.error, null, JSON.stringify(res));
    assert.deepEqual(res.produced, [...Array(20).keys()]);
    assert.equal(res.consumed.length, 20);
  });

  test('Java client: OAuthBearerLoginModule with an unsecured sub=alice token produces and consumes', async () => {
    const { libs, unsec } = await setup.get();
    const props = path.join(dir, 'java-oauth.properties');
    writeFileSync(
      props,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=OAUTHBEARER',
        `sasl.jaas.config=${LOGIN} required unsecuredLoginStringClaim_sub="alice";`,
      ].join('\n'),
    );
    const r = await runJavaProgram(libs, 'SecurityClient', [
      'roundtrip',
      `127.0.0.1:${unsec}`,
      props,
      'oauth-java',
      '5',
    ]);
    assert.equal(r.code, 0, describeRun('SecurityClient roundtrip', r));
    assert.match(r.stdout, /acked 5\n/);
    assert.match(r.stdout, /consumed 5\n/);
  });

  test('KIP-368: the session ends at the token’s exp; the TS client re-authenticates with a fresh token', async () => {
    const { broker, unsec } = await setup.get();
    let tokens = 0;
    const producer = new Producer({
      bootstrapServers: `127.0.0.1:${unsec}`,
      lingerMs: 0,
      sasl: {
        mechanism: 'OAUTHBEARER',
        token: () => {
          tokens++;
          return unsecuredJwt({ sub: 'alice', iat: nowS(), exp: nowS() + 3 });
        },
      },
    });
    const before = broker.logs().length;
    try {
      const deadline = Date.now() + 30_000;
      let i = 0;
      while (!/SASL re-authenticated \(KIP-368\)/.test(broker.logs().slice(before)) && Date.now() < deadline) {
        await producer.send({ topic: 'oauth-reauth', messages: [{ value: `r${i++}` }] });
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.match(broker.logs().slice(before), /SASL re-authenticated \(KIP-368\) .*principal=User:alice/);
      await producer.send({ topic: 'oauth-reauth', messages: [{ value: 'after' }] });
      assert.ok(tokens >= 2, `a fresh token per authentication (${tokens})`);
    } finally {
      await producer.close();
    }
  });

  const open = (port: number, token: string) =>
    BrokerConnection.open('127.0.0.1', port, 'test', 10_000, { sasl: { mechanism: 'OAUTHBEARER', token } });

  test('signed JWTs: refused when the signature, expiry, audience or algorithm is wrong; the log says why', async () => {
    const { jwt, unsec, broker } = await setup.get();
    const good = signJwt(rsa, claims());
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${signJwt(makeKey('RS256', 'rsa-1'), claims()).split('.')[2]}`;
    const bad: Array<[string, string, RegExp]> = [
      ['wrong signature', forged, /signature is invalid/],
      ['expired', signJwt(rsa, claims({ iat: nowS() - 7200, exp: nowS() - 3600 })), /expired/],
      ['wrong audience', signJwt(ec, claims({ aud: 'someone-else' })), /audience/],
      ['wrong issuer', signJwt(ec, claims({ iss: 'https://evil.test' })), /issuer/],
      ['unsigned', unsecuredJwt(claims()), /algorithm "none"/],
    ];
    for (const [what, token, reason] of bad) {
      const before = broker.logs().length;
      await assert.rejects(
        open(jwt, token),
        (e: KafkaClientError) => e.name === 'SASL_AUTHENTICATION_FAILED' && /invalid_token/.test(e.message),
        what,
      );
      // The broker's log line may reach us after the client's answer.
      const log = await waitFor(what, async () => {
        const l = broker.logs().slice(before);
        return reason.test(l) ? l : undefined;
      });
      assert.ok(!log.includes(token.split('.')[1]!), `${what}: the token is not logged`);
    }
    // The unsecured listener refuses an expired unsecured token too; a signed one has no place there.
    await assert.rejects(open(unsec, unsecuredJwt({ sub: 'alice', exp: nowS() - 60 })), /invalid_token/);
    await assert.rejects(open(unsec, good), /invalid_token/);
    const ok = await open(jwt, good);
    ok.close();
  });

  test('ACLs apply to the token’s principal; a key added to the JWKS file is used without a restart', async () => {
    const { broker, jwt } = await setup.get();
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    await admin.createTopics([{ topic: 'carol-topic', numPartitions: 1, replicationFactor: 1 }]);
    const token = () => signJwt(ec, claims());
    const opts = { bootstrapServers: `127.0.0.1:${jwt}`, sasl: { mechanism: 'OAUTHBEARER' as const, token } };
    const denied = new Producer({ ...opts, lingerMs: 0, retries: 0 });
    try {
      await assert.rejects(denied.send({ topic: 'carol-topic', messages: [{ value: 'no' }] }), (e: Error) =>
        /TOPIC_AUTHORIZATION_FAILED|not authorized/i.test(`${e.name} ${e.message}`),
      );
    } finally {
      await denied.close();
    }
    const allow = (operation: number) => ({
      resourceType: ResourceType.TOPIC,
      resourceName: 'carol-topic',
      patternType: PatternType.LITERAL,
      principal: 'User:carol',
      host: '*',
      operation,
      permissionType: AclPermission.ALLOW,
    });
    await admin.createAcls([allow(AclOperation.WRITE), allow(AclOperation.READ), allow(AclOperation.DESCRIBE)]);
    await admin.close();

    // The IdP rotates: a PS256 key is added to the file; tokens signed with it are accepted.
    writeFileSync(jwksFile, jwks([rsa, ec, later]));
    const rotated = { ...opts, sasl: { mechanism: 'OAUTHBEARER' as const, token: () => signJwt(later, claims()) } };
    const producer = new Producer({ ...rotated, lingerMs: 0 });
    const consumer = new Consumer(opts);
    try {
      let sent = false;
      const deadline = Date.now() + 20_000;
      while (!sent) {
        try {
          for (let i = 0; i < 5; i++) await producer.send({ topic: 'carol-topic', messages: [{ value: `c${i}` }] });
          sent = true;
        } catch (e) {
          // The ACL reaches the broker's metadata image asynchronously; retry until it does.
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      consumer.assign([{ topic: 'carol-topic', partition: 0, offset: 0 }]);
      const got: string[] = [];
      const until = Date.now() + 20_000;
      while (got.length < 5 && Date.now() < until) for (const m of await consumer.poll(500)) got.push(String(m.value));
      assert.deepEqual(got.slice(0, 5), ['c0', 'c1', 'c2', 'c3', 'c4']);
    } finally {
      await producer.close();
      await consumer.close();
    }
  });
});
