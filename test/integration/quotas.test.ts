// Client quotas end to end: Kafka 4.4's kafka-configs.sh sets, describes and removes them (AlterClientQuotas,
// DescribeClientQuotas), a confluent-kafka producer under a producer_byte_rate quota is throttled (librdkafka reports
// the broker's throttle_time_ms) and holds near the quota, and lifting the quota lets it run free again.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { Admin } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  AlterClientQuotasResponse,
  CreateTopicsResponse,
  DescribeClientQuotasResponse,
  MetadataResponse,
} from '../../src/protocol/generated/messages.ts';
import {
  type BrokerHandle,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';

const CONFIGS = 'org.apache.kafka.tools.ConfigCommand';
const CLIENT_ID = 'quota-test-producer'; // the client.id quota_producer.py sets
const QUOTA = 200 * 1024; // bytes/s
const TOPIC = 'quota-t';
const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

let broker: BrokerHandle | undefined;
const setup = sharedSetup(async () => {
  const libs = ensureKafkaTools();
  // Three samples of one second: the quota's initial allowance is two seconds' worth, so a run of a few seconds
  // measures the steady rate rather than the first burst.
  broker = await startBrokerProcess({ overrides: { 'quota.window.num': '3' } });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  try {
    await admin.createTopics([{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }]);
  } finally {
    await admin.close();
  }
  return { broker, libs };
});

after(async () => {
  await broker?.stop();
});

async function configs(...args: string[]) {
  const { broker: b, libs } = await setup.get();
  return runKafkaTool(libs, CONFIGS, ['--bootstrap-server', b.bootstrap, ...args]);
}

interface ProducerRun {
  delivered: number;
  bytes_after_warmup: number;
  seconds_after_warmup: number;
  throttle_events: number;
  max_throttle_ms: number;
  errors: string[];
}

async function produceFor(seconds: number, warmup: number): Promise<ProducerRun & { rate: number }> {
  const { broker: b } = await setup.get();
  const py = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
  const r = await runProcess(
    py,
    [path.join(PY_DIR, 'quota_producer.py'), b.bootstrap, TOPIC, String(seconds), String(warmup), '1000'],
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, describeRun('quota_producer.py', r));
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ProducerRun;
  assert.deepEqual(out.errors, [], describeRun('quota_producer.py', r));
  return { ...out, rate: out.bytes_after_warmup / out.seconds_after_warmup };
}

async function cli(args: string[], expectCode = 0) {
  const { broker: b } = await setup.get();
  const r = await runProcess(process.execPath, [CLI, ...args, '-b', b.bootstrap], { timeoutMs: 60_000 });
  assert.equal(r.code, expectCode, describeRun(`tributary ${args.join(' ')}`, r));
  return r;
}

async function connect(clientId: string): Promise<BrokerConnection> {
  const { broker: b } = await setup.get();
  return BrokerConnection.open('127.0.0.1', b.port, clientId);
}

async function setQuota(clientId: string, key: string, value: number | null): Promise<void> {
  const c = await connect('quota-admin');
  try {
    const res = await c.send<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
      entries: [
        {
          entity: [{ entityType: 'client-id', entityName: clientId }],
          ops: [{ key, value: value ?? 0, remove: value === null }],
        },
      ],
      validateOnly: false,
    });
    assert.equal(res.entries[0]!.errorCode, ErrorCode.NONE, JSON.stringify(res));
  } finally {
    c.close();
  }
}

