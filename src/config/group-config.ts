/**
 * GROUP config resources (Kafka's GroupConfig, KIP-848): per-group overrides stored in cluster metadata.
 * `consumer.session.timeout.ms` and `consumer.heartbeat.interval.ms` are used by the consumer-protocol group
 * coordinator, the share.* keys by share groups (membership and share-partitions); the streams.* keys are accepted
 * as Kafka 4.4 does, but streams groups are not built, so they have no effect (said so in the response and the
 * log). Values are validated against the broker's
 * bounds (group.consumer.min/max.*), with Kafka's messages.
 */
import type { BrokerConfig } from './broker-config.ts';
import {
  atLeast,
  CONFIG_TYPE_ID,
  type ConfigDef,
  type ConfigSourceName,
  oneOf,
  parseConfigValue,
} from './definitions.ts';
import { closestKeys } from './did-you-mean.ts';
import { ConfigError } from './errors.ts';
import type { ConfigSynonym, DescribeConfigEntry } from './topic-config.ts';

/** Kafka error code INVALID_CONFIG. */
const INVALID_CONFIG = 40;

interface GroupConfigDef {
  readonly def: ConfigDef;
  /** The broker key supplying the default (and, for bounded keys, the bound keys). */
  readonly synonym: string | null;
  /** Broker keys (or fixed numbers, for features whose bounds are not broker keys here) bounding the value. */
  readonly bounds?: readonly [string | number, string | number];
  readonly noEffect?: string;
}

const STREAMS = 'streams groups are not built yet in Tributary';

const g = (
  name: string,
  type: 'int' | 'long' | 'string',
  dflt: string,
  doc: string,
  extra: Partial<Omit<GroupConfigDef, 'def'>> & { validator?: ConfigDef['validator'] } = {},
): GroupConfigDef => ({
  def: { name, type, default: dflt, scope: 'broker', doc, validator: extra.validator ?? atLeast(1) },
  synonym: extra.synonym ?? null,
  bounds: extra.bounds,
  noEffect: extra.noEffect,
});

export const GROUP_CONFIG_DEFINITIONS: readonly GroupConfigDef[] = [
  g('consumer.session.timeout.ms', 'int', '45000', 'Session timeout of the members of this consumer group.', {
    synonym: 'group.consumer.session.timeout.ms',
    bounds: ['group.consumer.min.session.timeout.ms', 'group.consumer.max.session.timeout.ms'],
  }),
  g('consumer.heartbeat.interval.ms', 'int', '5000', 'Heartbeat interval given to members of this consumer group.', {
    synonym: 'group.consumer.heartbeat.interval.ms',
    bounds: ['group.consumer.min.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms'],
  }),
  g('share.session.timeout.ms', 'int', '45000', 'Session timeout of the members of this share group.', {
    synonym: 'group.share.session.timeout.ms',
    bounds: ['group.share.min.session.timeout.ms', 'group.share.max.session.timeout.ms'],
  }),
  g('share.heartbeat.interval.ms', 'int', '5000', 'Heartbeat interval of the members of this share group.', {
    synonym: 'group.share.heartbeat.interval.ms',
    bounds: ['group.share.min.heartbeat.interval.ms', 'group.share.max.heartbeat.interval.ms'],
  }),
  g('share.record.lock.duration.ms', 'int', '30000', 'How long a share consumer holds an acquired record.', {
    synonym: 'group.share.record.lock.duration.ms',
    bounds: ['group.share.min.record.lock.duration.ms', 'group.share.max.record.lock.duration.ms'],
  }),
  g('share.delivery.count.limit', 'int', '5', 'Delivery attempts of a record before it is archived.', {
    synonym: 'group.share.delivery.count.limit',
    bounds: ['group.share.min.delivery.count.limit', 'group.share.max.delivery.count.limit'],
  }),
  g('share.partition.max.record.locks', 'int', '2000', 'Records a share partition may have acquired at once.', {
    synonym: 'group.share.partition.max.record.locks',
    bounds: ['group.share.min.partition.max.record.locks', 'group.share.max.partition.max.record.locks'],
  }),
  g('share.auto.offset.reset', 'string', 'latest', 'Where a share partition starts: latest or earliest.', {
    validator: oneOf('latest', 'earliest'),
  }),
  g('share.isolation.level', 'string', 'read_uncommitted', 'Whether share consumers see uncommitted records.', {
    validator: oneOf('read_committed', 'read_uncommitted'),
  }),
  g('streams.session.timeout.ms', 'int', '45000', 'Session timeout of the members of this streams group.', {
    bounds: [45000, 60000],
    noEffect: STREAMS,
  }),
  g('streams.heartbeat.interval.ms', 'int', '5000', 'Heartbeat interval of the members of this streams group.', {
    bounds: [5000, 15000],
    noEffect: STREAMS,
  }),
  g('streams.num.standby.replicas', 'int', '0', 'Standby replicas of each task of this streams group.', {
    validator: atLeast(0),
    bounds: [0, 2],
    noEffect: STREAMS,
  }),
  g('streams.initial.rebalance.delay.ms', 'int', '3000', 'Delay of the first rebalance of this streams group.', {
    validator: atLeast(0),
    noEffect: STREAMS,
  }),
];

const BY_NAME = new Map(GROUP_CONFIG_DEFINITIONS.map((d) => [d.def.name, d]));

export function groupConfigDef(name: string): GroupConfigDef | undefined {
  return BY_NAME.get(name);
}

