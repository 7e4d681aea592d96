// Transactions v2 (KIP-890 part 2) on the wire, request by request: Produce v12+ adds its partition to the
// transaction, TxnOffsetCommit v5+ its group's offsets partition; EndTxn v5 bumps the epoch, after which a late write
// of the finished transaction (the old epoch) is refused by the coordinator and the partition alike; the next
// transaction runs at the new epoch. A client on the old versions keeps the old protocol (AddPartitionsToTxn first).
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  CreateTopicsResponse,
  DescribeTransactionsResponse,
  EndTxnResponse,
  InitProducerIdResponse,
  ListOffsetsResponse,
  MetadataResponse,
  ProduceResponse,
  TxnOffsetCommitResponse,
} from '../../src/protocol/generated/messages.ts';
import { buildBatch } from '../../src/records/index.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';

describe('transactions v2 on the wire', { timeout: 120_000 }, () => {
  let broker: BrokerHandle | undefined;
  let conn: BrokerConnection | undefined;
  let topicId = '';
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess();
    conn = await BrokerConnection.open('127.0.0.1', broker.port);
    const created = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'tv2', numPartitions: 1, replicationFactor: 1 }],
    });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    const meta = await conn.send<MetadataResponse>(ApiKey.Metadata, 13, { topics: [{ name: 'tv2' }] });
    topicId = meta.topics[0]!.topicId;
    return conn;
  });
  after(async () => {
    conn?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const init = async (c: BrokerConnection, transactionalId: string) => {
    const r = await c.send<InitProducerIdResponse>(ApiKey.InitProducerId, 5, {
      transactionalId,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  };
  const produce = async (
    c: BrokerConnection,
    v: number,
    transactionalId: string,
    p: { producerId: bigint; producerEpoch: number },
    baseSequence: number,
    value: string,
  ) => {
    const records = buildBatch({
      producerId: Number(p.producerId),
      producerEpoch: p.producerEpoch,
      baseSequence,
      isTransactional: true,
      records: [{ key: null, value: Buffer.from(value) }],
    });
    const topic = v >= 13 ? { topicId } : { name: 'tv2' };
    const r = await c.send<ProduceResponse>(ApiKey.Produce, v, {
      transactionalId,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ ...topic, partitionData: [{ index: 0, records }] }],
    });
    return r.responses[0]!.partitionResponses[0]!;
  };
  const describeTxn = async (c: BrokerConnection, transactionalId: string) =>
    (
      await c.send<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, {
        transactionalIds: [transactionalId],
      })
    ).transactionStates[0]!;
  const endOffset = async (c: BrokerConnection) =>
    (
      await c.send<ListOffsetsResponse>(ApiKey.ListOffsets, 11, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: 'tv2', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      })
    ).topics[0]!.partitions[0]!.offset;

  test('Produce v13 and TxnOffsetCommit v6 join the transaction; EndTxn v5 bumps the epoch and fences the old one', async () => {
    const c = await setup.get();
    const first = await init(c, 'tv2-a');
    const w = await produce(c, 13, 'tv2-a', first, 0, 'one');
    assert.equal(w.errorCode, ErrorCode.NONE);
    const commit = await c.send<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 6, {
      transactionalId: 'tv2-a',
      groupId: 'tv2-group',
      producerId: first.producerId,
      producerEpoch: first.producerEpoch,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1 }] }],
    });
    assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(commit.topics[0]!.topicId, topicId);
    const ongoing = await describeTxn(c, 'tv2-a');
    assert.equal(ongoing.transactionState, 'Ongoing');
    assert.deepEqual(ongoing.topics.map((t) => t.topic).sort(), ['__consumer_offsets', 'tv2']);

    const end = await c.send<EndTxnResponse>(ApiKey.EndTxn, 5, {
      transactionalId: 'tv2-a',
      producerId: first.producerId,
      producerEpoch: first.producerEpoch,
      committed: true,
    });
    assert.equal(end.errorCode, ErrorCode.NONE);
    assert.equal(end.producerId, first.producerId);
    assert.equal(end.producerEpoch, first.producerEpoch + 1, 'EndTxn v5 bumps the epoch');
    assert.equal((await describeTxn(c, 'tv2-a')).transactionState, 'CompleteCommit');

    // A late write of the finished transaction (old epoch): refused, nothing appended, no transaction opened.
    const before = await endOffset(c);
    const zombie = await produce(c, 12, 'tv2-a', first, 1, 'late');
    assert.equal(zombie.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await endOffset(c), before);
    assert.equal((await describeTxn(c, 'tv2-a')).transactionState, 'CompleteCommit');

    // The next transaction at the new epoch, from sequence 0.
    const next = { producerId: end.producerId, producerEpoch: end.producerEpoch };
    assert.equal((await produce(c, 13, 'tv2-a', next, 0, 'two')).errorCode, ErrorCode.NONE);
    const again = await describeTxn(c, 'tv2-a');
    assert.equal(again.transactionState, 'Ongoing');
    assert.equal(again.producerEpoch, next.producerEpoch);
    const abort = await c.send<EndTxnResponse>(ApiKey.EndTxn, 5, {
      transactionalId: 'tv2-a',
      ...next,
      committed: false,
    });
    assert.equal(abort.errorCode, ErrorCode.NONE);
    assert.equal(abort.producerEpoch, next.producerEpoch + 1);
  });

  test('an unknown topic id is UNKNOWN_TOPIC_ID', async () => {
    const c = await setup.get();
    const p = await init(c, 'tv2-b');
    const records = buildBatch({ records: [{ key: null, value: Buffer.from('x') }] });
    const r = await c.send<ProduceResponse>(ApiKey.Produce, 13, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ topicId: Buffer.alloc(16, 9).toString('base64url'), partitionData: [{ index: 0, records }] }],
    });
    assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    assert.ok(p.producerId >= 0n);
  });

  test('the old protocol stays: Produce v11 needs AddPartitionsToTxn first and EndTxn v4 keeps the epoch', async () => {
    const c = await setup.get();
    const p = await init(c, 'tv2-c');
    const refused = await produce(c, 11, 'tv2-c', p, 0, 'not added');
    assert.notEqual(refused.errorCode, ErrorCode.NONE, 'no implicit add before v12');
    const add = await c.send<{
      resultsByTopicV3AndBelow: Array<{ resultsByPartition: Array<{ partitionErrorCode: number }> }>;
    }>(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: 'tv2-c',
      v3AndBelowProducerId: p.producerId,
      v3AndBelowProducerEpoch: p.producerEpoch,
      v3AndBelowTopics: [{ name: 'tv2', partitions: [0] }],
    });
    assert.equal(add.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal((await produce(c, 11, 'tv2-c', p, 0, 'added')).errorCode, ErrorCode.NONE);
    const end = await c.send<EndTxnResponse>(ApiKey.EndTxn, 4, {
      transactionalId: 'tv2-c',
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      committed: true,
    });
    assert.equal(end.errorCode, ErrorCode.NONE);
    assert.equal((await describeTxn(c, 'tv2-c')).producerEpoch, p.producerEpoch, 'no bump on the old protocol');
  });
});
