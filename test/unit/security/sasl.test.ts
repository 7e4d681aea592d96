import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { JaasError, parseJaasConfig, plainUsers } from '../../../src/security/jaas.ts';
import { listenerSasl, SaslSession } from '../../../src/security/sasl.ts';
import { credentialFromPassword, ScramClient, scramMechanismByName } from '../../../src/security/scram.ts';
import { CloseConnection, type ConnectionInfo } from '../../../src/server/handler.ts';
import { saslGate } from '../../../src/server/sasl-gate.ts';

const JAAS =
  'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="a\\"b";';

describe('JAAS config', () => {
  it('reads Kafka PlainLoginModule entries', () => {
    const e = parseJaasConfig(JAAS);
    assert.equal(e.flag, 'required');
    assert.deepEqual(
      [...plainUsers(e)],
      [
        ['admin', 'admin-secret'],
        ['alice', 'a"b'],
      ],
    );
  });
  it('refuses unknown login modules (no config loads code), bad flags and missing semicolons', () => {
    for (const bad of [
      'com.sun.security.auth.module.JndiLoginModule required user.provider.url="ldap://x";',
      'org.apache.kafka.common.security.plain.PlainLoginModule always;',
      'org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b"',
      'org.apache.kafka.common.security.plain.PlainLoginModule required; org.apache.kafka.common.security.plain.PlainLoginModule required;',
    ])
      assert.throws(() => parseJaasConfig(bad), JaasError, bad);
  });
});

const cfg = (extra: string[]) =>
  loadBrokerConfig({
    env: {},
    hostname: 'h',
    overrides: ['listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093', 'inter.broker.listener.name=PLAINTEXT', ...extra],
  });
const listener = (c: ReturnType<typeof cfg>) => c.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!;

