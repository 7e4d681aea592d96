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

export function corrupt(message: string): RecordsError {
  return new RecordsError(RecordsErrorCode.CORRUPT_MESSAGE, message);
}

export function invalidRecord(message: string): RecordsError {
  return new RecordsError(RecordsErrorCode.INVALID_RECORD, message);
}
