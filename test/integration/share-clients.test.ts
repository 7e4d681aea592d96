// Share groups (KIP-932) with real share consumers: Kafka's own KafkaShareConsumer (kafka-clients 4.4, from the
// kafka-tools 4.4 jars that test/helpers/kafka-tools.ts fetches from Maven Central; test/integration/java/
// ShareClient.java) and librdkafka's (confluent-kafka's ShareConsumer, librdkafka 2.16+, installed by
// test/helpers/current-librdkafka.ts; test/integration/py/share_confluent.py). For each: two share consumers of one
// group split a one-partition topic, every record read exactly once between them; in explicit acknowledgement mode
// ACCEPTed and REJECTed records are delivered once, RELEASEd ones come back with their delivery count raised until
// group.share.delivery.count.limit (3 here), and never after; a Java consumer killed while holding records (no
// acknowledgement, no leave) has them redelivered to another once its session times out. The share-group offset APIs
// with the Java Admin client (listShareGroupOffsets, alterShareGroupOffsets, deleteShareGroupOffsets) and Kafka's
// kafka-share-groups.sh (--describe --offsets, --reset-offsets, --delete-offsets). A missing client is a failure, never a skip.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import {
  type BrokerHandle,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, PY_DIR, runProcess } from '../helpers/clients.ts';
import { type CurrentLibrdkafka, currentLibrdkafka } from '../helpers/current-librdkafka.ts';
import { ensureKafkaTools, runKafkaTool } from '../helpers/kafka-tools.ts';

const SOURCE = path.join(REPO_ROOT, 'test', 'integration', 'java', 'ShareClient.java');
const SCRIPT = path.join(PY_DIR, 'share_confluent.py');
const DELIVERY_LIMIT = 3;
const CLIENTS = ['java', 'librdkafka'] as const;
type Client = (typeof CLIENTS)[number];

