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

export function heartbeatAnswer<P>(run: () => HeartbeatOutcome<P>) {
  try {
    const r = run();
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
    };
  } catch (e) {
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
}
