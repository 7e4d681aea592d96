// TLS listeners with Kafka's ssl.* keys: kcat, confluent-kafka (librdkafka) and kafka-python produce and consume
// over SSL; mTLS with ssl.client.auth=required on a named listener configured by listener.name.<l>.ssl.* overrides
// (inline PEM key and trust store, principal mapping rules); TLS versions; refused certificates.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import tls from 'node:tls';
import { BrokerConnection } from '../../src/client/connection.ts';
import { type BrokerHandle, freePort, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { type CertFiles, KEY_PASSWORD, makeCerts } from '../helpers/certs.ts';
import { describeRun, PY_DIR, requireBinary, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'security_clients.py');

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

/** Sends ApiVersions v0 over TLS; resolves the response's correlation id, or the error that ended the attempt. */
function tlsApiVersions(port: number, opts: tls.ConnectionOptions): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => {
      const req = Buffer.alloc(14);
      req.writeInt32BE(10, 0);
      req.writeInt16BE(18, 4);
      req.writeInt16BE(0, 6);
      req.writeInt32BE(42, 8);
      req.writeInt16BE(-1, 12);
      sock.write(req);
    });
    const done = (r: { ok: boolean; error?: string }) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(10_000, () => done({ ok: false, error: 'timeout' }));
    sock.on('error', (e) => done({ ok: false, error: e.message }));
    sock.on('close', () => done({ ok: false, error: 'closed' }));
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 8) done({ ok: buf.readInt32BE(4) === 42 });
    });
  });
}

