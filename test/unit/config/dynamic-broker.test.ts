// Dynamic broker configs: which keys may change at runtime, Kafka's errors for the others, the layering
// static < cluster-wide default < per broker, and what the describe views report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigService } from '../../../src/broker/config-service.ts';
import { type ConfigLogger, loadBrokerConfig, unknownBrokerKeyWarning } from '../../../src/config/broker-config.ts';
import {
  CONFIG_SOURCE,
  CONFIG_TYPE_ID,
  configDef,
  defaultValue,
  parseConfigValue,
} from '../../../src/config/definitions.ts';
import { checkBrokerChange, DYNAMIC_BROKER_KEYS, dynamicEffect } from '../../../src/config/dynamic-broker.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { ConfigResourceType, type MetadataRecord, record } from '../../../src/metadata/records.ts';
import type { Logger } from '../../../src/util/log.ts';

const load = (overrides: string[] = [], logger?: ConfigLogger) =>
  loadBrokerConfig({ env: {}, hostname: 'myhost', overrides, logger });

function imageWith(records: MetadataRecord[]): MetadataImage {
  let img = MetadataImage.empty('c');
  for (const [i, r] of records.entries()) img = img.apply(r, i);
  return img;
}

const brokerCfg = (resourceName: string, name: string, value: string | null): MetadataRecord =>
  record('ConfigRecord', { resourceType: ConfigResourceType.BROKER, resourceName, name, value });