export interface GroupConfigError {
  readonly key: string;
  readonly errorCode: number;
  readonly message: string;
}

const bound = (broker: BrokerConfig, b: string | number): number =>
  typeof b === 'number' ? b : (broker.get(b) as number);

const boundName = (b: string | number): string => (typeof b === 'number' ? String(b) : b);

/**
 * Validates a group's whole set of overrides (after the operations were applied), as Kafka's GroupConfig.validate:
 * known names, parseable values within the broker's bounds, session timeout above the heartbeat interval.
 */
export function validateGroupConfigs(broker: BrokerConfig, configs: Record<string, string>): GroupConfigError[] {
  const errors: GroupConfigError[] = [];
  const parsed = new Map<string, number | string>();
  for (const [key, raw] of Object.entries(configs)) {
    const d = BY_NAME.get(key);
    if (!d) {
      const near = closestKeys(key, BY_NAME.keys());
      const hint = near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : '';
      errors.push({ key, errorCode: INVALID_CONFIG, message: `Unknown group config name: ${key}${hint}` });
      continue;
    }
    let value: number | string;
    try {
      value = parseConfigValue(d.def, raw).value as number | string;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push({ key, errorCode: INVALID_CONFIG, message: e.message });
      continue;
    }
    if (d.bounds && typeof value === 'number') {
      const [lo, hi] = d.bounds;
      if (value < bound(broker, lo)) {
        errors.push({
          key,
          errorCode: INVALID_CONFIG,
          message: `${key} must be greater than or equal to ${boundName(lo)}${typeof lo === 'string' ? ` (${bound(broker, lo)})` : ''}`,
        });
        continue;
      }
      if (value > bound(broker, hi)) {
        errors.push({
          key,
          errorCode: INVALID_CONFIG,
          message: `${key} must be less than or equal to ${boundName(hi)}${typeof hi === 'string' ? ` (${bound(broker, hi)})` : ''}`,
        });
        continue;
      }
    }
    parsed.set(key, value);
  }
  for (const kind of ['consumer', 'share', 'streams']) {
    const s = parsed.get(`${kind}.session.timeout.ms`);
    const h = parsed.get(`${kind}.heartbeat.interval.ms`);
    const session = (s ?? effectiveDefault(broker, `${kind}.session.timeout.ms`)) as number;
    const heartbeat = (h ?? effectiveDefault(broker, `${kind}.heartbeat.interval.ms`)) as number;
    if ((s !== undefined || h !== undefined) && session <= heartbeat)
      errors.push({
        key: `${kind}.session.timeout.ms`,
        errorCode: INVALID_CONFIG,
        message: `${kind}.session.timeout.ms must be greater than ${kind}.heartbeat.interval.ms`,
      });
  }
  return errors;
}

function effectiveDefault(broker: BrokerConfig, key: string): number | string {
  const d = BY_NAME.get(key)!;
  if (d.synonym !== null) return broker.get(d.synonym) as number | string;
  return parseConfigValue(d.def, d.def.default!).value as number | string;
}

/** Keys among `keys` that are accepted but have no effect, with the reason. */
export function groupNoEffect(keys: Iterable<string>): Array<{ key: string; reason: string }> {
  const out: Array<{ key: string; reason: string }> = [];
  for (const k of keys) {
    const r = BY_NAME.get(k)?.noEffect;
    if (r !== undefined) out.push({ key: k, reason: r });
  }
  return out;
}

/** What the consumer-protocol coordinator uses of a group's overrides (unset keys are left out). */
export interface ConsumerGroupOverrides {
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export function consumerGroupOverrides(configs: Readonly<Record<string, string>> | undefined): ConsumerGroupOverrides {
  const out: ConsumerGroupOverrides = {};
  if (!configs) return out;
  const s = configs['consumer.session.timeout.ms'];
  const h = configs['consumer.heartbeat.interval.ms'];
  if (s !== undefined) out.sessionTimeoutMs = Number(s);
  if (h !== undefined) out.heartbeatIntervalMs = Number(h);
  return out;
}

/**
 * DescribeConfigs entries of a group, sorted by name: an override is a GROUP_CONFIG, anything else shows the value
 * of its broker synonym (static or default) or Kafka's default.
 */
export function describeGroupConfig(
  broker: BrokerConfig,
  overrides: Readonly<Record<string, string>>,
  names?: readonly string[] | null,
): DescribeConfigEntry[] {
  const entries: DescribeConfigEntry[] = [];
  for (const d of GROUP_CONFIG_DEFINITIONS) {
    const name = d.def.name;
    if (names && !names.includes(name)) continue;
    const synonyms: ConfigSynonym[] = [];
    const own = overrides[name];
    if (own !== undefined) synonyms.push({ name, value: own, source: 'GROUP_CONFIG' });
    if (d.synonym !== null) {
      const source: ConfigSourceName = broker.isSet(d.synonym) ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG';
      synonyms.push({ name: d.synonym, value: broker.getString(d.synonym) ?? null, source });
    }
    const value = own ?? (d.synonym !== null ? (broker.getString(d.synonym) ?? null) : d.def.default);
    entries.push({
      name,
      value,
      source: synonyms[0]?.source ?? 'DEFAULT_CONFIG',
      readOnly: false,
      sensitive: false,
      type: CONFIG_TYPE_ID[d.def.type],
      documentation: d.noEffect ? `${d.def.doc} (No effect: ${d.noEffect}.)` : d.def.doc,
      synonyms,
    });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
