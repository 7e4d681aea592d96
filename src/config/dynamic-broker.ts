/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): which broker keys may be changed at runtime through a BROKER
 * config resource (a node id, or "" for the cluster-wide default entity), how a change is validated, and what it
 * does here. Keys that supply topic defaults (log.retention.ms, message.max.bytes, log.cleaner.min.cleanable.ratio,
 * ...) take effect on every partition at once; producer.id.expiration.ms on the next expiry check. The other keys
 * Kafka reconfigures at runtime name thread pools and limits Tributary does not have: they are accepted (so tools
 * that set them keep working) and every change to them is answered with a warning saying it has no effect.
 */
import type { BrokerConfig } from './broker-config.ts';
import { BROKER_DEFINITIONS, configDef, parseConfigValue, TOPIC_DEFINITIONS } from './definitions.ts';
import { closestKnownKeys } from './did-you-mean.ts';
import { ConfigError } from './errors.ts';
import { parseListenerOverride, parseListenerOverrideValue, RECONFIGURABLE_LISTENER_KEYS } from './listener-config.ts';

/** Kafka error codes. */
const INVALID_CONFIG = 40;
const INVALID_REQUEST = 42;

/** Broker keys that supply topic defaults: a dynamic change re-resolves every topic's configuration. */
const TOPIC_DEFAULT_KEYS: ReadonlySet<string> = new Set(
  TOPIC_DEFINITIONS.flatMap((d) => (d.synonyms ?? []).map((x) => x.name)),
);

/** Dynamic keys applied at runtime outside topic configs. */
const APPLIED_KEYS: ReadonlySet<string> = new Set([
  'producer.id.expiration.ms',
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
]);

/** Why a dynamic key Kafka reconfigures at runtime has no effect in Tributary. */
const NO_RUNTIME_EFFECT: Readonly<Record<string, string>> = {
  'num.io.threads': 'Tributary handles requests on the event loop, it has no I/O thread pool',
  'num.network.threads': 'Tributary handles sockets on the event loop, it has no network thread pool',
  'background.threads': 'Tributary runs background tasks on the event loop, it has no background thread pool',
  'num.replica.fetchers': 'replica fetchers are created at start from the static configuration',
  'num.recovery.threads.per.data.dir': 'logs are loaded once at start, from the static configuration',
  'log.cleaner.threads': 'the log cleaner runs in small slices on the event loop, not in threads',
  'log.cleaner.backoff.ms': 'the log cleaner checks every log at a fixed interval',
  'log.cleaner.dedupe.buffer.size': 'the log cleaner bounds its key map by entries, set at start',
  'log.cleaner.io.buffer.size': 'the log cleaner reads whole batches, it has no I/O buffer to size',
  'max.connections': 'connection limits are read at start from the static configuration',
  'max.connections.per.ip': 'connection limits are read at start from the static configuration',
};

export interface BrokerConfigProblem {
  readonly key: string;
  readonly errorCode: number;
  readonly message: string;
}

export interface BrokerChangeCheck {
  readonly errors: BrokerConfigProblem[];
  /** Accepted keys that do not change anything at runtime, with the reason (for the response and the log). */
  readonly warnings: Array<{ key: string; reason: string }>;
}

/** Whether setting this broker key dynamically changes what the broker does. */
export function dynamicEffect(key: string): { applied: true } | { applied: false; reason: string } {
  const def = configDef(key);
  if (def?.noEffect !== undefined) return { applied: false, reason: def.noEffect };
  const reason = NO_RUNTIME_EFFECT[key];
  if (reason !== undefined) return { applied: false, reason };
  if (TOPIC_DEFAULT_KEYS.has(key) || APPLIED_KEYS.has(key)) return { applied: true };
  return { applied: false, reason: 'Tributary does not reconfigure it at runtime' };
}

/**
 * Validates a change of a BROKER entity's dynamic configs: `next` is the entity's whole set after the operations,
 * `changed` the keys the request touched, `effective` the broker configuration the change would apply to. Errors
 * use Kafka's codes: a key that is not a broker config is INVALID_CONFIG; a key that cannot be updated dynamically,
 * or a value Kafka's ConfigDef would reject, is INVALID_REQUEST (Kafka's ConfigAdminManager turns those
 * ConfigExceptions into InvalidRequestException), with Kafka's "Cannot update these configs dynamically" message.
 * A TLS listener's stores are dynamic per listener (`listener.name.<l>.ssl.keystore.location`, ...): only for one
 * broker, never without the listener prefix, and `opts.checkListeners` validates the new stores.
 */
