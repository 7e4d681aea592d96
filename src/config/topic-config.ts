/**
 * Topic configuration: per-topic overrides on top of the broker's defaults (their log.* synonyms), validation of
 * overrides (CreateTopics / AlterConfigs) and DescribeConfigs entries for topics and brokers.
 */
import type { BrokerConfig } from './broker-config.ts';
import {
  BROKER_DEFINITIONS,
  brokerSynonymNames,
  CONFIG_TYPE_ID,
  type ConfigDef,
  type ConfigSourceName,
  type ConfigValue,
  configDef,
  defaultValue,
  isSensitive,
  type ParsedValue,
  parseConfigValue,
  TOPIC_DEFINITIONS,
} from './definitions.ts';
import { closestKeys } from './did-you-mean.ts';
import { ConfigError } from './errors.ts';
import { parseListenerOverride } from './listener-config.ts';

/** Kafka error code INVALID_CONFIG. */
export const INVALID_CONFIG = 40;

export interface TopicConfig {
  readonly cleanupPolicy: string[];
  readonly compact: boolean;
  readonly deleteEnabled: boolean;
  readonly compressionType: string;
  readonly compressionGzipLevel: number;
  readonly compressionLz4Level: number;
  readonly compressionZstdLevel: number;
  readonly deleteRetentionMs: number;
  readonly fileDeleteDelayMs: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly indexIntervalBytes: number;
  readonly maxCompactionLagMs: number;
  readonly maxMessageBytes: number;
  readonly messageDownconversionEnable: boolean;
  readonly timestampAfterMaxMs: number;
  readonly timestampBeforeMaxMs: number;
  readonly messageTimestampType: 'CreateTime' | 'LogAppendTime';
  readonly minCleanableDirtyRatio: number;
  readonly minCompactionLagMs: number;
  readonly minInsyncReplicas: number;
  readonly preallocate: boolean;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly segmentBytes: number;
  readonly segmentIndexBytes: number;
  readonly segmentJitterMs: number;
  readonly segmentMs: number;
  readonly uncleanLeaderElectionEnable: boolean;
  /** "*" or partition:broker pairs (replication throttles, replication/quota.ts). */
  readonly leaderReplicationThrottledReplicas: readonly string[];
  readonly followerReplicationThrottledReplicas: readonly string[];
}

export interface ConfigValidationError {
  readonly key: string;
  readonly errorCode: number;
  readonly message: string;
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSourceName;
}

export interface DescribeConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSourceName;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  /** Kafka ConfigType id (0 = unknown). */
  readonly type: number;
  readonly documentation: string | null;
  readonly synonyms: ConfigSynonym[];
}

export interface DescribeOptions {
  /** Only these names (null/undefined = all). */
  names?: readonly string[] | null;
  /** This broker's dynamic configs (its BROKER entity in cluster metadata). */
  dynamic?: Record<string, string>;
  /** The cluster-wide dynamic defaults (the BROKER entity ""). */
  dynamicDefaults?: Record<string, string>;
  /** The broker config with the dynamic layers applied (values); `broker` stays the static one (sources). */
  effective?: BrokerConfig;
}

/** Resolves one topic key: the override if present, else the broker synonym chain, else the built-in default. */
function resolveTopicValue(broker: BrokerConfig, def: ConfigDef, overrides: Record<string, string>): ParsedValue {
  const o = overrides[def.name];
  if (o !== undefined) return parseConfigValue(def, o);
  if (def.synonyms && def.synonyms.length > 0) {
    const r = broker.resolveSynonyms(def.synonyms);
    return { text: r.text, value: r.value };
  }
  return defaultValue(def)!;
}

/**
 * Typed configuration of a topic. Overrides are expected to have passed validateTopicConfigs(); an invalid one
 * throws ConfigError, unknown keys are ignored.
 */
