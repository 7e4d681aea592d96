// Coordinators answer only once their records are committed (cluster mode): after appending to a replicated
// internal partition they wait, as a produce with acks=all does, until the high watermark passes the records.
// Failures become the errors Kafka's coordinators answer: the client then finds the coordinator again or retries.
import type { Partition } from '../broker/partition.ts';
import type { ReplicaManager } from '../broker/replica-manager.ts';
import { ErrorCode } from '../protocol/errors.ts';

/**
 * Resolves NONE once the HW of `part` passes `lastOffset` (at once on a single broker, which has no replication),
 * else the coordinator's error: NOT_COORDINATOR when the leadership was lost meanwhile, COORDINATOR_NOT_AVAILABLE
 * when the ISR is too small or the wait timed out (the record may still commit: the client retries and finds it).
 */
export function awaitCommitted(
  replicas: ReplicaManager,
  part: Partition,
  lastOffset: number,
  timeoutMs: number,
): number | Promise<number> {
  const repl = replicas.replication;
  if (repl === undefined) return ErrorCode.NONE;
  return repl.waitForIsr(part, lastOffset, timeoutMs).then(coordinatorError);
}

/** Kafka's mapping of an internal-topic append's error to what a coordinator answers. */
export function coordinatorError(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
