/**
 * Broker configuration: defaults < server.properties < KAFKA_* environment < --override key=value.
 * Unknown keys are kept (and reported by DescribeConfigs) with a warning; invalid values throw ConfigError.
 */
import { hostname } from 'node:os';
import {
  type BrokerSynonym,
  type ConfigDef,
  type ConfigValue,
  configDef,
  defaultValue,
  longToNumber,
  type ParsedValue,
  parseConfigValue,
} from './definitions.ts';
import { closestKnownKeys } from './did-you-mean.ts';
import { ConfigError } from './errors.ts';
import { parseListenerOverride, parseListenerOverrideValue, RECONFIGURABLE_LISTENER_KEYS } from './listener-config.ts';
import { readPropertiesFile } from './properties.ts';

export type BrokerConfigSource = 'DEFAULT_CONFIG' | 'STATIC_BROKER_CONFIG';
/**
 * Where a set value came from: the static layers (for diagnostics), or the dynamic layers of cluster metadata
 * (`dynamic-default` = the cluster-wide default entity, `dynamic-broker` = this broker's entity).
 */
export type BrokerConfigOrigin = 'default' | 'file' | 'env' | 'override' | 'dynamic-default' | 'dynamic-broker';

export interface Listener {
  /** Listener name, upper-cased (PLAINTEXT, CONTROLLER, ...). */
  readonly name: string;
  /** Host as written, brackets removed; '' means all interfaces. */
  readonly host: string;
  /** 0 = ephemeral port. */
  readonly port: number;
  readonly securityProtocol: string;
}

export interface BrokerConfigEntry {
  readonly text: string | null;
  readonly value: ConfigValue;
  readonly origin: BrokerConfigOrigin;
}

export interface ConfigLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface LoadBrokerConfigOptions {
  configFile?: string;
  /** `key=value` strings, as given to --override. */
  overrides?: string[];
  /** Defaults to process.env; pass {} to ignore the environment. */
  env?: NodeJS.ProcessEnv;
  logger?: ConfigLogger;
  /** For tests: the name used for advertised listeners bound to all interfaces. Defaults to os.hostname(). */
  hostname?: string;
}

/** Environment variables with the KAFKA_ prefix that are not configs. */
const NON_CONFIG_ENV = new Set([
  'KAFKA_HEAP_OPTS',
  'KAFKA_OPTS',
  'KAFKA_VERSION',
  'KAFKA_HOME',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_DEBUG',
  'KAFKA_DEBUG_SUSPEND_FLAG',
  'KAFKA_CLUSTER_ID',
  'KAFKA_KRAFT_CLUSTER_ID',
  'KAFKA_ENABLE_KRAFT',
  'KAFKA_CONFIG_DIR',
]);
const NON_CONFIG_ENV_PREFIXES = ['KAFKA_JMX_', 'KAFKA_LOG4J_', 'KAFKA_CFG_'];

/**
 * Maps a Docker-style variable name to a config key: KAFKA_FOO_BAR -> foo.bar, `___` -> `-`, `__` -> `_`
 * (apache/kafka image). When that key is unknown but Confluent's opposite escapes (`__` -> `-`, `___` -> `_`)
 * give a known key, that one is used. Bitnami's KAFKA_CFG_ prefix is accepted too. Returns undefined for
 * variables that are not configs.
 */
export function envVarToConfigKey(name: string): string | undefined {
  let rest: string;
  if (name.startsWith('KAFKA_CFG_')) rest = name.slice('KAFKA_CFG_'.length);
  else if (name.startsWith('KAFKA_')) {
    if (NON_CONFIG_ENV.has(name) || NON_CONFIG_ENV_PREFIXES.some((p) => name.startsWith(p))) return undefined;
    rest = name.slice('KAFKA_'.length);
  } else return undefined;
  if (rest === '') return undefined;
  const apache = rest.replace(/___|__|_/g, (m) => (m === '___' ? '-' : m === '__' ? '_' : '.')).toLowerCase();
  if (configDef(apache)) return apache;
  const confluent = rest.replace(/___|__|_/g, (m) => (m === '___' ? '_' : m === '__' ? '-' : '.')).toLowerCase();
  return configDef(confluent) ? confluent : apache;
}

