// Finalized features: bootstrap levels on a new cluster, none on an old log, UpdateFeatures rules (no silent
// downgrade, unknown features and levels refused, all-or-nothing), levels kept across a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalController } from '../../../src/metadata/controller.ts';
import {
  BOOTSTRAP_FEATURE_LEVELS,
  rejectFeatureUpdate,
  SUPPORTED_FEATURES,
  UpgradeType,
} from '../../../src/metadata/features.ts';
import type { MetadataLog, MetadataLogEntry } from '../../../src/metadata/metadata-log.ts';
import { type MetadataRecord, record } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { createLogger } from '../../../src/util/log.ts';

class MemoryLog implements MetadataLog {
  readonly entries: MetadataLogEntry[] = [];
  readAll(): MetadataLogEntry[] {
    return this.entries.slice();
  }
  append(records: MetadataRecord[]): MetadataLogEntry[] {
    const out = records.map((record, i) => ({ offset: this.entries.length + i, record }));
    this.entries.push(...out);
    return out;
  }
  close(): void {}
}

const EP = [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 'PLAINTEXT' }];

/** A registration as a log written before features existed holds it. */
function registerRecord(): MetadataRecord {
  return record('RegisterBrokerRecord', {
    brokerId: 1,
    brokerEpoch: 0n,
    endPoints: [{ name: 'PLAINTEXT', host: 'h', port: 9092, securityProtocol: 0 }],
    rack: null,
  });
}

function controller(log: MetadataLog): LocalController {
  return new LocalController({
    clusterId: 'c',
    nodeId: 1,
    log,
    defaults: { numPartitions: 1, defaultReplicationFactor: 1, validateTopicConfigs: () => [] },
    logger: createLogger({ level: 'silent' }),
  });
}

const TV = 'transaction.version';
const upgrade = (feature: string, level: number, upgradeType: number = UpgradeType.UPGRADE) => ({
  feature,
  level,
  upgradeType,
});

test('a new cluster starts at the bootstrap levels; a log from before features keeps them at 0', () => {
  const log = new MemoryLog();
  const c = controller(log);
  c.registerBroker(1, EP, null);
  assert.deepEqual([...c.image.features], BOOTSTRAP_FEATURE_LEVELS);
  for (const [name, level] of BOOTSTRAP_FEATURE_LEVELS) {
    const range = SUPPORTED_FEATURES.get(name)!;
    assert.ok(level >= range[0] && level <= range[1], name);
  }

  const old = new MemoryLog();
  old.append([registerRecord()]);
  const c2 = controller(old);
  c2.registerBroker(1, [{ ...EP[0]!, port: 9093 }], null);
  assert.equal(c2.image.features.size, 0);
});

test('upgrade stores a FeatureLevel record; a lower level needs a downgrade type; restart keeps the level', () => {
  const log = new MemoryLog();
  const old = log.append([registerRecord()]);
  assert.equal(old.length, 1);
  const c = controller(log);
  assert.deepEqual(c.updateFeatures([upgrade(TV, 1)], false), { errorCode: ErrorCode.NONE, errorMessage: null });
  assert.equal(c.image.features.get(TV), 1);
  assert.deepEqual(log.entries.at(-1)!.record, record('FeatureLevelRecord', { name: TV, featureLevel: 1 }));

  const down = c.updateFeatures([upgrade(TV, 0)], false);
  assert.equal(down.errorCode, ErrorCode.INVALID_UPDATE_VERSION);
  assert.match(down.errorMessage!, /Invalid update version 0 for feature transaction\.version\. Can't downgrade/);
  assert.equal(c.image.features.get(TV), 1, 'never silently lowered');

  assert.equal(c.updateFeatures([upgrade(TV, 0, UpgradeType.SAFE_DOWNGRADE)], true).errorCode, ErrorCode.NONE);
  assert.equal(c.image.features.get(TV), 1, 'validateOnly changes nothing');
  assert.equal(c.updateFeatures([upgrade(TV, 0, UpgradeType.SAFE_DOWNGRADE)], false).errorCode, ErrorCode.NONE);
  assert.equal(c.image.features.has(TV), false, 'level 0 removes the feature');

  c.updateFeatures([upgrade('group.version', 1)], false);
  assert.equal(controller(log).image.features.get('group.version'), 1, 'replayed from the log');
});

test('unknown features, levels and upgrade types are refused; one refusal refuses the whole request', () => {
  const log = new MemoryLog();
  const c = controller(log);
  const before = log.entries.length;
  for (const [u, why] of [
    [upgrade('metadata.version', 27), /does not support the given feature/],
    [upgrade(TV, 99), /only supports versions 0-/],
    [upgrade(TV, -1), /cannot be less than 0/],
    [upgrade(TV, 1, 7), /upgrade type/],
  ] as const) {
    const r = c.updateFeatures([upgrade('group.version', 1), u], false);
    assert.equal(r.errorCode, ErrorCode.INVALID_UPDATE_VERSION, JSON.stringify(u));
    assert.match(r.errorMessage!, why);
  }
  assert.equal(c.updateFeatures([upgrade(TV, 1), upgrade(TV, 1)], false).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(log.entries.length, before, 'nothing written');
  assert.equal(rejectFeatureUpdate(upgrade(TV, 1), 1), null, 'the same level again is fine');
});

test('with ELR on, a new min.insync.replicas (topic, cluster-wide) writes a ClearElrRecord; no broker-level one', () => {
  const log = new MemoryLog();
  const c = controller(log);
  c.registerBroker(1, EP, null);
  c.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {} }], false);
  const clears = () => log.entries.filter((e) => e.record.type === 'ClearElrRecord').map((e) => e.record.data);
  c.alterConfigs('topic', 't', [{ op: 'set', name: 'min.insync.replicas', value: '2' }], false, () => []);
  c.alterConfigs('topic', 't', [{ op: 'set', name: 'retention.ms', value: '1000' }], false, () => []);
  c.alterConfigs('broker', '', [{ op: 'set', name: 'min.insync.replicas', value: '2' }], false, () => []);
  assert.deepEqual(clears(), [{ topicName: 't' }, { topicName: '' }]);
  // As Kafka 4.1+: no broker-level value, and the cluster-wide one is not removed, while ELR is on.
  const one = c.alterConfigs('broker', '1', [{ op: 'set', name: 'min.insync.replicas', value: '2' }], false, () => []);
  assert.deepEqual(one, {
    errorCode: ErrorCode.INVALID_CONFIG,
    errorMessage: 'Broker-level min.insync.replicas cannot be altered while ELR is enabled.',
  });
  const gone = c.alterConfigs(
    'broker',
    '',
    [{ op: 'delete', name: 'min.insync.replicas', value: null }],
    false,
    () => [],
  );
  assert.equal(gone.errorMessage, 'Cluster-level min.insync.replicas cannot be removed while ELR is enabled.');
  assert.equal(clears().length, 2);
});
