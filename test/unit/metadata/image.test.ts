// MetadataImage.applyAll: applying a record stream in batches of any size gives the same image as one record at a
// time, and never changes an image handed out before (images are immutable snapshots). The records come from the
// controller's own operations, so the test does not depend on the record types.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LocalController } from '../../../src/metadata/controller.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { MemoryMetadataLog } from '../../../src/metadata/metadata-log.ts';
import { createLogger } from '../../../src/util/log.ts';

const logger = createLogger({ name: 'test', level: 'error' });

/** Plain-data view of an image, for deep comparison. */
function view(img: MetadataImage): unknown {
  const topics = [...img.topics.values()].map((t) => ({
    name: t.name,
    id: t.id,
    partitions: t.partitions.map((p) => ({ ...p })),
    configs: { ...t.configs },
  }));
  for (const t of img.topicsById.values()) assert.equal(img.topics.get(t.name), t, 'both maps hold the same topic');
  assert.equal(img.topics.size, img.topicsById.size);
  return {
    offset: img.offset,
    brokers: [...img.brokers.entries()],
    topics,
    brokerConfigs: [...img.brokerConfigs.entries()].map(([k, v]) => [k, { ...v }]),
  };
}

function newController(log: MemoryMetadataLog): LocalController {
  return new LocalController({
    clusterId: 'c',
    nodeId: 1,
    log,
    logger,
    defaults: { numPartitions: 2, defaultReplicationFactor: 1, validateTopicConfigs: () => [] },
  });
}

/** Random admin operations: create topics, add partitions, set and delete configs, delete topics. */
const operations = fc.array(fc.tuple(fc.nat(4), fc.nat(5), fc.nat(3), fc.option(fc.constantFrom('a', 'b'))), {
  maxLength: 40,
});

function run(c: LocalController, ops: Array<[number, number, number, string | null]>): void {
  c.registerBroker(1, [{ name: 'PLAINTEXT', host: 'h', port: 1, securityProtocol: 'PLAINTEXT' }], null);
  for (const [kind, n, key, value] of ops) {
    const name = `t${n}`;
    const exists = c.image.topics.has(name);
    if (kind === 0 || !exists)
      c.createTopics([{ name, numPartitions: key + 1, replicationFactor: -1, assignments: [], configs: {} }], false);
    else if (kind === 1)
      c.createPartitions(
        [{ name, count: c.image.topics.get(name)!.partitions.length + 1 + key, assignments: null }],
        false,
      );
    else if (kind === 2)
      c.alterConfigs(
        n % 2 === 0 ? 'topic' : 'broker',
        n % 2 === 0 ? name : String(key),
        [{ name: `retention.ms`, op: value === null ? 'delete' : 'set', value: value === null ? null : '1000' }],
        false,
        () => [],
      );
    else c.deleteTopics([{ name, topicId: null }]);
  }
}

describe('MetadataImage.applyAll', () => {
  test('batches of any size give the image of one record at a time; earlier images never change', () => {
    fc.assert(
      fc.property(operations, fc.array(fc.nat(8), { minLength: 1, maxLength: 20 }), (ops, cuts) => {
        const log = new MemoryMetadataLog();
        const c = newController(log);
        run(c, ops);
        const entries = log.readAll();
        let one = MetadataImage.empty('c');
        for (const e of entries) one = one.apply(e.record, e.offset);
        assert.deepEqual(view(one), view(c.image), 'one at a time gives the controller image');
        let batched = MetadataImage.empty('c');
        const seen: Array<{ img: MetadataImage; before: unknown }> = [];
        let i = 0;
        let k = 0;
        while (i < entries.length) {
          const n = cuts[k++ % cuts.length]! + 1;
          batched = batched.applyAll(entries.slice(i, i + n));
          seen.push({ img: batched, before: view(batched) });
          i += n;
        }
        assert.deepEqual(view(batched), view(one));
        for (const s of seen) assert.deepEqual(view(s.img), s.before, 'an image handed out was changed later');
        // And the controller's own images (one per commit) were not changed by later commits either.
        assert.deepEqual(view(newController(log).image), view(c.image));
      }),
      { numRuns: 200 },
    );
  });

  test('an untouched topic keeps its identity across a commit (subscribers compare topics by reference)', () => {
    const c = newController(new MemoryMetadataLog());
    run(c, []);
    c.createTopics(
      ['a', 'b'].map((name) => ({ name, numPartitions: 3, replicationFactor: -1, assignments: [], configs: {} })),
      false,
    );
    const base = c.image;
    c.alterConfigs('topic', 'b', [{ name: 'retention.ms', op: 'set', value: '1' }], false, () => []);
    assert.equal(c.image.topics.get('a'), base.topics.get('a'));
    assert.notEqual(c.image.topics.get('b'), base.topics.get('b'));
    assert.deepEqual(base.topics.get('b')!.configs, {});
  });

  test('offsets must increase, within a batch too', () => {
    const log = new MemoryMetadataLog();
    run(newController(log), [[0, 1, 0, null]]);
    const [a, b] = log.readAll();
    assert.throws(() => MetadataImage.empty('c').applyAll([a!, { ...b!, offset: a!.offset }]));
    assert.throws(() => MetadataImage.empty('c').applyAll([a!]).applyAll([a!]));
  });

  test("collidingTopic treats '.' and '_' alike", () => {
    const c = newController(new MemoryMetadataLog());
    run(c, []);
    c.createTopics([{ name: 'a.b', numPartitions: 1, replicationFactor: -1, assignments: [], configs: {} }], false);
    assert.equal(c.image.collidingTopic('a_b'), 'a.b');
    assert.equal(c.image.collidingTopic('ab'), undefined);
    const r = c.createTopics(
      [{ name: 'a_b', numPartitions: 1, replicationFactor: -1, assignments: [], configs: {} }],
      false,
    );
    assert.match(r[0]!.errorMessage ?? '', /collides with existing topic: a\.b/);
  });
});
