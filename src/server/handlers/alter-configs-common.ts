// Shared by AlterConfigs and IncrementalAlterConfigs: apply a resource's config operations through the controller.

import { ResourceType } from '../../broker/config-service.ts';
import type { ConfigOp } from '../../metadata/controller.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { RequestContext } from '../handler.ts';

export function alterResource(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  ops: ConfigOp[],
  validateOnly: boolean,
): { errorCode: number; errorMessage: string | null } {
  const { controller, configs } = ctx.broker;
  if (resourceType === ResourceType.TOPIC) {
    return controller.alterConfigs('topic', resourceName, ops, validateOnly, (next) => configs.validateTopic(next));
  }
  if (resourceType === ResourceType.BROKER) {
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage:
        'Dynamic broker configs are not supported yet; set them in server.properties, KAFKA_* variables or --override and restart',
    };
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}` };
}
