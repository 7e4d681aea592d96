// What the share handlers share: reading the acknowledgement batches of a request (int64 offsets to numbers,
// checked), grouping per-partition results by topic, and per-partition errors of the share-state APIs.
import type { SharePartitionResult, ShareTopicRequest } from '../../coordinator/share/fetch.ts';
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import { authorizedGroup, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import type { RequestContext } from '../handler.ts';

interface WireTopic {
  topicId: string;
  partitions: Array<{
    partitionIndex: number;
    partitionMaxBytes?: number;
    acknowledgementBatches: Array<{ firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }>;
  }>;
}

/**
 * Why the share-group APIs are off, or null: they need the `share.version` feature finalized at 1 or more (Kafka's
 * isShareGroupProtocolEnabled). Checked before anything else, as Kafka does; the answer is UNSUPPORTED_VERSION.
 */
export function shareGroupsDisabled(ctx: RequestContext): string | null {
  const level = ctx.broker.metadata().features.get('share.version') ?? 0;
  return level >= 1 ? null : 'Share groups are not enabled: the share.version feature is not finalized at 1 or more.';
}

/**
 * What AlterShareGroupOffsets and DeleteShareGroupOffsets check first, in Kafka's order: share groups on, a group id,
 * `op` on the group (READ to alter, DELETE to delete). The refusal to answer with, or null.
 */
export function shareOffsetsRefusal(
  ctx: RequestContext,
  groupId: string,
  op: number,
): { errorCode: number; errorMessage: string } | null {
  const off = shareGroupsDisabled(ctx);
  if (off !== null) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: off };
  if (!groupId) return { errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'The group id must not be empty.' };
  if (!authorizedGroup(ctx, op, groupId))
    return {
      errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
      errorMessage: `Not authorized to access group: ${groupId}`,
    };
  return null;
}

/** The acknowledge types of a request version: GAP, ACCEPT, RELEASE and REJECT; RENEW (KIP-1222) from v2. */
export const maxAcknowledgeType = (apiVersion: number): number => (apiVersion >= 2 ? 4 : 3);

/** The request's topics with numeric offsets, or a message saying what is malformed. */
export function shareAckTopics(topics: WireTopic[], maxType: number): ShareTopicRequest[] | string {
  const out: ShareTopicRequest[] = [];
  for (const t of topics) {
    const partitions: ShareTopicRequest['partitions'] = [];
    for (const p of t.partitions) {
      const acks = [];
      for (const b of p.acknowledgementBatches) {
        if (b.firstOffset < 0n || b.lastOffset < b.firstOffset || b.lastOffset > BigInt(Number.MAX_SAFE_INTEGER)) {
          return `Acknowledgement batch ${b.firstOffset}-${b.lastOffset} of partition ${p.partitionIndex} is invalid.`;
        }
        if (b.acknowledgeTypes.some((t) => !(t >= 0 && t <= maxType))) {
          return `Acknowledgement batch ${b.firstOffset}-${b.lastOffset} of partition ${p.partitionIndex} has an unknown acknowledge type.`;
        }
        acks.push({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), types: b.acknowledgeTypes });
      }
      partitions.push({
        partitionIndex: p.partitionIndex,
        acknowledgementBatches: acks,
        partitionMaxBytes: p.partitionMaxBytes,
      });
    }
    out.push({ topicId: t.topicId, partitions });
  }
  return out;
}

/**
 * ACLs (when an authorizer is on): the topics the principal may READ, and TOPIC_AUTHORIZATION_FAILED results for the
 * partitions of the others (an id the cluster does not know is left to the share partitions, which answer it).
 */
export function authorizeShareTopics(
  ctx: RequestContext,
  topics: ShareTopicRequest[],
): { allowed: ShareTopicRequest[]; denied: SharePartitionResult[] } {
  const image = ctx.broker.metadata();
  const allowed: ShareTopicRequest[] = [];
  const denied: SharePartitionResult[] = [];
  const code = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  for (const t of topics) {
    const name = image.topicsById.get(t.topicId)?.name;
    if (name === undefined || authorizedTopic(ctx, AclOperation.READ, name)) {
      allowed.push(t);
      continue;
    }
    for (const p of t.partitions) {
      const acked = p.acknowledgementBatches.length > 0;
      denied.push({
        topicId: t.topicId,
        partition: p.partitionIndex,
        errorCode: code,
        errorMessage: errorName(code),
        acknowledgeErrorCode: acked ? code : ErrorCode.NONE,
        acknowledgeErrorMessage: acked ? errorName(code) : null,
        leaderEpoch: -1,
        records: null,
        acquired: [],
      });
    }
  }
  return { allowed, denied };
}

/** Per-partition results grouped by topic, each partition shaped by `shape`. */
export function shareResponses<P>(
  results: SharePartitionResult[],
  shape: (p: SharePartitionResult) => P,
): Array<{ topicId: string; partitions: P[] }> {
  const byTopic = new Map<string, P[]>();
  for (const r of results) {
    const list = byTopic.get(r.topicId) ?? [];
    list.push(shape(r));
    byTopic.set(r.topicId, list);
  }
  return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions }));
}

/** Runs `fn` for each (topic, partition) of a share-state request, turning a KafkaError into that partition's error. */
export function perSharePartition<P extends { partition: number }, R>(
  topics: Array<{ topicId: string; partitions: P[] }>,
  fn: (topicId: string, p: P) => R,
  failed: (p: P, errorCode: number, errorMessage: string) => R,
): Array<{ topicId: string; partitions: R[] }> {
  return topics.map((t) => ({
    topicId: t.topicId,
    partitions: t.partitions.map((p) => {
      try {
        return fn(t.topicId, p);
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        return failed(p, e.code, e.message);
      }
    }),
  }));
}

/** The answer of a share-state write: NONE, or the error with its name as message. */
export function stateResult(partition: number, errorCode: number) {
  return { partition, errorCode, errorMessage: errorCode === ErrorCode.NONE ? null : errorName(errorCode) };
}