export function resolveTopicConfig(broker: BrokerConfig, topicOverrides: Record<string, string>): TopicConfig {
  const v = (name: string): ConfigValue => resolveTopicValue(broker, configDef(name)!, topicOverrides).value;
  const n = (name: string) => v(name) as number;
  const bool = (name: string) => v(name) as boolean;
  const cleanupPolicy = v('cleanup.policy') as string[];
  return {
    cleanupPolicy,
    compact: cleanupPolicy.includes('compact'),
    deleteEnabled: cleanupPolicy.includes('delete'),
    compressionType: v('compression.type') as string,
    compressionGzipLevel: n('compression.gzip.level'),
    compressionLz4Level: n('compression.lz4.level'),
    compressionZstdLevel: n('compression.zstd.level'),
    deleteRetentionMs: n('delete.retention.ms'),
    fileDeleteDelayMs: n('file.delete.delay.ms'),
    flushMessages: n('flush.messages'),
    flushMs: n('flush.ms'),
    indexIntervalBytes: n('index.interval.bytes'),
    maxCompactionLagMs: n('max.compaction.lag.ms'),
    maxMessageBytes: n('max.message.bytes'),
    messageDownconversionEnable: bool('message.downconversion.enable'),
    timestampAfterMaxMs: n('message.timestamp.after.max.ms'),
    timestampBeforeMaxMs: n('message.timestamp.before.max.ms'),
    messageTimestampType: v('message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    minCleanableDirtyRatio: n('min.cleanable.dirty.ratio'),
    minCompactionLagMs: n('min.compaction.lag.ms'),
    minInsyncReplicas: n('min.insync.replicas'),
    preallocate: bool('preallocate'),
    retentionBytes: n('retention.bytes'),
    retentionMs: n('retention.ms'),
    segmentBytes: n('segment.bytes'),
    segmentIndexBytes: n('segment.index.bytes'),
    segmentJitterMs: n('segment.jitter.ms'),
    segmentMs: n('segment.ms'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
    leaderReplicationThrottledReplicas: v('leader.replication.throttled.replicas') as string[],
    followerReplicationThrottledReplicas: v('follower.replication.throttled.replicas') as string[],
  };
}

/**
 * Validates topic overrides as CreateTopics/AlterConfigs must: every key must be a topic key and every value valid.
 * Returns one INVALID_CONFIG error per bad key (empty = all good).
 */
export function validateTopicConfigs(configs: Record<string, string | null>): ConfigValidationError[] {
  const errors: ConfigValidationError[] = [];
  for (const [key, value] of Object.entries(configs)) {
    const def = configDef(key);
    if (!def || def.scope === 'broker') {
      const near = closestKeys(
        key,
        TOPIC_DEFINITIONS.map((d) => d.name),
      );
      const hint = near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : '';
      errors.push({ key, errorCode: INVALID_CONFIG, message: `Unknown topic config name: ${key}${hint}` });
      continue;
    }
    if (value === null) {
      errors.push({ key, errorCode: INVALID_CONFIG, message: `Null value not supported for topic configs: ${key}` });
      continue;
    }
    try {
      parseConfigValue(def, value);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push({ key, errorCode: INVALID_CONFIG, message: e.message });
    }
  }
  return errors;
}

/**
 * Broker-level synonyms of `self` as Kafka lists them: for each source (dynamic broker, dynamic default, static,
 * default) the group members that have a value there, then everything before the first entry named `self` dropped.
 */
function brokerSynonyms(
  broker: BrokerConfig,
  group: readonly string[],
  self: string,
  dynamic: Record<string, string>,
  dynamicDefaults: Record<string, string>,
): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const hide = (name: string, v: string | null) => (isSensitive(configDef(name)) ? null : v);
  for (const name of group) {
    if (dynamic[name] !== undefined)
      out.push({ name, value: hide(name, dynamic[name]!), source: 'DYNAMIC_BROKER_CONFIG' });
  }
  for (const name of group) {
    const v = dynamicDefaults[name];
    if (v !== undefined) out.push({ name, value: hide(name, v), source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
  }
  for (const name of group) {
    if (broker.isSet(name)) {
      out.push({ name, value: hide(name, broker.getString(name) ?? null), source: 'STATIC_BROKER_CONFIG' });
    }
  }
  for (const name of group) {
    const def = configDef(name);
    const d = def ? defaultValue(def) : null;
    if (d !== null) out.push({ name, value: hide(name, d.text), source: 'DEFAULT_CONFIG' });
  }
  const i = out.findIndex((x) => x.name === self);
  return i < 0 ? [] : out.slice(i);
}

const wanted = (options: DescribeOptions | undefined) => {
  const names = options?.names;
  return names ? (name: string) => names.includes(name) : () => true;
};

/** DescribeConfigs entries of a topic, sorted by name, synonyms included (strip them if not requested). */
export function describeTopicConfig(
  broker: BrokerConfig,
  overrides: Record<string, string>,
  options?: DescribeOptions,
): DescribeConfigEntry[] {
  const include = wanted(options);
  const entries: DescribeConfigEntry[] = [];
  for (const def of TOPIC_DEFINITIONS) {
    if (!include(def.name)) continue;
    if (def.deprecated && overrides[def.name] === undefined) continue;
    const value = resolveTopicValue(options?.effective ?? broker, def, overrides).text;
    const synonyms: ConfigSynonym[] = [];
    if (overrides[def.name] !== undefined) synonyms.push({ name: def.name, value, source: 'DYNAMIC_TOPIC_CONFIG' });
    if (def.synonyms && def.synonyms.length > 0) {
      const group = def.synonyms.map((x) => x.name);
      synonyms.push(
        ...brokerSynonyms(broker, group, group[0]!, options?.dynamic ?? {}, options?.dynamicDefaults ?? {}),
      );
    }
    entries.push({
      name: def.name,
      value,
      source: synonyms[0]?.source ?? 'DEFAULT_CONFIG',
      readOnly: false,
      sensitive: false,
      type: CONFIG_TYPE_ID[def.type],
      documentation: def.doc,
      synonyms,
    });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * DescribeConfigs entries of this broker: every broker key plus statically set unknown keys (type UNKNOWN,
 * reported as sensitive with a null value, as Kafka does). `dynamicOverrides` are this broker's dynamic configs,
 * `dynamicDefaults` the cluster-wide dynamic defaults.
 */
export function describeBrokerConfig(
  broker: BrokerConfig,
  dynamicOverrides: Record<string, string> = {},
  options?: DescribeOptions,
): DescribeConfigEntry[] {
  const include = wanted(options);
  const dynamicDefaults = options?.dynamicDefaults ?? {};
  const entries: DescribeConfigEntry[] = [];
  for (const def of BROKER_DEFINITIONS) {
    if (!include(def.name)) continue;
    const set =
      broker.isSet(def.name) || dynamicOverrides[def.name] !== undefined || dynamicDefaults[def.name] !== undefined;
    if (def.deprecated && !set) continue;
    const sensitive = isSensitive(def);
    const synonyms = brokerSynonyms(broker, brokerSynonymNames(def.name), def.name, dynamicOverrides, dynamicDefaults);
    const own =
      dynamicOverrides[def.name] ?? dynamicDefaults[def.name] ?? (broker.getString(def.name) as string | null);
    entries.push({
      name: def.name,
      value: sensitive ? null : own,
      source: synonyms[0]?.source ?? 'DEFAULT_CONFIG',
      readOnly: !def.dynamic,
      sensitive,
      type: CONFIG_TYPE_ID[def.type],
      documentation: def.doc,
      synonyms,
    });
  }
  for (const key of broker.explicitKeys()) {
    const def = configDef(key);
    if ((def && def.scope !== 'topic') || !include(key)) continue;
    entries.push({
      name: key,
      value: null,
      source: 'STATIC_BROKER_CONFIG',
      readOnly: true,
      sensitive: true,
      type: 0,
      documentation: null,
      synonyms: [{ name: key, value: null, source: 'STATIC_BROKER_CONFIG' }],
    });
  }
  // A listener's dynamic stores (listener.name.<l>.ssl.keystore.location, ...): this broker's own, passwords hidden.
  for (const [key, raw] of Object.entries(dynamicOverrides)) {
    const perListener = parseListenerOverride(key);
    if (perListener?.def === undefined || !include(key)) continue;
    const sensitive = isSensitive(perListener.def);
    const value = sensitive ? null : raw;
    const i = entries.findIndex((e) => e.name === key);
    if (i >= 0) entries.splice(i, 1);
    entries.push({
      name: key,
      value,
      source: 'DYNAMIC_BROKER_CONFIG',
      readOnly: false,
      sensitive,
      type: 0,
      documentation: null,
      synonyms: [{ name: key, value, source: 'DYNAMIC_BROKER_CONFIG' }],
    });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
