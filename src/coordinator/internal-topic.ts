// Creation of the coordinators' internal topics (__consumer_offsets, __transaction_state) on first use.
import type { LocalController } from '../metadata/controller.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { Logger } from '../util/log.ts';

export interface InternalTopicSpec {
  name: string;
  partitions: number;
  /** Wanted replication factor; a smaller cluster gets as many replicas as it has brokers (Kafka would wait). */
  replicationFactor: number;
  configs: Record<string, string>;
}

/** Creates the topic unless it exists; returns false when it cannot be created yet (no broker registered). */
export function ensureInternalTopic(controller: LocalController, log: Logger, spec: InternalTopicSpec): boolean {
  if (controller.image.topics.has(spec.name)) return true;
  const brokers = controller.image.brokers.size;
  if (brokers === 0) return false;
  const [r] = controller.createTopics(
    [
      {
        name: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: Math.min(spec.replicationFactor, brokers),
        assignments: [],
        configs: spec.configs,
      },
    ],
    false,
  );
  if (r!.errorCode !== ErrorCode.NONE && r!.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    log.warn({ topic: spec.name, error: r!.errorMessage }, 'could not create internal topic');
    return false;
  }
  log.info({ topic: spec.name, partitions: spec.partitions }, 'created internal topic');
  return true;
}
