// ReplicaManager.applyImage with many new partitions: created CREATE_CHUNK per turn of the event loop, a partition
// asked for early is created on the spot, a later image applies on top of everything earlier, and removal works.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CREATE_CHUNK, ReplicaManager } from '../../../src/broker/replica-manager.ts';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { resolveTopicConfig } from '../../../src/config/topic-config.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import type { MetadataRecord } from '../../../src/metadata/records.ts';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { createLogger } from '../../../src/util/log.ts';

const root = mkdtempSync(join(tmpdir(), 'tributary-rm-'));
after(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'test', level: 'error' });
const brokerConfig = loadBrokerConfig({ overrides: [`log.dirs=${root}`], env: {}, logger });
const turn = () => new Promise<void>((r) => setImmediate(r));

function topicRecords(name: string, id: string, partitions: number): MetadataRecord[] {
  const out: MetadataRecord[] = [{ type: 'Topic', name, id }];
  for (let p = 0; p < partitions; p++)
    out.push({
      type: 'Partition',
      topicId: id,
      partition: p,
      replicas: [1],
      isr: [1],
      leader: 1,
      leaderEpoch: 0,
      partitionEpoch: 0,
    });
  return out;
}

test('many new partitions are created in chunks, on demand, and before the next image', async () => {
  const logs = LogManager.open({ logDirs: [root] });
  const rm = new ReplicaManager({
    logs,
    log: logger,
    nodeId: 1,
    topicConfig: (o) => resolveTopicConfig(brokerConfig, { ...o }),
  });
  let offset = 0;
  const step = (img: MetadataImage, records: MetadataRecord[]) =>
    img.applyAll(records.map((record) => ({ record, offset: offset++ })));
  const empty = MetadataImage.empty('c');
  const n = CREATE_CHUNK * 5 + 3;
  const one = step(empty, topicRecords('big', 'B', n));
  rm.applyImage(one, empty);
  assert.equal(rm.count, n);
  assert.equal(logs.all().length, CREATE_CHUNK, 'one chunk now, the rest later');
  // Asked for before its turn: created on the spot.
  const last = rm.get('big', n - 1);
  assert.ok(last);
  assert.ok(existsSync(join(root, `big-${n - 1}`)));
  assert.equal(last.log.logEndOffset, 0);
  await turn();
  assert.equal(logs.all().length, CREATE_CHUNK * 2 + 1);

  // A new image first creates what is left, then applies its own changes (here: removes the topic again).
  const two = step(one, [{ type: 'RemoveTopic', topicId: 'B' }]);
  rm.applyImage(two, one);
  assert.equal(rm.count, 0);
  assert.equal(rm.get('big', 0), undefined);
  await logs.deletesSettled();
  assert.equal(logs.all().length, 0);

  // Left to run: every partition is created without being asked for.
  const three = step(two, topicRecords('other', 'O', CREATE_CHUNK * 3));
  rm.applyImage(three, two);
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(logs.all().length, CREATE_CHUNK * 3);
  assert.equal([...rm.all()].length, CREATE_CHUNK * 3);
  rm.close();
  await logs.shutdown();
});
