// Certificates reloaded without a restart (Kafka's dynamic SSL reconfiguration): a broker's SSL listener serves
// certificate A; Kafka's kafka-configs tool (4.4) and the TS admin client alter
// listener.name.ssl.ssl.keystore.location; new connections get the new certificate while one opened before keeps
// working; unreadable stores, a wrong key password and a changed DN are refused with Kafka's error and change
// nothing; the same path submitted again after its contents changed reloads.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import tls from 'node:tls';
import { Admin } from '../../src/client/admin.ts';
import { KafkaClientError } from '../../src/client/errors.ts';
import { type BrokerHandle, freePort, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { type CertFiles, KEY_PASSWORD, makeCerts } from '../helpers/certs.ts';
import { describeRun } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';

const CONFIGS = 'org.apache.kafka.tools.ConfigCommand';
const KEY = 'listener.name.ssl.ssl.keystore.location';

interface Setup {
  broker: BrokerHandle;
  sslPort: number;
  certs: CertFiles;
  libs: string;
  /** The path the test rotates: first certificate B, later C (same DN), always submitted under this name. */
  live: string;
  serial: { a: string; b: string; c: string };
  other: { dn: string; enc: string };
}

/** A TLS connection to the SSL listener that trusts the test CA. */
function connect(port: number, certs: CertFiles): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.caCert), servername: 'localhost' }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
}

/** The serial number of the certificate a new connection gets. */
async function servedSerial(s: Setup): Promise<string> {
  const sock = await connect(s.sslPort, s.certs);
  try {
    return sock.getPeerX509Certificate()!.serialNumber;
  } finally {
    sock.destroy();
  }
}

let correlation = 100;
/** ApiVersions v0 on an open connection: resolves true when the broker answers it. */
function apiVersions(sock: tls.TLSSocket): Promise<boolean> {
  const id = correlation++;
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(false), 15_000);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) finish(buf.readInt32BE(4) === id);
    };
    const onClose = () => finish(false);
    function finish(ok: boolean) {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      resolve(ok);
    }
    sock.on('data', onData);
    sock.once('close', onClose);
    const req = Buffer.alloc(14);
    req.writeInt32BE(10, 0);
    req.writeInt16BE(18, 4);
    req.writeInt16BE(0, 6);
    req.writeInt32BE(id, 8);
    req.writeInt16BE(-1, 12);
    sock.write(req);
  });
}

