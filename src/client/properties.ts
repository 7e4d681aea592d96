// Kafka client properties (what `--command-config client.properties` holds for Kafka's tools) → the TypeScript
// client's security settings: security.protocol, ssl.* stores in PEM (or PKCS12 key stores), ssl.endpoint.identification
// .algorithm, sasl.mechanism and the username / password of sasl.jaas.config.
import { readFileSync } from 'node:fs';
import { JaasError, PLAIN_LOGIN_MODULE, parseJaasConfig, SCRAM_LOGIN_MODULE } from '../security/jaas.ts';
import { type ClientSecurity, type ClientTls, SASL_MECHANISMS, type SaslMechanism } from './security.ts';

export class ClientPropertiesError extends Error {
  override name = 'ClientPropertiesError';
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Reads the security keys of Kafka client properties; throws ClientPropertiesError naming the key. */
export function securityFromProperties(props: ReadonlyMap<string, string>): ClientSecurity {
  const get = (k: string) => {
    const v = props.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const fail = (key: string, message: string): never => {
    throw new ClientPropertiesError(`${key}: ${message}`);
  };
  const read = (key: string): Buffer => {
    const path = get(key)!;
    try {
      return readFileSync(path);
    } catch (e) {
      return fail(key, `cannot read ${path}: ${(e as Error).message}`);
    }
  };
  const protocol = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) fail('security.protocol', `${protocol} is not one of ${PROTOCOLS.join(', ')}`);
  const security: ClientSecurity = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: ClientTls = {};
    const trustType = (get('ssl.truststore.type') ?? 'PEM').toUpperCase();
    if (get('ssl.truststore.certificates')) tls.ca = get('ssl.truststore.certificates');
    else if (get('ssl.truststore.location')) {
      if (trustType !== 'PEM') fail('ssl.truststore.type', `${trustType} trust stores are Java-only here: use PEM`);
      tls.ca = read('ssl.truststore.location');
    }
    const keyType = (get('ssl.keystore.type') ?? 'PEM').toUpperCase();
    const keyPassword = get('ssl.key.password');
    if (get('ssl.keystore.key')) {
      tls.key = get('ssl.keystore.key');
      tls.cert = get('ssl.keystore.certificate.chain') ?? fail('ssl.keystore.certificate.chain', 'is needed too');
      tls.passphrase = keyPassword;
    } else if (get('ssl.keystore.location')) {
      const bytes = read('ssl.keystore.location');
      if (keyType === 'PKCS12') tls.pfx = [{ buf: bytes, passphrase: get('ssl.keystore.password') }];
      else if (keyType === 'PEM') {
        // One file holding the private key and the certificate chain, as Kafka's PEM key store.
        tls.key = bytes;
        tls.cert = bytes;
        tls.passphrase = keyPassword;
      } else fail('ssl.keystore.type', `${keyType} key stores are Java-only here: use PEM or PKCS12`);
    }
    const algorithm = props.get('ssl.endpoint.identification.algorithm');
    if (algorithm !== undefined && algorithm.trim() === '') tls.skipHostnameCheck = true;
    security.ssl = tls;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    if (!SASL_MECHANISMS.includes(mechanism as SaslMechanism))
      fail('sasl.mechanism', `${mechanism} is not supported (use ${SASL_MECHANISMS.join(', ')})`);
    const text = get('sasl.jaas.config') ?? fail('sasl.jaas.config', 'SASL needs a login context with credentials');
    let entry: ReturnType<typeof parseJaasConfig>;
    try {
      entry = parseJaasConfig(text);
    } catch (e) {
      if (!(e instanceof JaasError)) throw e;
      return fail('sasl.jaas.config', e.message); // never the value: it holds the password
    }
    const module = mechanism === 'PLAIN' ? PLAIN_LOGIN_MODULE : SCRAM_LOGIN_MODULE;
    if (entry.loginModule !== module) fail('sasl.jaas.config', `${mechanism} needs ${module}`);
    const username = entry.options.get('username') ?? fail('sasl.jaas.config', 'no username="..."');
    const password = entry.options.get('password') ?? fail('sasl.jaas.config', 'no password="..."');
    security.sasl = { mechanism: mechanism as SaslMechanism, username, password };
  }
  return security;
}
