// OffsetFetch with require_stable: an offset committed inside an open transaction answers UNSTABLE_OFFSET_COMMIT
// until the transaction ends; without it the last committed offset is returned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type {
  EndTxnResponse,
  InitProducerIdResponse,
  OffsetFetchResponse,
  TxnOffsetCommitResponse,
} from '../../../src/protocol/generated/messages.ts';

test('require_stable sees pending transactional offsets as unstable until the commit', async () => {
  const broker = await startBroker({
    config: { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' },
  });
  const c = await BrokerConnection.open('127.0.0.1', broker.port);
  try {
    await c.send(ApiKey.CreateTopics, 5, {
      topics: [{ name: 't', numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    await c.send(ApiKey.FindCoordinator, 1, { key: 'g', keyType: 0 });
    await c.send(ApiKey.FindCoordinator, 1, { key: 'tx', keyType: 1 });
    await c.send(ApiKey.OffsetCommit, 2, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: '' }] }],
    });
    const init = await c.send<InitProducerIdResponse>(ApiKey.InitProducerId, 1, {
      transactionalId: 'tx',
      transactionTimeoutMs: 60000,
    });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const txn = { transactionalId: 'tx', producerId: init.producerId, producerEpoch: init.producerEpoch };
    await c.send(ApiKey.AddOffsetsToTxn, 1, { ...txn, groupId: 'g' });
    const tc = await c.send<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 1, {
      ...txn,
      groupId: 'g',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9, committedMetadata: '' }] }],
    });
    assert.equal(tc.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);

    const fetch = (requireStable: boolean) =>
      c.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, {
        groupId: 'g',
        topics: [{ name: 't', partitionIndexes: [0] }],
        requireStable,
      });
    let p = (await fetch(true)).topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    p = (await fetch(false)).topics[0]!.partitions[0]!;
    assert.deepEqual([p.errorCode, p.committedOffset], [ErrorCode.NONE, 5n]);

    const end = await c.send<EndTxnResponse>(ApiKey.EndTxn, 1, { ...txn, committed: true });
    assert.equal(end.errorCode, ErrorCode.NONE);
    p = (await fetch(true)).topics[0]!.partitions[0]!;
    assert.deepEqual([p.errorCode, p.committedOffset], [ErrorCode.NONE, 9n]);
  } finally {
    c.close();
    await broker.stop();
  }
});
