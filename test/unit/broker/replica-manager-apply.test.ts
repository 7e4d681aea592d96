// ReplicaManager.applyImage with many new partitions: created CREATE_CHUNK per turn of the event loop, a partition
// asked for early is created on the spot, a later image updates or cancels what still waits, and removal works.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CREATE_CHUNK, ReplicaManager } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { LocalController } from '../../../src/metadata/controller.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { MemoryMetadataLog } from '../../../src/metadata/metadata-log.ts';
import { type MetadataRecord, record } from '../../../src/metadata/records.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { createLogger } from '../../../src/util/log.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-rm-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'test', level: 'error' });
const brokerConfig = loadBrokerConfig({ overrides: [`log.dirs=${root}`], env: {}, logger });
const turn = () => new Promise<void>((r) => setImmediate(r));

const createTopic = (c: LocalController, name: string, partitions: number) =>
  c.createTopics([{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: {} }], false);

test('many new partitions are created in chunks, on demand; a later image updates or cancels what waits', async () => {
  const logs = LogManager.open({ logDirs: [root] });
  const rm = new ReplicaManager({
    logs,
    log: logger,
    nodeId: 1,
    topicConfig: (o) => resolveTopicConfig(brokerConfig, { ...o }),
  });
  const c = new LocalController({
    clusterId: 'c',
    nodeId: 1,
    log: new MemoryMetadataLog(),
    logger,
    defaults: { numPartitions: 1, defaultReplicationFactor: 1, validateTopicConfigs: () => [] },
  });
  c.registerBroker(1, [{ name: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], null);
  c.subscribe((image, previous) => rm.applyImage(image, previous));
  const n = CREATE_CHUNK * 5 + 3;
  createTopic(c, 'big', n);
  assert.equal(rm.count, n);
  assert.equal(logs.all().length, CREATE_CHUNK, 'one chunk now, the rest later');
  // Asked for before its turn: created on the spot.
  const last = rm.get('big', n - 1);
  assert.ok(last);
  assert.ok(existsSync(join(root, `big-${n - 1}`)));
  assert.equal(last.log.logEndOffset, 0);
  await turn();
  assert.equal(logs.all().length, CREATE_CHUNK * 2 + 1);

  // A later image applies on top of what is still waiting: deleting the topic cancels its pending partitions.
  c.deleteTopics([{ name: 'big', topicId: null }]);
  assert.equal(rm.count, 0);
  assert.equal(rm.get('big', 0), undefined);
  for (let i = 0; i < 5; i++) await turn();
  await logs.deletesSettled();
  assert.equal(logs.all().length, 0, 'nothing of the deleted topic is created later');

  // Left to run: every partition is created without being asked for.
  createTopic(c, 'other', CREATE_CHUNK * 3);
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(logs.all().length, CREATE_CHUNK * 3);
  assert.equal([...rm.all()].length, CREATE_CHUNK * 3);

  // Deleted and created again while partitions still wait: every partition belongs to the new topic, new logs.
  createTopic(c, 're', CREATE_CHUNK * 2);
  const oldLog = rm.get('re', 0)!.log;
  c.deleteTopics([{ name: 're', topicId: null }]);
  createTopic(c, 're', CREATE_CHUNK * 2);
  const id = c.image.topics.get('re')!.id;
  assert.equal(rm.get('re', 0)!.topicId, id);
  assert.notEqual(rm.get('re', 0)!.log, oldLog);
  assert.equal(rm.get('re', CREATE_CHUNK * 2 - 1)!.topicId, id);
  // A config change reaches partitions still waiting.
  createTopic(c, 'cfg', CREATE_CHUNK * 2);
  c.alterConfigs('topic', 'cfg', [{ name: 'retention.ms', op: 'set', value: '12345' }], false, () => []);
  assert.equal(rm.get('cfg', CREATE_CHUNK * 2 - 1)!.config.retentionMs, 12345);
  rm.close();
  await logs.shutdown();
});

/** Broker 1's ReplicaManager in a fresh log dir, fed images built from records (`apply`), as the controller would. */
function brokerOnImages(prefix: string) {
  const dir = mkdtempSync(join(root, prefix));
  const logs = LogManager.open({ logDirs: [dir] });
  const rm = new ReplicaManager({
    logs,
    log: logger,
    nodeId: 1,
    topicConfig: (o) => resolveTopicConfig(brokerConfig, { ...o }),
  });
  let current = MetadataImage.empty('c');
  let offset = 0;
  const apply = (...rs: MetadataRecord[]) => {
    const previous = current;
    current = current.applyAll(rs.map((r) => ({ record: r, offset: offset++ })));
    rm.applyImage(current, previous);
  };
  return { dir, logs, rm, apply, image: () => current };
}

test('a replica moved away by a reassignment is no longer hosted and its log is deleted', async () => {
  const { dir, logs, rm, apply } = brokerOnImages('moved-');
  const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
  apply(
    record('TopicRecord', { name: 'moving', topicId }),
    record('PartitionRecord', {
      topicId,
      partitionId: 0,
      replicas: [1, 2],
      isr: [1, 2],
      leader: 2,
      leaderEpoch: 0,
      partitionEpoch: 0,
    }),
  );
  assert.ok(rm.get('moving', 0), 'hosted while a replica');
  assert.ok(existsSync(join(dir, 'moving-0')));
  // The reassignment to [2, 3] completes: this broker's replica goes.
  apply(record('PartitionChangeRecord', { topicId, partitionId: 0, replicas: [2, 3], isr: [2, 3] }));
  assert.equal(rm.get('moving', 0), undefined);
  await logs.deletesSettled();
  assert.ok(!existsSync(join(dir, 'moving-0')), 'the moved replica log is deleted');
});

// Found by the cluster fault harness (zk-quorum-loss): after its session expired, the broker led again as soon as
// it had re-read its old image, at the old epoch, appended produces there, and the controller's fencing of its old
// registration bumped that epoch under them.
test('after resignAll the broker leads nothing, whatever the image says, until resume', () => {
  const { rm, apply, image } = brokerOnImages('resign-');
  const topicId = 'AAAAAAAAAAAAAAAAAAAAAg';
  const partition = (leader: number, leaderEpoch: number) =>
    record('PartitionRecord', {
      topicId,
      partitionId: 0,
      replicas: [1, 2],
      isr: [1, 2],
      leader,
      leaderEpoch,
      partitionEpoch: 0,
    });
  apply(
    record('TopicRecord', { name: 'led', topicId }),
    partition(1, 0),
    record('TopicRecord', { name: 'other', topicId: 'AAAAAAAAAAAAAAAAAAAAAw' }),
  );
  assert.equal(rm.get('led', 0)?.isLeader, true);
  rm.resignAll();
  assert.equal(rm.get('led', 0)?.isLeader, false);
  // The old image again (the new session's first read), and a change naming this broker leader: still resigned.
  rm.applyImage(image(), undefined);
  assert.equal(rm.get('led', 0)?.isLeader, false, 'the old image does not restore leadership');
  apply(record('PartitionChangeRecord', { topicId, partitionId: 0, leader: 1 }));
  assert.equal(rm.get('led', 0)?.isLeader, false, 'nor does a new change while resigned');
  assert.equal(rm.isResigned, true);
  rm.resume(image());
  assert.equal(rm.isResigned, false);
  assert.equal(rm.get('led', 0)?.isLeader, true);
  assert.equal(rm.get('led', 0)?.leaderEpoch, 1);
  rm.close();
});
