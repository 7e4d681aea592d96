import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { interBrokerSecurity } from '../../../src/node/inter-broker.ts';
import { JwksFile } from '../../../src/security/jwks.ts';
import {
  clientInitialResponse,
  JwtValidator,
  parseClientInitialResponse,
  parseJwks,
  TokenError,
  UnsecuredValidator,
  unsecuredOptions,
} from '../../../src/security/oauthbearer.ts';
import { listenerSasl, SaslSession } from '../../../src/security/sasl.ts';
import { jwks, makeKey, signJwt, unsecuredJwt } from '../../helpers/jwt.ts';

const NOW = 1_800_000_000_000;
const S = NOW / 1000;
const dir = mkdtempSync(path.join(tmpdir(), 'oauth-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('OAUTHBEARER client initial response', () => {
  it('parses RFC 7628 messages with an authzid and extensions', () => {
    const r = parseClientInitialResponse(Buffer.from('n,a=al=2Cice,\x01auth=Bearer abc.def.\x01traceId=42\x01\x01'));
    assert.equal(r.authzid, 'al,ice');
    assert.equal(r.token, 'abc.def.');
    assert.equal(r.extensions.get('traceId'), '42');
    assert.equal(parseClientInitialResponse(clientInitialResponse('x.y.z')).token, 'x.y.z');
  });
  it('refuses malformed messages with Kafka’s message', () => {
    for (const bad of [
      '',
      'n,,auth=Bearer x\x01\x01',
      'n,,\x01auth=Bearer x\x01',
      'n,,\x01\x01',
      'n,,\x01auth=Basic x\x01\x01',
      'n,,\x01auth=Bearer x y\x01\x01',
      'y,,\x01auth=Bearer x\x01\x01',
    ])
      assert.throws(() => parseClientInitialResponse(Buffer.from(bad)), /Invalid OAUTHBEARER client first message/);
  });
});

describe('unsecured validator (Kafka’s OAuthBearerUnsecuredValidatorCallbackHandler)', () => {
  const v = (opts: Record<string, string> = {}) =>
    new UnsecuredValidator(unsecuredOptions(new Map(Object.entries(opts))));
  it('accepts alg none tokens and takes the principal from sub (or the configured claim)', () => {
    const t = v().validate(unsecuredJwt({ sub: 'alice', iat: S - 10, exp: S + 3600 }), NOW);
    assert.equal(t.principal, 'alice');
    assert.equal(t.expiresAtMs, (S + 3600) * 1000);
    const u = v({ unsecuredValidatorPrincipalClaimName: 'user' }).validate(
      unsecuredJwt({ user: 'bob', exp: S + 1 }),
      NOW,
    );
    assert.equal(u.principal, 'bob');
  });
  it('checks exp, iat, their order and the clock skew', () => {
    assert.throws(() => v().validate(unsecuredJwt({ sub: 'a', exp: S }), NOW), /on or after the Expiration Time/);
    assert.throws(() => v().validate(unsecuredJwt({ sub: 'a' }), NOW), /Required claim missing: exp/);
    assert.throws(() => v().validate(unsecuredJwt({ sub: 'a', exp: S + 9, iat: S + 5 }), NOW), /Issued At/);
    assert.throws(() => v().validate(unsecuredJwt({ exp: S + 9 }), NOW), /Required claim missing: sub/);
    assert.throws(() => v().validate(unsecuredJwt({ sub: 7, exp: S + 9 }), NOW), /incorrect type/);
    const skew = v({ unsecuredValidatorAllowableClockSkewMs: '5000' });
    assert.equal(skew.validate(unsecuredJwt({ sub: 'a', exp: S - 2 }), NOW).principal, 'a');
    assert.equal(skew.validate(unsecuredJwt({ sub: 'a', exp: S + 3, iat: S + 2 }), NOW).principal, 'a');
  });
  it('requires the configured scope (insufficient_scope); a string scope is one element, as in Kafka', () => {
    const r = v({ unsecuredValidatorRequiredScope: 'write read' });
    assert.deepEqual(r.validate(unsecuredJwt({ sub: 'a', exp: S + 9, scope: ['read', ' write ', 'x'] }), NOW).scope, [
      'read',
      'write',
      'x',
    ]);
    assert.throws(
      () => r.validate(unsecuredJwt({ sub: 'a', exp: S + 9, scope: ['read'] }), NOW),
      (e: TokenError) => e.scope === '[write, read]' && /missing a required scope \(write\)/.test(e.message),
    );
    assert.throws(() => r.validate(unsecuredJwt({ sub: 'a', exp: S + 9, scope: 'read write' }), NOW), TokenError);
    assert.deepEqual(v().validate(unsecuredJwt({ sub: 'a', exp: S + 9, scope: ' read write ' }), NOW).scope, [
      'read write',
    ]);
    assert.throws(() => v().validate(unsecuredJwt({ sub: 'a', exp: S + 9, scope: 3 }), NOW), /not of type List/);
  });
  it('refuses signed tokens and other algorithms', () => {
    const key = makeKey('RS256', 'k');
    assert.throws(() => v().validate(signJwt(key, { sub: 'a', exp: S + 9 }), NOW), /empty signature/);
    const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    assert.throws(() => v().validate(`${b({ alg: 'HS256' })}.${b({ sub: 'a', exp: S + 9 })}.`, NOW), /alg "none"/);
    assert.throws(() => v().validate('a.b', NOW), /3 dot-separated/);
  });
});

