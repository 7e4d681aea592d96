// Metadata records as Kafka frames them, the image applying them, and the single-node file log (binary entries,
// torn tails, conversion of an older JSON-lines log).
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import {
  decodeBatchNode,
  encodeBatchNode,
  imageFromRecords,
  imageRecords,
  splitBatches,
} from '../../../src/controller/store-log.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { FileMetadataLog } from '../../../src/metadata/metadata-log.ts';
import {
  decodeRecord,
  decodeRecordBatch,
  encodeRecordBatch,
  NO_LEADER_CHANGE,
  record,
  recordBytes,
} from '../../../src/metadata/records.ts';
import { Reader } from '../../../src/protocol/io.ts';
import { createLogger } from '../../../src/util/log.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

test('records are framed as Kafka frames them: frame version 1, api key, version, then the record', () => {
  const r = record('TopicRecord', { name: 't', topicId: TOPIC_ID });
  const b = recordBytes(r);
  assert.deepEqual([...b.subarray(0, 3)], [1, 2, 0]); // frame 1, TopicRecord api key 2, version 0
  assert.deepEqual(decodeRecord(new Reader(b)), r);
  const batch = [
    r,
    record('PartitionRecord', { topicId: TOPIC_ID, partitionId: 0, replicas: [1, 2], isr: [1, 2], leader: 1 }),
    record('RegisterBrokerRecord', { brokerId: 3, brokerEpoch: 77n, rack: 'r1', fenced: false }),
    record('ProducerIdsRecord', { brokerId: 3, brokerEpoch: 77n, nextProducerId: 1000n }),
    record('PartitionChangeRecord', { topicId: TOPIC_ID, partitionId: 0, leader: 2, isr: [2] }),
  ];
  assert.deepEqual(decodeRecordBatch(encodeRecordBatch(batch)), batch);
  assert.throws(() => decodeRecordBatch(Buffer.from([1, 3, 1, 99, 0])), /api key 99/);
});

test('the image applies broker registration, fencing by epoch, partition changes and producer id blocks', () => {
  let img = MetadataImage.empty('c');
  let offset = 0;
  const apply = (...rs: Parameters<MetadataImage['apply']>[0][]) => {
    for (const r of rs) img = img.apply(r, offset++);
  };
  apply(
    record('RegisterBrokerRecord', {
      brokerId: 1,
      brokerEpoch: 10n,
      endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }],
      fenced: true,
    }),
    record('UnfenceBrokerRecord', { id: 1, epoch: 10n }),
    record('RegisterBrokerRecord', { brokerId: 2, brokerEpoch: 11n, fenced: false }),
    record('TopicRecord', { name: 't', topicId: TOPIC_ID }),
    record('PartitionRecord', {
      topicId: TOPIC_ID,
      partitionId: 0,
      replicas: [1, 2],
      isr: [1, 2],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
    }),
  );
  assert.equal(img.brokers.get(1)?.fenced, false);
  assert.equal(img.brokers.get(1)?.endpoints[0]?.securityProtocol, 'PLAINTEXT');
  apply(record('FenceBrokerRecord', { id: 1, epoch: 9n })); // an older registration's: ignored
  assert.equal(img.brokers.get(1)?.fenced, false);
  apply(
    record('FenceBrokerRecord', { id: 1, epoch: 10n }),
    record('PartitionChangeRecord', { topicId: TOPIC_ID, partitionId: 0, leader: 2, isr: [2] }),
  );
  let p = img.partition('t', 0)!;
  assert.deepEqual([p.leader, p.leaderEpoch, p.partitionEpoch, p.isr, p.replicas], [2, 1, 1, [2], [1, 2]]);
  apply(record('PartitionChangeRecord', { topicId: TOPIC_ID, partitionId: 0, leader: NO_LEADER_CHANGE, isr: [2, 1] }));
  p = img.partition('t', 0)!;
  assert.deepEqual([p.leader, p.leaderEpoch, p.partitionEpoch, p.isr], [2, 1, 2, [2, 1]]);
  apply(
    record('ProducerIdsRecord', { brokerId: 2, brokerEpoch: 11n, nextProducerId: 1000n }),
    record('ProducerIdsRecord', { brokerId: 1, brokerEpoch: 10n, nextProducerId: 2000n }),
  );
  assert.deepEqual(img.producerIds.lastBlock, { brokerId: 1, firstProducerId: 1000n, nextProducerId: 2000n });
  assert.throws(() => apply(record('ProducerIdsRecord', { brokerId: 1, nextProducerId: 5n })), /going back/);
});

