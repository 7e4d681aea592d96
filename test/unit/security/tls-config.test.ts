import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { ianaToOpenSsl, listenerTls } from '../../../src/security/tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'tls-config-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'k.pem',
    '-out',
    'c.pem',
    '-days',
    '1',
    '-subj',
    '/CN=t',
  ],
  { cwd: dir, stdio: 'ignore' },
);
execFileSync(
  'openssl',
  ['pkcs8', '-topk8', '-in', 'k.pem', '-out', 'enc.pem', '-v2', 'aes-128-cbc', '-passout', 'pass:pw'],
  {
    cwd: dir,
  },
);
execFileSync(
  'openssl',
  ['pkcs12', '-export', '-inkey', 'k.pem', '-in', 'c.pem', '-out', 'store.p12', '-passout', 'pass:p12pw'],
  { cwd: dir },
);
const key = readFileSync(join(dir, 'k.pem'), 'utf8');
const cert = readFileSync(join(dir, 'c.pem'), 'utf8');
writeFileSync(join(dir, 'store.pem'), key + cert);
writeFileSync(join(dir, 'enc-store.pem'), readFileSync(join(dir, 'enc.pem'), 'utf8') + cert);

const MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SECURE:SASL_SSL,INTERNAL:SSL';
function setup(extra: string[]) {
  const cfg = loadBrokerConfig({
    env: {},
    hostname: 'h',
    overrides: [
      'listeners=PLAINTEXT://:9092,SSL://:9093,SECURE://:9094,INTERNAL://:9095',
      `listener.security.protocol.map=${MAP}`,
      'inter.broker.listener.name=INTERNAL',
      ...extra,
    ],
  });
  return (name: string) => listenerTls(cfg, cfg.listeners.find((l) => l.name === name)!);
}