describe('signed JWT validator', () => {
  const keys = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384'].map((alg) => makeKey(alg, `kid-${alg}`));
  const source = { keys: () => parseJwks(jwks(keys)), refresh: () => parseJwks(jwks(keys)) };
  const validator = new JwtValidator(source, {
    audience: ['tributary'],
    issuer: 'https://issuer.test',
    clockSkewSeconds: 30,
    scopeClaim: 'scope',
    subClaim: 'sub',
  });
  const claims = { sub: 'carol', aud: 'tributary', iss: 'https://issuer.test', iat: S - 60, exp: S + 600 };

  it('accepts each algorithm with its key', () => {
    for (const k of keys) assert.equal(validator.validate(signJwt(k, claims), NOW).principal, 'carol', k.alg);
  });
  it('refuses a wrong key, expiry, audience, issuer, alg none and a missing sub', () => {
    const [rs, other] = [keys[0]!, makeKey('RS256', 'kid-RS256')];
    assert.throws(() => validator.validate(signJwt(other, claims), NOW), /signature is invalid/);
    assert.throws(() => validator.validate(signJwt(rs, { ...claims, exp: S - 31 }), NOW), /expired/);
    assert.equal(validator.validate(signJwt(rs, { ...claims, exp: S - 29 }), NOW).principal, 'carol'); // skew
    assert.throws(() => validator.validate(signJwt(rs, { ...claims, aud: ['x', 'y'] }), NOW), /audience/);
    assert.throws(() => validator.validate(signJwt(rs, { ...claims, iss: 'evil' }), NOW), /issuer/);
    assert.throws(() => validator.validate(signJwt(rs, { ...claims, sub: undefined }), NOW), /claim missing: sub/);
    assert.throws(() => validator.validate(signJwt(rs, { ...claims, iat: S + 60 }), NOW), /future/);
    assert.throws(() => validator.validate(signJwt(rs, { ...claims, nbf: S + 60 }), NOW), /not valid before/);
    assert.throws(() => validator.validate(signJwt(rs, claims, { kid: 'nope' }), NOW), /No key with kid/);
    assert.throws(() => validator.validate(unsecuredJwt(claims), NOW), /algorithm "none" is not accepted/);
    assert.throws(() => validator.validate(signJwt(rs, claims, { crit: ['exp'] }), NOW), /crit/);
    // An RSA key named by kid cannot verify an ES256 header (algorithm confusion).
    assert.throws(() => validator.validate(signJwt(keys[4]!, claims, { kid: 'kid-RS256' }), NOW), TokenError);
  });
  it('any change to the signature or the signed part is refused (property)', () => {
    const token = signJwt(keys[0]!, claims);
    const es = signJwt(keys[4]!, claims);
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (ec, pos, flip) => {
        const t = ec ? es : token;
        const dot = t.lastIndexOf('.');
        const sig = Buffer.from(t.slice(dot + 1), 'base64url');
        sig[pos % sig.length]! ^= flip;
        const mutated = `${t.slice(0, dot)}.${sig.toString('base64url')}`;
        assert.throws(() => validator.validate(mutated, NOW), /signature is invalid/);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), (sub) => {
        fc.pre(sub !== 'carol');
        const [h, , s] = token.split('.');
        const p = Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url');
        assert.throws(() => validator.validate(`${h}.${p}.${s}`, NOW), /signature is invalid/);
      }),
      { numRuns: 50 },
    );
  });
});

describe('JWKS file', () => {
  it('reads a file: URL, re-reads it on change and keeps the old keys when a re-read fails', () => {
    const [a, b] = [makeKey('RS256', 'a'), makeKey('RS256', 'b')];
    const file = path.join(dir, 'jwks.json');
    writeFileSync(file, jwks([a]));
    const src = new JwksFile(pathToFileURL(file).href, 3_600_000, undefined, 0);
    assert.deepEqual(
      src.keys(0).map((k) => k.kid),
      ['a'],
    );
    writeFileSync(file, jwks([a, b]));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(
      src.keys(500).map((k) => k.kid),
      ['a'],
      'checked at most once a second',
    );
    assert.deepEqual(
      src.keys(1500).map((k) => k.kid),
      ['a', 'b'],
    );
    writeFileSync(file, '{not json');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    assert.deepEqual(
      src.refresh(3000).map((k) => k.kid),
      ['a', 'b'],
    );
  });
  it('refuses https and missing files at start', () => {
    assert.throws(() => new JwksFile('https://idp.example/keys', 1000), /not built/);
    assert.throws(() => new JwksFile(pathToFileURL(path.join(dir, 'none.json')).href, 1000), /cannot use the JWKS/);
  });
});

