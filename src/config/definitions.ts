/**
 * The one table of configuration keys Tributary understands: Kafka's names, types and defaults, a validator and a
 * one-line description each, and whether the key is a broker key, a topic key or both. A topic key's default comes
 * from its broker synonyms (e.g. topic `retention.ms` <- broker `log.retention.ms` > `log.retention.minutes` >
 * `log.retention.hours`).
 *
 * Values are parsed once into: a canonical string (what DescribeConfigs reports, e.g. `9223372036854775807`) and a
 * typed value. int64 values are plain numbers inside the broker; anything beyond 2^53 (in practice Long.MAX_VALUE,
 * Kafka's "never") becomes Number.MAX_SAFE_INTEGER.
 */
import { ConfigError } from './errors.ts';

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
const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;
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

function either(a: Validator, b: Validator): Validator {
  return { expected: `${a.expected} or ${b.expected}`, test: (v) => a.test(v) || b.test(v) };
}

const exactly = (n: number): Validator => ({ expected: `${n}`, test: (v) => v === n });

const port: Validator = between(0, 65535);

// ---------------------------------------------------------------------------------------------------------------------
// The table

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const MIB = 1024 * 1024;

export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;
export const CLEANUP_POLICIES = ['delete', 'compact'] as const;
export const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const;
const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

type DefInput = Omit<ConfigDef, 'name' | 'scope'>;
const b = (name: string, d: DefInput): ConfigDef => ({ name, scope: 'broker', ...d });
const t = (name: string, d: DefInput): ConfigDef => ({ name, scope: 'topic', ...d });
const both = (name: string, d: DefInput): ConfigDef => ({ name, scope: 'both', synonyms: [{ name }], ...d });

const ACLS = 'ACLs are not built yet: every client may do everything';
const TLS = 'TLS listeners are not built yet: only PLAINTEXT listeners are served';
const SASL = 'SASL authentication is not built yet: clients are not authenticated';

const s = (name: string, multiplier?: number): BrokerSynonym => (multiplier ? { name, multiplier } : { name });

