// An undecodable record in __consumer_offsets is skipped (and logged) on load: the broker still starts and the
// group's other commits survive.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import type { OffsetFetchResponse, ProduceResponse } from '../../../src/protocol/generated/messages.ts';
import { buildBatch } from '../../../src/records/index.ts';

test('a garbage __consumer_offsets record does not stop the broker from starting', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-garbage-'));
  const config = { 'offsets.topic.num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' };
  try {
    let broker = await startBroker({ dataDir, config });
    let c = await BrokerConnection.open('127.0.0.1', broker.port, '__admin_client');
    await c.send(ApiKey.FindCoordinator, 1, { key: 'g', keyType: 0 });
    await c.send(ApiKey.CreateTopics, 5, {
      topics: [{ name: 't', numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    await c.send(ApiKey.OffsetCommit, 2, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: '' }] }],
    });
    const garbage = buildBatch({ records: [{ key: Buffer.from([0, 1, 2]), value: Buffer.from([9]) }] });
    const r = await c.send<ProduceResponse>(ApiKey.Produce, 7, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: garbage }] }],
    });
    assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
    c.close();
    await broker.stop();

    broker = await startBroker({ dataDir, config });
    c = await BrokerConnection.open('127.0.0.1', broker.port);
    await c.send(ApiKey.FindCoordinator, 1, { key: 'g', keyType: 0 });
    const f = await c.send<OffsetFetchResponse>(ApiKey.OffsetFetch, 3, {
      groupId: 'g',
      topics: [{ name: 't', partitionIndexes: [0] }],
    });
    assert.equal(f.topics[0]!.partitions[0]!.committedOffset, 42n);
    c.close();
    await broker.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
