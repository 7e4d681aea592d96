// Dynamic reload of a TLS listener's stores (Kafka's SslFactory reconfiguration): which keys may change and where,
// the validation of new stores against the certificate served now (must load, same DN and SANs unless allowed), and
// the reload of a socket server's listener.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { ConfigService } from '../../../src/broker/config-service.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { checkBrokerChange } from '../../../src/config/dynamic-broker.ts';
import { describeBrokerConfig } from '../../../src/config/topic-config.ts';
import { listenerTls } from '../../../src/security/tls.ts';
import {
  keystoreChangeProblem,
  keystoreIdentity,
  reloadTlsListeners,
  servedCertificate,
  storesFingerprint,
} from '../../../src/security/tls-reload.ts';
import { SocketServer } from '../../../src/server/socket-server.ts';
import { createLogger } from '../../../src/util/log.ts';
import { type CertFiles, makeCerts } from '../../helpers/certs.ts';

const KEY = 'listener.name.ssl.ssl.keystore.location';

describe('keystoreChangeProblem', () => {
  const a = { dn: 'CN=localhost,O=Tributary Test', sans: ['DNS:localhost', 'IP Address:127.0.0.1'] };
  const none = { dn: false, san: false };
  it('accepts the same identity, a DN differing only in case, and added SANs', () => {
    assert.equal(keystoreChangeProblem(a, a, none), undefined);
    assert.equal(keystoreChangeProblem(a, { ...a, dn: 'cn=LOCALHOST,o=tributary test' }, none), undefined);
    assert.equal(keystoreChangeProblem(a, { ...a, sans: [...a.sans, 'DNS:broker1'] }, none), undefined);
  });
  it("refuses a new DN or a dropped SAN with Kafka's messages, unless allowed", () => {
    const dn = keystoreChangeProblem(a, { ...a, dn: 'CN=other,O=Tributary Test' }, none);
    assert.equal(
      dn,
      'Keystore DistinguishedName does not match:  existing={alias=kafka, DN=CN=localhost,O=Tributary Test}, ' +
        'new={alias=kafka, DN=CN=other,O=Tributary Test}',
    );
    const san = keystoreChangeProblem(a, { ...a, sans: ['DNS:localhost'] }, none);
    assert.match(
      san ?? '',
      /^Keystore SubjectAltNames do not match: {2}existing=\{alias=kafka, SAN=\[DNS:localhost, IP/,
    );
    assert.equal(keystoreChangeProblem(a, { ...a, dn: 'CN=other' }, { dn: true, san: false }), undefined);
    assert.equal(keystoreChangeProblem(a, { ...a, sans: [] }, { dn: false, san: true }), undefined);
  });
});

describe('checkBrokerChange with listener stores', () => {
  const base = loadBrokerConfig({ env: {}, hostname: 'h', overrides: [] });
  const check = (next: Record<string, string>, perBroker = true) => {
    const seen: string[] = [];
    const r = checkBrokerChange(next, Object.keys(next), (n) => base.withDynamic({}, n), {
      perBroker,
      checkListeners: (_cfg, names) => {
        seen.push(...names);
        return [];
      },
    });
    return { ...r, seen };
  };

  it('accepts a listener-prefixed store key for one broker and validates that listener', () => {
    const r = check({ 'listener.name.SSL.ssl.keystore.location': '/x.pem', 'listener.name.ssl.ssl.key.password': 'p' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.seen, ['ssl']);
    // The broker has no SSL listener: accepted (Kafka allows configuring a listener before it exists), with a warning.
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!.reason, /no listener named ssl/);
  });

  it("refuses store keys without the listener prefix, with Kafka's message", () => {
    const r = check({ 'ssl.keystore.location': '/x.pem' });
    assert.equal(r.errors[0]!.errorCode, 42);
    assert.equal(
      r.errors[0]!.message,
      'These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.location)',
    );
  });

  it('refuses listener keys at the cluster-wide default entity', () => {
    const r = check({ [KEY]: '/x.pem' }, false);
    assert.equal(r.errors[0]!.errorCode, 42);
    assert.match(r.errors[0]!.message, /^Cannot update these configs at default cluster level, broker id must be/);
    assert.deepEqual(r.seen, []);
  });

  it('refuses listener keys that are not reconfigured in place', () => {
    const r = check({ 'listener.name.ssl.ssl.client.auth': 'required' });
    assert.equal(
      r.errors[0]!.message,
      'Cannot update these configs dynamically: Set(listener.name.ssl.ssl.client.auth)',
    );
  });
});

describe('validating and applying new stores', () => {
  let certs: CertFiles;
  let variantB: { key: string; cert: string; keystore: string };
  let otherDn: { keystore: string };
  let fewerSans: { keystore: string };
  const staticOverrides = () => [
    'listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${certs.brokerKeystore}`,
  ];
  before(() => {
    certs = makeCerts();
    variantB = certs.brokerVariant('broker-b');
    otherDn = certs.brokerVariant('broker-dn', '/O=Tributary Test/CN=elsewhere');
    fewerSans = certs.brokerVariant('broker-san', '/O=Tributary Test/CN=localhost', 'subjectAltName=DNS:localhost\n');
  });

  /** A config service over a broker whose SSL listener serves brokerKeystore (A). */
  function service(extra: string[] = []) {
    const cfg = loadBrokerConfig({ env: {}, hostname: 'h', overrides: [...staticOverrides(), ...extra] });
    const ssl = cfg.listeners.find((l) => l.name === 'SSL')!;
    const served = listenerTls(cfg, ssl);
    const configs = new ConfigService(cfg);
    configs.servedTls = (name) => (name === 'SSL' ? served : undefined);
    const validate = (next: Record<string, string>) =>
      configs.validateBroker(String(cfg.nodeId), next, Object.keys(next));
    return { cfg, ssl, served, validate };
  }

  it('accepts a new certificate with the same DN and SANs', () => {
    const { validate } = service();
    assert.deepEqual(validate({ [KEY]: variantB.keystore }).errors, []);
  });

  it('refuses a store that cannot be read, naming the file', () => {
    const r = service().validate({ [KEY]: path.join(certs.dir, 'missing.pem') });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.errorCode, 42);
    assert.match(
      r.errors[0]!.message,
      /^Validation of dynamic config update of Set\(listener\.name\.ssl\.ssl\.keystore\.location\) failed: .*cannot read .*missing\.pem/,
    );
  });

  it('refuses a wrong key password and a key that does not match its certificate', () => {
    const { validate } = service();
    const enc = validate({
      [KEY]: writeStore('enc.pem', certs.brokerKeyEncrypted, variantB.cert),
      'listener.name.ssl.ssl.key.password': 'wrong',
    });
    assert.equal(enc.errors[0]!.errorCode, 42);
    assert.match(enc.errors[0]!.message, /cannot decrypt the private key/);
    const mismatch = validate({ [KEY]: writeStore('mismatch.pem', certs.brokerKey, variantB.cert) });
    assert.equal(mismatch.errors[0]!.errorCode, 42);
    assert.match(mismatch.errors[0]!.message, /unusable TLS settings/);
  });

  it('refuses a DN change and a dropped SAN unless the listener allows them', () => {
    const { validate } = service();
    const dn = validate({ [KEY]: otherDn.keystore });
    assert.equal(dn.errors[0]!.errorCode, 42);
    assert.match(
      dn.errors[0]!.message,
      /Keystore DistinguishedName does not match: .*DN=CN=localhost,O=Tributary Test.*DN=CN=elsewhere/,
    );
    assert.match(validate({ [KEY]: fewerSans.keystore }).errors[0]!.message, /Keystore SubjectAltNames do not match/);
    // ssl.allow.dn.changes is a static listener key (Kafka reconfigures only the stores).
    assert.equal(
      validate({ [KEY]: otherDn.keystore, 'listener.name.ssl.ssl.allow.dn.changes': 'true' }).errors[0]!.message,
      'Cannot update these configs dynamically: Set(listener.name.ssl.ssl.allow.dn.changes)',
    );
    const allowing = service(['listener.name.ssl.ssl.allow.dn.changes=true', 'ssl.allow.san.changes=true']);
    assert.deepEqual(allowing.validate({ [KEY]: otherDn.keystore }).errors, []);
    assert.deepEqual(allowing.validate({ [KEY]: fewerSans.keystore }).errors, []);
  });

  it('the identity and fingerprint of a store: same path with new contents is a change', () => {
    const { cfg, ssl, served } = service();
    const file = path.join(certs.dir, 'rotating.pem');
    copyFileSync(certs.brokerKeystore, file);
    const at = (c = cfg) => listenerTls(c.withDynamic({}, { [KEY]: file }), ssl);
    const first = at();
    assert.equal(storesFingerprint(first.options), storesFingerprint(served.options));
    copyFileSync(variantB.keystore, file);
    const second = at();
    assert.notEqual(storesFingerprint(second.options), storesFingerprint(first.options));
    assert.deepEqual(keystoreIdentity(second.options), keystoreIdentity(first.options));
    assert.notEqual(servedCertificate(second.options).serialNumber, servedCertificate(first.options).serialNumber);
  });

  it('DescribeConfigs shows the dynamic listener key, and hides inline private keys', () => {
    const { cfg } = service();
    const own = { [KEY]: variantB.keystore, 'listener.name.ssl.ssl.keystore.key': 'secret' };
    const entries = describeBrokerConfig(cfg, own);
    const loc = entries.find((e) => e.name === KEY)!;
    assert.equal(loc.value, variantB.keystore);
    assert.equal(loc.source, 'DYNAMIC_BROKER_CONFIG');
    assert.equal(loc.readOnly, false);
    const key = entries.find((e) => e.name === 'listener.name.ssl.ssl.keystore.key')!;
    assert.equal(key.value, null);
    assert.equal(key.sensitive, true);
  });

  describe('a socket server reloading its listener', () => {
    let server: SocketServer;
    let port = 0;
    const log = createLogger({ name: 'test', level: 'silent' });
    after(async () => server?.shutdown(100));

    it('new connections get the new certificate, open ones keep working; a bad change keeps the old one', async () => {
      const { cfg, ssl, served } = service();
      // Echoes each frame back: a round trip shows a connection works.
      const echo = {
        process: async (frame: Buffer) => {
          const size = Buffer.alloc(4);
          size.writeInt32BE(frame.length);
          return { chunks: [size, Buffer.from(frame)] };
        },
      };
      server = new SocketServer(echo, log, {
        maxRequestBytes: 1 << 20,
        maxQueuedRequests: 2,
        idleTimeoutMs: 60_000,
        maxConnections: 10,
      } as never);
      const [bound] = await server.listen([
        { name: 'SSL', host: '127.0.0.1', port: 0, securityProtocol: 'SSL', tls: served },
      ]);
      port = bound!.boundPort;
      const serialA = servedCertificate(served.options).serialNumber;
      const serialB = servedCertificate(
        listenerTls(cfg.withDynamic({}, { [KEY]: variantB.keystore }), ssl).options,
      ).serialNumber;
      const old = await connect(port);
      assert.equal(old.getPeerX509Certificate()?.serialNumber, serialA);

      // A DN change applied (e.g. after the file changed on disk) is refused and nothing changes.
      assert.deepEqual(reloadTlsListeners(server, cfg.withDynamic({}, { [KEY]: otherDn.keystore }), [ssl], log), []);
      assert.equal(server.servedTls('SSL'), served);
      assert.deepEqual(reloadTlsListeners(server, cfg.withDynamic({}, { [KEY]: variantB.keystore }), [ssl], log), [
        'SSL',
      ]);
      const fresh = await connect(port);
      assert.equal(fresh.getPeerX509Certificate()?.serialNumber, serialB);
      // Nothing changed: no reload.
      assert.deepEqual(reloadTlsListeners(server, cfg.withDynamic({}, { [KEY]: variantB.keystore }), [ssl], log), []);
      // The connection opened before the reload still works; the new one too.
      assert.equal(await roundTrip(old, 'before'), 'before');
      assert.equal(await roundTrip(fresh, 'after'), 'after');
      old.destroy();
      fresh.destroy();
    });
  });

  function writeStore(name: string, keyFile: string, certFile: string): string {
    const file = path.join(certs.dir, name);
    writeFileSync(file, readFileSync(keyFile, 'utf8') + readFileSync(certFile, 'utf8'));
    return file;
  }

  function roundTrip(sock: tls.TLSSocket, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      const onData = (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
          sock.off('data', onData);
          resolve(got.subarray(4).toString('utf8'));
        }
      };
      sock.on('data', onData);
      sock.once('close', () => reject(new Error('connection closed')));
      const body = Buffer.from(text);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      sock.write(Buffer.concat([size, body]));
    });
  }

  function connect(p: number): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const s = tls.connect(
        { host: '127.0.0.1', port: p, ca: readFileSync(certs.caCert), servername: 'localhost' },
        () => resolve(s),
      );
      s.once('error', reject);
    });
  }
});