export function checkBrokerChange(
  next: Readonly<Record<string, string>>,
  changed: readonly string[],
  rebuild: (next: Readonly<Record<string, string>>) => BrokerConfig,
  opts: BrokerChangeOptions = {},
): BrokerChangeCheck {
  const errors: BrokerConfigProblem[] = [];
  const warnings: Array<{ key: string; reason: string }> = [];
  const readOnly: string[] = [];
  const unprefixed: string[] = [];
  const clusterLevel: string[] = [];
  /** Listeners (lower-case names) whose reconfigurable keys the request touched. */
  const listeners = new Set<string>();
  for (const key of changed) {
    const value = next[key];
    const perListener = parseListenerOverride(key);
    if (perListener !== undefined && RECONFIGURABLE_LISTENER_KEYS.has(perListener.base)) {
      // Kafka: listener configs are per broker, never at the cluster-wide default entity.
      if (opts.perBroker === false) clusterLevel.push(key);
      else listeners.add(perListener.listener.toLowerCase());
      if (value !== undefined && perListener.def !== undefined && opts.perBroker !== false) {
        try {
          parseListenerOverrideValue(key, perListener.def, value);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          errors.push({ key, errorCode: INVALID_REQUEST, message: e.message });
        }
      }
      continue;
    }
    if (value === undefined) continue; // deleted: the value falls back to the next layer
    if (perListener?.def !== undefined) {
      readOnly.push(key); // a listener key Kafka reconfigures only by re-creating the listener
      continue;
    }
    if (RECONFIGURABLE_LISTENER_KEYS.has(key)) {
      unprefixed.push(key);
      continue;
    }
    const def = configDef(key);
    if (!def || def.scope === 'topic') {
      let hint = '';
      if (def)
        hint = ` (${key} is a topic config; alter the topic, or set its broker synonym ${def.synonyms?.[0]?.name})`;
      else {
        const near = closestKnownKeys(key);
        if (near.length > 0) hint = ` (did you mean ${near.join(' or ')}?)`;
      }
      errors.push({ key, errorCode: INVALID_CONFIG, message: `Unknown broker config name: ${key}${hint}` });
      continue;
    }
    if (!def.dynamic) {
      readOnly.push(key);
      continue;
    }
    try {
      parseConfigValue(def, value);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push({ key, errorCode: INVALID_REQUEST, message: e.message });
      continue;
    }
    const effect = dynamicEffect(key);
    if (!effect.applied) warnings.push({ key, reason: effect.reason });
  }
  // Kafka's DynamicBrokerConfig.validateConfigs checks, in this order.
  if (clusterLevel.length > 0)
    errors.unshift({
      key: clusterLevel[0]!,
      errorCode: INVALID_REQUEST,
      message: `Cannot update these configs at default cluster level, broker id must be specified: Set(${clusterLevel.join(', ')})`,
    });
  if (unprefixed.length > 0)
    errors.unshift({
      key: unprefixed[0]!,
      errorCode: INVALID_REQUEST,
      message: `These security configs can be dynamically updated only per-listener using the listener prefix: Set(${unprefixed.join(', ')})`,
    });
  if (readOnly.length > 0)
    errors.unshift({
      key: readOnly[0]!,
      errorCode: INVALID_REQUEST,
      message: `Cannot update these configs dynamically: Set(${readOnly.join(', ')})`,
    });
  if (errors.length === 0) {
    let rebuilt: BrokerConfig | undefined;
    try {
      rebuilt = rebuild(next);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push({ key: e.key, errorCode: INVALID_REQUEST, message: e.message });
    }
    if (rebuilt !== undefined && listeners.size > 0) {
      const touched = changed.filter((k) => parseListenerOverride(k) !== undefined);
      for (const p of opts.checkListeners?.(rebuilt, listeners) ?? [])
        errors.push({
          key: p.key,
          errorCode: p.errorCode,
          message: `Validation of dynamic config update of Set(${touched.join(', ')}) failed: ${p.message}`,
        });
      for (const name of listeners)
        if (!rebuilt.listeners.some((l) => l.name.toLowerCase() === name))
          warnings.push({
            key: touched.find((k) => parseListenerOverride(k)?.listener.toLowerCase() === name)!,
            reason: `this broker has no listener named ${name}`,
          });
    }
  }
  return { errors, warnings };
}

export interface BrokerChangeOptions {
  /** False for the cluster-wide default entity (resource name ""); listener keys are per broker only. */
  readonly perBroker?: boolean;
  /**
   * Validates the new settings of the named listeners (lower-case names) against what they serve now, e.g. that a
   * new key store loads and keeps the certificate's identity (security/tls-reload.ts).
   */
  readonly checkListeners?: (cfg: BrokerConfig, listeners: ReadonlySet<string>) => BrokerConfigProblem[];
}

/** Whether a broker key is a listener's reconfigurable key (a TLS store): changing it reloads the listener. */
export function isListenerReloadKey(key: string): boolean {
  const perListener = parseListenerOverride(key);
  return perListener !== undefined && RECONFIGURABLE_LISTENER_KEYS.has(perListener.base);
}

/** Dynamic broker keys (DescribeConfigs readOnly=false), for documentation and the CLI. */
export const DYNAMIC_BROKER_KEYS: readonly string[] = BROKER_DEFINITIONS.filter((d) => d.dynamic).map((d) => d.name);