describe('OAUTHBEARER listener config and session', () => {
  const JAAS = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;';
  const cfg = (extra: string[]) =>
    loadBrokerConfig({
      env: {},
      hostname: 'h',
      overrides: [
        'listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093',
        'inter.broker.listener.name=PLAINTEXT',
        'sasl.enabled.mechanisms=OAUTHBEARER',
        ...extra,
      ],
    });
  const listener = (c: ReturnType<typeof cfg>) => c.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!;
  const key = makeKey('RS256', 'k1');
  const file = path.join(dir, 'listener-jwks.json');
  writeFileSync(file, jwks([key]));
  const url = pathToFileURL(file).href;

  it('uses the unsecured validator without a JWKS, and the JWT one with a file: JWKS', () => {
    const c = cfg([`listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=${JAAS}`]);
    assert.equal(listenerSasl(c, listener(c)).oauth?.kind, 'unsecured');
    const j = cfg([
      `sasl.jaas.config=${JAAS}`,
      `listener.name.sasl_plaintext.oauthbearer.sasl.oauthbearer.jwks.endpoint.url=${url}`,
      'sasl.oauthbearer.expected.audience=tributary',
      'sasl.oauthbearer.expected.issuer=iss',
      'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
    ]);
    assert.equal(listenerSasl(j, listener(j)).oauth?.kind, 'jwt');
  });
  it('refuses https JWKS URLs, other classes, and a JWKS without expected issuer/audience', () => {
    const bad = (extra: string[], re: RegExp) => {
      const c = cfg([`sasl.jaas.config=${JAAS}`, ...extra]);
      assert.throws(
        () => listenerSasl(c, listener(c)),
        (e: Error) => e instanceof ConfigError && re.test(e.message),
      );
    };
    const aud = ['sasl.oauthbearer.expected.audience=a', 'sasl.oauthbearer.expected.issuer=i'];
    bad(['sasl.oauthbearer.jwks.endpoint.url=https://idp.example/jwks', ...aud], /not built/);
    bad([`sasl.oauthbearer.jwks.endpoint.url=${url}`, 'sasl.oauthbearer.expected.issuer=i'], /audience/);
    bad([`sasl.oauthbearer.jwks.endpoint.url=${url}`, 'sasl.oauthbearer.expected.audience=a'], /issuer/);
    bad(['sasl.server.callback.handler.class=com.example.Evil'], /loads no classes/);
    const c = cfg(['sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required;']);
    assert.throws(() => listenerSasl(c, listener(c)), /OAUTHBEARER needs/);
  });
  it('is refused between brokers (no token source on the broker side)', () => {
    const c = loadBrokerConfig({
      env: {},
      hostname: 'h',
      overrides: [
        'listeners=PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9093',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
        'inter.broker.listener.name=INTERNAL',
        'sasl.mechanism.inter.broker.protocol=OAUTHBEARER',
        `sasl.jaas.config=${JAAS}`,
      ],
    });
    assert.throws(
      () => interBrokerSecurity(c),
      /sasl.mechanism.inter.broker.protocol.*PLAIN, SCRAM-SHA-256, SCRAM-SHA-512$/,
    );
  });
  it('runs the exchange: error challenge then %x01 fails; the session lifetime is capped by exp', () => {
    const c = cfg([`sasl.jaas.config=${JAAS}`, 'connections.max.reauth.ms=3600000']);
    const conf = listenerSasl(c, listener(c));
    const now = () => NOW;
    const ok = new SaslSession(conf, () => undefined, Buffer.alloc(32), now);
    assert.ok(ok.handshake('OAUTHBEARER', false));
    const step = ok.authenticate(clientInitialResponse(unsecuredJwt({ sub: 'alice', exp: S + 60 })));
    assert.equal(step.principal, 'User:alice');
    assert.equal(ok.sessionLifetimeMs, 60_000);
    assert.equal(ok.expiresAt, NOW + 60_000);

    const bad = new SaslSession(conf, () => undefined, Buffer.alloc(32), now);
    bad.handshake('OAUTHBEARER', false);
    const token = unsecuredJwt({ sub: 'alice', exp: S - 60 });
    const challenge = bad.authenticate(clientInitialResponse(token));
    assert.equal(challenge.error, undefined);
    assert.equal(challenge.response.toString(), '{"status":"invalid_token"}');
    const fail = bad.authenticate(Buffer.from([1]));
    assert.equal(fail.error, '{"status":"invalid_token"}');
    assert.match(fail.reason ?? '', /Expiration Time/);
    assert.ok(!(fail.reason ?? '').includes(token.split('.')[1]!), 'the token is never in the log');
    assert.ok(bad.closeAfterResponse);

    const z = new SaslSession(conf, () => undefined, Buffer.alloc(32), now);
    z.handshake('OAUTHBEARER', false);
    assert.match(
      z.authenticate(clientInitialResponse(unsecuredJwt({ sub: 'alice', exp: S + 9 }), 'bob')).error ?? '',
      /authorization id \(bob\)/,
    );
  });
});
