import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BROKER_DEFINITIONS,
  brokerSynonymNames,
  CONFIG_DEFINITIONS,
  CONFIG_SOURCE,
  CONFIG_TYPE_ID,
  configDef,
  defaultValue,
  isBrokerKey,
  isTopicKey,
  LONG_MAX_STRING,
  parseConfigValue,
  TOPIC_DEFINITIONS,
} from '../../../src/config/definitions.ts';
import { ConfigError } from '../../../src/config/errors.ts';

const def = (name: string) => configDef(name)!;

describe('config definitions', () => {
  it('every default parses and passes its validator', () => {
    for (const d of CONFIG_DEFINITIONS) {
      assert.doesNotThrow(() => defaultValue(d), d.name);
      assert.ok(d.doc.length > 10, `${d.name} has documentation`);
    }
  });

  it('every topic synonym is a broker key of a compatible type and its default matches the topic default', () => {
    for (const d of TOPIC_DEFINITIONS) {
      for (const s of d.synonyms ?? []) assert.ok(isBrokerKey(s.name), `${d.name} <- ${s.name}`);
      const first = d.synonyms?.find((s) => configDef(s.name)!.default !== null);
      if (!first) continue;
      const broker = defaultValue(configDef(first.name)!)!;
      const expected = first.multiplier ? String(BigInt(broker.text) * BigInt(first.multiplier)) : broker.text;
      assert.equal(defaultValue(d)!.text, expected, d.name);
    }
  });

  it('knows the scope of keys', () => {
    assert.ok(isTopicKey('retention.ms') && !isBrokerKey('retention.ms'));
    assert.ok(isBrokerKey('log.retention.ms') && !isTopicKey('log.retention.ms'));
    assert.ok(isTopicKey('min.insync.replicas') && isBrokerKey('min.insync.replicas'));
    assert.ok(!isTopicKey('nope') && !isBrokerKey('nope'));
    assert.ok(BROKER_DEFINITIONS.some((d) => d.name === 'compression.type'));
  });

  it('has Kafka 4 defaults for the keys users rely on', () => {
    const d = (n: string) => defaultValue(def(n))?.text ?? null;
    assert.equal(d('retention.ms'), '604800000');
    assert.equal(d('log.retention.hours'), '168');
    assert.equal(d('log.retention.ms'), null);
    assert.equal(d('segment.bytes'), '1073741824');
    assert.equal(d('max.message.bytes'), '1048588');
    assert.equal(d('message.timestamp.before.max.ms'), LONG_MAX_STRING);
    assert.equal(d('message.timestamp.after.max.ms'), '3600000');
    assert.equal(d('flush.messages'), LONG_MAX_STRING);
    assert.equal(d('segment.index.bytes'), '10485760');
    assert.equal(d('min.cleanable.dirty.ratio'), '0.5');
    assert.equal(d('offsets.topic.num.partitions'), '50');
    assert.equal(d('socket.request.max.bytes'), '104857600');
    assert.equal(d('listeners'), 'PLAINTEXT://127.0.0.1:9092');
  });

  it('uses Kafka ConfigType and ConfigSource ids', () => {
    assert.deepEqual(CONFIG_TYPE_ID, {
      boolean: 1,
      string: 2,
      int: 3,
      short: 4,
      long: 5,
      double: 6,
      list: 7,
      class: 8,
      password: 9,
    });
    assert.equal(CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG, 1);
    assert.equal(CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG, 2);
    assert.equal(CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG, 3);
    assert.equal(CONFIG_SOURCE.STATIC_BROKER_CONFIG, 4);
    assert.equal(CONFIG_SOURCE.DEFAULT_CONFIG, 5);
    assert.equal(CONFIG_SOURCE.DYNAMIC_BROKER_LOGGER_CONFIG, 6);
  });

  it('groups broker synonyms', () => {
    assert.deepEqual(brokerSynonymNames('log.retention.hours'), [
      'log.retention.ms',
      'log.retention.minutes',
      'log.retention.hours',
    ]);
    assert.deepEqual(brokerSynonymNames('log.roll.ms'), ['log.roll.ms', 'log.roll.hours']);
    assert.deepEqual(brokerSynonymNames('num.partitions'), ['num.partitions']);
  });
});

describe('parseConfigValue', () => {
  it('parses each type', () => {
    assert.deepEqual(parseConfigValue(def('auto.create.topics.enable'), ' TRUE '), { text: 'true', value: true });
    assert.deepEqual(parseConfigValue(def('num.partitions'), '+03'), { text: '3', value: 3 });
    assert.deepEqual(parseConfigValue(def('retention.ms'), '-1'), { text: '-1', value: -1 });
    assert.deepEqual(parseConfigValue(def('min.cleanable.dirty.ratio'), '1'), { text: '1.0', value: 1 });
    assert.deepEqual(parseConfigValue(def('cleanup.policy'), ' compact , delete '), {
      text: 'compact,delete',
      value: ['compact', 'delete'],
    });
    assert.deepEqual(parseConfigValue(def('cleanup.policy'), ''), { text: '', value: [] });
    assert.deepEqual(parseConfigValue(def('log.dir'), ' /var/data '), { text: '/var/data', value: '/var/data' });
  });

  it('keeps Long.MAX_VALUE exact as text and saturates the number', () => {
    const p = parseConfigValue(def('flush.messages'), LONG_MAX_STRING);
    assert.equal(p.text, LONG_MAX_STRING);
    assert.equal(p.value, Number.MAX_SAFE_INTEGER);
  });

  it('rejects values of the wrong type or out of range, naming key, value and expectation', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['num.partitions', 'abc', /32-bit integer/],
      ['num.partitions', '0', /at least 1/],
      ['num.partitions', '2147483648', /32-bit integer/],
      ['retention.ms', '-2', /at least -1/],
      ['retention.ms', '9223372036854775808', /64-bit integer/],
      ['offsets.topic.replication.factor', '40000', /16-bit/],
      ['auto.create.topics.enable', 'yes', /true or false/],
      ['min.cleanable.dirty.ratio', '1.5', /between 0 and 1/],
      ['min.cleanable.dirty.ratio', 'x', /number/],
      ['cleanup.policy', 'delete,purge', /delete, compact/],
      ['cleanup.policy', 'delete,,compact', /list/],
      ['compression.type', 'brotli', /uncompressed, zstd, lz4, snappy, gzip, producer/],
      ['message.timestamp.type', 'createtime', /CreateTime, LogAppendTime/],
      ['compression.gzip.level', '0', /-1 or a value between 1 and 9/],
      ['process.roles', 'broker,observer', /broker, controller/],
    ];
    for (const [key, value, expected] of cases) {
      assert.throws(
        () => parseConfigValue(def(key), value),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.key, key);
          assert.ok(e.message.includes(key) && e.message.includes(`'${value}'`), e.message);
          assert.match(e.message, expected);
          return true;
        },
      );
    }
  });

  it('accepts the enumerated values', () => {
    for (const v of ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']) {
      assert.equal(parseConfigValue(def('compression.type'), v).value, v);
    }
    assert.equal(parseConfigValue(def('message.timestamp.type'), 'LogAppendTime').value, 'LogAppendTime');
    assert.equal(parseConfigValue(def('compression.gzip.level'), '-1').value, -1);
  });
});
