import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type ConfigLogger,
  envVarToConfigKey,
  loadBrokerConfig,
  parseListeners,
} from '../../../src/config/broker-config.ts';
import { ConfigError } from '../../../src/config/errors.ts';

function captureLogger(): ConfigLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (_obj, msg) => warnings.push(msg) };
}

function writeProps(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'broker-config-')), 'server.properties');
  writeFileSync(f, text);
  return f;
}

const load = (o: Parameters<typeof loadBrokerConfig>[0] = {}) =>
  loadBrokerConfig({ env: {}, hostname: 'myhost', ...o });

describe('loadBrokerConfig', () => {
  it('has sensible single-node defaults', () => {
    const c = load();
    assert.equal(c.nodeId, 1);
    assert.deepEqual(c.listeners, [
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' },
    ]);
    assert.deepEqual(c.advertisedListeners, c.listeners);
    assert.deepEqual(c.logDirs, ['./data']);
    assert.equal(c.numPartitions, 1);
    assert.equal(c.defaultReplicationFactor, 1);
    assert.equal(c.autoCreateTopicsEnable, true);
    assert.equal(c.deleteTopicEnable, true);
    assert.equal(c.messageMaxBytes, 1048588);
    assert.equal(c.socketRequestMaxBytes, 104857600);
    assert.equal(c.logRetentionMs, 168 * 3600000);
    assert.equal(c.logRollMs, 168 * 3600000);
    assert.equal(c.logFlushIntervalMs, Number.MAX_SAFE_INTEGER);
    assert.equal(c.offsetsRetentionMs, 10080 * 60000);
    assert.equal(c.offsetsTopicNumPartitions, 50);
    assert.equal(c.groupInitialRebalanceDelayMs, 3000);
    assert.equal(c.transactionMaxTimeoutMs, 900000);
    assert.equal(c.interBrokerListenerName, 'PLAINTEXT');
    assert.deepEqual(c.httpListeners, ['http://127.0.0.1:9644']);
    assert.equal(c.source('num.partitions'), 'DEFAULT_CONFIG');
    assert.equal(c.get('num.partitions'), 1);
    assert.equal(c.get('log.retention.ms'), null);
    assert.equal(c.get('no.such.key'), undefined);
    assert.equal(c.get('retention.ms'), undefined);
  });

  it('merges defaults < file < env < override', () => {
    const file = writeProps('num.partitions=2\ndefault.replication.factor=2\nlog.segment.bytes=1000\nnode.id=4\n');
    const c = load({
      configFile: file,
      env: { KAFKA_DEFAULT_REPLICATION_FACTOR: '3', KAFKA_LOG_SEGMENT_BYTES: '2000', PATH: '/bin' },
      overrides: ['log.segment.bytes=3000'],
    });
    assert.equal(c.numPartitions, 2);
    assert.equal(c.defaultReplicationFactor, 3);
    assert.equal(c.logSegmentBytes, 3000);
    assert.equal(c.nodeId, 4);
    assert.equal(c.source('log.segment.bytes'), 'STATIC_BROKER_CONFIG');
    assert.equal(c.origin('num.partitions'), 'file');
    assert.equal(c.origin('default.replication.factor'), 'env');
    assert.equal(c.origin('log.segment.bytes'), 'override');
    assert.equal(c.origin('message.max.bytes'), 'default');
  });

  it('reads the ZooKeeper-era cluster keys (Confluent image variables included)', () => {
    const single = load();
    assert.equal(single.zookeeperConnect, null);
    assert.equal(single.zookeeperSessionTimeoutMs, 18000);
    assert.equal(single.zookeeperConnectionTimeoutMs, 18000);
    const c = load({
      env: {
        KAFKA_ZOOKEEPER_CONNECT: 'zk1:2181,zk2:2181/tributary',
        KAFKA_BROKER_ID: '3',
        KAFKA_ZOOKEEPER_SESSION_TIMEOUT_MS: '6000',
        KAFKA_BROKER_RACK: 'r1',
      },
    });
    assert.equal(c.zookeeperConnect, 'zk1:2181,zk2:2181/tributary');
    assert.equal(c.nodeId, 3);
    assert.equal(c.zookeeperSessionTimeoutMs, 6000);
    assert.equal(c.zookeeperConnectionTimeoutMs, 6000);
    assert.equal(c.brokerRack, 'r1');
    assert.equal(load({ overrides: ['zookeeper.connection.timeout.ms=1500'] }).zookeeperConnectionTimeoutMs, 1500);
    assert.throws(() => load({ overrides: ['zookeeper.session.timeout.ms=0'] }), /zookeeper\.session\.timeout\.ms/);
    // A cluster may name a secured inter-broker listener (node/inter-broker.ts secures the replication connections).
    const secured = [
      'zookeeper.connect=zk:2181',
      'listeners=INTERNAL://:9093,EXTERNAL://:9092',
      'advertised.listeners=INTERNAL://h:9093,EXTERNAL://h:9092',
      'listener.security.protocol.map=INTERNAL:SSL,EXTERNAL:PLAINTEXT',
      'inter.broker.listener.name=INTERNAL',
    ];
    assert.equal(load({ overrides: secured }).interBrokerSecurityProtocol, 'SSL');
    assert.equal(
      load({
        overrides: secured.map((o) => (o.startsWith('inter.broker') ? 'inter.broker.listener.name=EXTERNAL' : o)),
      }).interBrokerSecurityProtocol,
      'PLAINTEXT',
    );
  });

  it('reads the environment from process.env by default', () => {
    process.env.KAFKA_NUM_PARTITIONS = '7';
    try {
      assert.equal(loadBrokerConfig({ hostname: 'h' }).numPartitions, 7);
    } finally {
      delete process.env.KAFKA_NUM_PARTITIONS;
    }
  });

  it('accepts the apache/kafka docker single-node environment', () => {
    const log = captureLogger();
    const c = load({
      logger: log,
      env: {
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'CONTROLLER://:29093,PLAINTEXT_HOST://:9092,PLAINTEXT://:19092',
        KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT_HOST://localhost:9092,PLAINTEXT://broker:19092',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@broker:29093',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
        CLUSTER_ID: '4L6g3nShT-eMCtK--X86sw',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
        KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
        KAFKA_HEAP_OPTS: '-Xmx1G',
        KAFKA_JMX_PORT: '9999',
        KAFKA_LOG4J_ROOT_LOGLEVEL: 'WARN',
        KAFKA_OPTS: '-Dfoo',
        KAFKA_VERSION: '4.0.0',
      },
    });
    assert.deepEqual(log.warnings, []);
    assert.deepEqual(
      c.listeners.map((l) => `${l.name}|${l.host}|${l.port}|${l.securityProtocol}`),
      ['CONTROLLER||29093|PLAINTEXT', 'PLAINTEXT_HOST||9092|PLAINTEXT', 'PLAINTEXT||19092|PLAINTEXT'],
    );
    assert.deepEqual(
      c.advertisedListeners.map((l) => `${l.name}@${l.host}:${l.port}`),
      ['PLAINTEXT_HOST@localhost:9092', 'PLAINTEXT@broker:19092'],
    );
    assert.equal(c.interBrokerListenerName, 'PLAINTEXT');
    assert.deepEqual(c.controllerQuorumVoters, ['1@broker:29093']);
    assert.deepEqual(c.logDirs, ['/tmp/kraft-combined-logs']);
    assert.equal(c.groupInitialRebalanceDelayMs, 0);
    assert.ok(Array.isArray(c.get('controller.quorum.voters')));
  });

  it('defaults advertised listeners to the non-controller listeners, replacing wildcard hosts', () => {
    const c = load({
      overrides: [
        'listeners=PLAINTEXT://0.0.0.0:9092,EXT://:9094,LOCAL://127.0.0.1:0,CONTROLLER://:9093',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXT:PLAINTEXT,LOCAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      ],
    });
    assert.deepEqual(
      c.advertisedListeners.map((l) => `${l.name}@${l.host}:${l.port}`),
      ['PLAINTEXT@myhost:9092', 'EXT@myhost:9094', 'LOCAL@127.0.0.1:0'],
    );
  });

  it('parses IPv6 listeners and lower-case names', () => {
    const map = new Map([
      ['PLAINTEXT', 'PLAINTEXT'],
      ['NAME', 'SSL'],
    ]);
    assert.deepEqual(parseListeners('listeners', 'plaintext://[::1]:9092, NAME://host.example:0', map), [
      { name: 'PLAINTEXT', host: '::1', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'NAME', host: 'host.example', port: 0, securityProtocol: 'SSL' },
    ]);
    assert.deepEqual(parseListeners('listeners', '', map), []);
  });

  it('rejects malformed listeners', () => {
    const bad = [
      'PLAINTEXT://host',
      'host:9092',
      'PLAINTEXT://host:99999',
      'PLAINTEXT://a:1,PLAINTEXT://b:2',
      'UNMAPPED://a:1',
    ];
    for (const l of bad) {
      assert.throws(
        () => load({ overrides: [`listeners=${l}`] }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.key, 'listeners');
          assert.ok(e.message.includes(l));
          return true;
        },
      );
    }
  });

  it('validates advertised listeners and the inter-broker listener', () => {
    assert.throws(() => load({ overrides: ['advertised.listeners=PLAINTEXT://0.0.0.0:9092'] }), /meta-address/);
    assert.throws(() => load({ overrides: ['advertised.listeners=SSL://h:9093'] }), /not in listeners/);
    assert.throws(() => load({ overrides: ['inter.broker.listener.name=SSL'] }), /inter.broker.listener.name/);
    assert.throws(() => load({ overrides: ['listeners=CONTROLLER://:9093'] }), /non-controller listener/);
  });

  it('uses log.dirs over log.dir', () => {
    assert.deepEqual(load({ overrides: ['log.dir=/a'] }).logDirs, ['/a']);
    assert.deepEqual(load({ overrides: ['log.dir=/a', 'log.dirs=/b, /c'] }).logDirs, ['/b', '/c']);
    assert.equal(load({ overrides: ['log.dirs=/b,/c'] }).metadataLogDir, '/b');
  });

  it('treats broker.id as an alias of node.id', () => {
    assert.equal(load({ overrides: ['broker.id=5'] }).nodeId, 5);
    assert.equal(load({ overrides: ['broker.id=5', 'node.id=5'] }).nodeId, 5);
    assert.throws(() => load({ overrides: ['broker.id=5', 'node.id=6'] }), ConfigError);
  });

  it('applies Kafka precedence to retention and roll synonyms', () => {
    assert.equal(load({ overrides: ['log.retention.hours=1'] }).logRetentionMs, 3600000);
    assert.equal(load({ overrides: ['log.retention.hours=1', 'log.retention.minutes=2'] }).logRetentionMs, 120000);
    const all = ['log.retention.hours=1', 'log.retention.minutes=2', 'log.retention.ms=3'];
    assert.equal(load({ overrides: all }).logRetentionMs, 3);
    assert.equal(load({ overrides: ['log.retention.hours=-1'] }).logRetentionMs, -1);
    assert.equal(load({ overrides: ['log.roll.hours=2'] }).logRollMs, 7200000);
    assert.equal(load({ overrides: ['log.roll.hours=2', 'log.roll.ms=5'] }).logRollMs, 5);
    assert.equal(load({ overrides: ['log.flush.scheduler.interval.ms=1000'] }).logFlushIntervalMs, 1000);
  });

  it('warns about unknown keys but keeps them', () => {
    const log = captureLogger();
    const c = load({ logger: log, overrides: ['foo.bar=baz', 'retention.ms=5', 'listener.name.x.y=1'] });
    assert.equal(log.warnings.length, 3);
    assert.match(log.warnings[0]!, /foo\.bar/);
    assert.match(log.warnings[1]!, /topic-level/);
    assert.match(log.warnings[2]!, /listener\.name\.x\.y has no effect: per-listener overrides of y are not supported/);
    assert.equal(c.get('foo.bar'), 'baz');
    assert.equal(c.source('foo.bar'), 'STATIC_BROKER_CONFIG');
    assert.deepEqual(c.explicitKeys(), ['foo.bar', 'retention.ms', 'listener.name.x.y']);
  });

  it('throws ConfigError for invalid values from any source', () => {
    assert.throws(
      () => load({ env: { KAFKA_NUM_PARTITIONS: 'many' } }),
      /Invalid value 'many' for configuration num\.partitions/,
    );
    assert.throws(
      () => load({ configFile: writeProps('auto.create.topics.enable=maybe') }),
      /auto\.create\.topics\.enable/,
    );
    assert.throws(() => load({ overrides: ['noequals'] }), /key=value/);
    assert.throws(
      () => load({ overrides: ['group.min.session.timeout.ms=10', 'group.max.session.timeout.ms=5'] }),
      /group\.min\.session\.timeout\.ms/,
    );
  });

  it('overrides may contain = in the value', () => {
    assert.equal(load({ overrides: ['foo=a=b'] }).get('foo'), 'a=b');
  });
});

