// The client's SASL exchange (client/security.ts) against the broker's own SCRAM and PLAIN logic through a fake
// connection: the messages in order, a server that cannot prove the credential is refused, broker errors keep
// Kafka's names, and the re-authentication point falls between 85% and 95% of the session lifetime.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KafkaClientError } from '../../../src/client/errors.ts';
import { checkSasl, reauthDelayMs, type SendFn, saslAuthenticate } from '../../../src/client/security.ts';
import { credentialFromPassword, ScramServer, scramMechanismByName } from '../../../src/security/scram.ts';

const m512 = scramMechanismByName('SCRAM-SHA-512')!;
const cred = credentialFromPassword(m512, 'alice-secret', 4096);

/** A broker side for one exchange: SaslHandshake, then tokens through a ScramServer (optionally tampering). */
function scramBroker(opts: { tamper?: boolean; lifetimeMs?: number } = {}): { send: SendFn; apis: number[] } {
  const server = new ScramServer(m512, (u) => (u === 'alice' ? cred : undefined), Buffer.alloc(32, 1));
  const apis: number[] = [];
  const send = (async (apiKey: number, _version: number, body: unknown) => {
    apis.push(apiKey);
    if (apiKey === 17) return { errorCode: 0, mechanisms: ['SCRAM-SHA-512'] };
    const token = (body as { authBytes: Buffer }).authBytes.toString();
    try {
      if (server.stage === 'first')
        return { errorCode: 0, errorMessage: null, authBytes: Buffer.from(server.first(token)), sessionLifetimeMs: 0n };
      let last = server.final(token);
      if (opts.tamper) last = `v=${Buffer.alloc(64, 7).toString('base64')}`;
      return {
        errorCode: 0,
        errorMessage: null,
        authBytes: Buffer.from(last),
        sessionLifetimeMs: BigInt(opts.lifetimeMs ?? 0),
      };
    } catch {
      return {
        errorCode: 58,
        errorMessage: 'Authentication failed',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
  }) as SendFn;
  return { send, apis };
}

const versions = { handshake: 1, authenticate: 2 };

describe('client SASL', () => {
  it('SCRAM-SHA-512: handshake, two tokens, the server signature checked; the lifetime returned', async () => {
    const b = scramBroker({ lifetimeMs: 3000 });
    const sasl = { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: 'alice-secret' };
    assert.equal(await saslAuthenticate(b.send, sasl, versions, 'b:1'), 3000);
    assert.deepEqual(b.apis, [17, 36, 36]);
  });

  it('a wrong password is the broker error; a server that cannot prove the credential is refused', async () => {
    await assert.rejects(
      saslAuthenticate(
        scramBroker().send,
        { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'nope' },
        versions,
        'b:1',
      ),
      (e: KafkaClientError) => e.name === 'SASL_AUTHENTICATION_FAILED',
    );
    await assert.rejects(
      saslAuthenticate(
        scramBroker({ tamper: true }).send,
        { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret' },
        versions,
        'b:1',
      ),
      /did not prove it knows the SCRAM credential/,
    );
  });

  it('PLAIN sends authzid NUL user NUL password; an unsupported mechanism names the enabled ones', async () => {
    const tokens: string[] = [];
    const plain = (async (apiKey: number, _v: number, body: unknown) => {
      if (apiKey === 17) return { errorCode: 0, mechanisms: ['PLAIN'] };
      tokens.push((body as { authBytes: Buffer }).authBytes.toString());
      return { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }) as SendFn;
    await saslAuthenticate(plain, { mechanism: 'PLAIN', username: 'bob', password: 'pw' }, versions, 'b:1');
    assert.deepEqual(tokens, ['\u0000bob\u0000pw']);
    const refusing = (async () => ({ errorCode: 33, mechanisms: ['PLAIN'] })) as SendFn;
    await assert.rejects(
      saslAuthenticate(refusing, { mechanism: 'SCRAM-SHA-256', username: 'a', password: 'b' }, versions, 'b:1'),
      (e: KafkaClientError) => e.name === 'UNSUPPORTED_SASL_MECHANISM' && /enabled: PLAIN/.test(e.message),
    );
  });

  it('settings are checked before connecting', () => {
    assert.throws(() => checkSasl({ mechanism: 'GSSAPI' as never, username: 'a', password: 'b' }), /not supported/);
    assert.throws(() => checkSasl({ mechanism: 'PLAIN', username: '', password: 'b' }), /username/);
    assert.throws(() => checkSasl({ mechanism: 'PLAIN', username: 'a', password: '' }), /password/);
  });

  it('re-authentication happens between 85% and 95% of the lifetime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (l, r) => {
          const d = reauthDelayMs(l, () => r);
          return d >= Math.floor(l * 0.85) && d <= l * 0.95;
        },
      ),
    );
  });
});
