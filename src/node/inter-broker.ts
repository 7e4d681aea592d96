// How this broker connects to the other brokers of its cluster: the inter-broker listener's security protocol
// (`inter.broker.listener.name` or `security.inter.broker.protocol`) mapped to the client connection's settings, as
// Kafka's broker builds its client channels for that listener. Every inter-broker sender (replica fetchers, and any
// broker-to-broker request) connects with `interBrokerSecurity(cfg)`.
//   TLS (SSL, SASL_SSL): the listener's `ssl.truststore.*` verifies the other broker's certificate (Node's bundled
//     roots when none is set, as the JVM's default trust), its `ssl.keystore.*` is this broker's client certificate
//     (for listeners with ssl.client.auth), `ssl.endpoint.identification.algorithm` ("https", or empty to skip the
//     host name check), `ssl.enabled.protocols` and `ssl.cipher.suites`.
//   SASL (SASL_PLAINTEXT, SASL_SSL): `sasl.mechanism.inter.broker.protocol` with the `username` / `password` of the
//     listener's login context, `listener.name.<l>.<mechanism>.sasl.jaas.config` (then the listener's
//     `sasl.jaas.config`, then the broker-wide `sasl.jaas.config`), as Kafka's brokers take their client credentials.

import type { ClientSecurity, ClientTls, SaslMechanism } from '../client/security.ts';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { ConfigError } from '../config/errors.ts';
import { listenerValue } from '../config/listener-config.ts';
import { JaasError, PLAIN_LOGIN_MODULE, parseJaasConfig, SCRAM_LOGIN_MODULE } from '../security/jaas.ts';
import { SUPPORTED_MECHANISMS } from '../security/sasl.ts';
import { listenerTls, usesTls } from '../security/tls.ts';

/**
 * The connection settings for talking to another broker's inter-broker listener. Throws ConfigError naming the key
 * when they cannot work (no credentials for SASL, an unreadable store), so a broker refuses to start rather than
 * failing every fetch later.
 */
export function interBrokerSecurity(cfg: BrokerConfig): ClientSecurity {
  const name = cfg.interBrokerListenerName;
  const protocol = cfg.interBrokerSecurityProtocol;
  const listener: Listener = cfg.listeners.find((l) => l.name === name) ??
    cfg.advertisedListeners.find((l) => l.name === name) ?? { name, host: '', port: 0, securityProtocol: protocol };
  const security: ClientSecurity = {};
  if (usesTls(protocol)) security.ssl = clientTls(cfg, listener);
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = cfg.get('sasl.mechanism.inter.broker.protocol') as string;
    // OAUTHBEARER between brokers would need a token source (Kafka's login callback handler): not built.
    const interBroker = SUPPORTED_MECHANISMS.filter((m) => m !== 'OAUTHBEARER');
    if (!interBroker.includes(mechanism))
      throw new ConfigError(
        'sasl.mechanism.inter.broker.protocol',
        mechanism,
        `brokers can authenticate to each other with ${interBroker.join(', ')}`,
      );
    security.sasl = { mechanism: mechanism as SaslMechanism, ...credentials(cfg, name, mechanism) };
  }
  return security;
}

/** A client's TLS settings for `listener` of this broker: its trust store verifies, its key store is the certificate. */
export function clientTls(cfg: BrokerConfig, listener: Listener): ClientTls {
  // The listener's own TLS settings, read (and checked) as the listener reads them: the same key store is this
  // broker's client certificate, the same trust store verifies the others.
  const server = listenerTls(cfg, listener).options;
  const endpointCheck = (listenerValue(cfg, listener.name, 'ssl.endpoint.identification.algorithm') ?? '') as string;
  return {
    ca: server.ca,
    cert: server.cert,
    key: server.key,
    pfx: server.pfx,
    minVersion: server.minVersion,
    maxVersion: server.maxVersion,
    ciphers: server.ciphers,
    rejectUnauthorized: true,
    skipHostnameCheck: endpointCheck.trim() === '',
  };
}

function credentials(cfg: BrokerConfig, listener: string, mechanism: string): { username: string; password: string } {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  const keys = [
    `${prefix}${mechanism.toLowerCase()}.sasl.jaas.config`,
    `${prefix}sasl.jaas.config`,
    'sasl.jaas.config',
  ];
  const key = keys.find((k) => cfg.isSet(k) && cfg.get(k) !== null);
  const fail = (k: string, message: string): never => {
    throw new ConfigError(k, k === keys[0] ? null : '[hidden]', `${message} (inter-broker listener ${listener})`);
  };
  if (key === undefined)
    return fail(
      keys[0]!,
      `SASL between brokers needs this broker's credentials: set ${keys[0]} with username="..." password="..."`,
    );
  let entry: ReturnType<typeof parseJaasConfig>;
  try {
    entry = parseJaasConfig(cfg.get(key) as string);
  } catch (e) {
    if (!(e instanceof JaasError)) throw e;
    return fail(key, e.message); // never echo a JAAS config: it holds passwords
  }
  const module = mechanism === 'PLAIN' ? PLAIN_LOGIN_MODULE : SCRAM_LOGIN_MODULE;
  if (entry.loginModule !== module) fail(key, `${mechanism} needs ${module}, not ${entry.loginModule}`);
  const username = entry.options.get('username');
  const password = entry.options.get('password');
  if (!username || !password)
    fail(key, `the login context has no username="..." password="..." for this broker to authenticate with`);
  return { username: username!, password: password! };
}