/** Parses `NAME://host:port,NAME2://[::1]:9093`. Security protocols are resolved through `protocolMap`. */
export function parseListeners(key: string, text: string, protocolMap: ReadonlyMap<string, string>): Listener[] {
  const result: Listener[] = [];
  const names = new Set<string>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^([A-Za-z0-9_.-]+):\/\/(\[[0-9a-fA-F:.%a-zA-Z]*\]|[^:[\]/]*):(\d+)$/.exec(item);
    if (!m) throw new ConfigError(key, text, `expected NAME://host:port entries, '${item}' is not one`);
    const name = m[1]!.toUpperCase();
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(key, text, `port ${port} of ${name} is not between 0 and 65535`);
    if (names.has(name)) throw new ConfigError(key, text, `listener name ${name} appears more than once`);
    names.add(name);
    const securityProtocol = protocolMap.get(name);
    if (securityProtocol === undefined) {
      throw new ConfigError(key, text, `listener ${name} has no entry in listener.security.protocol.map`);
    }
    result.push({ name, host, port, securityProtocol });
  }
  return result;
}

function parseProtocolMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  const key = 'listener.security.protocol.map';
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const i = item.indexOf(':');
    if (i <= 0) throw new ConfigError(key, text, `expected NAME:PROTOCOL pairs, '${item}' is not one`);
    const protocol = item
      .slice(i + 1)
      .trim()
      .toUpperCase();
    if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
      throw new ConfigError(
        key,
        text,
        `unknown security protocol ${protocol} (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)`,
      );
    }
    map.set(item.slice(0, i).trim().toUpperCase(), protocol);
  }
  return map;
}

const isWildcardHost = (h: string): boolean => h === '' || h === '0.0.0.0' || h === '::';

/** The replica selector Kafka ships (KIP-392), the one replica.selector.class may name. */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

export class BrokerConfig {
  private readonly entries: ReadonlyMap<string, BrokerConfigEntry>;
  private readonly host: string;

  readonly nodeId: number;
  readonly processRoles: string[];
  readonly controllerListenerNames: string[];
  readonly controllerQuorumVoters: string[];
  readonly listenerSecurityProtocolMap: ReadonlyMap<string, string>;
  readonly listeners: Listener[];
  readonly advertisedListeners: Listener[];
  readonly interBrokerListenerName: string;
  readonly interBrokerSecurityProtocol: string;
  readonly brokerRack: string | null;
  /** replica.selector.class: 'rack-aware' (Kafka's RackAwareReplicaSelector) or null (consumers fetch from leaders). */
  readonly replicaSelector: 'rack-aware' | null;
  /** zookeeper.connect (with its chroot), or null: a single broker with its local metadata log. */
  readonly zookeeperConnect: string | null;
  readonly zookeeperSessionTimeoutMs: number;
  readonly zookeeperConnectionTimeoutMs: number;
  readonly logDirs: string[];
  readonly metadataLogDir: string;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  readonly messageMaxBytes: number;
  readonly socketRequestMaxBytes: number;
  readonly socketSendBufferBytes: number;
  readonly socketReceiveBufferBytes: number;
  readonly numNetworkThreads: number;
  readonly numIoThreads: number;
  readonly connectionsMaxIdleMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly queuedMaxRequests: number;
  readonly fetchMaxBytes: number;
  readonly logSegmentBytes: number;
  /** Effective roll age: log.roll.ms, else log.roll.hours. */
  readonly logRollMs: number;
  /** Effective retention: log.retention.ms > minutes > hours; -1 = forever. */
  readonly logRetentionMs: number;
  readonly logRetentionBytes: number;
  readonly logRetentionCheckIntervalMs: number;
  readonly logFlushIntervalMessages: number;
  /** Effective flush age: log.flush.interval.ms, else log.flush.scheduler.interval.ms. */
  readonly logFlushIntervalMs: number;
  readonly logFlushSchedulerIntervalMs: number;
  readonly logFlushOffsetCheckpointIntervalMs: number;
  readonly logCleanupPolicy: string[];
  readonly logCleanerEnable: boolean;
  readonly logCleanerThreads: number;
  readonly logMessageTimestampType: string;
  readonly compressionType: string;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly autoLeaderRebalanceEnable: boolean;
  readonly leaderImbalanceCheckIntervalMs: number;
  readonly leaderImbalancePerBrokerPercentage: number;
  readonly replicaLagTimeMaxMs: number;
  readonly numReplicaFetchers: number;
  readonly replicaFetchMaxBytes: number;
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchMinBytes: number;
  readonly replicaFetchResponseMaxBytes: number;
  readonly replicaFetchBackoffMs: number;
  readonly replicaSocketTimeoutMs: number;
  readonly replicaHighWatermarkCheckpointIntervalMs: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicSegmentBytes: number;
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly offsetsCommitTimeoutMs: number;
  readonly transactionStateLogReplicationFactor: number;
  readonly transactionStateLogMinIsr: number;
  readonly transactionStateLogNumPartitions: number;
  readonly transactionStateLogSegmentBytes: number;
  readonly transactionalIdExpirationMs: number;
  readonly transactionMaxTimeoutMs: number;
  readonly transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  readonly producerIdExpirationMs: number;
  readonly producerIdExpirationCheckIntervalMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupMaxSize: number;
  /** Endpoints of the operations HTTP listener (http://host:port); empty when disabled. */
  readonly httpListeners: string[];

