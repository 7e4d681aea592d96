// Errors raised by record parsing and validation. `code` is the Kafka error code to return to the client.

/** Kafka error codes used by the records module. */
export const RecordsErrorCode = {
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;

export type RecordsErrorCodeValue = (typeof RecordsErrorCode)[keyof typeof RecordsErrorCode];

export class RecordsError extends Error {
  override name = 'RecordsError';
  readonly code: RecordsErrorCodeValue;

  constructor(code: RecordsErrorCodeValue, message: string) {
    super(message);
    this.code = code;
  }
}

/** One record's fault in a rejected batch (Produce v8+ record_errors: batch_index, batch_index_error_message). */
export interface RecordErrorInfo {
  batchIndex: number;
  message: string;
}

/**
 * A batch rejected whole because records in it break a record-level rule (KIP-467, Kafka's
 * RecordValidationException): the code is INVALID_RECORD, or INVALID_TIMESTAMP when any record's timestamp is
 * the fault; `recordErrors` names every bad record by its index in the batch.
 */
export class RecordValidationError extends RecordsError {
  override name = 'RecordValidationError';
  readonly recordErrors: RecordErrorInfo[];

  constructor(code: RecordsErrorCodeValue, message: string, recordErrors: RecordErrorInfo[]) {
    super(code, message);
    this.recordErrors = recordErrors;
  }
}

export function corrupt(message: string): RecordsError {
  return new RecordsError(RecordsErrorCode.CORRUPT_MESSAGE, message);
}

export function invalidRecord(message: string): RecordsError {
  return new RecordsError(RecordsErrorCode.INVALID_RECORD, message);
}
