// Certificates reloaded without a restart (Kafka's dynamic SSL reconfiguration, SslFactory.reconfigure): a TLS
// listener's key and trust stores are per-broker dynamic configs (`listener.name.<l>.ssl.keystore.location`, ...,
// config/listener-config.ts RECONFIGURABLE_LISTENER_KEYS). A change is validated against what the listener serves
// now — the new stores must load, and unless ssl.allow.dn.changes / ssl.allow.san.changes the certificate keeps its
// subject and subject alternative names — and then the listener's secure context is replaced, so new connections
// get the new certificate while open ones keep theirs.

import { createHash, X509Certificate } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import { createSecureContext } from 'node:tls';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { ConfigError } from '../config/errors.ts';
import { listenerValue } from '../config/listener-config.ts';
import type { Logger } from '../util/log.ts';
import { distinguishedName } from './principal.ts';
import { type ListenerTls, listenerTls, usesTls } from './tls.ts';

/** The identity a key store's certificate presents, as Kafka's SslFactory.CertificateEntries compares it. */
export interface KeystoreIdentity {
  /** Subject distinguished name, most specific attribute first (RFC 2253 order). */
  readonly dn: string;
  /** Subject alternative names as OpenSSL prints them (`DNS:localhost`, `IP Address:127.0.0.1`). */
  readonly sans: readonly string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;

/** The leaf certificate the options serve (the first of a PEM chain, or the one a PKCS12 store holds). */
export function servedCertificate(options: TlsOptions): X509Certificate {
  const cert = options.cert;
  const text = typeof cert === 'string' ? cert : Buffer.isBuffer(cert) ? cert.toString('utf8') : undefined;
  const pem = text === undefined ? null : PEM_CERT.exec(text);
  if (pem) return new X509Certificate(pem[0]);
  // A PKCS12 store: OpenSSL has read it into the context; node's SecureContext hands its certificate out as DER.
  const context = createSecureContext(options).context as { getCertificate?: () => Buffer | null | undefined };
  const der = context.getCertificate?.();
  if (!der) throw new Error('the key store holds no certificate');
  return new X509Certificate(der);
}

export function keystoreIdentity(options: TlsOptions): KeystoreIdentity {
  const cert = servedCertificate(options);
  const sans = (cert.subjectAltName ?? '')
    .split(', ')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { dn: distinguishedName(cert), sans };
}

/**
 * Kafka's SslFactory.CertificateEntries.ensureCompatible: the new certificate must keep the subject (compared
 * case-insensitively, as Kafka's RFC 2253 comparison) and every subject alternative name the old one had, unless
 * allowed. Returns Kafka's message, or undefined when compatible.
 */
export function keystoreChangeProblem(
  existing: KeystoreIdentity,
  next: KeystoreIdentity,
  allow: { dn: boolean; san: boolean },
): string | undefined {
  if (!allow.dn && existing.dn.toLowerCase() !== next.dn.toLowerCase())
    return (
      `Keystore DistinguishedName does not match:  existing={alias=kafka, DN=${existing.dn}}, ` +
      `new={alias=kafka, DN=${next.dn}}`
    );
  if (!allow.san && !existing.sans.every((s) => next.sans.includes(s)))
    return (
      `Keystore SubjectAltNames do not match:  existing={alias=kafka, SAN=[${existing.sans.join(', ')}]}, ` +
      `new={alias=kafka, SAN=[${next.sans.join(', ')}]}`
    );
  return undefined;
}

/** A digest of what the stores hold: equal digests serve the same keys, certificates and trusted CAs. */
export function storesFingerprint(options: TlsOptions): string {
  const h = createHash('sha256');
  const feed = (label: string, v: unknown): void => {
    h.update(`${label}\0`);
    if (v === undefined || v === null) h.update('-');
    else if (typeof v === 'string' || Buffer.isBuffer(v)) h.update(v);
    else if (Array.isArray(v)) for (const x of v) feed(`${label}[]`, x);
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) feed(`${label}.${k}`, x);
    else h.update(String(v));
    h.update('\0');
  };
  feed('key', options.key);
  feed('cert', options.cert);
  feed('pfx', options.pfx);
  feed('ca', options.ca);
  return h.digest('hex');
}

/**
 * Validates the stores `next` gives a TLS listener against what it serves now: they must load (listenerTls reads
 * the files, decrypts the key and builds a context, so an unreadable file, a wrong password or a key that does not
 * match its certificate fails here) and keep the certificate's identity. Returns the problem, or the new settings.
 */
export function checkListenerReload(
  next: BrokerConfig,
  listener: Listener,
  served: ListenerTls,
): { ok: true; tls: ListenerTls } | { ok: false; key: string; message: string } {
  let tls: ListenerTls;
  try {
    tls = listenerTls(next, listener);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, key: e.key, message: e.message };
  }
  const allow = {
    dn: listenerValue(next, listener.name, 'ssl.allow.dn.changes') === true,
    san: listenerValue(next, listener.name, 'ssl.allow.san.changes') === true,
  };
  let problem: string | undefined;
  try {
    problem = keystoreChangeProblem(keystoreIdentity(served.options), keystoreIdentity(tls.options), allow);
  } catch (e) {
    problem = `cannot read the key store's certificate: ${(e as Error).message}`;
  }
  if (problem !== undefined)
    return { ok: false, key: `listener.name.${listener.name.toLowerCase()}.ssl.keystore.location`, message: problem };
  return { ok: true, tls };
}

/** What a reload acts on: the socket server's TLS listeners. */
export interface TlsReloadTarget {
  servedTls(listener: string): ListenerTls | undefined;
  reloadTls(listener: string, tls: ListenerTls): void;
}

/**
 * After the dynamic broker configs changed: every TLS listener whose stores now hold something else than it serves
 * (a new path, new inline keys, or new contents at the same path) gets the new ones, checked as a change is. One
 * that no longer loads or changes identity is logged and keeps serving what it served. Returns the reloaded names.
 */
export function reloadTlsListeners(
  target: TlsReloadTarget,
  cfg: BrokerConfig,
  listeners: readonly Listener[],
  log: Logger,
): string[] {
  const reloaded: string[] = [];
  for (const l of listeners) {
    if (!usesTls(l.securityProtocol)) continue;
    const served = target.servedTls(l.name);
    if (served === undefined) continue;
    const r = checkListenerReload(cfg, l, served);
    if (!r.ok) {
      log.error({ listener: l.name, key: r.key, err: r.message }, 'TLS listener not reloaded; it keeps its stores');
      continue;
    }
    if (storesFingerprint(r.tls.options) === storesFingerprint(served.options)) continue;
    target.reloadTls(l.name, r.tls);
    const cert = servedCertificate(r.tls.options);
    log.info(
      { listener: l.name, subject: distinguishedName(cert), serial: cert.serialNumber, validTo: cert.validTo },
      'TLS listener reloaded its key and trust stores; new connections get the new certificate',
    );
    reloaded.push(l.name);
  }
  return reloaded;
}