describe('TLS certificates reloaded without a restart', { timeout: 600_000 }, () => {
  const setup = sharedSetup(async (): Promise<Setup> => {
    const libs = ensureKafkaTools();
    const certs = makeCerts();
    const b = certs.brokerVariant('broker-b');
    const c = certs.brokerVariant('broker-c');
    const other = certs.brokerVariant('broker-other', '/O=Tributary Test/CN=someone-else');
    const live = path.join(certs.dir, 'live-keystore.pem');
    copyFileSync(b.keystore, live);
    // Certificate B's key encrypted, for the wrong-password case.
    const enc = path.join(certs.dir, 'b-encrypted.pem');
    writeFileSync(enc, readFileSync(certs.brokerKeyEncrypted, 'utf8') + readFileSync(b.cert, 'utf8'));
    const sslPort = await freePort();
    const broker = await startBrokerProcess({
      extraListeners: `SSL://127.0.0.1:${sslPort}`,
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL',
        'inter.broker.listener.name': 'PLAINTEXT',
        'ssl.keystore.type': 'PEM',
        [KEY]: certs.brokerKeystore,
      },
    });
    const serialOf = (file: string) => new X509Certificate(readFileSync(file)).serialNumber;
    return {
      broker,
      sslPort,
      certs,
      libs,
      live,
      serial: { a: serialOf(certs.brokerCert), b: serialOf(b.cert), c: serialOf(c.cert) },
      other: { dn: other.keystore, enc },
    };
  });
  let old: tls.TLSSocket | undefined;

  after(async () => {
    old?.destroy();
    const s = setup.value();
    await s?.broker.stop();
  });

  const configs = async (s: Setup, ...args: string[]) =>
    runKafkaTool(s.libs, CONFIGS, [
      '--bootstrap-server',
      s.broker.bootstrap,
      '--entity-type',
      'brokers',
      '--entity-name',
      '1',
      ...args,
    ]);

  test('kafka-configs.sh --alter gives new connections certificate B; the open one keeps working', async (t) => {
    const s = await setup.get();
    t.after(() => printLogsOnFailure(t, s.broker));
    old = await connect(s.sslPort, s.certs);
    assert.equal(old.getPeerX509Certificate()!.serialNumber, s.serial.a);
    assert.equal(await apiVersions(old), true);

    const r = await configs(s, '--alter', '--add-config', `${KEY}=${s.live}`);
    assert.equal(r.code, 0, describeRun('kafka-configs --alter', r));
    assert.match(r.stdout, /Completed updating config for broker 1/);
    assert.equal(await servedSerial(s), s.serial.b);
    assert.equal(await apiVersions(old), true, 'the connection opened before the reload still works');

    const d = await configs(s, '--describe');
    assert.equal(d.code, 0, describeRun('kafka-configs --describe', d));
    assert.ok(d.stdout.includes(`${KEY}=${s.live}`), d.stdout);
  });

  test('unreadable stores, a wrong key password and a DN change are refused and change nothing', async (t) => {
    const s = await setup.get();
    t.after(() => printLogsOnFailure(t, s.broker));
    const admin = new Admin({ bootstrapServers: s.broker.bootstrap });
    const refused = async (changes: Array<{ name: string; value: string }>): Promise<KafkaClientError> => {
      const e = await admin.alterConfigs({ type: 'broker', name: '1' }, changes).then(
        () => assert.fail('the change was accepted'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof KafkaClientError, String(e));
      assert.equal(e.code, 42, e.message); // INVALID_REQUEST
      return e;
    };
    try {
      const missing = await refused([{ name: KEY, value: path.join(s.certs.dir, 'nope.pem') }]);
      assert.match(missing.message, /cannot read .*nope\.pem/);
      const password = await refused([
        { name: KEY, value: s.other.enc },
        { name: 'listener.name.ssl.ssl.key.password', value: `${KEY_PASSWORD}-wrong` },
      ]);
      assert.match(password.message, /cannot decrypt the private key/);
      const dn = await refused([{ name: KEY, value: s.other.dn }]);
      assert.match(dn.message, /Keystore DistinguishedName does not match: .*CN=localhost.*CN=someone-else/);
      const unprefixed = await refused([{ name: 'ssl.keystore.location', value: s.live }]);
      assert.match(unprefixed.message, /only per-listener using the listener prefix/);
      // Nothing changed: the listener serves B, the config still names the live path.
      assert.equal(await servedSerial(s), s.serial.b);
      const entries = await admin.describeConfigs({ type: 'broker', name: '1' });
      assert.equal(entries.find((e) => e.name === KEY)?.value, s.live);
    } finally {
      await admin.close();
    }
    // The tool reports the refusal too.
    const r = await configs(s, '--alter', '--add-config', `${KEY}=${s.other.dn}`);
    assert.notEqual(r.code, 0, describeRun('kafka-configs --alter (DN change)', r));
    assert.match(r.stdout + r.stderr, /Keystore DistinguishedName does not match/);
    assert.equal(await servedSerial(s), s.serial.b);
  });

  test('the same path submitted again after its contents changed reloads (certificate C)', async (t) => {
    const s = await setup.get();
    t.after(() => printLogsOnFailure(t, s.broker));
    copyFileSync(path.join(s.certs.dir, 'broker-c-keystore.pem'), s.live);
    // Without a re-submit the listener keeps B.
    assert.equal(await servedSerial(s), s.serial.b);
    const admin = new Admin({ bootstrapServers: s.broker.bootstrap });
    try {
      await admin.alterConfigs({ type: 'broker', name: '1' }, [{ name: KEY, value: s.live }]);
    } finally {
      await admin.close();
    }
    assert.equal(await servedSerial(s), s.serial.c);
    assert.equal(await apiVersions(old!), true);
  });

  test('after a restart the listener serves the dynamic key store', async (t) => {
    const s = await setup.get();
    t.after(() => printLogsOnFailure(t, s.broker));
    old?.destroy();
    old = undefined;
    await s.broker.restart();
    assert.equal(await servedSerial(s), s.serial.c);
  });
});
