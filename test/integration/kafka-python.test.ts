// kafka-python (Debian python3-kafka 2.0.2: pure Python, old API versions, exercises version negotiation).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'kafka_python_client.py');
const INSTALL_HINT = 'apt-get install python3-kafka (or pip install kafka-python)';

interface SeedResult {
  sent: [number, number][];
  received: { partition: number; offset: number; value: { number: number } }[];
}

async function runPy(python: string, args: string[]): Promise<unknown> {
  const r = await runProcess(python, [SCRIPT, ...args], { timeoutMs: 50_000 });
  assert.equal(r.code, 0, describeRun(`kafka_python_client.py ${args.join(' ')}`, r));
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last);
}

function assertSeed(res: SeedResult): void {
  assert.equal(res.sent.length, 100);
  assert.deepEqual(
    res.sent.map(([, offset]) => offset),
    Array.from({ length: 100 }, (_, i) => i),
    'producer offsets are 0..99',
  );
  assert.equal(res.received.length, 100, 'consumer read all 100 records');
  assert.deepEqual(
    res.received.map((m) => m.value),
    Array.from({ length: 100 }, (_, i) => ({ number: i })),
    'values in order',
  );
  assert.deepEqual(
    res.received.map((m) => m.offset),
    Array.from({ length: 100 }, (_, i) => i),
  );
}

describe('kafka-python', { timeout: 120_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('kafka', INSTALL_HINT);
    return { python, broker: await startBrokerProcess() };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  test('README seed example: produce 100 JSON records to numtest, read them back in order', {
    timeout: 60_000,
  }, async () => {
    const { python, broker } = await setup.get();
    assertSeed((await runPy(python, [broker.bootstrap, 'seed', 'numtest'])) as SeedResult);
  });

  test('KafkaAdminClient creates, lists and deletes a topic', { timeout: 60_000 }, async () => {
    const { python, broker } = await setup.get();
    const res = (await runPy(python, [broker.bootstrap, 'admin', 'kp-admin-topic'])) as {
      listedAfterCreate: boolean;
      partitions: number[];
      listedAfterDelete: boolean;
    };
    assert.equal(res.listedAfterCreate, true, 'topic listed after create');
    assert.deepEqual(res.partitions, [0, 1, 2]);
    assert.equal(res.listedAfterDelete, false, 'topic gone after delete');
  });

  test('README seed example through a consumer group', {
    timeout: 60_000,
  }, async () => {
    const { python, broker } = await setup.get();
    assertSeed((await runPy(python, [broker.bootstrap, 'group', 'numtest-group'])) as SeedResult);
  });
});
