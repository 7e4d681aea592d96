// The __transaction_state record formats (Kafka's TransactionLogKey / TransactionLogValue): an int16 version then
// the body. Key version 0 is the transactional id; value version 1 (flexible) carries the KIP-890 fields as tags.

import { decode, encode } from '../../protocol/codec.ts';
import {
  type TransactionLogKey,
  TransactionLogKeySchema,
  type TransactionLogValue,
  TransactionLogValueSchema,
} from '../../protocol/generated/internal.ts';
import { Reader, Writer } from '../../protocol/io.ts';
import { partitionForGroup } from '../group/records.ts';
import type { TopicPartition, TxnMetadata, TxnStateId } from './state.ts';

export const TXN_STATE_TOPIC = '__transaction_state';
const VALUE_VERSION = 1;

/** The __transaction_state partition of a transactional id: Kafka's abs(hashCode) % partitions. */
export function partitionForTransactionalId(transactionalId: string, numPartitions: number): number {
  return partitionForGroup(transactionalId, numPartitions);
}

function versioned(version: number, body: Writer): Buffer {
  const w = new Writer(8);
  w.int16(version);
  w.append(body);
  return w.toBuffer();
}

export function txnKey(transactionalId: string): Buffer {
  return versioned(0, encode<TransactionLogKey>(TransactionLogKeySchema, 0, { transactionalId }));
}

export function txnValue(m: TxnMetadata): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of m.partitions) {
    const l = byTopic.get(tp.topic) ?? [];
    l.push(tp.partition);
    byTopic.set(tp.topic, l);
  }
  return versioned(
    VALUE_VERSION,
    encode<TransactionLogValue>(TransactionLogValueSchema, VALUE_VERSION, {
      producerId: BigInt(m.producerId),
      previousProducerId: BigInt(m.previousProducerId),
      nextProducerId: BigInt(m.nextProducerId),
      producerEpoch: m.producerEpoch,
      transactionTimeoutMs: m.txnTimeoutMs,
      transactionStatus: m.state,
      transactionPartitions: [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
      transactionLastUpdateTimestampMs: BigInt(m.txnLastUpdateTimestamp),
      transactionStartTimestampMs: BigInt(m.txnStartTimestamp),
      clientTransactionVersion: m.clientTransactionVersion,
    }),
  );
}

/** Decodes a record; undefined for a key version this broker does not know. */
export function decodeTxnRecord(
  key: Buffer,
  value: Buffer | null,
): { transactionalId: string; value: TxnMetadata | null } | undefined {
  const kr = new Reader(key);
  const kv = kr.int16();
  if (kv !== 0) return undefined;
  const { transactionalId } = decode<TransactionLogKey>(TransactionLogKeySchema, 0, kr);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const version = vr.int16();
  const v = decode<TransactionLogValue>(TransactionLogValueSchema, Math.min(version, VALUE_VERSION), vr);
  const partitions: TopicPartition[] = [];
  for (const t of v.transactionPartitions ?? [])
    for (const p of t.partitionIds) partitions.push({ topic: t.topic, partition: p });
  return {
    transactionalId,
    value: {
      transactionalId,
      producerId: Number(v.producerId),
      previousProducerId: Number(v.previousProducerId),
      nextProducerId: Number(v.nextProducerId),
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: -1,
      txnTimeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnStateId,
      partitions,
      txnStartTimestamp: Number(v.transactionStartTimestampMs),
      txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
      clientTransactionVersion: v.clientTransactionVersion,
    },
  };
}