describe('share groups: the Java KafkaShareConsumer and librdkafka share consumer', { timeout: 900_000 }, () => {
  let broker: BrokerHandle | undefined;
  let libs = '';
  let py: CurrentLibrdkafka;
  const setup = sharedSetup(async () => {
    libs = ensureKafkaTools();
    py = await currentLibrdkafka();
    const [major = 0, minor = 0] = py.librdkafka.split('.').map(Number);
    assert.ok(major > 2 || (major === 2 && minor >= 16), `librdkafka ${py.librdkafka} has no share consumer (2.16+)`);
    broker = await startBrokerProcess({
      overrides: {
        'group.share.delivery.count.limit': String(DELIVERY_LIMIT),
        // A killed consumer's records come back when its session times out.
        'group.share.min.session.timeout.ms': '1000',
        'group.share.session.timeout.ms': '6000',
        'group.share.heartbeat.interval.ms': '1000',
        'group.share.min.heartbeat.interval.ms': '500',
      },
    });
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const run = async <T>(client: Client, scenario: string, name = scenario): Promise<T> => {
    const [topic, group] = [`share-${client}-${name}`, `${client}-${name}`];
    const r =
      client === 'java'
        ? await runProcess('java', ['-cp', `${libs}/*`, SOURCE, broker!.bootstrap, scenario, topic, group], {
            timeoutMs: 240_000,
          })
        : await runProcess(py.python, [SCRIPT, broker!.bootstrap, scenario, topic, group], {
            env: py.env,
            timeoutMs: 240_000,
          });
    assert.equal(r.code, 0, describeRun(`${client} ${scenario}`, r));
    const line = /^RESULT (.*)$/m.exec(r.stdout);
    assert.ok(line, describeRun(`${client} ${scenario} printed no RESULT`, r));
    return JSON.parse(line[1]!) as T;
  };

  for (const client of CLIENTS) {
    test(`${client}: two share consumers split one partition: every record once, both get some`, async () => {
      await setup.get();
      const { consumers } = await run<{ consumers: number[][] }>(client, 'split');
      assert.equal(consumers.length, 2);
      for (const [i, got] of consumers.entries()) assert.ok(got.length > 0, `consumer ${i} got no records`);
      const all = consumers.flat().sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: 400 }, (_, i) => i),
        'each record delivered to exactly one consumer, once',
      );
    });

    test(`${client}: ACCEPT and REJECT end a record; RELEASE redelivers it up to the delivery count limit`, async () => {
      await setup.get();
      const r = await run<{ deliveries: Array<[number, number]>; lockTimeoutMs?: number | null }>(client, 'acks');
      // The broker's acquisition lock duration (group.share.record.lock.duration.ms, 30 s), as ShareFetch v1+ says
      // (the Java client shows it).
      if (client === 'java') assert.equal(r.lockTimeoutMs, 30_000);
      const counts = new Map<number, number[]>();
      for (const [offset, count] of r.deliveries) counts.set(offset, [...(counts.get(offset) ?? []), count]);
      for (let o = 0; o < 12; o++) {
        const expected = o % 3 === 2 ? Array.from({ length: DELIVERY_LIMIT }, (_, i) => i + 1) : [1];
        assert.deepEqual(counts.get(o), expected, `deliveries of offset ${o}`);
      }
      assert.equal(counts.size, 12);
    });
  }

  test('java: a consumer killed while holding records: they come back (delivery count 2) to another, none lost', async () => {
    await setup.get();
    const { held } = await run<{ held: number[] }>('java', 'hog', 'killed');
    assert.ok(held.length > 0, 'the killed consumer held records');
    const { deliveries } = await run<{ deliveries: Array<[number, number]> }>('java', 'drain', 'killed');
    const offsets = deliveries.map(([o]) => o).sort((a, b) => a - b);
    assert.deepEqual(
      offsets,
      Array.from({ length: 40 }, (_, i) => i),
      'every record once to the survivor',
    );
    const count = new Map(deliveries);
    for (const o of held) assert.equal(count.get(o), 2, `offset ${o}, held by the killed consumer`);
    for (const [o, n] of count) assert.ok(n === 1 || n === 2, `offset ${o} delivered ${n} times`);
  });

  test('java Admin: list, alter (refused while a member is active) and delete share-group offsets', async () => {
    await setup.get();
    const r = await run<{
      first: number;
      afterRead: Array<{ partition: number; startOffset: number; lag: number }>;
      afterAlter: Array<{ partition: number; startOffset: number; lag: number }>;
      refusedWhileActive: string;
      reread: number[];
      afterDelete: unknown[];
    }>('java', 'offsets');
    assert.equal(r.first, 12);
    assert.deepEqual(r.afterRead, [{ partition: 0, startOffset: 12, lag: 0 }]);
    assert.deepEqual(r.afterAlter, [{ partition: 0, startOffset: 4, lag: 8 }]);
    assert.equal(r.refusedWhileActive, 'GroupNotEmptyException');
    assert.deepEqual(r.reread, [4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(r.afterDelete, []);
  });

  test('kafka-share-groups.sh: --describe --offsets, --reset-offsets --to-earliest, --delete-offsets', async () => {
    await setup.get();
    // A group that has read the 12 records of its topic (the acks scenario: all accepted, rejected or archived).
    const [group, topic] = ['librdkafka-tool', 'share-librdkafka-tool'];
    await run('librdkafka', 'acks', 'tool');
    const tool = (...args: string[]) =>
      runKafkaTool(libs, 'org.apache.kafka.tools.consumer.group.ShareGroupCommand', [
        '--bootstrap-server',
        broker!.bootstrap,
        ...args,
      ]);
    const described = await tool('--describe', '--group', group, '--offsets');
    assert.equal(described.code, 0, describeRun('describe --offsets', described));
    // GROUP TOPIC PARTITION START-OFFSET LAG
    assert.match(described.stdout, new RegExp(`${group}\\s+${topic}\\s+0\\s+12\\s+0\\b`), described.stdout);
    const dry = await tool('--reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--dry-run');
    assert.equal(dry.code, 0, describeRun('reset --dry-run', dry));
    assert.match(dry.stdout, new RegExp(`${group}\\s+${topic}\\s+0\\s+0\\b`), dry.stdout);
    const reset = await tool('--reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--execute');
    assert.equal(reset.code, 0, describeRun('reset --execute', reset));
    const after = await tool('--describe', '--group', group, '--offsets');
    assert.match(after.stdout, new RegExp(`${group}\\s+${topic}\\s+0\\s+0\\s+12\\b`), after.stdout);
    const del = await tool('--delete-offsets', '--group', group, '--topic', topic);
    assert.equal(del.code, 0, describeRun('delete-offsets', del));
    assert.match(del.stdout, new RegExp(`${topic}\\s+Successful`), del.stdout);
    const gone = await tool('--describe', '--group', group, '--offsets');
    assert.match(gone.stdout, /has no offset information/, gone.stdout);
  });
});
