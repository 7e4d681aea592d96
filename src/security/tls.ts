// TLS for SSL and SASL_SSL listeners from Kafka's ssl.* keys (per listener: listener.name.<l>.ssl.*), served by
// node:tls. Key stores: PEM (a file holding the private key and certificate chain, or the two inline keys) and
// PKCS12 (read by OpenSSL); trust stores: PEM. Keys may be encrypted PKCS#8 (OpenSSL reads the PBES2 and the older
// PBE-SHA1-3DES forms) or traditional PEM with ssl.key.password.

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureVersion, TlsOptions } from 'node:tls';
import { createSecureContext, getCiphers } from 'node:tls';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { configDef } from '../config/definitions.ts';
import { ConfigError } from '../config/errors.ts';
import { listenerValue } from '../config/listener-config.ts';
import { PrincipalMappingError, parseSslPrincipalRules, type SslPrincipalRule } from './principal.ts';

export type ClientAuth = 'required' | 'requested' | 'none';

export interface ListenerTls {
  /** Options for tls.createServer. */
  readonly options: TlsOptions;
  readonly clientAuth: ClientAuth;
  readonly principalRules: readonly SslPrincipalRule[];
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Whether a listener's security protocol runs over TLS. */
export const usesTls = (securityProtocol: string): boolean =>
  securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL';

/**
 * Reads the listener's TLS settings. Throws ConfigError (naming the key, per-listener when it was set there) when a
 * store is missing, unreadable or of a type that cannot be read.
 */
export function listenerTls(cfg: BrokerConfig, listener: Listener): ListenerTls {
  const name = listener.name;
  const value = (key: string) => listenerValue(cfg, name, key);
  const keyName = (key: string) =>
    cfg.isSet(`listener.name.${name.toLowerCase()}.${key}`) ? `listener.name.${name.toLowerCase()}.${key}` : key;
  const str = (key: string) => (value(key) as string | null) ?? null;
  const fail = (key: string, message: string): never => {
    // Never the value of a password key (inline private keys): only its name.
    const shown = configDef(key)?.type === 'password' ? '[hidden]' : str(key);
    throw new ConfigError(keyName(key), shown, `${message} (listener ${name})`);
  };
  const readFile = (key: string): Buffer => {
    const path = str(key)!;
    try {
      return readFileSync(path);
    } catch (e) {
      return fail(key, `cannot read ${path}: ${(e as Error).message}`);
    }
  };

  const options: TlsOptions = {};
  // Key store.
  const keystoreType = (str('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const keyPassword = str('ssl.key.password') ?? undefined;
  const own = (key: string) => cfg.isSet(`listener.name.${name.toLowerCase()}.${key}`);
  let inlineKey = str('ssl.keystore.key');
  let inlineChain = str('ssl.keystore.certificate.chain');
  let location = str('ssl.keystore.location');
  // A key store set for the listener replaces a broker-wide one of the other form; at one level, only one form.
  if (location !== null && inlineKey !== null && own('ssl.keystore.location') !== own('ssl.keystore.key')) {
    if (own('ssl.keystore.key')) location = null;
    else inlineKey = inlineChain = null;
  }
  if (inlineKey !== null || inlineChain !== null) {
    if (keystoreType !== 'PEM') fail('ssl.keystore.type', 'ssl.keystore.key requires ssl.keystore.type=PEM');
    if (inlineKey === null || inlineChain === null)
      fail(
        inlineKey === null ? 'ssl.keystore.key' : 'ssl.keystore.certificate.chain',
        'both inline PEM keys must be set',
      );
    if (location !== null)
      fail('ssl.keystore.location', 'set either ssl.keystore.location or ssl.keystore.key, not both');
    options.key = [{ pem: checkKey('ssl.keystore.key', inlineKey!, keyPassword, fail), passphrase: keyPassword }];
    options.cert = inlineChain!;
  } else if (location !== null) {
    const bytes = readFile('ssl.keystore.location');
    if (keystoreType === 'PEM') {
      const text = bytes.toString('utf8');
      const keyPem =
        /-----BEGIN (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----[\s\S]*?-----END (?:ENCRYPTED |RSA |EC )?PRIVATE KEY-----/.exec(
          text,
        );
      const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
      if (!keyPem) fail('ssl.keystore.location', 'the PEM key store holds no private key');
      if (!certs) fail('ssl.keystore.location', 'the PEM key store holds no certificate');
      options.key = [
        { pem: checkKey('ssl.keystore.location', keyPem![0], keyPassword, fail), passphrase: keyPassword },
      ];
      options.cert = certs!.join('\n');
    } else if (keystoreType === 'PKCS12') {
      options.pfx = [{ buf: bytes, passphrase: str('ssl.keystore.password') ?? undefined }];
    } else {
      fail('ssl.keystore.type', `key store type ${keystoreType} cannot be read here; use PEM or PKCS12`);
    }
  } else {
    fail('ssl.keystore.location', `a TLS listener needs a key store (ssl.keystore.location or ssl.keystore.key)`);
  }

  // Trust store: the certificates client certificates are verified against.
  const truststoreType = (str('ssl.truststore.type') ?? 'JKS').toUpperCase();
  const inlineTrust = str('ssl.truststore.certificates');
  if (inlineTrust !== null) {
    if (truststoreType !== 'PEM') fail('ssl.truststore.type', 'ssl.truststore.certificates requires PEM');
    options.ca = inlineTrust;
  } else if (str('ssl.truststore.location') !== null) {
    if (truststoreType !== 'PEM')
      fail('ssl.truststore.type', `trust store type ${truststoreType} cannot be read here; use PEM`);
    options.ca = readFile('ssl.truststore.location').toString('utf8');
  }

  // As Kafka: the broker-wide ssl.client.auth applies to SSL listeners; SASL_SSL ones take only their own override.
  const clientAuth = listenerValue(cfg, name, 'ssl.client.auth', {
    brokerWide: listener.securityProtocol === 'SSL',
  }) as ClientAuth;
  if (clientAuth !== 'none' && options.ca === undefined)
    fail('ssl.truststore.location', `ssl.client.auth=${clientAuth} needs a trust store to verify client certificates`);
  options.requestCert = clientAuth !== 'none';
  // 'requested': a missing certificate is accepted; one that fails verification is refused by the server itself.
  options.rejectUnauthorized = clientAuth === 'required';

  // Protocol versions: node takes a range, so the enabled list must be contiguous.
  const enabled = (value('ssl.enabled.protocols') as string[]).map((p) => (p === 'TLSv1.0' ? 'TLSv1' : p));
  const idx = enabled.map((p) => VERSIONS.indexOf(p as SecureVersion)).sort();
  if (idx.length === 0 || idx.some((x) => x < 0)) fail('ssl.enabled.protocols', 'expected TLSv1.2 and/or TLSv1.3');
  for (let k = 1; k < idx.length; k++)
    if (idx[k] !== idx[k - 1]! + 1) fail('ssl.enabled.protocols', 'the enabled versions must be contiguous');
  options.minVersion = VERSIONS[idx[0]!]!;
  options.maxVersion = VERSIONS[idx[idx.length - 1]!]!;

  const suites = value('ssl.cipher.suites') as string[];
  if (suites.length > 0) {
    const known = new Set(getCiphers().map((c) => c.toUpperCase()));
    const names = suites.map((s) => {
      const openssl = ianaToOpenSsl(s);
      if (!known.has(openssl.toUpperCase())) fail('ssl.cipher.suites', `unknown or unsupported cipher suite ${s}`);
      return openssl;
    });
    options.ciphers = names.join(':');
    // TLS 1.3 suites are named the same in both worlds; TLS 1.2 ones only take effect when one is listed.
  }

  let principalRules: SslPrincipalRule[];
  try {
    principalRules = parseSslPrincipalRules(str('ssl.principal.mapping.rules') ?? 'DEFAULT');
  } catch (e) {
    if (!(e instanceof PrincipalMappingError)) throw e;
    return fail('ssl.principal.mapping.rules', e.message);
  }
  try {
    createSecureContext(options); // a wrong PKCS12 password, a key that does not match its certificate, ...
  } catch (e) {
    fail(options.pfx ? 'ssl.keystore.location' : 'ssl.keystore.type', `unusable TLS settings: ${(e as Error).message}`);
  }
  return { options, clientAuth, principalRules };
}

/** Decrypts the key once at start-up, so a wrong ssl.key.password is a config error and not a failed handshake. */
function checkKey(
  key: string,
  pem: string,
  passphrase: string | undefined,
  fail: (key: string, message: string) => never,
): string {
  try {
    createPrivateKey({ key: pem, format: 'pem', passphrase: passphrase ?? '' });
  } catch (e) {
    const encrypted = pem.includes('ENCRYPTED');
    fail(
      encrypted && passphrase === undefined ? 'ssl.key.password' : key,
      encrypted
        ? `cannot decrypt the private key: ${(e as Error).message}`
        : `invalid private key: ${(e as Error).message}`,
    );
  }
  return pem;
}

/**
 * Kafka (Java) names cipher suites as IANA does (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), OpenSSL differently
 * (`ECDHE-RSA-AES128-GCM-SHA256`). Converts the AEAD suites TLS 1.2 offers; TLS 1.3 names (`TLS_AES_128_GCM_SHA256`)
 * and names already in OpenSSL's form pass through.
 */
export function ianaToOpenSsl(name: string): string {
  const m =
    /^TLS_(ECDHE_RSA|ECDHE_ECDSA|DHE_RSA|RSA)_WITH_(AES_(128|256)_GCM_(SHA256|SHA384)|CHACHA20_POLY1305_SHA256)$/.exec(
      name,
    );
  if (!m) return name;
  const kx = m[1] === 'RSA' ? '' : `${m[1]!.replace('_', '-')}-`;
  const cipher = m[3] !== undefined ? `AES${m[3]}-GCM-${m[4]}` : 'CHACHA20-POLY1305';
  return `${kx}${cipher}`;
}
