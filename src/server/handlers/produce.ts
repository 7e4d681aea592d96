// Produce (0): validate and append each partition's records; acks 0 sends no response. From v12 a transactional
// produce adds its partitions to the transaction itself (transaction version 2, KIP-890 part 2: no
// AddPartitionsToTxn); from v13 topics are named by id (UNKNOWN_TOPIC_ID for an id the cluster does not know).
import type { ProduceOutcome } from '../../broker/replica-manager.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import type { ProduceRequest, ProduceResponse } from '../../protocol/generated/messages.ts';
import {
  ATTR_TRANSACTIONAL,
  ATTRIBUTES,
  BATCH_LENGTH,
  HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC,
  PRODUCER_EPOCH,
  PRODUCER_ID,
} from '../../records/batch-layout.ts';
import { authorizedTopic, authorizedTransactionalId } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { CloseConnection, defineHandler, NO_RESPONSE, type RequestContext } from '../handler.ts';
import { INTERNAL_TOPICS } from './metadata.ts';

/** Shared by every partition answered without record errors (never mutated). */
const NO_RECORD_ERRORS: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }> = [];

/** Kafka lets only this client id append to internal topics (AdminUtils.ADMIN_CLIENT_ID). */
const ADMIN_CLIENT_ID = '__admin_client';

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.Produce,
  versions: [0, 13],
  handle(ctx, req) {
    const { replicas, clock } = ctx.broker;
    const now = clock();
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const internalAllowed = ctx.header.clientId === ADMIN_CLIENT_ID;
    const v = ctx.apiVersion;
    const image = v >= 13 ? ctx.broker.metadata() : undefined;
    // ACLs (when an authorizer is on): WRITE on the transactional id, then WRITE on each topic.
    const txnDenied =
      req.transactionalId !== null &&
      req.transactionalId !== undefined &&
      !authorizedTransactionalId(ctx, req.transactionalId);
    const answers = req.topicData.map((t) => {
      // v13+ names the topic by id.
      const topic = image ? (image.topicsById.get(t.topicId)?.name ?? '') : t.name;
      const unknownId = image !== undefined && topic === '';
      const denied = txnDenied
        ? { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: null }
        : !unknownId && !authorizedTopic(ctx, AclOperation.WRITE, topic)
          ? { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null }
          : undefined;
      return {
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((p) => {
          if (unknownId && !denied)
            return partitionResponse(p.index, {
              errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
              errorMessage: `Topic id ${t.topicId} is not known`,
            });
          const hosted = replicas.get(topic, p.index) !== undefined;
          const formatError =
            ctx.apiVersion >= 3 && hosted && !denied ? oneBatchError(ctx.apiVersion, p.records) : null;
          const r = denied
            ? denied
            : !validAcks
              ? { errorCode: ErrorCode.INVALID_REQUIRED_ACKS, errorMessage: `Invalid required acks ${req.acks}` }
              : formatError !== null
                ? { errorCode: ErrorCode.INVALID_RECORD, errorMessage: formatError }
                : hosted && INTERNAL_TOPICS.has(topic) && !internalAllowed
                  ? // A client's bytes in __consumer_offsets would be replayed by the coordinator on every start.
                    {
                      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
                      errorMessage: `Cannot append to internal topic ${topic}`,
                    }
                  : afterTransactionCheck(
                      hosted && req.transactionalId != null
                        ? transactionCheck(ctx, v, req.transactionalId, topic, p.index, p.records)
                        : null,
                      () => replicas.produce(topic, p.index, p.records, now, req.acks, req.timeoutMs),
                    );
          // In a cluster an acks=all produce answers once the in-sync replicas have the records.
          return r instanceof Promise
            ? r.then((done) => partitionResponse(p.index, done))
            : partitionResponse(p.index, r);
        }),
      };
    });
    // A single broker (and acks 0/1) answers at once; only acks=all in a cluster waits for the replicas.
    if (answers.some((t) => t.partitionResponses.some((a) => a instanceof Promise)))
      return Promise.all(
        answers.map(async (t) => ({
          name: t.name,
          topicId: t.topicId,
          partitionResponses: await Promise.all(t.partitionResponses),
        })),
      ).then((responses) => ({ responses, throttleTimeMs: 0 }));
    const responses = answers as Array<{ name: string; topicId: string; partitionResponses: PartitionOut[] }>;
    if (req.acks === 0) {
      // Kafka closes the connection when an acks=0 produce fails anywhere: the client's only way to notice.
      const failed = responses.flatMap((t) =>
        t.partitionResponses
          .filter((p) => p.errorCode !== ErrorCode.NONE)
          .map((p) => `${v >= 13 ? t.topicId : t.name}-${p.index}`),
      );
      if (failed.length > 0) throw new CloseConnection(`acks=0 produce failed for ${failed.join(', ')}`);
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  },
});

