// Config views for handlers: effective topic configs, DescribeConfigs entries and validation of changes.
import type { BrokerConfig } from '../config/broker-config.ts';
import { CONFIG_SOURCE } from '../config/definitions.ts';
import {
  type DescribeConfigEntry,
  describeBrokerConfig,
  describeTopicConfig,
  resolveTopicConfig,
  type TopicConfig,
  validateTopicConfigs,
} from '../config/topic-config.ts';
import type { MetadataImage } from '../metadata/image.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

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

export class ConfigService {
  private readonly broker: BrokerConfig;
  constructor(broker: BrokerConfig) {
    this.broker = broker;
  }

  topicConfig(overrides: Readonly<Record<string, string>>): TopicConfig {
    return resolveTopicConfig(this.broker, { ...overrides });
  }

  describeTopic(overrides: Readonly<Record<string, string>>, names?: readonly string[] | null): ConfigEntryView[] {
    return describeTopicConfig(this.broker, { ...overrides }, { names }).map(view);
  }

  describeBroker(image: MetadataImage, nodeId: number, names?: readonly string[] | null): ConfigEntryView[] {
    const own = image.brokerConfigs.get(String(nodeId)) ?? {};
    const defaults = image.brokerConfigs.get('') ?? {};
    return describeBrokerConfig(this.broker, { ...own }, { names, dynamicDefaults: { ...defaults } }).map(view);
  }

  validateTopic(configs: Record<string, string>): Array<{ key: string; message: string }> {
    return validateTopicConfigs(configs).map((e) => ({ key: e.key, message: e.message }));
  }
}
