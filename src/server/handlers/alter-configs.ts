// AlterConfigs (33): replaces a resource's whole set of dynamic configs.

import { ResourceType } from '../../broker/config-service.ts';
import type { ConfigOp } from '../../metadata/controller.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';
import { alterResource } from './alter-configs-common.ts';

/** The resource's current dynamic configs (what a legacy AlterConfigs replaces). */
function existingKeys(image: MetadataImage, resourceType: number, name: string): string[] {
  if (resourceType === ResourceType.TOPIC) return Object.keys(image.topics.get(name)?.configs ?? {});
  if (resourceType === ResourceType.BROKER) return Object.keys(image.brokerConfigs.get(name) ?? {});
  if (resourceType === ResourceType.GROUP) return Object.keys(image.groupConfigs.get(name) ?? {});
  return [];
}

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: ApiKey.AlterConfigs,
  versions: [0, 2],
  async handle(ctx, req) {
    const image = ctx.broker.metadata();
    return {
      throttleTimeMs: 0,
      responses: await Promise.all(
        req.resources.map(async (r) => {
          const given = new Map(r.configs.map((c) => [c.name, c.value]));
          const existing = existingKeys(image, r.resourceType, r.resourceName);
          const ops: ConfigOp[] = [
            ...[...given].map(([name, value]): ConfigOp => ({ name, op: value === null ? 'delete' : 'set', value })),
            ...existing.filter((k) => !given.has(k)).map((name): ConfigOp => ({ name, op: 'delete', value: null })),
          ];
          return {
            ...(await alterResource(ctx, r.resourceType, r.resourceName, ops, req.validateOnly, true)),
            resourceType: r.resourceType,
            resourceName: r.resourceName,
          };
        }),
      ),
    };
  },
});