describe('listenerTls', () => {
  it('reads a PEM key store file and applies ssl.client.auth to SSL listeners only', () => {
    const tls = setup([
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${join(dir, 'store.pem')}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${join(dir, 'c.pem')}`,
      'ssl.client.auth=required',
    ]);
    const ssl = tls('SSL');
    assert.equal(ssl.clientAuth, 'required');
    assert.equal(ssl.options.requestCert, true);
    assert.equal(ssl.options.rejectUnauthorized, true);
    assert.equal(ssl.options.minVersion, 'TLSv1.2');
    assert.equal(ssl.options.maxVersion, 'TLSv1.3');
    // As Kafka: the broker-wide ssl.client.auth does not apply to SASL_SSL listeners.
    assert.equal(tls('SECURE').clientAuth, 'none');
  });

  it('takes per-listener overrides (any case in the prefix) over broker-wide values', () => {
    const tls = setup([
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${join(dir, 'store.pem')}`,
      `listener.name.INTERNAL.ssl.keystore.key=${key}`,
      `listener.name.internal.ssl.keystore.certificate.chain=${cert}`,
      `listener.name.secure.ssl.truststore.certificates=${cert}`,
      'listener.name.secure.ssl.truststore.type=PEM',
      'listener.name.secure.ssl.client.auth=requested',
      'listener.name.internal.ssl.enabled.protocols=TLSv1.3',
      'listener.name.internal.ssl.cipher.suites=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    ]);
    const internal = tls('INTERNAL');
    assert.equal((internal.options.key as { pem: string }[])[0]!.pem, key.trim());
    assert.equal(internal.options.minVersion, 'TLSv1.3');
    assert.equal(internal.options.ciphers, 'TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES256-GCM-SHA384');
    const secure = tls('SECURE');
    assert.equal(secure.clientAuth, 'requested');
    assert.equal(secure.options.rejectUnauthorized, false);
  });

  it('decrypts an encrypted PKCS#8 key with ssl.key.password and names the key when it cannot', () => {
    const base = ['ssl.keystore.type=PEM', `ssl.keystore.location=${join(dir, 'enc-store.pem')}`];
    assert.equal(setup([...base, 'ssl.key.password=pw'])('SSL').options.key !== undefined, true);
    assert.throws(() => setup([...base, 'ssl.key.password=wrong'])('SSL'), /ssl\.keystore\.location.*cannot decrypt/);
    assert.throws(() => setup(base)('SSL'), /ssl\.key\.password.*cannot decrypt/);
  });

  it('refuses missing or unreadable stores with the key name, never a secret value', () => {
    assert.throws(() => setup([])('SSL'), /ssl\.keystore\.location.*needs a key store/);
    assert.throws(
      () => setup([`ssl.keystore.location=${join(dir, 'store.pem')}`])('SSL'),
      /key store type JKS cannot be read here; use PEM or PKCS12/,
    );
    assert.throws(() => setup(['ssl.keystore.type=PEM', 'ssl.keystore.location=/nonexistent'])('SSL'), /cannot read/);
    assert.throws(
      () => setup(['ssl.keystore.type=PEM', `ssl.keystore.key=${key}`])('SSL'),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('PRIVATE KEY') && /both inline/.test(e.message),
    );
    const pem = ['ssl.keystore.type=PEM', `ssl.keystore.location=${join(dir, 'store.pem')}`];
    assert.throws(() => setup([...pem, 'ssl.client.auth=required'])('SSL'), /needs a trust store/);
    assert.throws(() => setup([...pem, 'ssl.enabled.protocols=TLSv1.1,TLSv1.3'])('SSL'), /contiguous/);
    assert.throws(() => setup([...pem, 'ssl.cipher.suites=TLS_NOPE'])('SSL'), /unknown or unsupported cipher suite/);
    assert.throws(() => setup([...pem, 'ssl.principal.mapping.rules=RULE:x'])('SSL'), /mapping\.rules/);
  });

  it('builds secure contexts node:tls accepts from PEM, encrypted PEM and PKCS12 stores', () => {
    const stores = [
      ['ssl.keystore.type=PEM', `ssl.keystore.location=${join(dir, 'store.pem')}`],
      ['ssl.keystore.type=PEM', `ssl.keystore.location=${join(dir, 'enc-store.pem')}`, 'ssl.key.password=pw'],
      ['ssl.keystore.type=PKCS12', `ssl.keystore.location=${join(dir, 'store.p12')}`, 'ssl.keystore.password=p12pw'],
    ];
    for (const s of stores) assert.doesNotThrow(() => createSecureContext(setup(s)('SSL').options), s.join(' '));
    const wrong = ['ssl.keystore.type=PKCS12', `ssl.keystore.location=${join(dir, 'store.p12')}`];
    assert.throws(() => setup([...wrong, 'ssl.keystore.password=nope'])('SSL'), /ssl\.keystore\.location.*unusable/);
  });

  it('converts IANA cipher suite names to OpenSSL names', () => {
    assert.equal(ianaToOpenSsl('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-ECDSA-AES128-GCM-SHA256');
    assert.equal(ianaToOpenSsl('TLS_RSA_WITH_AES_256_GCM_SHA384'), 'AES256-GCM-SHA384');
    assert.equal(ianaToOpenSsl('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-RSA-CHACHA20-POLY1305');
    assert.equal(ianaToOpenSsl('TLS_AES_256_GCM_SHA384'), 'TLS_AES_256_GCM_SHA384');
  });
});

describe('inter-broker listener validation (KafkaConfig)', () => {
  const load = (o: string[]) => loadBrokerConfig({ env: {}, hostname: 'h', overrides: o });
  const listeners = [
    'listeners=PLAINTEXT://:9092,BROKER://:9093',
    `listener.security.protocol.map=${MAP},BROKER:SASL_SSL`,
  ];
  it('accepts either key naming an advertised listener', () => {
    const c = load([...listeners, 'inter.broker.listener.name=broker']);
    assert.equal(c.interBrokerListenerName, 'BROKER');
    assert.equal(c.interBrokerSecurityProtocol, 'SASL_SSL');
    assert.equal(load(listeners).interBrokerListenerName, 'PLAINTEXT');
  });
  it('refuses both keys, or a name without an advertised listener', () => {
    assert.throws(
      () => load([...listeners, 'inter.broker.listener.name=BROKER', 'security.inter.broker.protocol=PLAINTEXT']),
      /only one of inter\.broker\.listener\.name and security\.inter\.broker\.protocol/,
    );
    assert.throws(
      () => load([...listeners, 'security.inter.broker.protocol=SSL']),
      /must be a listener name defined in advertised\.listeners.*PLAINTEXT,BROKER/,
    );
    assert.throws(
      () => load(['listeners=EXTERNAL://:9092', 'listener.security.protocol.map=EXTERNAL:PLAINTEXT']),
      /inter\.broker\.listener\.name must be a listener name/,
    );
  });
});