type PartitionOut = ReturnType<typeof partitionResponse>;

function partitionResponse(index: number, r: ProduceOutcome) {
  return {
    index,
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
}

type Outcome = ProduceOutcome | Promise<ProduceOutcome>;

/** Appends once the transaction check passed (null), or answers its error. */
function afterTransactionCheck(
  check: ProduceOutcome | null | Promise<ProduceOutcome | null>,
  append: () => Outcome,
): Outcome {
  if (check instanceof Promise) return check.then((c) => c ?? append());
  return check ?? append();
}

/**
 * KIP-890 for a transactional batch to a partition led here, before the append (TransactionCoordinatorRuntime
 * beforeTransactionalAppend): Produce v12+ (transaction version 2) adds the partition to the transaction; older
 * versions are verified against it — by the coordinator on another broker first when it is there. Null to go on, else
 * the partition's error. As Kafka answers produce requests: a fenced producer gets INVALID_PRODUCER_EPOCH, a
 * transaction still completing (or a coordinator not ready or unreachable) the retriable NOT_ENOUGH_REPLICAS.
 */
function transactionCheck(
  ctx: RequestContext,
  version: number,
  transactionalId: string,
  topic: string,
  partition: number,
  records: Buffer | null,
): ProduceOutcome | null | Promise<ProduceOutcome | null> {
  if (records === null || records.length < HEADER_SIZE || records.readInt8(MAGIC) !== 2) return null;
  if ((records.readInt16BE(ATTRIBUTES) & ATTR_TRANSACTIONAL) === 0) return null;
  const part = ctx.broker.replicas.get(topic, partition);
  if (part === undefined || !part.isLeader) return null; // the append answers NOT_LEADER_OR_FOLLOWER
  const producerId = Number(records.readBigInt64BE(PRODUCER_ID));
  const producerEpoch = records.readInt16BE(PRODUCER_EPOCH);
  const openHere = (part.producers.get(producerId)?.currentTxnFirstOffset ?? -1) >= 0;
  const outcome = (code: number): ProduceOutcome | null => {
    if (code === ErrorCode.NONE) return null;
    const errorCode =
      code === ErrorCode.PRODUCER_FENCED
        ? ErrorCode.INVALID_PRODUCER_EPOCH
        : code === ErrorCode.CONCURRENT_TRANSACTIONS ||
            code === ErrorCode.COORDINATOR_NOT_AVAILABLE ||
            code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
            code === ErrorCode.NOT_COORDINATOR
          ? ErrorCode.NOT_ENOUGH_REPLICAS
          : code;
    return {
      errorCode,
      errorMessage: `Partition ${topic}-${partition} could not join transaction ${transactionalId}: ${errorName(code)}`,
    };
  };
  let code: number | Promise<number>;
  try {
    code = ctx.broker.transactions.beforeTransactionalAppend(
      transactionalId,
      producerId,
      producerEpoch,
      { topic, partition },
      version >= 12,
      openHere,
    );
  } catch (e) {
    if (!(e instanceof KafkaError)) throw e;
    code = e.code;
  }
  return code instanceof Promise
    ? code.then(outcome, (e: unknown) => {
        if (e instanceof KafkaError) return outcome(e.code);
        throw e;
      })
    : outcome(code);
}

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
