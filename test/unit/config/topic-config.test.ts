import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { LONG_MAX_STRING } from '../../../src/config/definitions.ts';
import {
  describeBrokerConfig,
  describeTopicConfig,
  INVALID_CONFIG,
  resolveTopicConfig,
  validateTopicConfigs,
} from '../../../src/config/topic-config.ts';

const broker = (...overrides: string[]) => loadBrokerConfig({ env: {}, hostname: 'h', overrides });

describe('resolveTopicConfig', () => {
  it('uses Kafka defaults when nothing is set', () => {
    const t = resolveTopicConfig(broker(), {});
    assert.equal(t.retentionMs, 604800000);
    assert.equal(t.retentionBytes, -1);
    assert.equal(t.segmentBytes, 1073741824);
    assert.equal(t.segmentMs, 604800000);
    assert.deepEqual(t.cleanupPolicy, ['delete']);
    assert.equal(t.compact, false);
    assert.equal(t.maxMessageBytes, 1048588);
    assert.equal(t.messageTimestampType, 'CreateTime');
    assert.equal(t.timestampBeforeMaxMs, Number.MAX_SAFE_INTEGER);
    assert.equal(t.timestampAfterMaxMs, 3600000);
    assert.equal(t.flushMessages, Number.MAX_SAFE_INTEGER);
    assert.equal(t.flushMs, Number.MAX_SAFE_INTEGER);
    assert.equal(t.indexIntervalBytes, 4096);
    assert.equal(t.segmentIndexBytes, 10485760);
    assert.equal(t.deleteRetentionMs, 86400000);
    assert.equal(t.minCleanableDirtyRatio, 0.5);
    assert.equal(t.minCompactionLagMs, 0);
    assert.equal(t.fileDeleteDelayMs, 60000);
    assert.equal(t.compressionType, 'producer');
    assert.equal(t.minInsyncReplicas, 1);
  });

  it('takes defaults from the broker synonyms with Kafka precedence', () => {
    const b = broker(
      'log.retention.hours=1',
      'log.retention.minutes=30',
      'log.segment.bytes=1024',
      'log.roll.hours=2',
      'message.max.bytes=500',
      'log.cleanup.policy=compact',
      'log.message.timestamp.type=LogAppendTime',
      'log.flush.interval.messages=10',
      'log.flush.scheduler.interval.ms=2000',
      'compression.type=zstd',
      'min.insync.replicas=2',
    );
    const t = resolveTopicConfig(b, {});
    assert.equal(t.retentionMs, 30 * 60000);
    assert.equal(t.segmentBytes, 1024);
    assert.equal(t.segmentMs, 7200000);
    assert.equal(t.maxMessageBytes, 500);
    assert.deepEqual(t.cleanupPolicy, ['compact']);
    assert.equal(t.compact, true);
    assert.equal(t.deleteEnabled, false);
    assert.equal(t.messageTimestampType, 'LogAppendTime');
    assert.equal(t.flushMessages, 10);
    assert.equal(t.flushMs, 2000);
    assert.equal(t.compressionType, 'zstd');
    assert.equal(t.minInsyncReplicas, 2);
    assert.equal(resolveTopicConfig(broker('log.retention.ms=7', 'log.retention.hours=1'), {}).retentionMs, 7);
  });

  it('topic overrides win', () => {
    const t = resolveTopicConfig(broker('log.retention.ms=7'), {
      'retention.ms': '-1',
      'cleanup.policy': 'compact,delete',
      'segment.bytes': '2048',
      'message.timestamp.before.max.ms': '1000',
    });
    assert.equal(t.retentionMs, -1);
    assert.deepEqual(t.cleanupPolicy, ['compact', 'delete']);
    assert.equal(t.segmentBytes, 2048);
    assert.equal(t.timestampBeforeMaxMs, 1000);
  });

  it('throws on an invalid override', () => {
    assert.throws(() => resolveTopicConfig(broker(), { 'segment.ms': '0' }), /segment\.ms/);
  });
});

