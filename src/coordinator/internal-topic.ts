// The coordinators' internal topics (__consumer_offsets, __transaction_state): creation on first use, and reading a
// partition back from its start to rebuild state.
import type { CreateTopicResult, MetadataController } from '../metadata/controller.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { type BatchHeader, batches } from '../records/index.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import type { Logger } from '../util/log.ts';

export interface InternalTopicSpec {
  name: string;
  partitions: number;
  /** Wanted replication factor; a smaller cluster gets as many replicas as it has brokers (Kafka would wait). */
  replicationFactor: number;
  configs: Record<string, string>;
}

/**
 * Creates the topic unless it exists; returns false when it cannot be created yet (no broker registered) or, in a
 * cluster, while the controller is creating it (the caller answers COORDINATOR_NOT_AVAILABLE and the client retries,
 * as with Kafka).
 */
export function ensureInternalTopic(controller: MetadataController, log: Logger, spec: InternalTopicSpec): boolean {
  if (controller.image.topics.has(spec.name)) return true;
  const brokers = [...controller.image.brokers.values()].filter((b) => !b.fenced).length;
  if (brokers === 0) return false;
  const answer = controller.createTopics(
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
  if (answer instanceof Promise) {
    answer.then(
      ([r]) => created(log, spec, r!),
      (e: unknown) => log.warn({ topic: spec.name, err: e }, 'could not create internal topic'),
    );
    return false;
  }
  return created(log, spec, answer[0]!);
}

function created(log: Logger, spec: InternalTopicSpec, r: CreateTopicResult): boolean {
  if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    log.warn({ topic: spec.name, error: r.errorMessage }, 'could not create internal topic');
    return false;
  }
  if (r.errorCode === ErrorCode.NONE)
    log.info({ topic: spec.name, partitions: spec.partitions }, 'created internal topic');
  return true;
}

const READ_CHUNK = 8 * 1024 * 1024;

/**
 * Every whole batch of `log` from its start to its end, read in chunks. `from` is the offset the chunk was read
 * from: records below it (in a batch that straddles the log start) are not part of the log.
 */
export function* storedBatches(log: PartitionLog): Generator<{ batch: Buffer; header: BatchHeader; from: number }> {
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  while (offset < end) {
    const { records: buf } = log.read(offset, READ_CHUNK, end, true);
    let next = offset;
    for (const b of batches(buf)) {
      next = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      yield { batch: buf.subarray(b.position, b.position + b.size), header: b.header, from: offset };
    }
    if (next <= offset) break;
    offset = next;
  }
}