describe('envVarToConfigKey', () => {
  it('maps Kafka docker names', () => {
    assert.equal(envVarToConfigKey('KAFKA_NODE_ID'), 'node.id');
    assert.equal(envVarToConfigKey('KAFKA_LOG_DIRS'), 'log.dirs');
    assert.equal(envVarToConfigKey('KAFKA_FOO___BAR'), 'foo-bar');
    assert.equal(envVarToConfigKey('KAFKA_FOO__BAR'), 'foo_bar');
    assert.equal(envVarToConfigKey('KAFKA_LISTENER_NAME_INTERNAL__X_SASL'), 'listener.name.internal_x.sasl');
    assert.equal(envVarToConfigKey('KAFKA_CFG_NUM_PARTITIONS'), 'num.partitions');
  });

  it('skips non-config variables', () => {
    for (const v of [
      'KAFKA_HEAP_OPTS',
      'KAFKA_OPTS',
      'KAFKA_JMX_OPTS',
      'KAFKA_JMX_PORT',
      'KAFKA_LOG4J_OPTS',
      'KAFKA_LOG4J_LOGGERS',
      'KAFKA_VERSION',
      'KAFKA_',
      'PATH',
      'CLUSTER_ID',
    ]) {
      assert.equal(envVarToConfigKey(v), undefined, v);
    }
  });
});
