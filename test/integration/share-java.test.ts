// Share groups (KIP-932) with Kafka's own KafkaShareConsumer (kafka-clients 4.4, from the kafka-tools 4.4 jars that
// test/helpers/kafka-tools.ts fetches from Maven Central), run as test/integration/java/ShareClient.java: two share
// consumers of one group split a one-partition topic, every record read exactly once between them; in explicit
// acknowledgement mode ACCEPTed and REJECTed records are delivered once, RELEASEd ones come back with their delivery
// count raised until group.share.delivery.count.limit (3 here), and never after. Java and Maven missing is a failure.
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
import { describeRun, runProcess } from '../helpers/clients.ts';
import { ensureKafkaTools } from '../helpers/kafka-tools.ts';

const SOURCE = path.join(REPO_ROOT, 'test', 'integration', 'java', 'ShareClient.java');
const DELIVERY_LIMIT = 3;

describe('share groups: the Java KafkaShareConsumer (kafka-clients 4.4)', { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  let libs = '';
  const setup = sharedSetup(async () => {
    libs = ensureKafkaTools();
    broker = await startBrokerProcess({
      overrides: {
        'group.share.delivery.count.limit': String(DELIVERY_LIMIT),
        'group.share.heartbeat.interval.ms': '1000',
        'group.share.min.heartbeat.interval.ms': '500',
      },
    });
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const run = async <T>(scenario: string, topic: string, group: string): Promise<T> => {
    const r = await runProcess('java', ['-cp', `${libs}/*`, SOURCE, broker!.bootstrap, scenario, topic, group], {
      timeoutMs: 240_000,
    });
    assert.equal(r.code, 0, describeRun(`ShareClient ${scenario}`, r));
    const line = /^RESULT (.*)$/m.exec(r.stdout);
    assert.ok(line, describeRun(`ShareClient ${scenario} printed no RESULT`, r));
    return JSON.parse(line[1]!) as T;
  };

  test('two share consumers split one partition: every record once, both get some', async () => {
    await setup.get();
    const { consumers } = await run<{ consumers: number[][] }>('split', 'share-split', 'split-group');
    assert.equal(consumers.length, 2);
    for (const [i, got] of consumers.entries()) assert.ok(got.length > 0, `consumer ${i} got no records`);
    const all = consumers.flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 400 }, (_, i) => i),
      'each record delivered to exactly one consumer, once',
    );
  });

  test('ACCEPT and REJECT end a record; RELEASE redelivers it up to the delivery count limit', async () => {
    await setup.get();
    const r = await run<{ deliveries: Array<[number, number]>; lockTimeoutMs: number | null }>(
      'acks',
      'share-acks',
      'acks-group',
    );
    // The broker's acquisition lock duration (group.share.record.lock.duration.ms, 30 s), as ShareFetch v1+ says.
    assert.equal(r.lockTimeoutMs, 30_000);
    const counts = new Map<number, number[]>();
    for (const [offset, count] of r.deliveries) counts.set(offset, [...(counts.get(offset) ?? []), count]);
    for (let o = 0; o < 12; o++) {
      const expected = o % 3 === 2 ? Array.from({ length: DELIVERY_LIMIT }, (_, i) => i + 1) : [1];
      assert.deepEqual(counts.get(o), expected, `deliveries of offset ${o}`);
    }
    assert.equal(counts.size, 12);
  });
});
