// Produce (0): validate and append each partition's records; acks 0 sends no response.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ProduceRequest, ProduceResponse } from '../../protocol/generated/messages.ts';
import { BATCH_LENGTH, LOG_OVERHEAD, MAGIC } from '../../records/batch-layout.ts';
import { authorizedTopic, authorizedTransactionalId } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { CloseConnection, defineHandler, NO_RESPONSE } from '../handler.ts';
import { INTERNAL_TOPICS } from './metadata.ts';

/** Shared by every partition answered without record errors (never mutated). */
const NO_RECORD_ERRORS: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }> = [];

/** Kafka lets only this client id append to internal topics (AdminUtils.ADMIN_CLIENT_ID). */
const ADMIN_CLIENT_ID = '__admin_client';

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.Produce,
  handle(ctx, req) {
    const { replicas, clock } = ctx.broker;
    const now = clock();
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const internalAllowed = ctx.header.clientId === ADMIN_CLIENT_ID;
    // ACLs (when an authorizer is on): WRITE on the transactional id, then WRITE on each topic.
    const txnDenied =
      req.transactionalId !== null &&
      req.transactionalId !== undefined &&
      !authorizedTransactionalId(ctx, req.transactionalId);
    const responses = req.topicData.map((t) => {
      const denied = txnDenied
        ? { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null }
        : !authorizedTopic(ctx, AclOperation.WRITE, t.name)
          ? { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }
          : undefined;
      return {
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const hosted = replicas.get(t.name, p.index) !== undefined;
          const formatError =
            ctx.apiVersion >= 3 && hosted && !denied ? oneBatchError(ctx.apiVersion, p.records) : null;
          const r: ReturnType<typeof replicas.produce> = denied
            ? denied
            : !validAcks
              ? { errorCode: ErrorCode.INVALID_REQUIRED_ACKS, errorMessage: `Invalid required acks ${req.acks}` }
              : formatError !== null
                ? { errorCode: ErrorCode.INVALID_RECORD, errorMessage: formatError }
                : hosted && INTERNAL_TOPICS.has(t.name) && !internalAllowed
                  ? // A client's bytes in __consumer_offsets would be replayed by the coordinator on every start.
                    {
                      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
                      errorMessage: `Cannot append to internal topic ${t.name}`,
                    }
                  : replicas.produce(t.name, p.index, p.records, now);
          return {
            index: p.index,
            errorCode: r.errorCode,
            baseOffset: r.errorCode === ErrorCode.NONE ? (r.baseOffset ?? -1) : -1,
            logAppendTimeMs: r.logAppendTime ?? -1,
            logStartOffset: r.logStartOffset ?? -1,
            // KIP-467 (v8+; older versions drop them): which records made the batch fail, as Kafka answers.
            recordErrors:
              r.recordErrors === undefined
                ? NO_RECORD_ERRORS
                : r.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })),
            errorMessage: r.errorMessage,
          };
        }),
      };
    });
    if (req.acks === 0) {
      // Kafka closes the connection when an acks=0 produce fails anywhere: the client's only way to notice.
      const failed = responses.flatMap((t) =>
        t.partitionResponses.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => `${t.name}-${p.index}`),
      );
      if (failed.length > 0) throw new CloseConnection(`acks=0 produce failed for ${failed.join(', ')}`);
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  },
});

/**
 * Kafka's ProduceRequest.validateRecords: from v3 on a partition's records must be exactly one whole record batch
 * of magic 2, else INVALID_RECORD. Only the framing is read here; bad lengths and everything inside the batch are
 * left to the append's validation (CORRUPT_MESSAGE, ...).
 */
function oneBatchError(version: number, records: Buffer | null): string | null {
  if (records === null) return null;
  const prefix = `Produce requests with version ${version}`;
  if (records.length < LOG_OVERHEAD) return `${prefix} must have at least one record batch per partition`;
  const length = records.readInt32BE(BATCH_LENGTH);
  if (length < MIN_BATCH_LENGTH) return null;
  const size = LOG_OVERHEAD + length;
  if (size > records.length) return `${prefix} must have at least one record batch per partition`;
  if (records.readInt8(MAGIC) !== 2) return `${prefix} are only allowed to contain record batches with magic version 2`;
  if (records.length - size < LOG_OVERHEAD) return null;
  const next = records.readInt32BE(size + BATCH_LENGTH);
  if (next >= MIN_BATCH_LENGTH && size + LOG_OVERHEAD + next <= records.length)
    return `${prefix} are only allowed to contain exactly one record batch per partition`;
  return null;
}

/** Kafka's smallest legal batch length field (a magic 0 message); shorter is corrupt framing. */
const MIN_BATCH_LENGTH = 14;
