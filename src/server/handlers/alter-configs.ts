// AlterConfigs (33): replaces a resource's whole set of dynamic configs.

import type { ConfigOp } from '../../metadata/controller.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';
import { alterResource } from './alter-configs-common.ts';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: ApiKey.AlterConfigs,
  versions: [0, 2],
  handle(ctx, req) {
    const image = ctx.broker.metadata();
    return {
      throttleTimeMs: 0,
      responses: req.resources.map((r) => {
        const given = new Map(r.configs.map((c) => [c.name, c.value]));
        const existing = r.resourceType === 2 ? Object.keys(image.topics.get(r.resourceName)?.configs ?? {}) : [];
        const ops: ConfigOp[] = [
          ...[...given].map(([name, value]): ConfigOp => ({ name, op: value === null ? 'delete' : 'set', value })),
          ...existing.filter((k) => !given.has(k)).map((name): ConfigOp => ({ name, op: 'delete', value: null })),
        ];
        return {
          ...alterResource(ctx, r.resourceType, r.resourceName, ops, req.validateOnly),
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        };
      }),
    };
  },
});
