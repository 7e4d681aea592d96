// DescribeConfigs (32): topic and broker configs with their source, synonyms and documentation.

import { type ConfigEntryView, ResourceType } from '../../broker/config-service.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKey.DescribeConfigs,
  versions: [0, 4],
  handle(ctx, req) {
    const { configs, nodeId } = ctx.broker;
    const image = ctx.broker.metadata();
    const v = ctx.apiVersion;
    const results = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      let entries: ConfigEntryView[];
      if (r.resourceType === ResourceType.TOPIC) {
        const t = image.topics.get(r.resourceName);
        if (!t)
          return {
            ...base,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: `Topic ${r.resourceName} does not exist`,
          };
        entries = configs.describeTopic(t.configs, r.configurationKeys);
      } else if (r.resourceType === ResourceType.BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(nodeId))
          return {
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `Unexpected broker id ${r.resourceName}`,
          };
        entries = configs.describeBroker(image, nodeId, r.configurationKeys);
      } else {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Resource type ${r.resourceType} is not supported by DescribeConfigs here`,
        };
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        configs: entries.map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          isDefault: e.source === 5,
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
