// DescribeConfigs (32): topic, broker, broker-logger and group configs with their source, type, read-only flag,
// synonyms and documentation, as Kafka's ConfigHelper answers.

import { type ConfigEntryView, ResourceType } from '../../broker/config-service.ts';
import { CONFIG_SOURCE } from '../../config/definitions.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../protocol/generated/messages.ts';
import { configResourceDenied } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

/** Kafka leaves a logger entry's config type unset (UNKNOWN). */
const UNKNOWN_TYPE = 0;

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKey.DescribeConfigs,
  versions: [0, 4],
  handle(ctx, req) {
    const { configs, nodeId } = ctx.broker;
    const image = ctx.broker.metadata();
    const v = ctx.apiVersion;
    const results = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      const fail = (errorCode: number, errorMessage: string) => ({ ...base, errorCode, errorMessage });
      // ACLs (when an authorizer is on): DESCRIBE_CONFIGS on the topic, the cluster or the group.
      const denied = configResourceDenied(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== undefined) return fail(denied, 'Authorization failed.');
      let entries: ConfigEntryView[];
      if (r.resourceType === ResourceType.TOPIC) {
        const t = image.topics.get(r.resourceName);
        if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist`);
        entries = configs.describeTopic(t.configs, r.configurationKeys);
      } else if (r.resourceType === ResourceType.BROKER) {
        if (r.resourceName !== '' && !/^-?\d+$/.test(r.resourceName))
          return fail(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${r.resourceName}`);
        if (r.resourceName === '') entries = configs.describeBrokerDefaults(image, r.configurationKeys);
        else if (r.resourceName === String(nodeId)) entries = configs.describeBroker(image, r.configurationKeys);
        else
          return fail(
            ErrorCode.INVALID_REQUEST,
            `Unexpected broker id, expected ${nodeId} or empty string, but received ${r.resourceName}`,
          );
      } else if (r.resourceType === ResourceType.BROKER_LOGGER) {
        if (r.resourceName === '') return fail(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
        if (r.resourceName !== String(nodeId))
          return fail(
            ErrorCode.INVALID_REQUEST,
            `Unexpected broker id, expected ${nodeId} but received ${r.resourceName}`,
          );
        const wanted = r.configurationKeys;
        entries = (configs.loggers?.levels() ?? [])
          .filter((l) => !wanted || wanted.length === 0 || wanted.includes(l.name))
          .map((l) => ({
            name: l.name,
            value: l.level,
            readOnly: false,
            source: CONFIG_SOURCE.DYNAMIC_BROKER_LOGGER_CONFIG,
            isSensitive: false,
            type: UNKNOWN_TYPE,
            documentation: null,
            synonyms: [],
          }));
      } else if (r.resourceType === ResourceType.GROUP) {
        if (r.resourceName === '') return fail(ErrorCode.INVALID_REQUEST, 'Group name must not be empty');
        entries = configs.describeGroup(image, r.resourceName, r.configurationKeys);
      } else {
        return fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${r.resourceType}`);
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        configs: entries.map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          isDefault: e.source === CONFIG_SOURCE.DEFAULT_CONFIG,
          configSource: e.source,
          isSensitive: e.isSensitive,
          synonyms: v >= 1 && req.includeSynonyms ? e.synonyms : [],
          configType: e.type,
          documentation: v >= 3 && req.includeDocumentation ? e.documentation : null,
        })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
});
