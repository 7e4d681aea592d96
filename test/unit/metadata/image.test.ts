// MetadataImage.applyAll: applying a record stream in batches of any size gives the same image as one record at a
// time, and never changes an image handed out before (images are immutable snapshots).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MetadataImage } from '../../../src/metadata/image.ts';
import type { MetadataRecord } from '../../../src/metadata/records.ts';

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

/** A random valid record stream: topics created, partitioned, configured, removed; brokers registered. */
const streams = fc
  .array(fc.tuple(fc.nat(6), fc.nat(4), fc.nat(3), fc.option(fc.constantFrom('a', 'b'), { nil: null })), {
    maxLength: 60,
  })
  .map((ops) => {
    const out: MetadataRecord[] = [];
    const live = new Map<string, { id: string; parts: number }>();
    let ids = 0;
    for (const [kind, n, key, value] of ops) {
      const name = `t${n}`;
      const t = live.get(name);
      if (kind === 0 || t === undefined) {
        if (t !== undefined) continue;
        const id = `id${ids++}`;
        live.set(name, { id, parts: 0 });
        out.push({ type: 'Topic', name, id });
      } else if (kind <= 2) {
        out.push({
          type: 'Partition',
          topicId: t.id,
          partition: t.parts,
          replicas: [1],
          isr: [1],
          leader: 1,
          leaderEpoch: key,
          partitionEpoch: 0,
        });
        t.parts++;
      } else if (kind === 3) {
        out.push({ type: 'Config', resourceType: 'topic', resourceName: name, name: `k${key}`, value });
      } else if (kind === 4) {
        out.push({ type: 'Config', resourceType: 'broker', resourceName: String(n % 2), name: `k${key}`, value });
      } else if (kind === 5) {
        out.push({ type: 'RegisterBroker', nodeId: n, endpoints: [], rack: null });
      } else {
        live.delete(name);
        out.push({ type: 'RemoveTopic', topicId: t.id });
      }
    }
    return out;
  });

describe('MetadataImage.applyAll', () => {
  test('batches of any size give the image of one record at a time; earlier images never change', () => {
    fc.assert(
      fc.property(streams, fc.array(fc.nat(8), { minLength: 1, maxLength: 20 }), (records, cuts) => {
        const entries = records.map((record, offset) => ({ record, offset }));
        let one = MetadataImage.empty('c');
        for (const e of entries) one = one.apply(e.record, e.offset);
        let batched = MetadataImage.empty('c');
        const seen: Array<{ img: MetadataImage; before: unknown }> = [];
        let i = 0;
        let c = 0;
        while (i < entries.length) {
          const n = cuts[c++ % cuts.length]! + 1;
          batched = batched.applyAll(entries.slice(i, i + n));
          seen.push({ img: batched, before: view(batched) });
          i += n;
        }
        assert.deepEqual(view(batched), view(one));
        for (const s of seen) assert.deepEqual(view(s.img), s.before, 'an image handed out was changed later');
      }),
      { numRuns: 300 },
    );
  });

  test('an untouched topic keeps its identity across a batch (subscribers compare topics by reference)', () => {
    const base = MetadataImage.empty('c').applyAll([
      { record: { type: 'Topic', name: 'a', id: 'A' }, offset: 0 },
      { record: { type: 'Topic', name: 'b', id: 'B' }, offset: 1 },
    ]);
    const next = base.applyAll([
      { record: { type: 'Config', resourceType: 'topic', resourceName: 'b', name: 'x', value: '1' }, offset: 2 },
    ]);
    assert.equal(next.topics.get('a'), base.topics.get('a'));
    assert.notEqual(next.topics.get('b'), base.topics.get('b'));
    assert.deepEqual(base.topics.get('b')!.configs, {});
  });

  test('offsets must increase, within a batch too', () => {
    const t = (offset: number) => ({
      record: { type: 'Topic', name: `t${offset}`, id: `i${offset}` } as const,
      offset,
    });
    assert.throws(() => MetadataImage.empty('c').applyAll([t(1), t(1)]));
    assert.throws(() =>
      MetadataImage.empty('c')
        .applyAll([t(0)])
        .applyAll([t(0)]),
    );
  });

  test("collidingTopic treats '.' and '_' alike", () => {
    const img = MetadataImage.empty('c').apply({ type: 'Topic', name: 'a.b', id: 'A' }, 0);
    assert.equal(img.collidingTopic('a_b'), 'a.b');
    assert.equal(img.collidingTopic('a.b'), 'a.b');
    assert.equal(img.collidingTopic('ab'), undefined);
  });
});
