/**
 * The shape of a config definition (Kafka's ConfigDef): types, Kafka's ConfigType and ConfigSource ids, validators
 * and the small builders the key tables (keys-topic.ts, keys-broker.ts) are written with.
 */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';
export type ConfigScope = 'broker' | 'topic' | 'both';
export type ConfigValue = string | number | boolean | string[] | null;

/** Kafka's DescribeConfigsResponse ConfigType ids. */
export const CONFIG_TYPE_ID: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** Kafka's DescribeConfigsResponse ConfigSource ids. */
export const CONFIG_SOURCE = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;
export type ConfigSourceName = keyof typeof CONFIG_SOURCE;

export const LONG_MAX_STRING = '9223372036854775807';
export const INT_MAX = 2147483647;

export interface Validator {
  /** What is expected, e.g. "a value of at least 1"; used in error messages. */
  readonly expected: string;
  readonly test: (value: Exclude<ConfigValue, null>) => boolean;
}

/** A broker key supplying a topic key's default; `multiplier` converts its unit to the topic key's (hours -> ms). */
export interface BrokerSynonym {
  readonly name: string;
  readonly multiplier?: number;
}

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka-style string form of the default; null means "no value". */
  readonly default: string | null;
  readonly scope: ConfigScope;
  readonly doc: string;
  readonly validator?: Validator;
  /** Topic keys: broker keys that supply the default, highest precedence first. */
  readonly synonyms?: readonly BrokerSynonym[];
  /**
   * Broker keys: can be changed at runtime through (Incremental)AlterConfigs on a BROKER resource
   * (DescribeConfigs readOnly=false). See dynamic-broker.ts for which of them take effect at runtime.
   */
  readonly dynamic?: boolean;
  /** Set when the key is accepted but has no effect in Tributary (the feature is not built); says why. */
  readonly noEffect?: string;
  /** Deprecated keys kept for old tools: listed by DescribeConfigs only when set. */
  readonly deprecated?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------------
// Validators

export function atLeast(min: number): Validator {
  return { expected: `a value of at least ${min}`, test: (v) => typeof v === 'number' && v >= min };
}

export function between(min: number, max: number): Validator {
  return { expected: `a value between ${min} and ${max}`, test: (v) => typeof v === 'number' && v >= min && v <= max };
}

export function oneOf(...allowed: string[]): Validator {
  return { expected: `one of: ${allowed.join(', ')}`, test: (v) => typeof v === 'string' && allowed.includes(v) };
}

export function listOf(...allowed: string[]): Validator {
  return {
    expected: `a comma-separated list of: ${allowed.join(', ')}`,
    test: (v) => Array.isArray(v) && v.every((e) => allowed.includes(e)),
  };
}

export function either(a: Validator, b: Validator): Validator {
  return { expected: `${a.expected} or ${b.expected}`, test: (v) => a.test(v) || b.test(v) };
}

/** leader/follower.replication.throttled.replicas (Kafka's ThrottledReplicaListValidator). */
export const throttledReplicaList: Validator = {
  expected: 'the literal "*" or a list of replicas in the form [PartitionId]:[BrokerId],[PartitionId]:[BrokerId],...',
  test: (v) =>
    Array.isArray(v) && ((v.length === 1 && v[0]!.trim() === '*') || v.every((e) => /^\s*\d+\s*:\s*\d+\s*$/.test(e))),
};

export const exactly = (n: number): Validator => ({ expected: `${n}`, test: (v) => v === n });

export const port: Validator = between(0, 65535);

// ---------------------------------------------------------------------------------------------------------------------
// The table

export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
export const MIB = 1024 * 1024;

export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;
export const CLEANUP_POLICIES = ['delete', 'compact'] as const;
export const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const;
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export type DefInput = Omit<ConfigDef, 'name' | 'scope'>;
export const b = (name: string, d: DefInput): ConfigDef => ({ name, scope: 'broker', ...d });
export const t = (name: string, d: DefInput): ConfigDef => ({ name, scope: 'topic', ...d });
export const both = (name: string, d: DefInput): ConfigDef => ({ name, scope: 'both', synonyms: [{ name }], ...d });

export const s = (name: string, multiplier?: number): BrokerSynonym => (multiplier ? { name, multiplier } : { name });
