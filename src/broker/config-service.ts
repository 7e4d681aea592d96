// Config views for handlers: effective topic and broker configs (static + the dynamic layers in cluster metadata),
// DescribeConfigs entries for topics, brokers, broker loggers and groups, and validation of changes.
import type { BrokerConfig } from '../config/broker-config.ts';
import { CONFIG_SOURCE } from '../config/definitions.ts';
import { type BrokerChangeCheck, type BrokerConfigProblem, checkBrokerChange } from '../config/dynamic-broker.ts';
import {
  describeGroupConfig,
  type GroupConfigError,
  groupNoEffect,
  validateGroupConfigs,
} from '../config/group-config.ts';
import {
  type DescribeConfigEntry,
  describeBrokerConfig,
  describeTopicConfig,
  resolveTopicConfig,
  type TopicConfig,
  validateTopicConfigs,
} from '../config/topic-config.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { type ListenerTls, usesTls } from '../security/tls.ts';
import { checkListenerReload } from '../security/tls-reload.ts';
import type { Logger, LoggerRegistry } from '../util/log.ts';

/** Kafka's INVALID_REQUEST: ConfigAdminManager turns a failed reconfiguration's ConfigException into it. */
const INVALID_REQUEST = 42;

/** Kafka's ConfigResource.Type ids. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, GROUP: 32 } as const;

export interface ConfigEntryView {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  isSensitive: boolean;
  type: number;
  documentation: string | null;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}

function view(e: DescribeConfigEntry): ConfigEntryView {
  return {
    name: e.name,
    value: e.value,
    readOnly: e.readOnly,
    source: CONFIG_SOURCE[e.source],
    isSensitive: e.sensitive,
    type: e.type,
    documentation: e.documentation,
    synonyms: e.synonyms.map((s) => ({ name: s.name, value: s.value, source: CONFIG_SOURCE[s.source] })),
  };
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

export class ConfigService {
  private readonly broker: BrokerConfig;
  private readonly nodeId: number;
  private readonly logger: Logger | undefined;
  private image: (() => MetadataImage) | undefined;
  /** The effective broker config, rebuilt when the dynamic layers in the image change. */
  private cached: { defaults: object; own: object; config: BrokerConfig } | undefined;
  /** The TLS settings a listener serves now (set by the broker once it listens), for validating reloads. */
  servedTls: ((listener: string) => ListenerTls | undefined) | undefined;
  /** Runtime log levels (BROKER_LOGGER resources); set by the broker. */
  loggers: LoggerRegistry | undefined;

  constructor(broker: BrokerConfig, opts: { logger?: Logger } = {}) {
    this.broker = broker;
    this.nodeId = broker.nodeId;
    this.logger = opts.logger;
  }

  /** Reads the dynamic broker configs from this image source from now on (the controller's current image). */
  attach(image: () => MetadataImage): void {
    this.image = image;
  }

  private dynamicLayers(image?: MetadataImage): {
    defaults: Readonly<Record<string, string>>;
    own: Readonly<Record<string, string>>;
  } {
    const img = image ?? this.image?.();
    return {
      defaults: img?.brokerConfigs.get('') ?? EMPTY,
      own: img?.brokerConfigs.get(String(this.nodeId)) ?? EMPTY,
    };
  }

  /** The broker configuration in effect: static < cluster-wide dynamic default < this broker's dynamic config. */
  effective(): BrokerConfig {
    const { defaults, own } = this.dynamicLayers();
    if (defaults === EMPTY && own === EMPTY) return this.broker;
    const c = this.cached;
    if (c && c.defaults === defaults && c.own === own) return c.config;
    let config: BrokerConfig;
    try {
      config = this.broker.withDynamic(defaults, own);
    } catch (e) {
      this.logger?.error({ err: e }, 'dynamic broker configs are inconsistent; using the static configuration');
      config = this.broker;
    }
    this.cached = { defaults, own, config };
    return config;
  }

  topicConfig(overrides: Readonly<Record<string, string>>): TopicConfig {
    return resolveTopicConfig(this.effective(), { ...overrides });
  }

  describeTopic(overrides: Readonly<Record<string, string>>, names?: readonly string[] | null): ConfigEntryView[] {
    const { defaults, own } = this.dynamicLayers();
    return describeTopicConfig(
      this.broker,
      { ...overrides },
      { names, dynamic: { ...own }, dynamicDefaults: { ...defaults }, effective: this.effective() },
    ).map(view);
  }

  /** All configs of this broker (resource name = node id), with sources and synonyms. */
  describeBroker(image: MetadataImage, names?: readonly string[] | null): ConfigEntryView[] {
    const { defaults, own } = this.dynamicLayers(image);
    return describeBrokerConfig(this.broker, { ...own }, { names, dynamicDefaults: { ...defaults } }).map(view);
  }

  /** The cluster-wide default entity (resource name ""): only its dynamic configs, as Kafka answers. */
  describeBrokerDefaults(image: MetadataImage, names?: readonly string[] | null): ConfigEntryView[] {
    const { defaults } = this.dynamicLayers(image);
    const all = describeBrokerConfig(this.broker, {}, { names, dynamicDefaults: { ...defaults } });
    return all.filter((e) => defaults[e.name] !== undefined).map(view);
  }

  describeGroup(image: MetadataImage, groupId: string, names?: readonly string[] | null): ConfigEntryView[] {
    return describeGroupConfig(this.effective(), image.groupConfigs.get(groupId) ?? EMPTY, names).map(view);
  }

  /**
   * Validates a topic's whole set of overrides. Keys accepted without effect (message.format.version) are logged
   * as warnings, for the keys in `warnFor` (default: all; AlterConfigs warns itself, in its response too).
   */
  validateTopic(
    configs: Record<string, string>,
    warnFor: readonly string[] = Object.keys(configs),
  ): Array<{ key: string; message: string }> {
    for (const key of warnFor) {
      if (key === 'message.format.version' && configs[key] !== undefined)
        this.logger?.warn(
          { key, value: configs[key] },
          'message.format.version is deprecated since Kafka 3.0 and has no effect: batches are always written in format v2',
        );
    }
    return validateTopicConfigs(configs).map((e) => ({ key: e.key, message: e.message }));
  }

  /**
   * Checks a BROKER entity's dynamic configs after a change: `entity` is "" (cluster-wide default) or this node id,
   * `next` the entity's whole set, `changed` the keys the request named.
   */
  validateBroker(
    entity: string,
    next: Readonly<Record<string, string>>,
    changed: readonly string[],
  ): BrokerChangeCheck {
    const { defaults, own } = this.dynamicLayers();
    return checkBrokerChange(
      next,
      changed,
      (n) => (entity === '' ? this.broker.withDynamic(n, own) : this.broker.withDynamic(defaults, n)),
      { perBroker: entity !== '', checkListeners: (cfg, names) => this.checkListeners(cfg, names) },
    );
  }

  /** A TLS listener's new stores must load and keep the certificate it serves now (security/tls-reload.ts). */
  private checkListeners(cfg: BrokerConfig, names: ReadonlySet<string>): BrokerConfigProblem[] {
    const problems: BrokerConfigProblem[] = [];
    for (const l of cfg.listeners) {
      if (!names.has(l.name.toLowerCase()) || !usesTls(l.securityProtocol)) continue;
      const served = this.servedTls?.(l.name);
      if (served === undefined) continue; // not serving (a controller listener): read at the next start
      const r = checkListenerReload(cfg, l, served);
      if (!r.ok) problems.push({ key: r.key, errorCode: INVALID_REQUEST, message: r.message });
    }
    return problems;
  }

  validateGroup(configs: Record<string, string>): GroupConfigError[] {
    return validateGroupConfigs(this.effective(), configs);
  }

  groupNoEffect(keys: Iterable<string>): Array<{ key: string; reason: string }> {
    return groupNoEffect(keys);
  }
}
