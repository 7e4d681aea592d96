// Client quotas in cluster metadata: AlterClientQuotas becomes ClientQuotaRecords through the controller; a replay of
// the log (restart) and a snapshot (a cluster controller's) give the same quotas; validateOnly writes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imageFromRecords, imageRecords } from '../../../src/controller/store-log.ts';
import { LocalController } from '../../../src/metadata/controller.ts';
import type { MetadataLog, MetadataLogEntry } from '../../../src/metadata/metadata-log.ts';
import { decodeRecord, type MetadataRecord, recordBytes } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { Reader } from '../../../src/protocol/io.ts';
import { createLogger } from '../../../src/util/log.ts';

class MemoryLog implements MetadataLog {
  readonly entries: MetadataLogEntry[] = [];
  readAll(): MetadataLogEntry[] {
    return this.entries.map((e) => ({ offset: e.offset, record: decodeRecord(new Reader(recordBytes(e.record))) }));
  }
  append(records: MetadataRecord[]): MetadataLogEntry[] {
    return records.map((record) => {
      const e = { offset: this.entries.length, record };
      this.entries.push(e);
      return e;
    });
  }
  close(): void {}
}

const controller = (log: MetadataLog) =>
  new LocalController({
    clusterId: 'c',
    nodeId: 1,
    log,
    logger: createLogger({ level: 'silent' }),
    defaults: { numPartitions: 1, defaultReplicationFactor: 1, validateTopicConfigs: () => [] },
  });

const view = (c: { image: { clientQuotas: ReadonlyMap<string, unknown> } }) =>
  JSON.stringify([...c.image.clientQuotas.entries()]);

test('quotas are stored, replayed and snapshotted; validateOnly and refusals write nothing', () => {
  const log = new MemoryLog();
  const c = controller(log);
  const u = [{ entityType: 'user', entityName: 'alice' }];
  const uc = [
    { entityType: 'client-id', entityName: null },
    { entityType: 'user', entityName: 'alice' },
  ];
  const dry = c.alterClientQuotas([{ entity: u, ops: [{ key: 'producer_byte_rate', value: 1024 }] }], true);
  assert.equal(dry[0]!.errorCode, ErrorCode.NONE);
  assert.equal(log.entries.length, 0);
  c.alterClientQuotas(
    [
      {
        entity: u,
        ops: [
          { key: 'producer_byte_rate', value: 1024 },
          { key: 'request_percentage', value: 25 },
        ],
      },
      { entity: [...uc].reverse(), ops: [{ key: 'consumer_byte_rate', value: 4096 }] },
      { entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'nope', value: 1 }] },
    ],
    false,
  );
  assert.equal(log.entries.length, 3);
  assert.equal(c.image.clientQuotas.size, 2);
  assert.deepEqual(
    c.image.clientQuotas.get(
      JSON.stringify([
        ['client-id', null],
        ['user', 'alice'],
      ]),
    )?.values,
    {
      consumer_byte_rate: 4096,
    },
  );
  c.alterClientQuotas([{ entity: uc, ops: [{ key: 'consumer_byte_rate', value: null }] }], false);
  assert.equal(c.image.clientQuotas.size, 1);
  assert.equal(view(controller(log)), view(c));
  const snap = imageFromRecords('c', imageRecords(c.image), c.image.offset);
  assert.equal(JSON.stringify([...snap.clientQuotas.entries()]), view(c));
  assert.deepEqual(snap.clientQuotas.get(JSON.stringify([['user', 'alice']]))?.values, {
    producer_byte_rate: 1024,
    request_percentage: 25,
  });
});
