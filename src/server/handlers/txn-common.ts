// Shared helpers of the transaction handlers: coordinator errors as codes, PRODUCER_FENCED for old versions.
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';

/** Runs a coordinator call; a KafkaError (coordinator not ready, ...) becomes its code. */
export function txnCall(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
}

/** The same for calls that answer once their records are committed (a cluster's coordinator). */
export async function txnAwait(fn: () => number | Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
}

/** PRODUCER_FENCED is newer than these APIs' old versions: they get INVALID_PRODUCER_EPOCH instead. */
export function fencedFor(code: number, version: number, firstFencedVersion: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstFencedVersion ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}