describe('client quotas', () => {
  afterEach((t) => printLogsOnFailure(t, broker));

  test('tributary quotas alter/describe, validate-only, and errors', async () => {
    await cli(['quotas', 'alter', '--user', 'alice', '--client-default', '--add-config', 'producer_byte_rate=2048']);
    await cli(['quotas', 'alter', '--user', 'alice', '--add-config', 'request_percentage=25.5']);
    await cli(['quotas', 'alter', '--user', 'bob', '--add-config', 'consumer_byte_rate=100', '--validate-only']);
    const one = JSON.parse((await cli(['quotas', 'describe', '--user', 'alice', '--json'])).stdout);
    assert.deepEqual(one, [{ entity: { user: 'alice' }, values: { request_percentage: 25.5 } }]);
    const both = JSON.parse(
      (await cli(['quotas', 'describe', '--user', 'alice', '--client-default', '--json'])).stdout,
    );
    assert.deepEqual(both, [{ entity: { user: 'alice', clientId: null }, values: { producer_byte_rate: 2048 } }]);
    const users = JSON.parse((await cli(['quotas', 'describe', '--entity-type', 'users', '--json'])).stdout);
    assert.equal(users.length, 2); // bob's was validated only
    const table = (await cli(['quotas', 'describe'])).stdout;
    assert.match(table, /user=alice, client-id=<default>\s+producer_byte_rate=2048/);
    const bad = await cli(['quotas', 'alter', '--user', 'alice', '--add-config', 'producer_byte_rate=1.5'], 1);
    assert.match(bad.stderr, /producer_byte_rate cannot be a fractional value/);
    const unknown = await cli(['quotas', 'alter', '--user', 'alice', '--add-config', 'producer_rate=1'], 1);
    assert.match(unknown.stderr, /INVALID_REQUEST.*Invalid configuration key producer_rate/);
    await cli(['quotas', 'alter', '--add-config', 'producer_byte_rate=1'], 2);
    await cli(['quotas', 'alter', '--user', 'alice', '--add-config', 'producer_byte_rate=x'], 2);
    await cli(['quotas', 'alter', '--user', 'alice', '--delete-config', 'request_percentage']);
    assert.deepEqual(JSON.parse((await cli(['quotas', 'describe', '--user', 'alice', '--json'])).stdout), []);
  });

  test('DescribeClientQuotas over the wire: a bad filter is INVALID_REQUEST with no entries', async () => {
    const c = await connect('quota-admin');
    try {
      const res = await c.send<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, {
        components: [{ entityType: 'user', matchType: 0, match: null }],
        strict: false,
      });
      assert.equal(res.errorCode, ErrorCode.INVALID_REQUEST);
      assert.equal(res.errorMessage, 'Request specified MATCH_TYPE_EXACT, but set match string to null.');
      assert.equal(res.entries, null);
    } finally {
      c.close();
    }
  });

  test('controller_mutation_rate: CreateTopics v7 past the bucket is THROTTLING_QUOTA_EXCEEDED', async () => {
    await setQuota('mutator', 'controller_mutation_rate', 1);
    const c = await connect('mutator');
    try {
      const topic = (name: string, numPartitions: number) => ({
        name,
        numPartitions,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      });
      // The bucket holds 3 (3 samples × 1 s × 1/s): a 10-partition topic is admitted whole, leaving it at -7.
      const res = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: [topic('mut-a', 10), topic('mut-b', 1)],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      assert.deepEqual(
        res.topics.map((t) => [t.name, t.errorCode]),
        [
          ['mut-a', ErrorCode.NONE],
          ['mut-b', ErrorCode.THROTTLING_QUOTA_EXCEEDED],
        ],
      );
      assert.equal(res.topics[1]!.errorMessage, 'The throttling quota has been exceeded.');
      assert.ok(res.throttleTimeMs > 5000 && res.throttleTimeMs <= 7000, `throttle ${res.throttleTimeMs}`);
    } finally {
      c.close();
    }
    await setQuota('mutator', 'controller_mutation_rate', null);
  });

  test('request_percentage: a client over its share of handler time gets throttle times of at most one window', async () => {
    await setQuota('busy', 'request_percentage', 0.0001);
    const c = await connect('busy');
    try {
      let throttled = 0;
      for (let i = 0; i < 3; i++) {
        const res = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
          topics: null,
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        });
        assert.ok(res.throttleTimeMs <= 1000, `throttle ${res.throttleTimeMs} beyond one window`);
        if (res.throttleTimeMs > 0) throttled++;
      }
      assert.ok(throttled > 0, 'no Metadata response carried a throttle time');
    } finally {
      c.close();
    }
    await setQuota('busy', 'request_percentage', null);
  });

  test("kafka-configs.sh sets, describes and deletes users' quotas; bad values get Kafka's errors", async () => {
    const set = await configs(
      '--alter',
      '--add-config',
      'producer_byte_rate=1024,request_percentage=50.5',
      '--entity-type',
      'users',
      '--entity-name',
      'u',
    );
    assert.equal(set.code, 0, describeRun('kafka-configs --alter users', set));
    const dflt = await configs(
      '--alter',
      '--add-config',
      'consumer_byte_rate=4096',
      '--entity-type',
      'users',
      '--entity-default',
    );
    assert.equal(dflt.code, 0, describeRun('kafka-configs --alter users default', dflt));
    const shown = await configs('--describe', '--entity-type', 'users', '--entity-name', 'u');
    assert.equal(shown.code, 0, describeRun('kafka-configs --describe', shown));
    assert.match(shown.stdout, /Quota configs for user-principal 'u' are .*producer_byte_rate=1024(\.0)?/);
    assert.match(shown.stdout, /request_percentage=50\.5/);
    const all = await configs('--describe', '--entity-type', 'users');
    assert.match(all.stdout, /user-principal 'u'/);
    assert.match(all.stdout, /default user-principal.*consumer_byte_rate=4096/i);
    const bad = await configs(
      '--alter',
      '--add-config',
      'producer_byte_rate=-5',
      '--entity-type',
      'users',
      '--entity-name',
      'u',
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /producer_byte_rate must be greater than 0/);
    const frac = await configs(
      '--alter',
      '--add-config',
      'producer_byte_rate=10.5',
      '--entity-type',
      'users',
      '--entity-name',
      'u',
    );
    assert.notEqual(frac.code, 0);
    const del = await configs(
      '--alter',
      '--delete-config',
      'producer_byte_rate,request_percentage',
      '--entity-type',
      'users',
      '--entity-name',
      'u',
    );
    assert.equal(del.code, 0, describeRun('kafka-configs --delete-config', del));
    const gone = await configs('--describe', '--entity-type', 'users', '--entity-name', 'u');
    assert.doesNotMatch(gone.stdout, /producer_byte_rate/);
  });

  test('a producer over producer_byte_rate is throttled near the quota; lifting the quota frees it', async () => {
    const set = await configs(
      '--alter',
      '--add-config',
      `producer_byte_rate=${QUOTA}`,
      '--entity-type',
      'clients',
      '--entity-name',
      CLIENT_ID,
    );
    assert.equal(set.code, 0, describeRun('kafka-configs --alter clients', set));
    const shown = await configs('--describe', '--entity-type', 'clients', '--entity-name', CLIENT_ID);
    assert.match(shown.stdout, new RegExp(`producer_byte_rate=${QUOTA}`));

    const limited = await produceFor(12, 2);
    // The broker answered with throttle times (librdkafka's throttle_cb), and the rate held to the quota: over a
    // span of S seconds a windowed rate admits at most the quota × S plus what its window allows ahead, (samples - 1)
    // windows (2 s here); the quota counts whole requests, so the payload rate sits a little below it.
    assert.ok(limited.throttle_events > 0, `no throttle reported: ${JSON.stringify(limited)}`);
    const allowed = QUOTA * (1 + 2 / limited.seconds_after_warmup);
    assert.ok(limited.rate <= allowed, `rate ${limited.rate} B/s above the quota ${QUOTA} (at most ${allowed})`);
    assert.ok(limited.rate > QUOTA * 0.6, `rate ${limited.rate} B/s far below the quota ${QUOTA}`);

    const lifted = await configs(
      '--alter',
      '--delete-config',
      'producer_byte_rate',
      '--entity-type',
      'clients',
      '--entity-name',
      CLIENT_ID,
    );
    assert.equal(lifted.code, 0, describeRun('kafka-configs --delete-config clients', lifted));
    const free = await produceFor(4, 1);
    assert.ok(free.rate > QUOTA * 3, `rate ${free.rate} B/s still held near the lifted quota ${QUOTA}`);
    console.log(
      `quota ${QUOTA} B/s: throttled ${Math.round(limited.rate)} B/s (${limited.throttle_events} throttles, max ` +
        `${Math.round(limited.max_throttle_ms)} ms); unthrottled ${Math.round(free.rate)} B/s`,
    );
  });
});