describe('TLS listeners', { timeout: 600_000 }, () => {
  let certs: CertFiles;
  const setup = sharedSetup(async () => {
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
    requirePython('kafka', 'apt-get install python3-kafka');
    certs = makeCerts();
    const sslPort = await freePort();
    const mtlsPort = await freePort();
    const tls13Port = await freePort();
    const broker = await startBrokerProcess({
      extraListeners: `SSL://127.0.0.1:${sslPort},MTLS://127.0.0.1:${mtlsPort},MODERN://127.0.0.1:${tls13Port}`,
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,MODERN:SSL',
        'inter.broker.listener.name': 'PLAINTEXT',
        // Broker-wide: a PEM key store file, the key inside as encrypted PKCS#8.
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': keystoreWithKey(certs, certs.brokerKeyEncrypted),
        'ssl.key.password': KEY_PASSWORD,
        // The MTLS listener: inline PEM key (PBE-SHA1-3DES) and chain, inline trust store, client auth required,
        // and a mapping rule that lets only CN=carol in.
        'listener.name.mtls.ssl.keystore.key': readFileSync(certs.brokerKeyPbe3des, 'utf8'),
        'listener.name.mtls.ssl.keystore.certificate.chain': readFileSync(certs.brokerCert, 'utf8'),
        'listener.name.mtls.ssl.truststore.type': 'PEM',
        'listener.name.mtls.ssl.truststore.certificates': readFileSync(certs.caCert, 'utf8'),
        'listener.name.mtls.ssl.client.auth': 'required',
        'listener.name.mtls.ssl.principal.mapping.rules': 'RULE:^CN=(carol),O=Tributary Test,C=US$/$1/U, RULE:^CN=x/y/',
        'listener.name.modern.ssl.enabled.protocols': 'TLSv1.3',
        // The authorizer is on, but resources without ACLs stay open; the PLAINTEXT listener (User:ANONYMOUS)
        // administers ACLs.
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
        'allow.everyone.if.no.acl.found': 'true',
        'super.users': 'User:ANONYMOUS',
      },
    });
    return { kcat, python, broker, sslPort, mtlsPort, tls13Port };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker as BrokerHandle | undefined));

  test('kcat produces and consumes over SSL (encrypted PKCS#8 key in a PEM key store)', async () => {
    const { kcat, sslPort } = await setup.get();
    const common = [
      '-b',
      `127.0.0.1:${sslPort}`,
      '-X',
      'security.protocol=ssl',
      '-X',
      `ssl.ca.location=${certs.caCert}`,
    ];
    const input = Array.from({ length: 10 }, (_, i) => `m${i}\n`).join('');
    const p = await runProcess(kcat, [...common, '-P', '-t', 'tls-kcat', '-p', '0'], { input, timeoutMs: 30_000 });
    assert.equal(p.code, 0, describeRun('kcat -P', p));
    const c = await runProcess(
      kcat,
      [...common, '-C', '-t', 'tls-kcat', '-p', '0', '-o', 'beginning', '-c', '10', '-e'],
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal(c.code, 0, describeRun('kcat -C', c));
    assert.deepEqual(c.stdout.trim().split('\n'), input.trim().split('\n'));
    // Metadata over the SSL listener names the SSL listener's port, not the PLAINTEXT one.
    const md = await runProcess(kcat, [...common, '-L', '-J'], { timeoutMs: 30_000 });
    assert.equal(md.code, 0, describeRun('kcat -L', md));
    const brokers = (JSON.parse(md.stdout) as { brokers: { name: string }[] }).brokers;
    assert.deepEqual(
      brokers.map((b) => b.name),
      [`127.0.0.1:${sslPort}`],
    );
  });

  test('confluent-kafka and kafka-python produce and consume over SSL, with a group', async () => {
    const { python, sslPort } = await setup.get();
    for (const client of ['confluent', 'kafka-python']) {
      const res = await runPy(python, client, {
        bootstrap: `127.0.0.1:${sslPort}`,
        topic: `tls-${client}`,
        n: 20,
        group: `g-${client}`,
        security: { protocol: 'SSL', ca: certs.caCert },
      });
      assert.equal(res.error, null, `${client}: ${JSON.stringify(res)}`);
      assert.deepEqual(res.produced, [...Array(20).keys()], client);
      assert.deepEqual(
        res.consumed,
        Array.from({ length: 20 }, (_, i) => `v${i}`),
        client,
      );
    }
  });

  test('mTLS: a client certificate the rules map is let in (confluent-kafka, kafka-python, kcat)', async () => {
    const { python, kcat, mtlsPort } = await setup.get();
    const carol = certs.client('carol');
    for (const client of ['confluent', 'kafka-python']) {
      const res = await runPy(python, client, {
        bootstrap: `127.0.0.1:${mtlsPort}`,
        topic: `mtls-${client}`,
        n: 5,
        group: null,
        security: { protocol: 'SSL', ca: certs.caCert, cert: carol.cert, key: carol.key },
      });
      assert.equal(res.error, null, `${client}: ${JSON.stringify(res)}`);
      assert.equal(res.consumed.length, 5, client);
    }
    const ssl = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caCert}`];
    const withCert = [...ssl, '-X', `ssl.certificate.location=${carol.cert}`, '-X', `ssl.key.location=${carol.key}`];
    const ok = await runProcess(kcat, ['-b', `127.0.0.1:${mtlsPort}`, ...withCert, '-L'], { timeoutMs: 30_000 });
    assert.equal(ok.code, 0, describeRun('kcat -L with a certificate', ok));
    // Without a certificate the handshake fails: kcat gives up with an error instead of listing metadata.
    const no = await runProcess(kcat, ['-b', `127.0.0.1:${mtlsPort}`, ...ssl, '-L', '-m', '5'], { timeoutMs: 30_000 });
    assert.notEqual(no.code, 0, describeRun('kcat -L without a certificate', no));
  });

  test('mTLS: ACLs see the mapped principal (User:CAROL), not the raw distinguished name (confluent-kafka)', async () => {
    const { python, mtlsPort, broker } = await setup.get();
    const allowWrite = (topic: string, principal: string) => ({
      resourceType: 2, // TOPIC
      resourceName: topic,
      resourcePatternType: 3, // LITERAL
      principal,
      host: '*',
      operation: 4, // WRITE
      permissionType: 3, // ALLOW
    });
    const admin = await BrokerConnection.open('127.0.0.1', broker.port);
    const created = await admin.send<{ results: { errorCode: number }[] }>(30, 1, {
      creations: [allowWrite('carol-only', 'User:CAROL'), allowWrite('dn-only', 'User:CN=carol,O=Tributary Test,C=US')],
    });
    admin.close();
    assert.deepEqual(
      created.results.map((r) => r.errorCode),
      [0, 0],
    );
    const carol = certs.client('carol');
    const security = { protocol: 'SSL', ca: certs.caCert, cert: carol.cert, key: carol.key };
    const produce = (topic: string) =>
      runPy(python, 'confluent', { bootstrap: `127.0.0.1:${mtlsPort}`, topic, n: 2, group: null, security });
    const ok = await produce('carol-only');
    assert.deepEqual(ok.produced, [0, 1], JSON.stringify(ok));
    const denied = await produce('dn-only');
    assert.deepEqual(denied.produced, []);
    assert.match(denied.error ?? '', /Topic authorization failed/i, denied.error ?? '');
  });

  test('mTLS: no certificate, an untrusted one, or one no mapping rule matches is refused', async () => {
    const { mtlsPort, broker } = await setup.get();
    const ca = readFileSync(certs.caCert);
    const carol = certs.client('carol');
    const ok = await tlsApiVersions(mtlsPort, {
      ca,
      cert: readFileSync(carol.cert),
      key: readFileSync(carol.key),
    });
    assert.deepEqual(ok, { ok: true });
    assert.equal((await tlsApiVersions(mtlsPort, { ca })).ok, false, 'no certificate');
    const mallory = certs.client('mallory', 'self');
    const untrusted = await tlsApiVersions(mtlsPort, {
      ca,
      cert: readFileSync(mallory.cert),
      key: readFileSync(mallory.key),
    });
    assert.equal(untrusted.ok, false, 'self-signed certificate');
    const dave = certs.client('dave');
    const unmapped = await tlsApiVersions(mtlsPort, { ca, cert: readFileSync(dave.cert), key: readFileSync(dave.key) });
    assert.equal(unmapped.ok, false, 'no rule maps CN=dave');
    assert.match(broker.logs(), /SSL authentication failed.*No rules apply to CN=dave,O=Tributary Test,C=US/);
  });

  test('ssl.enabled.protocols per listener: TLSv1.3 only refuses a TLSv1.2 client; TLSv1.1 is refused by default', async () => {
    const { sslPort, tls13Port } = await setup.get();
    const ca = readFileSync(certs.caCert);
    assert.deepEqual(await tlsApiVersions(tls13Port, { ca, maxVersion: 'TLSv1.3' }), { ok: true });
    assert.equal((await tlsApiVersions(tls13Port, { ca, maxVersion: 'TLSv1.2' })).ok, false);
    assert.deepEqual(await tlsApiVersions(sslPort, { ca, maxVersion: 'TLSv1.2' }), { ok: true });
    assert.equal((await tlsApiVersions(sslPort, { ca, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' })).ok, false);
  });

  test('a plaintext request to a TLS port and a TLS hello to the PLAINTEXT port get the connection closed', async () => {
    const { sslPort, broker } = await setup.get();
    const net = await import('node:net');
    const closed = (port: number, bytes: Buffer) =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
        s.setTimeout(10_000, () => {
          s.destroy();
          resolve(false);
        });
        s.on('data', () => undefined);
        s.on('error', () => undefined);
        s.on('close', () => resolve(true));
      });
    const apiVersions = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
    assert.equal(await closed(sslPort, apiVersions), true);
    // The first bytes of a TLS ClientHello read as a frame size of about 369 MB: over socket.request.max.bytes.
    const hello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    assert.equal(await closed(broker.port, hello), true);
  });
});

/** A PEM key store file holding the given key and the broker certificate. */
function keystoreWithKey(certs: CertFiles, keyFile: string): string {
  const file = path.join(certs.dir, `keystore-${path.basename(keyFile)}.pem`);
  writeFileSync(file, readFileSync(keyFile, 'utf8') + readFileSync(certs.brokerCert, 'utf8'));
  return file;
}
