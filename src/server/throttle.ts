// Client quotas applied to one answered request (the dispatcher calls this), as Kafka's KafkaApis and
// RequestHandlerHelper do (KIP-219): the request's bytes (Produce) or the response's bytes (Fetch) and its handling
// time are recorded against the client's quotas; the largest throttle time goes into the response's
// throttle_time_ms, the response is sent at once, and the connection then stops reading for that long (the channel
// is muted: server/connection.ts). A throttled Fetch answers no data (its bytes are not counted), as Kafka answers.
import { ApiKey } from '../protocol/apis.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { FetchRequest, ProduceRequest } from '../protocol/generated/messages.ts';
import {
  type ClientQuotaManagers,
  principalName,
  type QuotaEntries,
  type RequestMutationQuota,
  UNBOUNDED,
} from '../quota/manager.ts';
import type { ConnectionInfo, RequestContext } from './handler.ts';

/** APIs Kafka exempts from the request quota (its cluster actions): brokers' requests to each other. */
const EXEMPT = new Set<number>([
  ApiKey.WriteTxnMarkers,
  ApiKey.DescribeQuorum,
  ApiKey.UpdateFeatures,
  ApiKey.InitializeShareGroupState,
  ApiKey.ReadShareGroupState,
  ApiKey.WriteShareGroupState,
  ApiKey.DeleteShareGroupState,
]);

export interface QuotaSubject {
  readonly quotas: ClientQuotaManagers;
  readonly entries: QuotaEntries;
  readonly user: string;
  readonly clientId: string;
  readonly now: number;
}

export function quotaSubject(
  quotas: ClientQuotaManagers,
  entries: QuotaEntries,
  conn: ConnectionInfo,
  clientId: string | null,
  now: number,
): QuotaSubject | undefined {
  if (entries.size === 0) return undefined; // no quotas at all: nothing to record (Kafka's quotasEnabled)
  return { quotas, entries, user: principalName(conn.principal), clientId: clientId ?? '', now };
}

/** Whether the request is a follower's fetch (replication traffic is not a client's). */
export function isFollowerFetch(apiKey: number, version: number, request: unknown): boolean {
  if (apiKey !== ApiKey.Fetch) return false;
  const r = request as FetchRequest;
  return (version >= 15 ? r.replicaState?.replicaId : r.replicaId) >= 0;
}

/**
 * The throttle time of a request before its response is encoded: request_percentage for the handling time
 * (`handlerMs`), and producer_byte_rate for a Produce's size (`frameBytes`, the whole request as Kafka counts it).
 */
export function requestThrottleMs(
  s: QuotaSubject,
  apiKey: number,
  version: number,
  request: unknown,
  frameBytes: number,
  handlerMs: number,
): number {
  let produceMs = 0;
  let acks0 = false;
  if (apiKey === ApiKey.Produce) {
    produceMs = s.quotas.produce.record(s.entries, s.user, s.clientId, frameBytes, s.now);
    acks0 = (request as ProduceRequest).acks === 0; // Kafka does not count acks=0 produces against request time
  }
  const exempt = acks0 || EXEMPT.has(apiKey) || isFollowerFetch(apiKey, version, request);
  // Kafka records request-handler time as a percentage of one second: nanos × 100 / 1e9.
  const requestMs = exempt ? 0 : s.quotas.request.record(s.entries, s.user, s.clientId, handlerMs / 10, s.now);
  return Math.max(produceMs, requestMs);
}

/**
 * A consumer Fetch's bytes against consumer_byte_rate. Returns the throttle time (the larger of it and
 * `requestMs`); when there is one, the bytes are taken back and the caller answers an empty response instead.
 */
export function fetchThrottleMs(s: QuotaSubject, responseBytes: number, requestMs: number): number {
  const fetchMs = s.quotas.fetch.record(s.entries, s.user, s.clientId, responseBytes, s.now);
  const ms = Math.max(fetchMs, requestMs);
  if (ms > 0) s.quotas.fetch.unrecord(s.entries, s.user, s.clientId, responseBytes, s.now);
  return ms;
}

/** Kafka's throttled fetch answer: no partitions, the throttle time, the session id kept. */
export function throttledFetchResponse(response: object, throttleTimeMs: number): object {
  const sessionId = (response as { sessionId?: number }).sessionId ?? 0;
  return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId, responses: [] };
}

/**
 * The most a consumer's fetch may return under its consumer_byte_rate (Kafka's getMaxValueInQuotaWindow); Infinity
 * without a quota. Used by the Fetch handler to cap max_bytes.
 */
export function fetchQuotaCap(
  quotas: ClientQuotaManagers | undefined,
  entries: QuotaEntries,
  conn: ConnectionInfo,
  clientId: string | null,
): number {
  if (quotas === undefined || entries.size === 0) return Number.POSITIVE_INFINITY;
  return quotas.fetch.maxValueInWindow(entries, principalName(conn.principal), clientId ?? '');
}

/**
 * The controller_mutation_rate quota of a CreateTopics / CreatePartitions / DeleteTopics request: strict from
 * `strictSinceVersion` (6, 3 and 5: refused mutations answer THROTTLING_QUOTA_EXCEEDED), permissive before (the
 * client is only throttled). Kafka checks it on the controller; here the broker the request reaches keeps the count.
 */
export function mutationQuota(ctx: RequestContext, strictSinceVersion: number): RequestMutationQuota {
  const quotas = ctx.broker.quotas;
  const entries = ctx.broker.metadata().clientQuotas;
  if (quotas === undefined || entries.size === 0) return UNBOUNDED;
  return quotas.controllerMutation.forRequest(
    entries,
    principalName(ctx.connection.principal),
    ctx.header.clientId ?? '',
    ctx.apiVersion >= strictSinceVersion,
  );
}

/** A mutation refused by a strict controller_mutation_rate quota, as Kafka answers it. */
export const THROTTLED = {
  errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
  errorMessage: 'The throttling quota has been exceeded.',
} as const;
