// Replication's default clock is monotonic: a step of the wall clock on a leader neither delays the ISR shrink of a
// follower that stopped fetching nor fires it early. Found by the fault harness (cluster soak, seed 20261211: a
// clock-skew cycle stepped a leader's clock +137 s, then to -100 s, then back; in the next cycle a follower cut from
// the other brokers stayed in that leader's ISRs for as long as the step, and acks=all stalled): the core ran on
// Date, so a follower's last caught-up time, taken before a step back, lay minutes in the future.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ReplicaManager } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { record } from '../../../src/metadata/records.ts';
import type { AlterPartitionRequest } from '../../../src/replication/types.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { createLogger } from '../../../src/util/log.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-repl-clock-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'test', level: 'silent' });
const brokerConfig = loadBrokerConfig({ overrides: [`log.dirs=${root}`], env: {}, logger });

for (const step of [-5 * 60_000, 5 * 60_000]) {
  test(`a wall-clock step of ${step / 60_000} min on the leader: the ISR shrinks after replica.lag.time.max.ms, not before`, async (t) => {
    const logs = LogManager.open({ logDirs: [mkdtempSync(join(root, 'b-'))] });
    const proposed: AlterPartitionRequest[] = [];
    const rm = new ReplicaManager({
      logs,
      log: logger,
      nodeId: 1,
      topicConfig: (o) => resolveTopicConfig(brokerConfig, { ...o }),
      // No clock: the broker's default.
      replication: {
        nodeId: 1,
        replicaLagTimeMaxMs: 500,
        alterPartition: (_topicId, _p, req) => {
          proposed.push(req);
          return new Promise(() => {});
        },
        logger,
        fetcher: {
          brokerEpoch: () => 1n,
          numFetchers: 1,
          fetchMaxBytes: 1 << 20,
          responseMaxBytes: 1 << 20,
          waitMaxMs: 100,
          minBytes: 1,
          backoffMs: 1000,
          socketTimeoutMs: 1000,
          endpoint: () => undefined,
        },
      },
    });
    t.after(() => rm.close());
    const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const image = MetadataImage.empty('c').applyAll(
      [
        record('TopicRecord', { name: 'c', topicId }),
        record('PartitionRecord', {
          topicId,
          partitionId: 0,
          replicas: [1, 2],
          isr: [1, 2],
          leader: 1,
          leaderEpoch: 0,
          partitionEpoch: 0,
        }),
      ].map((r, offset) => ({ record: r, offset })),
    );
    rm.applyImage(image, undefined);
    // Broker 2 never fetches. The wall clock steps right after this broker became leader.
    const wall = Date.now.bind(Date);
    t.mock.method(Date, 'now', () => wall() + step);
    const started = performance.now();
    while (proposed.length === 0) {
      rm.replication!.tick();
      if (performance.now() - started > 15_000) assert.fail('no ISR shrink 15 s after the follower stopped fetching');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(performance.now() - started >= 450, 'not before replica.lag.time.max.ms (a step forward is no lag)');
    assert.deepEqual(proposed[0]!.newIsr, [1]);
  });
}
