// GROUP config resources: Kafka's GroupConfig names, types and bounds, and what DescribeConfigs reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { closestKeys, editDistance } from '../../../src/config/did-you-mean.ts';
import {
  consumerGroupOverrides,
  describeGroupConfig,
  groupNoEffect,
  validateGroupConfigs,
} from '../../../src/config/group-config.ts';
import { validateTopicConfigs } from '../../../src/config/topic-config.ts';

const broker = loadBrokerConfig({ env: {}, hostname: 'h', overrides: ['group.consumer.session.timeout.ms=50000'] });
const errors = (c: Record<string, string>) =>
  validateGroupConfigs(broker, c).map((e): [number, string] => [e.errorCode, e.message]);

describe('validateGroupConfigs', () => {
  it('accepts values within the broker bounds', () => {
    assert.deepEqual(errors({ 'consumer.session.timeout.ms': '46000', 'consumer.heartbeat.interval.ms': '6000' }), []);
  });

  it("refuses values outside group.consumer.min/max.* with Kafka's messages (INVALID_CONFIG)", () => {
    assert.deepEqual(errors({ 'consumer.session.timeout.ms': '1000' }), [
      [
        40,
        'consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms (45000)',
      ],
    ]);
    assert.deepEqual(errors({ 'consumer.heartbeat.interval.ms': '20000' }), [
      [
        40,
        'consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms (15000)',
      ],
    ]);
  });

  it('refuses unknown names (with a suggestion) and unparseable values', () => {
    assert.deepEqual(errors({ 'consumer.session.timeout': '50000' }), [
      [40, 'Unknown group config name: consumer.session.timeout (did you mean consumer.session.timeout.ms?)'],
    ]);
    assert.match(errors({ 'consumer.session.timeout.ms': 'soon' })[0]![1]!, /Invalid value 'soon'.*32-bit integer/);
    assert.match(errors({ 'share.auto.offset.reset': 'middle' })[0]![1]!, /one of: latest, earliest/);
  });

  it('requires the session timeout to exceed the heartbeat interval', () => {
    const broker2 = loadBrokerConfig({
      env: {},
      hostname: 'h',
      overrides: ['group.consumer.max.heartbeat.interval.ms=60000'],
    });
    assert.deepEqual(
      validateGroupConfigs(broker2, {
        'consumer.heartbeat.interval.ms': '50000',
        'consumer.session.timeout.ms': '45000',
      }).map((e) => e.message),
      ['consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms'],
    );
  });

  it('says which keys have no effect (streams groups are not built)', () => {
    assert.deepEqual(
      groupNoEffect([
        'consumer.session.timeout.ms',
        'share.record.lock.duration.ms',
        'streams.num.standby.replicas',
      ]).map((w) => w.key),
      ['streams.num.standby.replicas'],
    );
  });
});

describe('describeGroupConfig', () => {
  it('reports overrides as GROUP_CONFIG and other keys from their broker synonym', () => {
    const entries = new Map(
      describeGroupConfig(broker, { 'consumer.heartbeat.interval.ms': '6000' }).map((e) => [e.name, e]),
    );
    const hb = entries.get('consumer.heartbeat.interval.ms')!;
    assert.equal(hb.value, '6000');
    assert.equal(hb.source, 'GROUP_CONFIG');
    assert.deepEqual(
      hb.synonyms.map((s) => [s.name, s.value, s.source]),
      [
        ['consumer.heartbeat.interval.ms', '6000', 'GROUP_CONFIG'],
        ['group.consumer.heartbeat.interval.ms', '5000', 'DEFAULT_CONFIG'],
      ],
    );
    const st = entries.get('consumer.session.timeout.ms')!;
    assert.equal(st.value, '50000');
    assert.equal(st.source, 'STATIC_BROKER_CONFIG');
    assert.equal(st.type, 3);
    assert.equal(entries.get('share.auto.offset.reset')!.value, 'latest');
    assert.equal(entries.get('share.auto.offset.reset')!.source, 'DEFAULT_CONFIG');
  });

  it('gives the coordinator the overrides that are set', () => {
    assert.deepEqual(consumerGroupOverrides(undefined), {});
    assert.deepEqual(consumerGroupOverrides({ 'consumer.session.timeout.ms': '50000' }), { sessionTimeoutMs: 50000 });
  });
});

describe('did you mean', () => {
  it('edit distance is a metric and the early stop never underestimates', () => {
    const word = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(word, word, word, fc.nat(6), (a, b, c, limit) => {
        const d = editDistance(a, b);
        assert.equal(d, editDistance(b, a));
        assert.equal(editDistance(a, a), 0);
        assert.ok(d <= Math.max(a.length, b.length));
        assert.ok(editDistance(a, c) <= d + editDistance(b, c));
        const bounded = editDistance(a, b, limit);
        assert.equal(bounded, d <= limit ? d : limit + 1);
      }),
    );
  });

  it('suggests topic keys for a mistyped topic config', () => {
    assert.deepEqual(
      validateTopicConfigs({ 'retention.msec': '1' }).map((e) => e.message),
      ['Unknown topic config name: retention.msec (did you mean retention.ms?)'],
    );
  });

  it('suggests only near keys', () => {
    assert.deepEqual(closestKeys('log.retention.hour', ['log.retention.hours', 'log.retention.ms']), [
      'log.retention.hours',
    ]);
    assert.deepEqual(closestKeys('foo', ['log.retention.hours']), []);
    assert.deepEqual(closestKeys('Num.Partitions', ['num.partitions']), ['num.partitions']);
  });
});