  /** Use loadBrokerConfig(); `explicit` holds already-validated static values keyed by config name. */
  constructor(explicit: ReadonlyMap<string, BrokerConfigEntry>, host: string = hostname()) {
    const entries = new Map<string, BrokerConfigEntry>();
    for (const [k, e] of explicit) entries.set(k, e);
    this.entries = entries;
    this.host = host;

    const n = (k: string): number => this.get(k) as number;
    const nOrNull = (k: string): number | null => (this.get(k) ?? null) as number | null;
    const bool = (k: string): boolean => this.get(k) as boolean;
    const str = (k: string): string => this.get(k) as string;
    const list = (k: string): string[] => (this.get(k) as string[] | null) ?? [];

    // node.id / broker.id are one setting.
    const nodeSet = this.isSet('node.id');
    const brokerId = nOrNull('broker.id');
    if (brokerId !== null) {
      if (nodeSet && brokerId !== n('node.id')) {
        throw new ConfigError('broker.id', String(brokerId), `must equal node.id (${n('node.id')}) when both are set`);
      }
      if (!nodeSet) entries.set('node.id', explicit.get('broker.id')!);
    }
    this.nodeId = n('node.id');
    this.processRoles = list('process.roles');
    if (this.processRoles.length === 0) throw new ConfigError('process.roles', '', 'expected broker and/or controller');
    this.controllerListenerNames = str('controller.listener.names')
      .split(',')
      .map((x) => x.trim().toUpperCase())
      .filter((x) => x !== '');
    this.controllerQuorumVoters = list('controller.quorum.voters');

    this.listenerSecurityProtocolMap = parseProtocolMap(str('listener.security.protocol.map'));
    const listenersText = this.getString('listeners') ?? '';
    this.listeners = parseListeners('listeners', listenersText, this.listenerSecurityProtocolMap);
    const clientListeners = this.listeners.filter((l) => !this.controllerListenerNames.includes(l.name));
    if (this.processRoles.includes('broker') && clientListeners.length === 0) {
      throw new ConfigError('listeners', listenersText, 'expected at least one non-controller listener');
    }
    const advertisedText = this.getString('advertised.listeners') ?? null;
    if (advertisedText === null) {
      this.advertisedListeners = clientListeners.map((l) => (isWildcardHost(l.host) ? { ...l, host } : l));
    } else {
      this.advertisedListeners = parseListeners(
        'advertised.listeners',
        advertisedText,
        this.listenerSecurityProtocolMap,
      );
      for (const l of this.advertisedListeners) {
        if (l.host === '0.0.0.0' || l.host === '::') {
          throw new ConfigError('advertised.listeners', advertisedText, `cannot advertise the meta-address ${l.host}`);
        }
        if (!this.listeners.some((x) => x.name === l.name)) {
          throw new ConfigError('advertised.listeners', advertisedText, `listener ${l.name} is not in listeners`);
        }
      }
    }
    // As Kafka's KafkaConfig.validateValues: one of the two inter-broker keys, naming an advertised listener.
    const ibl = this.get('inter.broker.listener.name') as string | null;
    if (ibl !== null && this.isSet('security.inter.broker.protocol')) {
      throw new ConfigError(
        'inter.broker.listener.name',
        ibl,
        'only one of inter.broker.listener.name and security.inter.broker.protocol should be set',
      );
    }
    const interName = ibl !== null ? ibl.toUpperCase() : str('security.inter.broker.protocol');
    const interListener = this.advertisedListeners.find((l) => l.name === interName);
    if (interListener !== undefined) {
      this.interBrokerListenerName = interName;
    } else if (this.processRoles.includes('broker')) {
      const key = ibl !== null ? 'inter.broker.listener.name' : 'security.inter.broker.protocol';
      throw new ConfigError(
        key,
        ibl ?? interName,
        `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options ` +
          `based on currently configured listeners are ${this.advertisedListeners.map((l) => l.name).join(',')}`,
      );
    } else {
      this.interBrokerListenerName = interName; // a controller-only node has no broker listeners
    }
    this.interBrokerSecurityProtocol =
      this.listenerSecurityProtocolMap.get(this.interBrokerListenerName) ?? 'PLAINTEXT';
    this.brokerRack = (this.get('broker.rack') ?? null) as string | null;
    const selector = ((this.get('replica.selector.class') as string | null) ?? '').trim();
    if (selector !== '' && selector !== RACK_AWARE_REPLICA_SELECTOR)
      throw new ConfigError(
        'replica.selector.class',
        selector,
        `Tributary supports ${RACK_AWARE_REPLICA_SELECTOR} (or no value: consumers fetch from partition leaders); ` +
          'it cannot load other Java classes',
      );
    this.replicaSelector = selector === '' ? null : 'rack-aware';
    this.zookeeperConnect = ((this.get('zookeeper.connect') as string | null) ?? '').trim() || null;
    this.zookeeperSessionTimeoutMs = n('zookeeper.session.timeout.ms');
    this.zookeeperConnectionTimeoutMs = nOrNull('zookeeper.connection.timeout.ms') ?? this.zookeeperSessionTimeoutMs;

    const dirs = this.get('log.dirs') as string[] | null;
    this.logDirs = dirs !== null && dirs.length > 0 ? dirs : [str('log.dir')];
    this.metadataLogDir = (this.get('metadata.log.dir') as string | null) ?? this.logDirs[0]!;

    this.numPartitions = n('num.partitions');
    this.defaultReplicationFactor = n('default.replication.factor');
    this.autoCreateTopicsEnable = bool('auto.create.topics.enable');
    this.deleteTopicEnable = bool('delete.topic.enable');
    this.messageMaxBytes = n('message.max.bytes');
    this.socketRequestMaxBytes = n('socket.request.max.bytes');
    this.socketSendBufferBytes = n('socket.send.buffer.bytes');
    this.socketReceiveBufferBytes = n('socket.receive.buffer.bytes');
    this.numNetworkThreads = n('num.network.threads');
    this.numIoThreads = n('num.io.threads');
    this.connectionsMaxIdleMs = n('connections.max.idle.ms');
    this.maxConnections = n('max.connections');
    this.maxConnectionsPerIp = n('max.connections.per.ip');
    this.queuedMaxRequests = n('queued.max.requests');
    this.fetchMaxBytes = n('fetch.max.bytes');
    this.logSegmentBytes = n('log.segment.bytes');
    this.logRollMs = this.resolveSynonyms([{ name: 'log.roll.ms' }, { name: 'log.roll.hours', multiplier: 3_600_000 }])
      .value as number;
    this.logRetentionMs = this.resolveSynonyms([
      { name: 'log.retention.ms' },
      { name: 'log.retention.minutes', multiplier: 60_000 },
      { name: 'log.retention.hours', multiplier: 3_600_000 },
    ]).value as number;
    this.logRetentionBytes = n('log.retention.bytes');
    this.logRetentionCheckIntervalMs = n('log.retention.check.interval.ms');
    this.logFlushIntervalMessages = n('log.flush.interval.messages');
    this.logFlushIntervalMs = this.resolveSynonyms([
      { name: 'log.flush.interval.ms' },
      { name: 'log.flush.scheduler.interval.ms' },
    ]).value as number;
    this.logFlushSchedulerIntervalMs = n('log.flush.scheduler.interval.ms');
    this.logFlushOffsetCheckpointIntervalMs = n('log.flush.offset.checkpoint.interval.ms');
    this.logCleanupPolicy = list('log.cleanup.policy');
    this.logCleanerEnable = bool('log.cleaner.enable');
    this.logCleanerThreads = n('log.cleaner.threads');
    this.logMessageTimestampType = str('log.message.timestamp.type');
    this.compressionType = str('compression.type');
    this.minInsyncReplicas = n('min.insync.replicas');
    this.uncleanLeaderElectionEnable = bool('unclean.leader.election.enable');
    this.autoLeaderRebalanceEnable = bool('auto.leader.rebalance.enable');
    this.leaderImbalanceCheckIntervalMs = n('leader.imbalance.check.interval.seconds') * 1000;
    this.leaderImbalancePerBrokerPercentage = n('leader.imbalance.per.broker.percentage');
    this.replicaLagTimeMaxMs = n('replica.lag.time.max.ms');
    this.numReplicaFetchers = n('num.replica.fetchers');
    this.replicaFetchMaxBytes = n('replica.fetch.max.bytes');
    this.replicaFetchWaitMaxMs = n('replica.fetch.wait.max.ms');
    this.replicaFetchMinBytes = n('replica.fetch.min.bytes');
    this.replicaFetchResponseMaxBytes = n('replica.fetch.response.max.bytes');
    this.replicaFetchBackoffMs = n('replica.fetch.backoff.ms');
    this.replicaSocketTimeoutMs = n('replica.socket.timeout.ms');
    this.replicaHighWatermarkCheckpointIntervalMs = n('replica.high.watermark.checkpoint.interval.ms');
    this.offsetsTopicReplicationFactor = n('offsets.topic.replication.factor');
    this.offsetsTopicNumPartitions = n('offsets.topic.num.partitions');
    this.offsetsTopicSegmentBytes = n('offsets.topic.segment.bytes');
    this.offsetsRetentionMs = n('offsets.retention.minutes') * 60_000;
    this.offsetsRetentionCheckIntervalMs = n('offsets.retention.check.interval.ms');
    this.offsetsCommitTimeoutMs = n('offsets.commit.timeout.ms');
    this.transactionStateLogReplicationFactor = n('transaction.state.log.replication.factor');
    this.transactionStateLogMinIsr = n('transaction.state.log.min.isr');
    this.transactionStateLogNumPartitions = n('transaction.state.log.num.partitions');
    this.transactionStateLogSegmentBytes = n('transaction.state.log.segment.bytes');
    this.transactionalIdExpirationMs = n('transactional.id.expiration.ms');
    this.transactionMaxTimeoutMs = n('transaction.max.timeout.ms');
    this.transactionAbortTimedOutTransactionCleanupIntervalMs = n(
      'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    );
    this.producerIdExpirationMs = n('producer.id.expiration.ms');
    this.producerIdExpirationCheckIntervalMs = n('producer.id.expiration.check.interval.ms');
    this.groupInitialRebalanceDelayMs = n('group.initial.rebalance.delay.ms');
    this.groupMinSessionTimeoutMs = n('group.min.session.timeout.ms');
    this.groupMaxSessionTimeoutMs = n('group.max.session.timeout.ms');
    if (this.groupMinSessionTimeoutMs > this.groupMaxSessionTimeoutMs) {
      throw new ConfigError(
        'group.min.session.timeout.ms',
        String(this.groupMinSessionTimeoutMs),
        `must not exceed group.max.session.timeout.ms (${this.groupMaxSessionTimeoutMs})`,
      );
    }
    this.groupMaxSize = n('group.max.size');
    this.httpListeners = this.get('http.listeners') as string[];
  }

  /** The resolved typed value (explicit or default); undefined for a key that is neither set nor known. */
  get(key: string): ConfigValue | undefined {
    const e = this.entries.get(key);
    if (e) return e.value;
    const def = configDef(key);
    if (!def || def.scope === 'topic') return undefined;
    return defaultValue(def)?.value ?? null;
  }

  /** The default of a known broker key, whatever is set. */
  getDefault(key: string): ConfigValue | undefined {
    const def = configDef(key);
    if (!def || def.scope === 'topic') return undefined;
    return defaultValue(def)?.value ?? null;
  }

  /** The resolved value as DescribeConfigs reports it (canonical string, null when unset). */
  getString(key: string): string | null | undefined {
    const e = this.entries.get(key);
    if (e) return e.text;
    const def = configDef(key);
    if (!def || def.scope === 'topic') return undefined;
    return defaultValue(def)?.text ?? null;
  }

  /** Whether the key was set in the file, the environment or an override. */
  isSet(key: string): boolean {
    return this.entries.has(key);
  }

  source(key: string): BrokerConfigSource {
    return this.entries.has(key) ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG';
  }

  origin(key: string): BrokerConfigOrigin {
    return this.entries.get(key)?.origin ?? 'default';
  }

  /**
   * This configuration with the dynamic layers of cluster metadata on top, as Kafka's DynamicBrokerConfig merges
   * them: static < cluster-wide dynamic default < this broker's dynamic config. Keys that are not dynamic broker
   * keys, and values that do not parse, are skipped (they were refused when set). Throws ConfigError when the
   * merged configuration is inconsistent.
   */
  withDynamic(
    dynamicDefaults: Readonly<Record<string, string>>,
    dynamic: Readonly<Record<string, string>>,
  ): BrokerConfig {
    const merged = new Map(this.entries);
    const layer = (values: Readonly<Record<string, string>>, origin: BrokerConfigOrigin) => {
      for (const [k, raw] of Object.entries(values)) {
        const perListener = parseListenerOverride(k);
        if (perListener?.def !== undefined && RECONFIGURABLE_LISTENER_KEYS.has(perListener.base)) {
          // A listener's key or trust store (Kafka's per-listener reconfigurable SSL keys).
          const key = `listener.name.${perListener.listener.toLowerCase()}.${perListener.base}`;
          try {
            merged.set(key, { ...parseListenerOverrideValue(key, perListener.def, raw), origin });
          } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
          }
          continue;
        }
        const def = configDef(k);
        if (!def || def.scope === 'topic' || !def.dynamic) continue;
        try {
          const p = parseConfigValue(def, raw);
          merged.set(k, { text: p.text, value: p.value, origin });
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      }
    };
    layer(dynamicDefaults, 'dynamic-default');
    layer(dynamic, 'dynamic-broker');
    return new BrokerConfig(merged, this.host);
  }

  /** Every statically set key (known or unknown), in the order first set. */
  explicitKeys(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Effective value of a chain of synonyms (e.g. log.retention.ms > minutes > hours): the first explicitly set one,
   * else the first with a default, converted with its multiplier. Negative converted values become -1, as in Kafka.
   */
  resolveSynonyms(synonyms: readonly BrokerSynonym[]): ParsedValue & { name: string } {
    const pick = synonyms.find((x) => this.isSet(x.name)) ?? synonyms.find((x) => this.getString(x.name) != null);
    if (pick === undefined) throw new ConfigError(synonyms[0]!.name, null, 'a value (no synonym has a default)');
    const text = this.getString(pick.name)!;
    const value = this.get(pick.name)!;
    if (!pick.multiplier) return { name: pick.name, text, value };
    let big = BigInt(text) * BigInt(pick.multiplier);
    if (big < 0n) big = -1n;
    if (big > 9223372036854775807n) big = 9223372036854775807n;
    return { name: pick.name, text: big.toString(), value: longToNumber(big) };
  }
}

/** Parses `key=value` (the value may contain further `=`). */
export function parseOverride(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new ConfigError('--override', s, 'expected key=value');
  return [s.slice(0, i).trim(), s.slice(i + 1)];
}

export function loadBrokerConfig(options: LoadBrokerConfigOptions = {}): BrokerConfig {
  const raw = new Map<string, { value: string; origin: BrokerConfigOrigin }>();
  if (options.configFile !== undefined) {
    for (const [k, v] of readPropertiesFile(options.configFile)) raw.set(k, { value: v, origin: 'file' });
  }
  const env = options.env ?? process.env;
  for (const name of Object.keys(env).sort()) {
    const key = envVarToConfigKey(name);
    const value = env[name];
    if (key !== undefined && value !== undefined) raw.set(key, { value, origin: 'env' });
  }
  for (const o of options.overrides ?? []) {
    const [k, v] = parseOverride(o);
    raw.set(k, { value: v, origin: 'override' });
  }

  const explicit = new Map<string, BrokerConfigEntry>();
  for (const [key, { value, origin }] of raw) {
    const perListener = parseListenerOverride(key);
    if (perListener?.def) {
      // Stored under the lower-case prefix Kafka uses, so lookups need not care how it was written.
      const k = `listener.name.${perListener.listener.toLowerCase()}.${perListener.base}`;
      explicit.set(k, { ...parseListenerOverrideValue(k, perListener.def, value), origin });
      continue;
    }
    const def: ConfigDef | undefined = configDef(key);
    if (!def || def.scope === 'topic') {
      options.logger?.warn({ key, origin }, unknownBrokerKeyWarning(key));
      explicit.set(key, { text: value, value, origin });
      continue;
    }
    const parsed = parseConfigValue(def, value);
    if (def.noEffect !== undefined) options.logger?.warn({ key, origin }, `${key} has no effect: ${def.noEffect}`);
    explicit.set(key, { text: parsed.text, value: parsed.value, origin });
  }
  return new BrokerConfig(explicit, options.hostname);
}

/** Prefixes of keys that belong to features Tributary has not built: setting them does nothing. */
const NOT_BUILT_PREFIXES: ReadonlyArray<[string, string]> = [
  ['sasl.', 'only the PLAIN, SCRAM and OAUTHBEARER SASL mechanisms are built'],
  ['remote.log.', 'tiered storage is not built yet'],
  ['group.streams.', 'streams groups are not built yet'],
  ['confluent.', 'Confluent Server features are not part of Tributary'],
];

/**
 * The warning for a key that is not a broker config: a topic key names its broker synonym, a per-listener override
 * or a key of a feature not built says it has no effect, and a key close to a known one asks "did you mean ...".
 */
export function unknownBrokerKeyWarning(key: string): string {
  const perListener = /^listener\.name\.[^.]+\.(.+)$/.exec(key);
  if (perListener) {
    const base = perListener[1]!;
    const why = NOT_BUILT_PREFIXES.find(([p]) => base.startsWith(p))?.[1];
    return `${key} has no effect: per-listener overrides of ${base} are not supported${why ? ` (${why})` : ''}`;
  }
  const def = configDef(key);
  if (def && def.scope === 'topic') {
    const synonym = def.synonyms?.[0]?.name;
    const alt = synonym ? ` or use its broker synonym ${synonym}` : '';
    return `Ignoring topic-level config ${key} in the broker configuration: set it per topic${alt}`;
  }
  const notBuilt = NOT_BUILT_PREFIXES.find(([p]) => key.startsWith(p));
  if (notBuilt) return `${key} has no effect: ${notBuilt[1]}`;
  const near = closestKnownKeys(key);
  if (near.length > 0) return `Ignoring unknown broker config ${key}: did you mean ${near.join(' or ')}?`;
  return `Ignoring unknown broker config ${key}`;
}
