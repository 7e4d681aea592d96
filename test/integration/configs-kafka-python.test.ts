// Dynamic configs through real admin clients: kafka-python's KafkaAdminClient (DescribeConfigs v1/v2 with sources,
// read-only flags and synonyms; legacy AlterConfigs on BROKER resources, per broker and cluster default) and
// DescribeConfigs v4 on the wire for config types. A changed broker config takes effect at once (a record above
// the new message.max.bytes is refused) and survives a restart (it is stored in cluster metadata).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type {
  DescribeConfigsResponse,
  IncrementalAlterConfigsResponse,
} from '../../src/protocol/generated/messages.ts';
import { freePort, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'configs_kafka_python.py');
const INSTALL_HINT = 'apt-get install python3-kafka (or pip install kafka-python)';

// Kafka's ConfigSource ids.
const DYNAMIC_TOPIC = 1;
const DYNAMIC_BROKER = 2;
const DYNAMIC_DEFAULT = 3;
const STATIC = 4;
const DEFAULT = 5;

interface Entry {
  value: string | null;
  read_only: boolean;
  source: number;
  sensitive: boolean;
  synonyms: [string, string | null, number][];
}
type Described = { api_version: number; configs: Record<string, Entry> };
type Altered = { error_code: number; error_message: string | null };

