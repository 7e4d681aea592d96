// Errors raised by the storage engine. `code` is the Kafka protocol error code the handler should answer with.

export const ErrorCode = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  MESSAGE_TOO_LARGE: 10,
  KAFKA_STORAGE_ERROR: 56,
} as const;

export class StorageError extends Error {
  override name = 'StorageError';
  readonly code: number;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The requested offset is below the log start offset or above the log end offset. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  constructor(message: string) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, message);
  }
}

/** The log (or its directory) failed an I/O operation and is offline; every further operation throws this. */
export class KafkaStorageError extends StorageError {
  override name = 'KafkaStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message, options);
  }
}

/** Data that was already flushed failed validation: the log goes offline rather than being truncated or served. */
export class CorruptLogError extends KafkaStorageError {
  override name = 'CorruptLogError';
}
