/**
 * Per-listener overrides, as Kafka's `listener.name.<name>.<key>`: the listener name is lower-cased in the prefix,
 * and a SASL login context is `listener.name.<name>.<mechanism>.sasl.jaas.config` (mechanism lower-cased too).
 * Only the keys listed here take effect per listener; any other override is kept and warned about at start-up.
 */
import type { BrokerConfig } from './broker-config.ts';
import { type ConfigDef, type ConfigValue, configDef, parseConfigValue } from './definitions.ts';

/** Base keys whose per-listener override is used (TLS of the listener, and its SASL settings). */
export const PER_LISTENER_KEYS: ReadonlySet<string> = new Set([
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.keystore.type',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.key.password',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.type',
  'ssl.truststore.certificates',
  'ssl.client.auth',
  'ssl.protocol',
  'ssl.enabled.protocols',
  'ssl.cipher.suites',
  'ssl.principal.mapping.rules',
  'ssl.endpoint.identification.algorithm',
  'ssl.allow.dn.changes',
  'ssl.allow.san.changes',
  'sasl.enabled.mechanisms',
  'sasl.jaas.config',
  'sasl.server.max.receive.size',
  'connections.max.reauth.ms',
  'sasl.server.callback.handler.class',
  'sasl.oauthbearer.jwks.endpoint.url',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms',
  'sasl.oauthbearer.expected.audience',
  'sasl.oauthbearer.expected.issuer',
  'sasl.oauthbearer.allow.unverified.issuer',
  'sasl.oauthbearer.allow.unverified.audience',
  'sasl.oauthbearer.clock.skew.seconds',
  'sasl.oauthbearer.scope.claim.name',
  'sasl.oauthbearer.sub.claim.name',
]);

/**
 * Per-listener keys that can be changed at runtime (Kafka's SslConfigs.RECONFIGURABLE_CONFIGS): a TLS listener's key
 * and trust stores, set as `listener.name.<l>.<key>` dynamic configs of one broker (security/tls-reload.ts).
 */
export const RECONFIGURABLE_LISTENER_KEYS: ReadonlySet<string> = new Set([
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
]);

/** `<mechanism>.sasl.…`: Kafka's per-listener, per-mechanism settings (the login context, OAUTHBEARER's keys). */
const MECHANISM_KEY = /^[a-z0-9-]+\.(sasl\..+)$/;

export interface ListenerOverride {
  /** Listener name as written (Kafka's prefix is lower-case; we match case-insensitively). */
  readonly listener: string;
  /** The key after the prefix, e.g. `ssl.keystore.location` or `plain.sasl.jaas.config`. */
  readonly base: string;
  /** The definition the value is parsed and validated with, when the override takes effect. */
  readonly def: ConfigDef | undefined;
}

/** Splits `listener.name.<name>.<key>`; undefined for other keys. */
export function parseListenerOverride(key: string): ListenerOverride | undefined {
  const m = /^listener\.name\.([^.]+)\.(.+)$/.exec(key);
  if (!m) return undefined;
  const base = m[2]!;
  const def = PER_LISTENER_KEYS.has(base)
    ? configDef(base)
    : PER_LISTENER_KEYS.has(MECHANISM_KEY.exec(base)?.[1] ?? '')
      ? configDef(MECHANISM_KEY.exec(base)![1]!)
      : undefined;
  return { listener: m[1]!, base, def };
}

/** Parses an override's value with its base key's definition (throws ConfigError naming the full key). */
export function parseListenerOverrideValue(
  key: string,
  def: ConfigDef,
  raw: string,
): { text: string; value: ConfigValue } {
  const p = parseConfigValue({ ...def, name: key }, raw);
  return { text: p.text, value: p.value };
}

/**
 * The value of `key` for one listener: its `listener.name.<listener>.<key>` override when set, else the broker-wide
 * value. `broker-wide: false` skips the broker-wide value (Kafka's ssl.client.auth on SASL_SSL listeners).
 */
export function listenerValue(
  cfg: BrokerConfig,
  listener: string,
  key: string,
  opts: { brokerWide?: boolean } = {},
): ConfigValue {
  const own = `listener.name.${listener.toLowerCase()}.${key}`;
  if (cfg.isSet(own)) return cfg.get(own) ?? null;
  if (opts.brokerWide === false) return configDef(key) ? (cfg.getDefault(key) ?? null) : null;
  return cfg.get(key) ?? null;
}
