// The group coordinator answers an OffsetCommit only once the ISR has its records, as Kafka's does (acks=-1 on
// __consumer_offsets). Regression test for what the cluster fault soak found (seed 20261207, cycle 71): a coordinator
// answered after its own append, so a coordinator paused past its session woke, acknowledged a queued commit, and the
// new leader truncated it away — a committed offset went back. Here the replication wait is in the test's hands: the
// answer waits for it, the offset is not visible before, and a lost leadership answers NOT_COORDINATOR with nothing
// applied.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Partition } from '../../../src/broker/partition.ts';
import { ReplicaManager } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { GroupCoordinatorRuntime } from '../../../src/coordinator/group/runtime.ts';
import { LocalController } from '../../../src/metadata/controller.ts';
import { MemoryMetadataLog } from '../../../src/metadata/metadata-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { createLogger } from '../../../src/util/log.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-commit-wait-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'test', level: 'error' });

function setup() {
  const config = loadBrokerConfig({
    overrides: [`log.dirs=${root}`, 'offsets.topic.num.partitions=1'],
    env: {},
    logger,
  });
  const logs = LogManager.open({ logDirs: [root] });
  const replicas = new ReplicaManager({
    logs,
    log: logger,
    nodeId: 1,
    topicConfig: (o) => resolveTopicConfig(config, { ...o }),
  });
  // The cluster's replication, reduced to the wait an append makes: each resolves when the test says.
  const waits: Array<{ lastOffset: number; resolve: (code: number) => void }> = [];
  Object.defineProperty(replicas, 'replication', {
    value: {
      apply: () => {},
      remove: () => {},
      waitForIsr: (_p: Partition, lastOffset: number) =>
        new Promise<number>((resolve) => waits.push({ lastOffset, resolve })),
    },
  });
  const controller = new LocalController({
    clusterId: 'c',
    nodeId: 1,
    log: new MemoryMetadataLog(),
    logger,
    defaults: { numPartitions: 1, defaultReplicationFactor: 1, validateTopicConfigs: () => [] },
  });
  controller.registerBroker(1, [{ name: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], null);
  controller.subscribe((image, previous) => replicas.applyImage(image, previous));
  const groups = new GroupCoordinatorRuntime({ config, controller, replicas, log: logger, clock: Date.now });
  const commit = (offset: number) =>
    groups.commitOffsets({
      groupId: 'g',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      partitions: [{ topic: 't', partition: 0, offset, leaderEpoch: -1, metadata: null, expireTimestamp: -1 }],
    });
  const committed = () => groups.fetchOffsets('g', [{ topic: 't', partition: 0 }])[0]!.offset;
  return { groups, replicas, controller, waits, commit, committed, close: () => groups.close() };
}

test('OffsetCommit answers once the ISR has the record; the offset is not visible before', async () => {
  const { waits, commit, committed, close } = setup();
  const answer = commit(42);
  assert.ok(answer instanceof Promise, 'the answer waits for replication');
  let answered = false;
  void answer.then(() => {
    answered = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(answered, false);
  assert.equal(waits.length, 1);
  assert.equal(committed(), -1, 'not visible before it is committed');
  waits[0]!.resolve(ErrorCode.NONE);
  assert.deepEqual(await answer, [{ topic: 't', partition: 0, errorCode: ErrorCode.NONE }]);
  assert.equal(committed(), 42);
  close();
});

test('leadership lost while waiting: NOT_COORDINATOR, and the offset is not applied', async () => {
  const { waits, commit, committed, close } = setup();
  const first = commit(7);
  waits[0]!.resolve(ErrorCode.NONE);
  await first;
  const answer = commit(9);
  waits[1]!.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(await answer, [{ topic: 't', partition: 0, errorCode: ErrorCode.NOT_COORDINATOR }]);
  assert.equal(committed(), 7, 'the acknowledged offset stands; the unacknowledged one was never applied');
  close();
});

// Found by the cluster fault harness (zk-quorum-loss, seed 15): a coordinator's offsets of open transactions outlived
// its leadership. Its log lost the transactional offset records (truncated by the next leader), it led again, and
// the group answered UNSTABLE_OFFSET_COMMIT to every require_stable OffsetFetch from then on: the transactional
// consume-transform-produce job never started again.
test('offsets of open transactions are rebuilt from the log when the coordinator leads again', async () => {
  const { groups, replicas, controller, waits, close } = setup();
  const committed = () => groups.fetchOffsets('txg', [{ topic: 't', partition: 0 }])[0]!.offset;
  assert.equal(committed(), -1, 'the shard is loaded');
  const part = replicas.get('__consumer_offsets', 0)!;
  const before = part.log.logEndOffset;
  const answer = groups.commitTransactionalOffsets(
    {
      groupId: 'txg',
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      partitions: [{ topic: 't', partition: 0, offset: 9, leaderEpoch: -1, metadata: null, expireTimestamp: -1 }],
    },
    1000,
    0,
  );
  waits.at(-1)!.resolve(ErrorCode.NONE);
  await answer;
  assert.deepEqual([...groups.pendingTransactionalOffsets('txg')], ['t\u00000']);
  // Leadership goes (a lost session), the next leader's log never had the records, this one truncates to it...
  replicas.resignAll();
  groups.resignMoved();
  part.truncateTo(before);
  // ... and leads again: the reloaded shard holds no open transaction's offset.
  replicas.resume(controller.image);
  groups.resignMoved();
  assert.equal(committed(), -1, 'the shard is loaded again');
  assert.deepEqual([...groups.pendingTransactionalOffsets('txg')], []);
  close();
});
