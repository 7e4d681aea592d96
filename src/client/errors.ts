// Errors the client raises: a broker's error code keeps Kafka's name (e.g. UNKNOWN_TOPIC_OR_PARTITION).
import { ErrorCode, errorName } from '../protocol/errors.ts';

/** Codes after which a request may succeed if retried (after a metadata refresh for leadership errors). */
const RETRIABLE = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
  74, // FENCED_LEADER_EPOCH
  75, // UNKNOWN_LEADER_EPOCH
]);

/** Codes that mean "the leader moved or is unknown": refresh metadata before retrying. */
const STALE_METADATA = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  74,
  75,
]);

/** An error code answered by a broker. `name` is Kafka's error name; `code` the wire number. */
export class KafkaClientError extends Error {
  readonly code: number;
  readonly retriable: boolean;
  constructor(code: number, message?: string | null) {
    const name = errorName(code);
    super(message ? `${name}: ${message}` : name);
    this.name = name;
    this.code = code;
    this.retriable = RETRIABLE.has(code);
  }
}

/** The broker lacks an API (or every version of it the client can speak). */
export class UnsupportedApiError extends Error {
  override name = 'UnsupportedApiError';
}

export class ClientClosedError extends Error {
  override name = 'ClientClosedError';
}

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}

export function needsMetadataRefresh(code: number): boolean {
  return STALE_METADATA.has(code);
}

/** Throws a KafkaClientError unless `code` is NONE. */
export function check(code: number, message?: string | null, context?: string): void {
  if (code === ErrorCode.NONE) return;
  const e = new KafkaClientError(code, message ?? undefined);
  if (context) e.message = `${e.message} (${context})`;
  throw e;
}

export { ErrorCode, errorName };