export const CONFIG_DEFINITIONS: readonly ConfigDef[] = [
  // ---- Topic keys (defaults come from the broker synonyms) -----------------------------------------------------------
  t('cleanup.policy', {
    type: 'list',
    default: 'delete',
    validator: listOf(...CLEANUP_POLICIES),
    synonyms: [s('log.cleanup.policy')],
    doc: 'How old segments are disposed of: "delete" drops them past retention, "compact" keeps the last value per key.',
  }),
  both('compression.type', {
    type: 'string',
    default: 'producer',
    validator: oneOf(...COMPRESSION_TYPES),
    dynamic: true,
    doc: 'Codec batches are stored with; "producer" keeps whatever codec the producer used.',
  }),
  both('compression.gzip.level', {
    type: 'int',
    default: '-1',
    validator: either(exactly(-1), between(1, 9)),
    dynamic: true,
    doc: 'Gzip level used when the broker itself compresses with gzip (-1 = codec default).',
  }),
  both('compression.lz4.level', {
    type: 'int',
    default: '9',
    validator: between(1, 17),
    dynamic: true,
    doc: 'LZ4 level used when the broker itself compresses with lz4.',
  }),
  both('compression.zstd.level', {
    type: 'int',
    default: '3',
    validator: between(-131072, 22),
    dynamic: true,
    doc: 'Zstandard level used when the broker itself compresses with zstd.',
  }),
  t('delete.retention.ms', {
    type: 'long',
    default: '86400000',
    validator: atLeast(0),
    synonyms: [s('log.cleaner.delete.retention.ms')],
    doc: 'How long tombstones survive compaction so that consumers can observe deletes.',
  }),
  t('file.delete.delay.ms', {
    type: 'long',
    default: '60000',
    validator: atLeast(0),
    synonyms: [s('log.segment.delete.delay.ms')],
    doc: 'Grace period between unlinking a segment from the log and deleting its files.',
  }),
  t('flush.messages', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(1),
    synonyms: [s('log.flush.interval.messages')],
    doc: 'Force an fsync after this many appended messages (default: leave it to the OS).',
  }),
  t('flush.ms', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    synonyms: [s('log.flush.interval.ms'), s('log.flush.scheduler.interval.ms')],
    doc: 'Force an fsync when unflushed data is older than this (default: leave it to the OS).',
  }),
  t('follower.replication.throttled.replicas', {
    type: 'list',
    default: '',
    doc: 'Replicas throttled on the follower side, as partition:broker pairs or "*" (accepted, not enforced).',
  }),
  t('leader.replication.throttled.replicas', {
    type: 'list',
    default: '',
    doc: 'Replicas throttled on the leader side, as partition:broker pairs or "*" (accepted, not enforced).',
  }),
  t('index.interval.bytes', {
    type: 'int',
    default: '4096',
    validator: atLeast(0),
    synonyms: [s('log.index.interval.bytes')],
    doc: 'Bytes of log between two entries of the sparse offset index.',
  }),
  t('max.compaction.lag.ms', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(1),
    synonyms: [s('log.cleaner.max.compaction.lag.ms')],
    doc: 'Upper bound on how long a record may stay uncompacted.',
  }),
  t('max.message.bytes', {
    type: 'int',
    default: '1048588',
    validator: atLeast(0),
    synonyms: [s('message.max.bytes')],
    doc: 'Largest record batch (after compression) the topic accepts.',
  }),
  t('message.downconversion.enable', {
    type: 'boolean',
    default: 'true',
    synonyms: [s('log.message.downconversion.enable')],
    doc: 'Whether fetches by old clients may down-convert batches (kept for compatibility; Tributary never does).',
  }),
  t('message.format.version', {
    type: 'string',
    default: '3.0-IV1',
    synonyms: [s('log.message.format.version')],
    doc: 'Deprecated (Kafka 3.x): on-disk message format; accepted for old tools and ignored, batches are always v2.',
    noEffect: 'deprecated since Kafka 3.0 and ignored: record batches are always written in format v2',
    deprecated: true,
  }),
  t('message.timestamp.after.max.ms', {
    type: 'long',
    default: '3600000',
    validator: atLeast(0),
    synonyms: [s('log.message.timestamp.after.max.ms')],
    doc: 'With CreateTime, reject batches whose timestamp is further than this in the future.',
  }),
  t('message.timestamp.before.max.ms', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    synonyms: [s('log.message.timestamp.before.max.ms')],
    doc: 'With CreateTime, reject batches whose timestamp is further than this in the past.',
  }),
  t('message.timestamp.type', {
    type: 'string',
    default: 'CreateTime',
    validator: oneOf(...TIMESTAMP_TYPES),
    synonyms: [s('log.message.timestamp.type')],
    doc: "Whether record timestamps are the producer's (CreateTime) or the broker's append time (LogAppendTime).",
  }),
  t('min.cleanable.dirty.ratio', {
    type: 'double',
    default: '0.5',
    validator: between(0, 1),
    synonyms: [s('log.cleaner.min.cleanable.ratio')],
    doc: 'Share of uncompacted bytes a log needs before the cleaner picks it.',
  }),
  t('min.compaction.lag.ms', {
    type: 'long',
    default: '0',
    validator: atLeast(0),
    synonyms: [s('log.cleaner.min.compaction.lag.ms')],
    doc: 'Records younger than this are never compacted.',
  }),
  both('min.insync.replicas', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Replicas that must have a write before an acks=all produce succeeds.',
  }),
  t('preallocate', {
    type: 'boolean',
    default: 'false',
    synonyms: [s('log.preallocate')],
    doc: 'Preallocate segment files on creation.',
  }),
  t('retention.bytes', {
    type: 'long',
    default: '-1',
    synonyms: [s('log.retention.bytes')],
    doc: 'Per-partition size beyond which old segments are deleted (-1 = unlimited).',
  }),
  t('retention.ms', {
    type: 'long',
    default: '604800000',
    validator: atLeast(-1),
    synonyms: [s('log.retention.ms'), s('log.retention.minutes', MINUTE_MS), s('log.retention.hours', HOUR_MS)],
    doc: 'Age beyond which old segments are deleted (-1 = forever).',
  }),
  t('segment.bytes', {
    type: 'int',
    default: '1073741824',
    validator: atLeast(14),
    synonyms: [s('log.segment.bytes')],
    doc: 'Size at which the active segment is rolled.',
  }),
  t('segment.index.bytes', {
    type: 'int',
    default: '10485760',
    validator: atLeast(4),
    synonyms: [s('log.index.size.max.bytes')],
    doc: "Maximum size of a segment's offset and time index files.",
  }),
  t('segment.jitter.ms', {
    type: 'long',
    default: '0',
    validator: atLeast(0),
    synonyms: [s('log.roll.jitter.ms'), s('log.roll.jitter.hours', HOUR_MS)],
    doc: 'Random amount subtracted from segment.ms so that partitions do not all roll at once.',
  }),
  t('segment.ms', {
    type: 'long',
    default: '604800000',
    validator: atLeast(1),
    synonyms: [s('log.roll.ms'), s('log.roll.hours', HOUR_MS)],
    doc: 'Age at which the active segment is rolled even if not full.',
  }),
  both('unclean.leader.election.enable', {
    type: 'boolean',
    default: 'false',
    dynamic: true,
    doc: 'Allow an out-of-sync replica to become leader (possible data loss).',
  }),

  // ---- Broker synonyms of topic keys -------------------------------------------------------------------------------
  b('log.cleanup.policy', {
    type: 'list',
    default: 'delete',
    validator: listOf(...CLEANUP_POLICIES),
    dynamic: true,
    doc: 'Default cleanup.policy of topics.',
  }),
  b('log.cleaner.delete.retention.ms', {
    type: 'long',
    default: '86400000',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default delete.retention.ms of topics.',
  }),
  b('log.segment.delete.delay.ms', {
    type: 'long',
    default: '60000',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default file.delete.delay.ms of topics.',
  }),
  b('log.flush.interval.messages', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(1),
    dynamic: true,
    doc: 'Default flush.messages of topics.',
  }),
  b('log.flush.interval.ms', {
    type: 'long',
    default: null,
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default flush.ms of topics; when unset, log.flush.scheduler.interval.ms applies.',
  }),
  b('log.flush.scheduler.interval.ms', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    doc: 'How often the flusher checks whether a log needs an fsync.',
  }),
  b('log.index.interval.bytes', {
    type: 'int',
    default: '4096',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default index.interval.bytes of topics.',
  }),
  b('log.cleaner.max.compaction.lag.ms', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(1),
    dynamic: true,
    doc: 'Default max.compaction.lag.ms of topics.',
  }),
  b('message.max.bytes', {
    type: 'int',
    default: '1048588',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Largest record batch the broker accepts; default max.message.bytes of topics.',
  }),
  b('log.message.downconversion.enable', {
    type: 'boolean',
    default: 'true',
    dynamic: true,
    doc: 'Default message.downconversion.enable of topics.',
  }),
  b('log.message.timestamp.after.max.ms', {
    type: 'long',
    default: '3600000',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default message.timestamp.after.max.ms of topics.',
  }),
  b('log.message.timestamp.before.max.ms', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default message.timestamp.before.max.ms of topics.',
  }),
  b('log.message.timestamp.type', {
    type: 'string',
    default: 'CreateTime',
    validator: oneOf(...TIMESTAMP_TYPES),
    dynamic: true,
    doc: 'Default message.timestamp.type of topics.',
  }),
  b('log.cleaner.min.cleanable.ratio', {
    type: 'double',
    default: '0.5',
    validator: between(0, 1),
    dynamic: true,
    doc: 'Default min.cleanable.dirty.ratio of topics.',
  }),
  b('log.cleaner.min.compaction.lag.ms', {
    type: 'long',
    default: '0',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default min.compaction.lag.ms of topics.',
  }),
  b('log.preallocate', { type: 'boolean', default: 'false', dynamic: true, doc: 'Default preallocate of topics.' }),
  b('log.retention.bytes', { type: 'long', default: '-1', dynamic: true, doc: 'Default retention.bytes of topics.' }),
  b('log.retention.ms', {
    type: 'long',
    default: null,
    validator: atLeast(-1),
    dynamic: true,
    doc: 'Default retention.ms of topics; wins over log.retention.minutes and log.retention.hours.',
  }),
  b('log.retention.minutes', {
    type: 'int',
    default: null,
    validator: atLeast(-1),
    doc: 'Default retention in minutes; wins over log.retention.hours.',
  }),
  b('log.retention.hours', {
    type: 'int',
    default: '168',
    validator: atLeast(-1),
    doc: 'Default retention in hours, used when neither log.retention.ms nor log.retention.minutes is set.',
  }),
  b('log.segment.bytes', {
    type: 'int',
    default: '1073741824',
    validator: atLeast(14),
    dynamic: true,
    doc: 'Default segment.bytes of topics.',
  }),
  b('log.index.size.max.bytes', {
    type: 'int',
    default: '10485760',
    validator: atLeast(4),
    dynamic: true,
    doc: 'Default segment.index.bytes of topics.',
  }),
  b('log.roll.jitter.ms', {
    type: 'long',
    default: null,
    validator: atLeast(0),
    dynamic: true,
    doc: 'Default segment.jitter.ms of topics; wins over log.roll.jitter.hours.',
  }),
  b('log.roll.jitter.hours', {
    type: 'int',
    default: '0',
    validator: atLeast(0),
    doc: 'Default segment jitter in hours, used when log.roll.jitter.ms is not set.',
  }),
  b('log.roll.ms', {
    type: 'long',
    default: null,
    validator: atLeast(1),
    dynamic: true,
    doc: 'Default segment.ms of topics; wins over log.roll.hours.',
  }),
  b('log.roll.hours', {
    type: 'int',
    default: '168',
    validator: atLeast(1),
    doc: 'Default segment roll age in hours, used when log.roll.ms is not set.',
  }),

  // ---- Identity and KRaft --------------------------------------------------------------------------------------------
  b('node.id', { type: 'int', default: '1', validator: atLeast(0), doc: 'Id of this node in the cluster.' }),
  b('broker.id', { type: 'int', default: null, validator: atLeast(0), doc: 'Legacy alias of node.id.' }),
  b('process.roles', {
    type: 'list',
    default: 'broker,controller',
    validator: listOf('broker', 'controller'),
    doc: 'Roles this process plays: broker, controller or both (combined mode).',
  }),
  b('controller.quorum.voters', {
    type: 'list',
    default: '',
    doc: 'Static controller quorum as id@host:port entries (accepted; a single Tributary node is its own quorum).',
  }),
  b('controller.quorum.bootstrap.servers', {
    type: 'list',
    default: '',
    doc: 'Controller endpoints for a dynamic quorum (accepted, informational).',
  }),
  b('controller.listener.names', {
    type: 'string',
    default: 'CONTROLLER',
    doc: 'Comma-separated listener names used by controllers; these are never advertised to clients.',
  }),
  b('metadata.log.dir', {
    type: 'string',
    default: null,
    doc: 'Directory of the cluster metadata log; defaults to the first log directory.',
  }),
  b('broker.rack', { type: 'string', default: null, doc: 'Rack of this broker, reported in Metadata responses.' }),

  // ---- Networking ----------------------------------------------------------------------------------------------------
  b('listeners', {
    type: 'list',
    default: 'PLAINTEXT://127.0.0.1:9092',
    doc: 'Comma-separated NAME://host:port endpoints to bind (empty host or 0.0.0.0 = all interfaces, port 0 = any).',
  }),
  b('advertised.listeners', {
    type: 'list',
    default: null,
    doc: 'Endpoints given to clients in Metadata responses; defaults to the non-controller listeners.',
  }),
  b('listener.security.protocol.map', {
    type: 'string',
    default: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    doc: 'Maps each listener name to its security protocol as NAME:PROTOCOL pairs.',
  }),
  b('inter.broker.listener.name', {
    type: 'string',
    default: null,
    doc: 'Listener brokers use to talk to each other; defaults to the one using security.inter.broker.protocol.',
  }),
  b('security.inter.broker.protocol', {
    type: 'string',
    default: 'PLAINTEXT',
    validator: oneOf(...SECURITY_PROTOCOLS),
    doc: 'Security protocol between brokers when inter.broker.listener.name is not set.',
  }),
  b('socket.request.max.bytes', {
    type: 'int',
    default: '104857600',
    validator: atLeast(1),
    doc: 'Largest request the broker reads; bigger size prefixes close the connection.',
  }),
  b('socket.send.buffer.bytes', {
    type: 'int',
    default: '102400',
    doc: 'SO_SNDBUF of client sockets (-1 = OS default).',
  }),
  b('socket.receive.buffer.bytes', {
    type: 'int',
    default: '102400',
    doc: 'SO_RCVBUF of client sockets (-1 = OS default).',
  }),
  b('socket.listen.backlog.size', {
    type: 'int',
    default: '50',
    validator: atLeast(1),
    doc: 'Backlog of pending connections on each listening socket.',
  }),
  b('num.network.threads', {
    type: 'int',
    default: '3',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Network threads in Kafka (accepted, informational: Tributary uses the event loop).',
  }),
  b('num.io.threads', {
    type: 'int',
    default: '8',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Request handler threads in Kafka (accepted, informational).',
  }),
  b('background.threads', {
    type: 'int',
    default: '10',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Background task threads in Kafka (accepted, informational).',
  }),
  b('connections.max.idle.ms', {
    type: 'long',
    default: '600000',
    doc: 'Idle client connections are closed after this long (-1 = never).',
  }),
  b('max.connections', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(0),
    dynamic: true,
    doc: 'Maximum number of client connections across all listeners.',
  }),
  b('max.connections.per.ip', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(0),
    dynamic: true,
    doc: 'Maximum number of connections from one IP address.',
  }),
  b('queued.max.requests', {
    type: 'int',
    default: '500',
    validator: atLeast(1),
    doc: 'Requests that may be queued per connection before the broker stops reading from it.',
  }),
  b('max.incremental.fetch.session.cache.slots', {
    type: 'int',
    default: '1000',
    validator: atLeast(0),
    doc: 'Number of incremental fetch sessions the broker keeps.',
  }),
  b('fetch.max.bytes', {
    type: 'int',
    default: '57671680',
    validator: atLeast(1024),
    doc: 'Upper bound on the bytes returned by one fetch request.',
  }),

  // ---- Storage -------------------------------------------------------------------------------------------------------
  b('log.dirs', {
    type: 'list',
    default: null,
    doc: 'Comma-separated data directories; when unset, log.dir is used.',
  }),
  b('log.dir', { type: 'string', default: './data', doc: 'Data directory, used when log.dirs is not set.' }),
  b('num.partitions', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Partition count of topics created without one (including auto-created topics).',
  }),
  b('default.replication.factor', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Replication factor of topics created without one.',
  }),
  b('auto.create.topics.enable', {
    type: 'boolean',
    default: 'true',
    doc: 'Create a topic when a client asks for metadata of, or produces to, one that does not exist.',
  }),
  b('delete.topic.enable', { type: 'boolean', default: 'true', doc: 'Allow topics to be deleted.' }),
  b('auto.leader.rebalance.enable', {
    type: 'boolean',
    default: 'true',
    doc: 'Move leadership back to preferred replicas periodically.',
  }),
  b('num.recovery.threads.per.data.dir', {
    type: 'int',
    default: '2',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Parallelism of log recovery at startup per data directory.',
  }),
  b('log.retention.check.interval.ms', {
    type: 'long',
    default: '300000',
    validator: atLeast(1),
    doc: 'How often retention is enforced.',
  }),
  b('log.flush.offset.checkpoint.interval.ms', {
    type: 'int',
    default: '60000',
    validator: atLeast(0),
    doc: 'How often recovery points are checkpointed to disk.',
  }),
  b('log.flush.start.offset.checkpoint.interval.ms', {
    type: 'int',
    default: '60000',
    validator: atLeast(0),
    doc: 'How often log start offsets are checkpointed to disk.',
  }),
  b('log.cleaner.enable', { type: 'boolean', default: 'true', doc: 'Run the log cleaner (needed for compaction).' }),
  b('log.cleaner.threads', {
    type: 'int',
    default: '1',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Number of log cleaner workers.',
  }),
  b('log.cleaner.backoff.ms', {
    type: 'long',
    default: '15000',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Pause of the cleaner when there is nothing to clean.',
  }),
  b('log.cleaner.dedupe.buffer.size', {
    type: 'long',
    default: '134217728',
    dynamic: true,
    doc: 'Memory the cleaner may use for its key map.',
  }),
  b('log.cleaner.io.buffer.size', {
    type: 'int',
    default: '524288',
    validator: atLeast(0),
    dynamic: true,
    doc: 'I/O buffer size of the cleaner.',
  }),

  // ---- Replication ---------------------------------------------------------------------------------------------------
  b('replica.lag.time.max.ms', {
    type: 'long',
    default: '30000',
    doc: 'A follower that has not caught up for this long is removed from the ISR.',
  }),
  b('replica.fetch.max.bytes', {
    type: 'int',
    default: String(MIB),
    validator: atLeast(0),
    doc: 'Bytes per partition a follower fetches at once.',
  }),
  b('replica.socket.timeout.ms', { type: 'int', default: '30000', doc: 'Socket timeout of replica fetchers.' }),
  b('num.replica.fetchers', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Fetcher threads per source broker.',
  }),

  // ---- Consumer groups and offsets -----------------------------------------------------------------------------------
  b('offsets.topic.replication.factor', {
    type: 'short',
    default: '1',
    validator: atLeast(1),
    doc: 'Replication factor of __consumer_offsets (Kafka defaults to 3; 1 suits a single node).',
  }),
  b('offsets.topic.num.partitions', {
    type: 'int',
    default: '50',
    validator: atLeast(1),
    doc: 'Partition count of __consumer_offsets; fixed once the topic exists.',
  }),
  b('offsets.topic.segment.bytes', {
    type: 'int',
    default: '104857600',
    validator: atLeast(1),
    doc: 'Segment size of __consumer_offsets.',
  }),
  b('offsets.retention.minutes', {
    type: 'int',
    default: '10080',
    validator: atLeast(1),
    doc: 'Committed offsets of an empty group are dropped after this long.',
  }),
  b('offsets.retention.check.interval.ms', {
    type: 'long',
    default: '600000',
    validator: atLeast(1),
    doc: 'How often expired offsets are looked for.',
  }),
  b('offsets.commit.timeout.ms', {
    type: 'int',
    default: '5000',
    validator: atLeast(1),
    doc: 'How long an offset commit may wait for the offsets topic write.',
  }),
  b('offsets.load.buffer.size', {
    type: 'int',
    default: '5242880',
    validator: atLeast(1),
    doc: 'Read buffer size when loading group state.',
  }),
  b('group.initial.rebalance.delay.ms', {
    type: 'int',
    default: '3000',
    validator: atLeast(0),
    doc: 'How long a new classic group waits for more members before the first rebalance.',
  }),
  b('group.min.session.timeout.ms', {
    type: 'int',
    default: '6000',
    doc: 'Smallest session timeout a classic group member may ask for.',
  }),
  b('group.max.session.timeout.ms', {
    type: 'int',
    default: '1800000',
    doc: 'Largest session timeout a classic group member may ask for.',
  }),
  b('group.max.size', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(1),
    doc: 'Maximum number of members in one classic group.',
  }),
  b('group.coordinator.rebalance.protocols', {
    type: 'list',
    default: 'classic,consumer',
    validator: listOf('classic', 'consumer', 'share', 'streams'),
    doc: 'Group protocols the coordinator accepts.',
  }),
  b('group.consumer.session.timeout.ms', {
    type: 'int',
    default: '45000',
    validator: atLeast(1),
    doc: 'Session timeout of members of consumer-protocol (KIP-848) groups.',
  }),
  b('group.consumer.heartbeat.interval.ms', {
    type: 'int',
    default: '5000',
    validator: atLeast(1),
    doc: 'Heartbeat interval of members of consumer-protocol (KIP-848) groups.',
  }),
  b('group.consumer.min.session.timeout.ms', {
    type: 'int',
    default: '45000',
    validator: atLeast(1),
    doc: 'Smallest consumer.session.timeout.ms a consumer-protocol group may be given.',
  }),
  b('group.consumer.max.session.timeout.ms', {
    type: 'int',
    default: '60000',
    validator: atLeast(1),
    doc: 'Largest consumer.session.timeout.ms a consumer-protocol group may be given.',
  }),
  b('group.consumer.min.heartbeat.interval.ms', {
    type: 'int',
    default: '5000',
    validator: atLeast(1),
    doc: 'Smallest consumer.heartbeat.interval.ms a consumer-protocol group may be given.',
  }),
  b('group.consumer.max.heartbeat.interval.ms', {
    type: 'int',
    default: '15000',
    validator: atLeast(1),
    doc: 'Largest consumer.heartbeat.interval.ms a consumer-protocol group may be given.',
  }),
  b('group.consumer.max.size', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(1),
    doc: 'Maximum number of members in one consumer-protocol (KIP-848) group.',
  }),
  b('group.consumer.assignors', {
    type: 'list',
    default: 'uniform,range',
    doc: 'Server-side assignors of consumer-protocol groups (uniform, range; class names accepted); the first is the default.',
  }),
  b('share.coordinator.state.topic.replication.factor', {
    type: 'short',
    default: '1',
    validator: atLeast(1),
    doc: 'Replication factor of the share-group state topic (accepted, informational).',
  }),
  b('share.coordinator.state.topic.min.isr', {
    type: 'short',
    default: '1',
    validator: atLeast(1),
    doc: 'min.insync.replicas of the share-group state topic (accepted, informational).',
  }),

  // ---- Transactions and idempotence ----------------------------------------------------------------------------------
  b('transaction.state.log.replication.factor', {
    type: 'short',
    default: '1',
    validator: atLeast(1),
    doc: 'Replication factor of __transaction_state (Kafka defaults to 3; 1 suits a single node).',
  }),
  b('transaction.state.log.min.isr', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'min.insync.replicas of __transaction_state (Kafka defaults to 2).',
  }),
  b('transaction.state.log.num.partitions', {
    type: 'int',
    default: '50',
    validator: atLeast(1),
    doc: 'Partition count of __transaction_state; fixed once the topic exists.',
  }),
  b('transaction.state.log.segment.bytes', {
    type: 'int',
    default: '104857600',
    validator: atLeast(1),
    doc: 'Segment size of __transaction_state.',
  }),
  b('transactional.id.expiration.ms', {
    type: 'int',
    default: '604800000',
    validator: atLeast(1),
    doc: 'A transactional id without activity for this long is forgotten.',
  }),
  b('transaction.max.timeout.ms', {
    type: 'int',
    default: '900000',
    validator: atLeast(1),
    doc: 'Largest transaction timeout a producer may ask for.',
  }),
  b('transaction.abort.timed.out.transaction.cleanup.interval.ms', {
    type: 'int',
    default: '10000',
    validator: atLeast(1),
    doc: 'How often timed-out transactions are looked for and aborted.',
  }),
  b('transaction.remove.expired.transaction.cleanup.interval.ms', {
    type: 'int',
    default: '3600000',
    validator: atLeast(1),
    doc: 'How often expired transactional ids are removed.',
  }),
  b('producer.id.expiration.ms', {
    type: 'int',
    default: '86400000',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Idempotence state of a producer id without writes for this long is dropped.',
  }),
  b('producer.id.expiration.check.interval.ms', {
    type: 'int',
    default: '600000',
    validator: atLeast(1),
    doc: 'How often expired producer ids are looked for.',
  }),

  // ---- Security (accepted; enforced once Tributary implements SSL/SASL/ACLs) ------------------------------------------
  b('authorizer.class.name', {
    type: 'string',
    default: '',
    doc: 'Authorizer implementation; empty = no ACL checks.',
    noEffect: ACLS,
  }),
  b('super.users', {
    type: 'list',
    default: '',
    doc: 'Principals (User:name) that bypass ACL checks.',
    noEffect: ACLS,
  }),
  b('allow.everyone.if.no.acl.found', {
    type: 'boolean',
    default: 'false',
    doc: 'Allow access to resources that have no ACLs.',
    noEffect: ACLS,
  }),
  b('sasl.enabled.mechanisms', {
    type: 'list',
    default: 'GSSAPI',
    doc: 'SASL mechanisms offered to clients.',
    noEffect: SASL,
  }),
  b('sasl.mechanism.inter.broker.protocol', {
    type: 'string',
    default: 'GSSAPI',
    doc: 'SASL mechanism brokers use among themselves.',
    noEffect: SASL,
  }),
  b('sasl.mechanism.controller.protocol', {
    type: 'string',
    default: 'GSSAPI',
    doc: 'SASL mechanism used to reach controllers.',
    noEffect: SASL,
  }),
  b('ssl.keystore.location', { type: 'string', default: null, doc: 'Path of the key store.', noEffect: TLS }),
  b('ssl.keystore.password', { type: 'password', default: null, doc: 'Password of the key store.', noEffect: TLS }),
  b('ssl.keystore.type', { type: 'string', default: 'JKS', doc: 'Format of the key store.', noEffect: TLS }),
  b('ssl.key.password', { type: 'password', default: null, doc: 'Password of the private key.', noEffect: TLS }),
  b('ssl.truststore.location', { type: 'string', default: null, doc: 'Path of the trust store.', noEffect: TLS }),
  b('ssl.truststore.password', {
    type: 'password',
    default: null,
    doc: 'Password of the trust store.',
    noEffect: TLS,
  }),
  b('ssl.truststore.type', { type: 'string', default: 'JKS', doc: 'Format of the trust store.', noEffect: TLS }),
  b('ssl.client.auth', {
    type: 'string',
    default: 'none',
    validator: oneOf('required', 'requested', 'none'),
    doc: 'Whether TLS clients must present a certificate.',
    noEffect: TLS,
  }),
  b('ssl.endpoint.identification.algorithm', {
    type: 'string',
    default: 'https',
    doc: 'Hostname verification of peers ("https", or empty to disable).',
    noEffect: TLS,
  }),

  b('zookeeper.connect', {
    type: 'string',
    default: null,
    doc: 'ZooKeeper connection string of a ZooKeeper-mode cluster (Kafka 4 removed ZooKeeper mode).',
    noEffect: 'Tributary runs its own metadata log; ZooKeeper is not used',
  }),
  b('log.message.format.version', {
    type: 'string',
    default: '3.0-IV1',
    dynamic: true,
    doc: 'Deprecated (Kafka 3.x): default message.format.version of topics; ignored, batches are always v2.',
    noEffect: 'deprecated since Kafka 3.0 and ignored: record batches are always written in format v2',
    deprecated: true,
  }),

  // ---- Tributary-specific --------------------------------------------------------------------------------------------
  b('metrics.port', {
    type: 'int',
    default: null,
    validator: port,
    doc: 'Tributary: port of the HTTP endpoint serving Prometheus metrics (unset = disabled).',
  }),
];

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

/** Java's Double.toString for the values configs use. */
function formatDouble(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return x.toFixed(1);
  return String(x);
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
