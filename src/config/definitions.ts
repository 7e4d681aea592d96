/**
 * The one table of configuration keys Tributary understands (written in keys-topic.ts and keys-broker.ts): Kafka's
 * names, types and defaults, a validator and a one-line description each, and whether the key is a broker key, a
 * topic key or both. A topic key's default comes
 * from its broker synonyms (e.g. topic `retention.ms` <- broker `log.retention.ms` > `log.retention.minutes` >
 * `log.retention.hours`).
 *
 * Values are parsed once into: a canonical string (what DescribeConfigs reports, e.g. `9223372036854775807`) and a
 * typed value. int64 values are plain numbers inside the broker; anything beyond 2^53 (in practice Long.MAX_VALUE,
 * Kafka's "never") becomes Number.MAX_SAFE_INTEGER.
 */
import type { ConfigDef, ConfigType, ConfigValue } from './config-def.ts';
import { ConfigError } from './errors.ts';
import { BROKER_KEYS } from './keys-broker.ts';
import { TOPIC_KEYS } from './keys-topic.ts';

export * from './config-def.ts';

const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

export const CONFIG_DEFINITIONS: readonly ConfigDef[] = [...TOPIC_KEYS, ...BROKER_KEYS];

const BY_NAME = new Map(CONFIG_DEFINITIONS.map((d) => [d.name, d]));
if (BY_NAME.size !== CONFIG_DEFINITIONS.length) throw new Error('Duplicate config definition');

export function configDef(name: string): ConfigDef | undefined {
  return BY_NAME.get(name);
}

export function isBrokerKey(name: string): boolean {
  const d = BY_NAME.get(name);
  return d !== undefined && d.scope !== 'topic';
}

export function isTopicKey(name: string): boolean {
  const d = BY_NAME.get(name);
  return d !== undefined && d.scope !== 'broker';
}

export const BROKER_DEFINITIONS: readonly ConfigDef[] = CONFIG_DEFINITIONS.filter((d) => d.scope !== 'topic');
export const TOPIC_DEFINITIONS: readonly ConfigDef[] = CONFIG_DEFINITIONS.filter((d) => d.scope !== 'broker');

/** Broker keys that stand for the same setting in different units, highest precedence first. */
export const BROKER_SYNONYM_GROUPS: readonly (readonly string[])[] = TOPIC_DEFINITIONS.map((d) =>
  (d.synonyms ?? []).map((x) => x.name),
).filter((g) => g.length > 1);

/** The synonym group of a broker key (itself alone when it has no synonyms). */
export function brokerSynonymNames(name: string): string[] {
  for (const g of BROKER_SYNONYM_GROUPS) {
    if (g.includes(name)) return [...g];
  }
  return [name];
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing

export interface ParsedValue {
  /** Canonical string form, as DescribeConfigs reports it. */
  readonly text: string;
  readonly value: Exclude<ConfigValue, null>;
}

/** Converts a (long) bigint to a broker number; values beyond 2^53 saturate at +-Number.MAX_SAFE_INTEGER. */
export function longToNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

const RANGES: Partial<Record<ConfigType, [bigint, bigint, string]>> = {
  short: [-32768n, 32767n, 'a 16-bit integer'],
  int: [-2147483648n, 2147483647n, 'a 32-bit integer'],
  long: [LONG_MIN, LONG_MAX, 'a 64-bit integer'],
};

/** Java's Double.toString: plain between 1e-3 and 1e7 (always with a fraction), else `d.dddE<n>`. */
function formatDouble(x: number): string {
  const abs = Math.abs(x);
  if (x === 0 || (abs >= 1e-3 && abs < 1e7)) return Number.isInteger(x) ? x.toFixed(1) : String(x);
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * Parses and validates a value for `def` the way Kafka's ConfigDef does (values are trimmed; booleans are
 * case-insensitive; lists split on commas). Throws ConfigError naming the key, the value and what is expected.
 */
export function parseConfigValue(def: ConfigDef, raw: string): ParsedValue {
  const v = raw.trim();
  let parsed: ParsedValue;
  switch (def.type) {
    case 'boolean': {
      const l = v.toLowerCase();
      if (l !== 'true' && l !== 'false') throw new ConfigError(def.name, raw, 'expected true or false');
      parsed = { text: l, value: l === 'true' };
      break;
    }
    case 'short':
    case 'int':
    case 'long': {
      const [min, max, what] = RANGES[def.type]!;
      if (!/^[+-]?\d+$/.test(v)) throw new ConfigError(def.name, raw, `expected ${what}`);
      const n = BigInt(v);
      if (n < min || n > max) throw new ConfigError(def.name, raw, `expected ${what} (between ${min} and ${max})`);
      parsed = { text: n.toString(), value: longToNumber(n) };
      break;
    }
    case 'double': {
      const n = v === '' ? Number.NaN : Number(v);
      if (!Number.isFinite(n)) throw new ConfigError(def.name, raw, 'expected a number');
      parsed = { text: formatDouble(n), value: n };
      break;
    }
    case 'list': {
      const items = v === '' ? [] : v.split(',').map((x) => x.trim());
      if (items.some((x) => x === '')) throw new ConfigError(def.name, raw, 'expected a comma-separated list');
      parsed = { text: items.join(','), value: items };
      break;
    }
    default:
      parsed = { text: v, value: v };
  }
  if (def.validator && !def.validator.test(parsed.value)) {
    throw new ConfigError(def.name, raw, `expected ${def.validator.expected}`);
  }
  return parsed;
}

/** The parsed default of a definition, or null when it has none. */
export function defaultValue(def: ConfigDef): ParsedValue | null {
  return def.default === null ? null : parseConfigValue(def, def.default);
}

/** Whether values of this definition must be hidden (DescribeConfigs value null, isSensitive true). */
export function isSensitive(def: ConfigDef | undefined): boolean {
  return def?.type === 'password';
}
