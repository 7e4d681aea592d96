// The answer of the KIP-848-style heartbeats (ConsumerGroupHeartbeat, ShareGroupHeartbeat): the coordinator's
// outcome, or a KafkaError it threw as the error answer (no member, epoch -1, no assignment).
import { KafkaError } from '../../protocol/errors.ts';

export interface HeartbeatOutcome<P> {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The member's partitions when its assignment changed, else null. */
  assignment: P[] | null;
}

/** The answer; a promise when the coordinator answers once its records are committed (a cluster). */
export function heartbeatAnswer<P>(run: () => HeartbeatOutcome<P> | Promise<HeartbeatOutcome<P>>) {
  try {
    const r = run();
    return r instanceof Promise ? r.then(answer, failed) : answer(r);
  } catch (e) {
    return failed(e);
  }
}

function answer<P>(r: HeartbeatOutcome<P>) {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    memberId: r.memberId,
    memberEpoch: r.memberEpoch,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
  };
}

function failed(e: unknown) {
  if (!(e instanceof KafkaError)) throw e;
  return {
    throttleTimeMs: 0,
    errorCode: e.code,
    errorMessage: e.message,
    memberId: null,
    memberEpoch: -1,
    heartbeatIntervalMs: 0,
    assignment: null,
  };
}