describe('validateTopicConfigs', () => {
  it('accepts valid topic configs', () => {
    assert.deepEqual(
      validateTopicConfigs({ 'retention.ms': '1000', 'cleanup.policy': 'compact', 'min.insync.replicas': '2' }),
      [],
    );
  });

  it('reports unknown, broker-only, null and invalid keys as INVALID_CONFIG', () => {
    const errors = validateTopicConfigs({
      'no.such.config': '1',
      'log.retention.ms': '1',
      'retention.ms': null,
      'cleanup.policy': 'purge',
      'max.message.bytes': 'big',
    });
    assert.deepEqual(
      errors.map((e) => [e.key, e.errorCode]),
      [
        ['no.such.config', INVALID_CONFIG],
        ['log.retention.ms', INVALID_CONFIG],
        ['retention.ms', INVALID_CONFIG],
        ['cleanup.policy', INVALID_CONFIG],
        ['max.message.bytes', INVALID_CONFIG],
      ],
    );
    assert.equal(errors[0]!.message, 'Unknown topic config name: no.such.config');
    assert.match(errors[3]!.message, /Invalid value 'purge' for configuration cleanup\.policy/);
  });
});

describe('describeTopicConfig', () => {
  const byName = (entries: ReturnType<typeof describeTopicConfig>) => new Map(entries.map((e) => [e.name, e]));

  it('reports defaults with their broker synonyms', () => {
    const e = byName(describeTopicConfig(broker(), {}));
    const segment = e.get('segment.bytes')!;
    assert.deepEqual(segment, {
      name: 'segment.bytes',
      value: '1073741824',
      source: 'DEFAULT_CONFIG',
      readOnly: false,
      sensitive: false,
      type: 3,
      documentation: segment.documentation,
      synonyms: [{ name: 'log.segment.bytes', value: '1073741824', source: 'DEFAULT_CONFIG' }],
    });
    assert.equal(e.get('retention.ms')!.value, '604800000');
    assert.equal(e.get('retention.ms')!.type, 5);
    // Kafka lists synonyms from the primary broker key (log.retention.ms) on, which has no default.
    assert.deepEqual(e.get('retention.ms')!.synonyms, []);
    assert.equal(e.get('flush.messages')!.value, LONG_MAX_STRING);
    assert.equal(e.get('cleanup.policy')!.type, 7);
    assert.equal(e.get('min.cleanable.dirty.ratio')!.value, '0.5');
    assert.equal(e.get('min.cleanable.dirty.ratio')!.type, 6);
    assert.equal(e.get('preallocate')!.type, 1);
    assert.equal(e.get('compression.type')!.type, 2);
    assert.ok(!e.has('log.retention.ms'));
  });

  it('reports topic overrides and static broker values with synonyms in precedence order', () => {
    const b = broker('log.retention.ms=5000', 'log.segment.bytes=2048');
    const e = byName(describeTopicConfig(b, { 'retention.ms': '100' }));
    assert.deepEqual(
      {
        value: e.get('retention.ms')!.value,
        source: e.get('retention.ms')!.source,
        synonyms: e.get('retention.ms')!.synonyms,
      },
      {
        value: '100',
        source: 'DYNAMIC_TOPIC_CONFIG',
        synonyms: [
          { name: 'retention.ms', value: '100', source: 'DYNAMIC_TOPIC_CONFIG' },
          { name: 'log.retention.ms', value: '5000', source: 'STATIC_BROKER_CONFIG' },
          { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
        ],
      },
    );
    assert.equal(e.get('segment.bytes')!.source, 'STATIC_BROKER_CONFIG');
    assert.equal(e.get('segment.bytes')!.value, '2048');
    assert.deepEqual(e.get('segment.bytes')!.synonyms, [
      { name: 'log.segment.bytes', value: '2048', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.segment.bytes', value: '1073741824', source: 'DEFAULT_CONFIG' },
    ]);
  });

  it('filters by name and sorts', () => {
    const entries = describeTopicConfig(broker(), {}, { names: ['segment.ms', 'cleanup.policy', 'bogus'] });
    assert.deepEqual(
      entries.map((x) => x.name),
      ['cleanup.policy', 'segment.ms'],
    );
    const all = describeTopicConfig(broker(), {}).map((x) => x.name);
    assert.deepEqual(all, [...all].sort());
  });
});

describe('describeBrokerConfig', () => {
  const byName = (entries: ReturnType<typeof describeBrokerConfig>) => new Map(entries.map((e) => [e.name, e]));

  it('reports defaults, static and dynamic values', () => {
    const b = broker(
      'num.partitions=3',
      'log.retention.hours=24',
      'message.max.bytes=2000',
      'ssl.keystore.password=secret',
    );
    const e = byName(describeBrokerConfig(b, { 'message.max.bytes': '3000' }));
    assert.deepEqual(
      [e.get('num.partitions')!.value, e.get('num.partitions')!.source, e.get('num.partitions')!.readOnly],
      ['3', 'STATIC_BROKER_CONFIG', true],
    );
    assert.deepEqual(e.get('num.partitions')!.synonyms, [
      { name: 'num.partitions', value: '3', source: 'STATIC_BROKER_CONFIG' },
      { name: 'num.partitions', value: '1', source: 'DEFAULT_CONFIG' },
    ]);
    const mmb = e.get('message.max.bytes')!;
    assert.equal(mmb.value, '3000');
    assert.equal(mmb.source, 'DYNAMIC_BROKER_CONFIG');
    assert.equal(mmb.readOnly, false);
    assert.deepEqual(
      mmb.synonyms.map((s) => s.source),
      ['DYNAMIC_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG'],
    );
    const hours = e.get('log.retention.hours')!;
    assert.equal(hours.value, '24');
    assert.equal(hours.source, 'STATIC_BROKER_CONFIG');
    const ms = e.get('log.retention.ms')!;
    assert.equal(ms.value, null);
    assert.equal(ms.source, 'DEFAULT_CONFIG');
    // log.retention.ms has no default and Kafka lists synonyms from the key itself on, so none.
    assert.deepEqual(ms.synonyms, []);
    const pw = e.get('ssl.keystore.password')!;
    assert.equal(pw.value, null);
    assert.equal(pw.sensitive, true);
    assert.equal(pw.type, 9);
    assert.equal(pw.synonyms[0]!.value, null);
    assert.equal(e.get('listeners')!.value, 'PLAINTEXT://127.0.0.1:9092');
    assert.equal(e.get('log.dirs')!.value, null);
    assert.ok(!e.has('retention.ms'));
  });

  it('includes unknown static keys as sensitive entries of unknown type', () => {
    const e = byName(describeBrokerConfig(broker('custom.thing=1')));
    assert.deepEqual(e.get('custom.thing'), {
      name: 'custom.thing',
      value: null,
      source: 'STATIC_BROKER_CONFIG',
      readOnly: true,
      sensitive: true,
      type: 0,
      documentation: null,
      synonyms: [{ name: 'custom.thing', value: null, source: 'STATIC_BROKER_CONFIG' }],
    });
  });

  it('reports dynamic cluster defaults', () => {
    const e = byName(
      describeBrokerConfig(
        broker(),
        {},
        { dynamicDefaults: { 'log.cleaner.threads': '2' }, names: ['log.cleaner.threads'] },
      ),
    );
    assert.equal(e.size, 1);
    assert.equal(e.get('log.cleaner.threads')!.value, '2');
    assert.equal(e.get('log.cleaner.threads')!.source, 'DYNAMIC_DEFAULT_BROKER_CONFIG');
  });
});