test('the file log keeps binary records across reopen and cuts a torn tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlog-'));
  dirs.push(dir);
  const log = new FileMetadataLog(dir, logger);
  log.append([record('TopicRecord', { name: 't', topicId: TOPIC_ID })]);
  log.append([record('PartitionRecord', { topicId: TOPIC_ID, partitionId: 0, replicas: [0], isr: [0], leader: 0 })]);
  log.close();
  appendFileSync(join(dir, 'metadata.log'), Buffer.from([0, 0, 0, 50, 1, 2])); // a torn entry
  const again = new FileMetadataLog(dir, logger);
  assert.deepEqual(
    again.readAll().map((e) => [e.offset, e.record.type]),
    [
      [0, 'TopicRecord'],
      [1, 'PartitionRecord'],
    ],
  );
  assert.equal(again.append([record('RemoveTopicRecord', { topicId: TOPIC_ID })])[0]!.offset, 2);
  again.close();
  assert.equal(new FileMetadataLog(dir, logger).readAll().length, 3);
});

test('an older JSON-lines log is converted once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlog-'));
  dirs.push(dir);
  const lines = [
    {
      type: 'RegisterBroker',
      nodeId: 0,
      endpoints: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 'PLAINTEXT' }],
      rack: null,
    },
    { type: 'Topic', name: 'old', id: TOPIC_ID },
    { type: 'Config', resourceType: 'topic', resourceName: 'old', name: 'retention.ms', value: '1000' },
    {
      type: 'Partition',
      topicId: TOPIC_ID,
      partition: 0,
      replicas: [0],
      isr: [0],
      leader: 0,
      leaderEpoch: 3,
      partitionEpoch: 4,
    },
  ];
  writeFileSync(
    join(dir, 'metadata.jsonl'),
    `${lines.map((record, offset) => JSON.stringify({ offset, record })).join('\n')}\n{"offset":4,"rec`,
  );
  const log = new FileMetadataLog(dir, logger);
  let img = MetadataImage.empty('c');
  for (const e of log.readAll()) img = img.apply(e.record, e.offset);
  assert.equal(img.brokers.get(0)?.endpoints[0]?.port, 9092);
  assert.equal(img.topics.get('old')?.configs['retention.ms'], '1000');
  assert.equal(img.partition('old', 0)?.leaderEpoch, 3);
  log.close();
  assert.ok(!existsSync(join(dir, 'metadata.jsonl')));
  assert.ok(existsSync(join(dir, 'metadata.jsonl.converted')));
  const size = readFileSync(join(dir, 'metadata.log')).length;
  assert.equal(new FileMetadataLog(dir, logger).readAll().length, 4);
  assert.equal(readFileSync(join(dir, 'metadata.log')).length, size);
});

test('a snapshot (the image as records) rebuilds the same image; batches stay under their size', () => {
  let img = MetadataImage.empty('c');
  const rs = [
    record('FeatureLevelRecord', { name: 'metadata.version', featureLevel: 27 }),
    record('RegisterBrokerRecord', {
      brokerId: 1,
      brokerEpoch: 5n,
      endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 0 }],
      rack: 'r',
      fenced: false,
    }),
    record('RegisterBrokerRecord', { brokerId: 2, brokerEpoch: 6n, fenced: true }),
    record('ConfigRecord', { resourceType: 4, resourceName: '', name: 'log.retention.ms', value: '9' }),
    record('ConfigRecord', {
      resourceType: 32,
      resourceName: 'g',
      name: 'consumer.session.timeout.ms',
      value: '50000',
    }),
    record('TopicRecord', { name: 't', topicId: TOPIC_ID }),
    record('ConfigRecord', { resourceType: 2, resourceName: 't', name: 'cleanup.policy', value: 'compact' }),
    ...[0, 1, 2].map((p) =>
      record('PartitionRecord', {
        topicId: TOPIC_ID,
        partitionId: p,
        replicas: [1, 2],
        isr: [1],
        leader: 1,
        leaderEpoch: 4,
        partitionEpoch: 7,
      }),
    ),
    record('ProducerIdsRecord', { brokerId: 1, brokerEpoch: 5n, nextProducerId: 3000n }),
  ];
  for (const [i, r] of rs.entries()) img = img.apply(r, i * 3);
  const back = imageFromRecords('c', imageRecords(img), img.offset);
  assert.equal(back.offset, img.offset);
  assert.deepEqual(back.brokers, img.brokers);
  assert.deepEqual(back.topics, img.topics);
  assert.deepEqual(back.brokerConfigs, img.brokerConfigs);
  assert.deepEqual(back.groupConfigs, img.groupConfigs);
  assert.equal(back.groupConfigs.size, 1);
  assert.deepEqual(back.features, img.features);
  assert.equal(back.producerIds.nextProducerId, 3000n);
  const many = Array.from({ length: 300 }, (_, p) =>
    record('PartitionRecord', { topicId: TOPIC_ID, partitionId: p, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }),
  );
  const batches = splitBatches(many, 2048);
  assert.ok(batches.length > 1);
  assert.deepEqual(batches.flat(), many);
  for (const b of batches) {
    const node = encodeBatchNode({ controllerEpoch: 3, baseOffset: 10 }, b);
    assert.ok(node.length <= 2048, `${node.length} bytes`);
    assert.deepEqual(decodeBatchNode(node), { header: { controllerEpoch: 3, baseOffset: 10 }, records: b });
  }
});
