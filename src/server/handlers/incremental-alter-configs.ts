// IncrementalAlterConfigs (44): set, delete, append to or subtract from individual configs.

import type { ConfigOp } from '../../metadata/controller.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';
import { alterResource } from './alter-configs-common.ts';

const OPS = ['set', 'delete', 'append', 'subtract'] as const;

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: [0, 1],
  async handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      responses: await Promise.all(
        req.resources.map(async (r) => {
          const base = { resourceType: r.resourceType, resourceName: r.resourceName };
          const bad = r.configs.find((c) => OPS[c.configOperation] === undefined);
          if (bad)
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `Unknown config operation ${bad.configOperation}`,
            };
          const names = r.configs.map((c) => c.name);
          if (new Set(names).size !== names.length)
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: 'Error due to duplicate config keys',
            };
          const nulls = r.configs.filter((c) => OPS[c.configOperation] !== 'delete' && c.value === null);
          if (nulls.length > 0)
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `Null value not supported for : ${nulls.map((c) => c.name).join(', ')}`,
            };
          const ops: ConfigOp[] = r.configs.map((c) => ({ name: c.name, op: OPS[c.configOperation]!, value: c.value }));
          return { ...base, ...(await alterResource(ctx, r.resourceType, r.resourceName, ops, req.validateOnly)) };
        }),
      ),
    };
  },
});
