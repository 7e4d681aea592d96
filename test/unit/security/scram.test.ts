import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  credentialFromPassword,
  credentialFromSaltedPassword,
  ScramClient,
  type ScramCredential,
  ScramError,
  ScramServer,
  saltedPassword,
  scramMechanismByName,
} from '../../../src/security/scram.ts';

const SHA256 = scramMechanismByName('SCRAM-SHA-256')!;
const SHA512 = scramMechanismByName('SCRAM-SHA-512')!;
const SECRET = Buffer.alloc(32, 7);

describe('SCRAM', () => {
  it('matches the RFC 7677 SCRAM-SHA-256 example exchange', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const cred = credentialFromSaltedPassword(SHA256, saltedPassword(SHA256, 'pencil', salt, 4096), salt, 4096);
    const server = new ScramServer(
      SHA256,
      (u) => (u === 'user' ? cred : undefined),
      SECRET,
      () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    );
    assert.equal(
      server.first('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'),
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    assert.equal(
      server.final(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
      'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    );
    assert.equal(server.complete, true);
    assert.equal(server.user, 'user');
  });

  const store = new Map<string, ScramCredential>();
  const lookup = (u: string, m: { name: string }) => store.get(`${m.name}/${u}`);
  store.set('SCRAM-SHA-512/alice', credentialFromPassword(SHA512, 'alice-secret', 4096));

  const exchange = (user: string, password: string, tamper?: (final: string) => string) => {
    const client = new ScramClient(SHA512, user, password);
    const server = new ScramServer(SHA512, lookup, SECRET);
    const serverFirst = server.first(client.first());
    let final = client.final(serverFirst);
    if (tamper) final = tamper(final);
    const serverFinal = server.final(final);
    return { ok: client.verify(serverFinal), server };
  };

  it('authenticates the right password and the client verifies the server signature', () => {
    const r = exchange('alice', 'alice-secret');
    assert.equal(r.ok, true);
    assert.equal(r.server.user, 'alice');
  });

  it('refuses a wrong password, an unknown user (same error), a changed nonce or channel binding', () => {
    assert.throws(() => exchange('alice', 'wrong'), /Invalid client credentials/);
    assert.throws(() => exchange('mallory', 'x'), /Invalid client credentials/);
    assert.throws(() => exchange('alice', 'alice-secret', (f) => f.replace(/r=([^,]*)/, 'r=$1x')), /nonce/);
    assert.throws(() => exchange('alice', 'alice-secret', (f) => f.replace(/r=([^,]*).,/, 'r=$1,')), /nonce/);
    assert.throws(() => exchange('alice', 'alice-secret', (f) => f.replace('c=biws', 'c=eSws')), /channel binding/);
  });

  it('refuses a replayed client final message (the server nonce differs each time)', () => {
    const client = new ScramClient(SHA512, 'alice', 'alice-secret', 'fixed-client-nonce');
    const s1 = new ScramServer(SHA512, lookup, SECRET);
    const captured = client.final(s1.first(client.first()));
    s1.final(captured);
    const s2 = new ScramServer(SHA512, lookup, SECRET);
    s2.first(client.first());
    assert.throws(() => s2.final(captured), ScramError);
  });

  it('gives an unknown user a stable made-up salt, so existence does not show', () => {
    const a = new ScramServer(SHA512, lookup, SECRET).first('n,,n=ghost,r=abc');
    const b = new ScramServer(SHA512, lookup, SECRET).first('n,,n=ghost,r=abc');
    assert.equal(a.replace(/^r=[^,]*/, ''), b.replace(/^r=[^,]*/, ''));
  });

  it('refuses malformed first messages, channel binding, authzid of another user and messages out of order', () => {
    for (const bad of ['', 'n,,', 'x,,n=a,r=b', 'p=tls-unique,,n=alice,r=x', 'n,,n=alice', 'n,a=bob,n=alice,r=x'])
      assert.throws(() => new ScramServer(SHA512, lookup, SECRET).first(bad), ScramError, bad);
    const s = new ScramServer(SHA512, lookup, SECRET);
    assert.throws(() => s.final('c=biws,r=x,p=AAAA'), ScramError);
    assert.equal(new ScramServer(SHA512, lookup, SECRET).first('n,a=alice,n=alice,r=x').startsWith('r=x'), true);
  });

  it('never throws anything but ScramError on arbitrary client messages', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (first, final) => {
        const s = new ScramServer(SHA512, lookup, SECRET);
        try {
          s.first(first);
          s.final(final);
          return false; // no arbitrary final message may authenticate
        } catch (e) {
          return e instanceof ScramError;
        }
      }),
    );
  });
});