describe('configs through kafka-python', { timeout: 180_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('kafka', INSTALL_HINT);
    const port = await freePort();
    const broker = await startBrokerProcess({
      port,
      overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`, 'log.retention.hours': '100' },
    });
    return { python, broker };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  async function step(name: string): Promise<Record<string, unknown>> {
    const { python, broker } = await setup.get();
    const r = await runProcess(python, [SCRIPT, broker.bootstrap, name], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(`configs_kafka_python.py ${name}`, r));
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  }

  test('DescribeConfigs reports sources, read-only flags and synonyms as Kafka does', async () => {
    const r = await step('describe');
    const broker = r.broker as Described;
    assert.ok(broker.api_version >= 1, 'synonyms need v1+');
    const adv = broker.configs['advertised.listeners']!;
    assert.equal(adv.source, STATIC);
    assert.equal(adv.read_only, true);
    assert.match(adv.value!, /^PLAINTEXT:\/\/127\.0\.0\.1:\d+$/);
    const hours = broker.configs['log.retention.hours']!;
    assert.deepEqual(hours.synonyms, [
      ['log.retention.hours', '100', STATIC],
      ['log.retention.hours', '168', DEFAULT],
    ]);
    assert.equal(broker.configs['message.max.bytes']!.read_only, false);
    assert.equal(broker.configs['message.max.bytes']!.source, DEFAULT);
    assert.equal(broker.configs['log.dirs']!.read_only, true);
    assert.equal(broker.configs['ssl.keystore.password']!.sensitive, true);
    assert.equal(broker.configs['ssl.keystore.password']!.value, null);

    const topic = (r.topic as Described).configs;
    // Kafka lists a topic key's broker synonyms from its primary one (log.retention.ms) on: with only
    // log.retention.hours set, the list is empty and the source DEFAULT_CONFIG, though the value comes from it.
    assert.deepEqual(topic['retention.ms'], {
      value: '360000000',
      read_only: false,
      source: DEFAULT,
      sensitive: false,
      synonyms: [],
    });
    assert.deepEqual(topic['max.message.bytes']!.synonyms, [['message.max.bytes', '1048588', DEFAULT]]);
    assert.equal(topic['message.format.version']!.value, '2.8');
    assert.equal(topic['message.format.version']!.source, DYNAMIC_TOPIC);
    assert.match(
      setup.value()!.broker.logs(),
      /message\.format\.version is deprecated since Kafka 3\.0 and has no effect/,
    );
  });

  test('DescribeConfigs v4 reports config types (LIST, INT, LONG, PASSWORD ...)', async () => {
    const { broker } = await setup.get();
    const conn = await BrokerConnection.open('127.0.0.1', broker.port, 'types');
    try {
      const res = await conn.send<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
        resources: [
          {
            resourceType: 4,
            resourceName: '1',
            configurationKeys: ['advertised.listeners', 'message.max.bytes', 'log.retention.ms', 'ssl.key.password'],
          },
        ],
        includeSynonyms: false,
        includeDocumentation: true,
      });
      const types = Object.fromEntries(res.results[0]!.configs.map((c) => [c.name, c.configType]));
      assert.deepEqual(types, {
        'advertised.listeners': 7,
        'log.retention.ms': 5,
        'message.max.bytes': 3,
        'ssl.key.password': 9,
      });
      assert.ok(res.results[0]!.configs.every((c) => (c.documentation ?? '').length > 0));
    } finally {
      conn.close();
    }
  });

  test('AlterConfigs on BROKER resources: applied at once, refused with Kafka errors, kept across a restart', async () => {
    const r = await step('alter');
    assert.equal(r.before, 'ok', 'a 5000-byte record fits the default message.max.bytes');
    assert.deepEqual(r.default, { error_code: 0, error_message: null });
    assert.equal(r.after, 'MESSAGE_TOO_LARGE', 'the cluster-wide message.max.bytes=2000 applies at once');
    assert.equal(r.small, 'ok');
    assert.deepEqual(r.per_broker, { error_code: 0, error_message: null });

    const broker = (r.broker as Described).configs;
    assert.equal(broker['message.max.bytes']!.value, '3000');
    assert.equal(broker['message.max.bytes']!.source, DYNAMIC_BROKER);
    assert.deepEqual(broker['message.max.bytes']!.synonyms, [
      ['message.max.bytes', '3000', DYNAMIC_BROKER],
      ['message.max.bytes', '2000', DYNAMIC_DEFAULT],
      ['message.max.bytes', '1048588', DEFAULT],
    ]);
    assert.equal(broker['log.retention.ms']!.source, DYNAMIC_DEFAULT);
    const topic = (r.topic as Described).configs;
    assert.equal(topic['max.message.bytes']!.value, '3000');
    assert.equal(topic['max.message.bytes']!.source, DYNAMIC_BROKER);
    assert.equal(topic['retention.ms']!.value, '7200000', 'log.retention.ms wins over the static log.retention.hours');
    assert.equal(topic['retention.ms']!.source, DYNAMIC_DEFAULT);
    assert.deepEqual(topic['retention.ms']!.synonyms, [
      ['log.retention.ms', '7200000', DYNAMIC_DEFAULT],
      ['log.retention.hours', '100', STATIC],
      ['log.retention.hours', '168', DEFAULT],
    ]);

    assert.deepEqual(r.read_only, {
      error_code: 42,
      error_message: 'Cannot update these configs dynamically: Set(log.dirs)',
    });
    const unknown = r.unknown as Altered;
    assert.equal(unknown.error_code, 40);
    assert.match(
      unknown.error_message!,
      /Unknown broker config name: log\.retention\.hour \(did you mean log\.retention\.hours\?\)/,
    );
    const invalid = r.invalid as Altered;
    assert.equal(invalid.error_code, 42);
    assert.match(invalid.error_message!, /Invalid value 'lots' for configuration message\.max\.bytes/);
    assert.deepEqual(r.other_broker, {
      error_code: 42,
      error_message: 'Unexpected broker id, expected 1, but received 7',
    });
    const noEffect = r.no_effect as Altered;
    assert.equal(noEffect.error_code, 0);
    assert.match(noEffect.error_message!, /num\.io\.threads has no effect/);
    assert.match(setup.value()!.broker.logs(), /WARN .*num\.io\.threads has no effect/);

    await setup.value()!.broker.restart();
    const again = await step('after-restart');
    assert.equal((again.topic as Described).configs['max.message.bytes']!.value, '3000');
    assert.equal(again.after, 'MESSAGE_TOO_LARGE', 'dynamic configs apply again after a restart');
    assert.deepEqual(again.clear, { error_code: 0, error_message: null });
    const cleared = (again.broker as Described).configs;
    assert.equal(cleared['message.max.bytes']!.value, '2000', 'back to the cluster default');
    assert.equal(cleared['message.max.bytes']!.source, DYNAMIC_DEFAULT);
    assert.equal(cleared['num.io.threads']!.source, DEFAULT);
  });

  test('IncrementalAlterConfigs APPEND/SUBTRACT start from the value in effect; only on list keys', async () => {
    const { broker } = await setup.get();
    const conn = await BrokerConnection.open('127.0.0.1', broker.port, 'incremental');
    try {
      const alter = async (resourceType: number, resourceName: string, name: string, op: number, value: string) => {
        const res = await conn.send<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
          resources: [{ resourceType, resourceName, configs: [{ name, configOperation: op, value }] }],
          validateOnly: false,
        });
        return [res.responses[0]!.errorCode, res.responses[0]!.errorMessage];
      };
      const value = async (resourceType: number, resourceName: string, name: string) => {
        const res = await conn.send<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
          resources: [{ resourceType, resourceName, configurationKeys: [name] }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        return res.results[0]!.configs[0]!.value;
      };
      const APPEND = 2;
      const SUBTRACT = 3;
      assert.deepEqual(await alter(2, 'cfg-old', 'cleanup.policy', APPEND, 'compact'), [0, null]);
      assert.equal(await value(2, 'cfg-old', 'cleanup.policy'), 'delete,compact');
      assert.deepEqual(await alter(2, 'cfg-old', 'cleanup.policy', SUBTRACT, 'delete'), [0, null]);
      assert.equal(await value(2, 'cfg-old', 'cleanup.policy'), 'compact');
      assert.deepEqual(await alter(2, 'cfg-old', 'retention.ms', APPEND, '5'), [
        40,
        'Config value append is not allowed for config key: retention.ms',
      ]);
      assert.deepEqual(await alter(4, '', 'log.cleanup.policy', APPEND, 'compact'), [0, null]);
      assert.equal(await value(4, '1', 'log.cleanup.policy'), 'delete,compact');
      assert.deepEqual(await alter(4, '', 'log.cleanup.policy', SUBTRACT, 'compact'), [0, null]);
      assert.equal(await value(4, '1', 'log.cleanup.policy'), 'delete');
    } finally {
      conn.close();
    }
  });
});
