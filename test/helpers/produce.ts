// One record written with acks=all by a raw Produce v9 request, answering the partition's error code and base offset
// (tests that watch a partition's leadership move and must see each write's own answer, not a client's retries).
import type { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { buildBatch } from '../../src/records/index.ts';

export async function produceOne(
  conn: BrokerConnection,
  topic: string,
  partition: number,
  value: string,
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const res = (await conn.send(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      {
        name: topic,
        partitionData: [{ index: partition, records: buildBatch({ records: [{ value: Buffer.from(value) }] }) }],
      },
    ],
  })) as { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> };
  return res.responses[0]!.partitionResponses[0]!;
}
