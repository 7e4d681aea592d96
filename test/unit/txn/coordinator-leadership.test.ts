// The transaction coordinator answers only for the __transaction_state partitions it leads. Found by the cluster
// fault harness (zk-quorum-loss, seed 15): a broker whose session expired had forgotten the transactional ids of the
// partition it no longer led, and answered the producer's next AddOffsetsToTxn with INVALID_PRODUCER_ID_MAPPING,
// which fails the transaction, instead of NOT_COORDINATOR, which sends the producer to the new coordinator.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ReplicaManager } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { TransactionCoordinatorRuntime } from '../../../src/coordinator/transaction/runtime.ts';
import { LocalController } from '../../../src/metadata/controller.ts';
import { MemoryMetadataLog } from '../../../src/metadata/metadata-log.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';

import { createLogger } from '../../../src/util/log.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-txn-lead-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'test', level: 'error' });

test('a coordinator that no longer leads the id’s partition answers NOT_COORDINATOR, then serves it again', async () => {
  const config = loadBrokerConfig({
    overrides: [
      `log.dirs=${root}`,
      'transaction.state.log.num.partitions=1',
      'transaction.state.log.replication.factor=1',
    ],
    env: {},
    logger,
  });
  const replicas = new ReplicaManager({
    logs: LogManager.open({ logDirs: [root] }),
    log: logger,
    nodeId: 1,
    topicConfig: (o) => resolveTopicConfig(config, { ...o }),
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
  let next = 1000;
  const txns = new TransactionCoordinatorRuntime({
    config,
    controller,
    replicas,
    producerIds: { generate: () => next++ },
    log: logger,
    clock: Date.now,
  });
  try {
    const init = await txns.initProducerId('tx', 60_000, -1, -1);
    assert.equal(init.errorCode, ErrorCode.NONE);
    const add = () => txns.addPartitions('tx', init.producerId, init.producerEpoch, [{ topic: 't', partition: 0 }]);
    // The leadership goes (a lost session): the coordinator forgets the partition's ids.
    replicas.resignAll();
    txns.leadershipChanged();
    assert.throws(add, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR);
    // Led again: the ids are loaded from the log and the producer's transaction goes on.
    replicas.resume(controller.image);
    txns.leadershipChanged();
    assert.equal(await add(), ErrorCode.NONE);
  } finally {
    txns.close();
    replicas.close();
  }
});
