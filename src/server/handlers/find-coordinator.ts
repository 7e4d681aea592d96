// FindCoordinator (10): the group coordinator is the leader of the group's __consumer_offsets partition, the
// transaction coordinator the leader of the transactional id's __transaction_state partition, the share coordinator
// (v6+, key type SHARE, asked by brokers: key "groupId:topicId:partition") the leader of the key's
// __share_group_state partition (in a single broker: this one). v0-3 ask for one key, v4+ for a batch.
import { OFFSETS_TOPIC } from '../../coordinator/group/records.ts';
import { partitionForTransactionalId, TXN_STATE_TOPIC } from '../../coordinator/transaction/records.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../protocol/generated/messages.ts';
import { authorized, authorizedCluster, authorizedGroup } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler, type RequestContext } from '../handler.ts';
import { brokerEndpoints } from './metadata.ts';

const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;
const KEY_SHARE = 2;

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
  if (keyType === KEY_SHARE) return findShare(ctx, key, none);
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
  const image = ctx.broker.metadata();
  const topic = image.topics.get(keyType === KEY_GROUP ? OFFSETS_TOPIC : TXN_STATE_TOPIC);
  const partition =
    keyType === KEY_GROUP
      ? ctx.broker.groups.partitionFor(key)
      : partitionForTransactionalId(key, topic?.partitions.length ?? 1);
  const leader = topic?.partitions[partition]?.leader ?? -1;
  const node = brokerEndpoints(ctx, image).find((b) => b.nodeId === leader);
  if (!node) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { key, nodeId: node.nodeId, host: node.host, port: node.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

/** The share coordinator of "groupId:topicId:partition" (Kafka's SharePartitionKey form), as Kafka answers it. */
function findShare(ctx: RequestContext, key: string, none: (code: number, message: string | null) => Found): Found {
  if (ctx.apiVersion < 6) return none(ErrorCode.INVALID_REQUEST, 'Key type SHARE needs FindCoordinator v6 or later.');
  if (!authorizedCluster(ctx, AclOperation.CLUSTER_ACTION))
    return none(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
  const m = /^(.+):([A-Za-z0-9_-]{22}):(\d+)$/.exec(key);
  if (!m) return none(ErrorCode.INVALID_REQUEST, `Share coordinator key ${key} is not groupId:topicId:partition.`);
  let leader: number | undefined;
  try {
    leader = ctx.broker.shares.coordinatorOf({ groupId: m[1]!, topicId: m[2]!, partition: Number(m[3]) });
  } catch (e) {
    if (e instanceof KafkaError) return none(e.code, e.message);
    throw e;
  }
  const node = brokerEndpoints(ctx, ctx.broker.metadata()).find((b) => b.nodeId === leader);
  if (!node) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { key, nodeId: node.nodeId, host: node.host, port: node.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  versions: [0, 6],
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