describe('listenerSasl', () => {
  it('takes per-listener mechanisms and the per-mechanism JAAS config', () => {
    const c = cfg([
      'sasl.enabled.mechanisms=GSSAPI',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=${JAAS}`,
    ]);
    const s = listenerSasl(c, listener(c));
    assert.deepEqual(s.mechanisms, ['PLAIN', 'SCRAM-SHA-512']);
    assert.equal(s.plainUsers.get('admin'), 'admin-secret');
    assert.equal(s.maxReceiveSize, 524288);
  });
  it('requires the inter-broker mechanism on a SASL inter-broker listener, as Kafka', () => {
    const base = [
      'listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'inter.broker.listener.name=SASL_PLAINTEXT',
    ];
    const load = (o: string[]) => loadBrokerConfig({ env: {}, hostname: 'h', overrides: o });
    const bad = load(base);
    assert.throws(() => listenerSasl(bad, listener(bad)), /sasl\.mechanism\.inter\.broker\.protocol must be included/);
    const good = load([...base, 'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512']);
    assert.deepEqual(listenerSasl(good, listener(good)).mechanisms, ['SCRAM-SHA-512']);
  });

  it('refuses GSSAPI (the default), PLAIN without users, and never echoes a JAAS config', () => {
    const c1 = cfg([]);
    assert.throws(() => listenerSasl(c1, listener(c1)), /GSSAPI not supported/);
    const c2 = cfg(['sasl.enabled.mechanisms=PLAIN']);
    assert.throws(() => listenerSasl(c2, listener(c2)), /plain\.sasl\.jaas\.config/);
    const c3 = cfg(['sasl.enabled.mechanisms=PLAIN', 'sasl.jaas.config=x.Y required password="hunter2";']);
    assert.throws(
      () => listenerSasl(c3, listener(c3)),
      (e: unknown) => e instanceof Error && !e.message.includes('hunter2') && /not supported/.test(e.message),
    );
  });
});

const SHA512 = scramMechanismByName('SCRAM-SHA-512')!;
const alice = credentialFromPassword(SHA512, 'alice-secret', 4096);
function session(reauthMs = 0, clock = () => 1000) {
  return new SaslSession(
    {
      mechanisms: ['PLAIN', 'SCRAM-SHA-512'],
      plainUsers: new Map([['bob', 'bob-pw']]),
      maxReceiveSize: 1024,
      reauthMs,
      failedAuthDelayMs: 0,
    },
    (u, m) => (u === 'alice' && m.id === 2 ? alice : undefined),
    Buffer.alloc(32),
    clock,
  );
}
const plainToken = (authzid: string, user: string, pw: string) => Buffer.from(`${authzid}\0${user}\0${pw}`);

describe('SaslSession', () => {
  it('PLAIN: the right password authenticates User:<name>; others fail with Kafka messages', () => {
    const ok = session();
    assert.equal(ok.handshake('PLAIN', false), true);
    assert.deepEqual(ok.authenticate(plainToken('', 'bob', 'bob-pw')).principal, 'User:bob');
    assert.equal(ok.authenticated, true);
    const cases: Array<[Buffer, RegExp]> = [
      [plainToken('', 'bob', 'nope'), /^Authentication failed: Invalid username or password$/],
      [plainToken('', 'eve', 'bob-pw'), /^Authentication failed: Invalid username or password$/],
      [plainToken('alice', 'bob', 'bob-pw'), /authorization id that is different from username/],
      [Buffer.from('bob\0bob-pw'), /expected 3 tokens/],
      [plainToken('', '', 'x'), /username not specified/],
    ];
    for (const [token, message] of cases) {
      const s = session();
      s.handshake('PLAIN', false);
      const step = s.authenticate(token);
      assert.match(step.error ?? '', message);
      assert.equal(s.authenticated, false);
      assert.equal(s.closeAfterResponse, true);
    }
  });

  it('SCRAM-SHA-512 over two tokens; a wrong password fails with the generic message', () => {
    for (const [pw, good] of [
      ['alice-secret', true],
      ['wrong', false],
    ] as const) {
      const s = session();
      assert.equal(s.handshake('SCRAM-SHA-512', false), true);
      const c = new ScramClient(SHA512, 'alice', pw);
      const first = s.authenticate(Buffer.from(c.first()));
      assert.equal(first.error, undefined);
      const last = s.authenticate(Buffer.from(c.final(first.response.toString())));
      if (good) {
        assert.equal(last.principal, 'User:alice');
        assert.equal(c.verify(last.response.toString()), true);
      } else
        assert.equal(
          last.error,
          'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
        );
    }
  });

  it('refuses a mechanism that is not enabled', () => {
    assert.equal(session().handshake('SCRAM-SHA-256', false), false);
    assert.equal(session().handshake('GSSAPI', true), false);
  });

  it('re-authentication keeps the principal or fails; the session expires after connections.max.reauth.ms', () => {
    let now = 1000;
    const s = session(5000, () => now);
    s.handshake('PLAIN', false);
    s.authenticate(plainToken('', 'bob', 'bob-pw'));
    assert.equal(s.expiresAt, 6000);
    now = 7000;
    s.handshake('PLAIN', false);
    assert.equal(s.authenticate(plainToken('', 'bob', 'bob-pw')).principal, 'User:bob');
    assert.equal(s.expiresAt, 12000);
  });
});

describe('pre-authentication gate', () => {
  const log = { info() {}, warn() {}, debug() {}, error() {} } as never;
  const conn = (s: SaslSession): ConnectionInfo => ({
    id: 1,
    remoteAddress: '127.0.0.1:1',
    listenerName: 'SASL_PLAINTEXT',
    securityProtocol: 'SASL_PLAINTEXT',
    principal: 'User:ANONYMOUS',
    sasl: s,
  });
  const header = (apiKey: number) => {
    const b = Buffer.alloc(10);
    b.writeInt16BE(apiKey, 0);
    b.writeInt16BE(0, 2);
    b.writeInt32BE(1, 4);
    b.writeInt16BE(-1, 8);
    return b;
  };

  it('lets only ApiVersions and SaslHandshake through before the handshake, then only SaslAuthenticate', () => {
    const s = session();
    for (let key = 0; key <= 80; key++) {
      if (key === 18 || key === 17) assert.equal(saslGate(s, header(key), conn(s), log), undefined);
      else assert.throws(() => saslGate(s, header(key), conn(s), log), CloseConnection, `api ${key}`);
    }
    assert.throws(() => saslGate(s, Buffer.alloc(0), conn(s), log), CloseConnection);
    assert.throws(() => saslGate(s, Buffer.from([0xff]), conn(s), log), CloseConnection);
    s.handshake('PLAIN', false);
    assert.equal(saslGate(s, header(36), conn(s), log), undefined);
    for (const key of [0, 1, 3, 17, 18]) assert.throws(() => saslGate(s, header(key), conn(s), log), CloseConnection);
  });

  it('answers v0 raw tokens with bare frames, and closes on a failed one', () => {
    const s = session();
    s.handshake('PLAIN', true);
    const c = conn(s);
    const r = saslGate(s, plainToken('', 'bob', 'bob-pw'), c, log);
    assert.deepEqual(r?.chunks, [Buffer.from([0, 0, 0, 0])]);
    assert.equal(c.principal, 'User:bob');
    assert.equal(saslGate(s, header(3), c, log), undefined, 'authenticated: any request');
    const bad = session();
    bad.handshake('PLAIN', true);
    assert.throws(() => saslGate(bad, plainToken('', 'bob', 'x'), conn(bad), log), CloseConnection);
  });

  it('after the session lifetime only re-authentication is accepted', () => {
    let now = 0;
    const s = session(100, () => now);
    s.handshake('PLAIN', false);
    s.authenticate(plainToken('', 'bob', 'bob-pw'));
    assert.equal(saslGate(s, header(3), conn(s), log, 50), undefined);
    now = 200;
    assert.throws(() => saslGate(s, header(3), conn(s), log, 200), /expired/);
    assert.equal(saslGate(s, header(17), conn(s), log, 200), undefined);
  });
});