describe('checkBrokerChange', () => {
  const base = load();
  const check = (next: Record<string, string>, changed = Object.keys(next)) =>
    checkBrokerChange(next, changed, (n) => base.withDynamic({}, n));

  it('accepts dynamic keys and reports no warning for those applied at runtime', () => {
    const r = check({
      'log.retention.ms': '5000',
      'message.max.bytes': '2000',
      'log.cleaner.min.cleanable.ratio': '0.2',
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
  });

  it("refuses read-only keys with Kafka's INVALID_REQUEST and message", () => {
    const r = check({ 'log.dirs': '/x', 'advertised.listeners': 'PLAINTEXT://h:1' });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]!.errorCode, 42);
    assert.equal(r.errors[0]!.message, 'Cannot update these configs dynamically: Set(log.dirs, advertised.listeners)');
  });

  it('refuses unknown keys with INVALID_CONFIG, suggesting the closest key', () => {
    const r = check({ 'log.retention.hour': '1' });
    assert.equal(r.errors[0]!.errorCode, 40);
    assert.match(
      r.errors[0]!.message,
      /Unknown broker config name: log\.retention\.hour \(did you mean log\.retention\.hours\?\)/,
    );
    const topicKey = check({ 'retention.ms': '1' });
    assert.equal(topicKey.errors[0]!.errorCode, 40);
    assert.match(topicKey.errors[0]!.message, /topic config.*log\.retention\.ms/);
  });

  it('refuses invalid values with INVALID_REQUEST naming key, value and what is expected', () => {
    const r = check({ 'message.max.bytes': 'abc' });
    assert.equal(r.errors[0]!.errorCode, 42);
    assert.equal(
      r.errors[0]!.message,
      "Invalid value 'abc' for configuration message.max.bytes: expected a 32-bit integer",
    );
    assert.equal(check({ 'log.cleaner.min.cleanable.ratio': '2' }).errors[0]!.errorCode, 42);
  });

  it('accepts keys Kafka reconfigures but Tributary cannot, with a warning saying so', () => {
    const r = check({ 'num.io.threads': '4', 'log.cleaner.threads': '2' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.warnings.map((w) => w.key),
      ['num.io.threads', 'log.cleaner.threads'],
    );
    assert.match(r.warnings[0]!.reason, /event loop/);
    // Reassignment tools set the replication throttles on brokers: applied at runtime (replication/quota.ts).
    const throttle = check({ 'leader.replication.throttled.rate': '1048576' });
    assert.deepEqual(throttle.errors, []);
    assert.deepEqual(throttle.warnings, []);
  });

  it("formats doubles as Java's Double.toString", () => {
    const d = configDef('log.cleaner.io.max.bytes.per.second')!;
    assert.equal(defaultValue(d)!.text, '1.7976931348623157E308');
    assert.equal(parseConfigValue(d, '12345678').text, '1.2345678E7');
    assert.equal(parseConfigValue(d, '2').text, '2.0');
  });

  it('only checks the keys the request set (a deleted or untouched key is not re-validated)', () => {
    assert.deepEqual(check({ 'foo.legacy': 'x', 'log.retention.ms': '1' }, ['log.retention.ms']).errors, []);
    assert.deepEqual(check({}, ['foo.legacy']).errors, []);
  });

  it('every dynamic key either takes effect or says why not; no security key is dynamic', () => {
    for (const k of DYNAMIC_BROKER_KEYS) {
      const e = dynamicEffect(k);
      if (!e.applied) assert.ok(e.reason.length > 10, k);
      assert.ok(!k.startsWith('ssl.') && !k.startsWith('sasl.'), k);
    }
    assert.deepEqual(dynamicEffect('log.retention.ms'), { applied: true });
    assert.deepEqual(dynamicEffect('producer.id.expiration.ms'), { applied: true });
    assert.equal(dynamicEffect('num.network.threads').applied, false);
    assert.equal(dynamicEffect('log.message.format.version').applied, false);
  });
});

describe('BrokerConfig.withDynamic', () => {
  it('layers static < cluster default < per broker, synonyms resolved across layers as Kafka does', () => {
    const s = load(['log.retention.hours=100', 'message.max.bytes=5000']);
    assert.equal(s.logRetentionMs, 100 * 3_600_000);
    const d = s.withDynamic({ 'log.retention.ms': '7000', 'message.max.bytes': '3000' }, {});
    assert.equal(d.logRetentionMs, 7000, 'log.retention.ms wins over log.retention.hours, whatever the layer');
    assert.equal(d.messageMaxBytes, 3000);
    const b = s.withDynamic(
      { 'log.retention.ms': '7000', 'message.max.bytes': '3000' },
      { 'message.max.bytes': '2500' },
    );
    assert.equal(b.messageMaxBytes, 2500, 'per broker wins over the cluster default');
    assert.equal(b.logRetentionMs, 7000);
    // Non-dynamic keys in the metadata (refused when set, but e.g. from an older version) are ignored.
    assert.equal(s.withDynamic({ 'log.dirs': '/elsewhere' }, {}).logDirs[0], s.logDirs[0]);
  });
});

describe('ConfigService with dynamic configs', () => {
  const cfg = load(['log.retention.hours=100', 'advertised.listeners=PLAINTEXT://myhost:9092']);
  let image = imageWith([]);
  const svc = new ConfigService(cfg);
  svc.attach(() => image);

  it('resolves topic configs against the dynamic layers, rebuilt only when they change', () => {
    assert.equal(svc.topicConfig({}).retentionMs, 100 * 3_600_000);
    image = imageWith([brokerCfg('', 'log.retention.ms', '5000'), brokerCfg('1', 'message.max.bytes', '2000')]);
    assert.equal(svc.topicConfig({}).retentionMs, 5000);
    assert.equal(svc.topicConfig({}).maxMessageBytes, 2000);
    assert.equal(svc.topicConfig({ 'retention.ms': '10' }).retentionMs, 10, 'a topic override still wins');
    assert.equal(svc.effective(), svc.effective(), 'cached while the image layers are the same objects');
  });

  it('describes the broker with sources, types, read-only flags and synonyms', () => {
    const entries = new Map(svc.describeBroker(image).map((e) => [e.name, e]));
    const adv = entries.get('advertised.listeners')!;
    assert.equal(adv.source, CONFIG_SOURCE.STATIC_BROKER_CONFIG);
    assert.equal(adv.type, CONFIG_TYPE_ID.list);
    assert.equal(adv.readOnly, true);
    const mmb = entries.get('message.max.bytes')!;
    assert.equal(mmb.value, '2000');
    assert.equal(mmb.source, CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG);
    assert.equal(mmb.readOnly, false);
    const lrm = entries.get('log.retention.ms')!;
    assert.equal(lrm.source, CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG);
    assert.deepEqual(
      lrm.synonyms.map((s) => [s.name, s.source]),
      [
        ['log.retention.ms', CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG],
        ['log.retention.hours', CONFIG_SOURCE.STATIC_BROKER_CONFIG],
        ['log.retention.hours', CONFIG_SOURCE.DEFAULT_CONFIG],
      ],
    );
    assert.equal(entries.get('ssl.keystore.password')!.isSensitive, true);
    assert.equal(entries.get('ssl.keystore.password')!.value, null);
    assert.ok(!entries.has('log.message.format.version'), 'deprecated keys are listed only when set');
  });

  it('describes the default entity with its dynamic configs only', () => {
    const d = svc.describeBrokerDefaults(image);
    assert.deepEqual(
      d.map((e) => [e.name, e.value, e.source]),
      [['log.retention.ms', '5000', CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG]],
    );
  });

  it("describes a topic's retention.ms with its broker synonyms from every layer", () => {
    const r = svc.describeTopic({}, ['retention.ms'])[0]!;
    assert.equal(r.value, '5000');
    assert.equal(r.source, CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG);
    assert.deepEqual(
      r.synonyms.map((s) => s.name),
      ['log.retention.ms', 'log.retention.hours', 'log.retention.hours'],
    );
    const o = svc.describeTopic({ 'retention.ms': '10' }, ['retention.ms'])[0]!;
    assert.equal(o.source, CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG);
    assert.equal(o.synonyms[0]!.name, 'retention.ms');
  });

  it('validates a change to the default entity against this broker', () => {
    assert.deepEqual(svc.validateBroker('', { 'log.retention.ms': '1' }, ['log.retention.ms']).errors, []);
    assert.equal(svc.validateBroker('1', { 'node.id': '2' }, ['node.id']).errors[0]!.errorCode, 42);
  });
});

describe('unknown and not-built keys at start', () => {
  it('suggests the closest known key', () => {
    assert.equal(
      unknownBrokerKeyWarning('num.partition'),
      'Ignoring unknown broker config num.partition: did you mean num.partitions?',
    );
    assert.equal(
      unknownBrokerKeyWarning('completely.different.thing'),
      'Ignoring unknown broker config completely.different.thing',
    );
    assert.equal(
      unknownBrokerKeyWarning('listener.name.internal.sasl.kerberos.service.name'),
      'listener.name.internal.sasl.kerberos.service.name has no effect: per-listener overrides of sasl.kerberos.service.name are not supported (only the PLAIN, SCRAM and OAUTHBEARER SASL mechanisms are built)',
    );
  });

  it('says that keys of features not built yet have no effect', () => {
    const warnings: string[] = [];
    const c = load(
      [
        'authorizer.class.name=kafka.security.authorizer.AclAuthorizer',
        'ssl.keystore.location=/k',
        'sasl.jaas.config=z',
        'zookeeper.connect=zk:2181',
        'remote.log.storage.system.enable=true',
      ],
      { warn: (_o, m) => warnings.push(m) },
    );
    // ACLs, ssl.* and sasl.jaas.config take effect (authorizer, TLS and SASL
    // listeners) and zookeeper.connect is real (the cluster).
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /remote\.log\.storage\.system\.enable has no effect: tiered storage is not built yet/);
    assert.equal(c.zookeeperConnect, 'zk:2181');
    assert.equal(c.get('authorizer.class.name'), 'kafka.security.authorizer.AclAuthorizer');
  });

  it('accepts message.format.version (topic) and log.message.format.version (broker) as deprecated', () => {
    const warnings: string[] = [];
    load(['log.message.format.version=2.8'], { warn: (_o, m) => warnings.push(m) });
    assert.match(warnings[0]!, /log\.message\.format\.version has no effect: deprecated since Kafka 3\.0/);
    assert.ok(configDef('message.format.version')?.deprecated);
    const logged: string[] = [];
    const logger = { warn: (_o: unknown, m: string) => logged.push(m) } as unknown as Logger;
    const svc = new ConfigService(load(), { logger });
    assert.deepEqual(svc.validateTopic({ 'message.format.version': '0.10.2' }), []);
    assert.match(logged[0]!, /deprecated since Kafka 3\.0 and has no effect/);
  });
});
