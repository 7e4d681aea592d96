// FindCoordinator (10): the group coordinator is the leader of the group's __consumer_offsets partition (here: this
// broker). v0-3 ask for one key, v4+ for a batch. Transaction keys are answered once a transaction coordinator exists.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/generated/messages.ts';
import { authorized, authorizedGroup } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler, type RequestContext } from '../handler.ts';
import { brokerEndpoints } from './metadata.ts';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;

interface Found {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

/** Something that can host transaction coordinators; registered on BrokerServices by the transactions module. */
interface TxnCoordinatorLike {
  ensureTopic(): boolean;
}

function find(ctx: RequestContext, key: string, keyType: number): Found {
  const none = (errorCode: number, errorMessage: string | null): Found => ({
    key,
    nodeId: -1,
    host: '',
    port: -1,
    errorCode,
    errorMessage,
  });
  let ready: boolean;
  // ACLs (when an authorizer is on): DESCRIBE on the group or the transactional id.
  if (keyType === KEY_GROUP && !authorizedGroup(ctx, AclOperation.DESCRIBE, key))
    return none(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.');
  if (keyType === KEY_TRANSACTION && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key))
    return none(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.');
  try {
    if (keyType === KEY_GROUP) {
      ready = ctx.broker.groups.ensureTopic();
    } else if (keyType === KEY_TRANSACTION) {
      const txn = (ctx.broker as unknown as { transactions?: TxnCoordinatorLike }).transactions;
      if (key === '') return none(ErrorCode.INVALID_REQUEST, 'Transactional id is empty');
      ready = txn?.ensureTopic() ?? false;
    } else {
      return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
    }
  } catch (e) {
    if (e instanceof KafkaError) return none(e.code, e.message);
    throw e;
  }
  if (!ready) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  const me = brokerEndpoints(ctx, ctx.broker.metadata()).find((b) => b.nodeId === ctx.broker.nodeId);
  if (!me) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { key, nodeId: me.nodeId, host: me.host, port: me.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  handle(ctx, req) {
    if (ctx.apiVersion >= 4) {
      return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((k) => find(ctx, k, req.keyType)) };
    }
    const f = find(ctx, req.key, ctx.apiVersion === 0 ? KEY_GROUP : req.keyType);
    return {
      throttleTimeMs: 0,
      errorCode: f.errorCode,
      errorMessage: f.errorMessage,
      nodeId: f.nodeId,
      host: f.host,
      port: f.port,
    };
  },
});
