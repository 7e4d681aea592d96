// Consumer groups with kafka-python: auto-committed positions survive a consumer restart, a clean broker restart
// and a broker crash (SIGKILL), so each run resumes exactly where the previous one committed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'groups_kafka_python.py');
const INSTALL_HINT = 'apt-get install python3-kafka (or pip install kafka-python)';

interface Consumed {
  received: { partition: number; offset: number; number: number }[];
}

async function runPy(python: string, args: string[]): Promise<unknown> {
  const r = await runProcess(python, [SCRIPT, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(`groups_kafka_python.py ${args.join(' ')}`, r));
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const numbers = (c: Consumed) => c.received.map((m) => m.number).sort((a, b) => a - b);

describe('consumer groups: kafka-python', { timeout: 240_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('kafka', INSTALL_HINT);
    return { python, broker: await startBrokerProcess({ overrides: { 'num.partitions': '3' } }) };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  test('auto commit: stop, restart, resume exactly where committed (also across broker restart and crash)', {
    timeout: 200_000,
  }, async () => {
    const { python, broker } = await setup.get();
    const topic = 'numtest';
    const group = 'my-group';
    await runPy(python, [broker.bootstrap, 'produce', topic, '100', '0']);

    const first = (await runPy(python, [broker.bootstrap, 'consume', topic, group, '40'])) as Consumed;
    assert.equal(first.received.length, 40);
    const second = (await runPy(python, [broker.bootstrap, 'consume', topic, group, '60'])) as Consumed;
    assert.equal(second.received.length, 60);
    assert.deepEqual(
      [...numbers(first), ...numbers(second)].sort((a, b) => a - b),
      range(0, 100),
      'the second run read exactly what the first had not committed',
    );
    // Per partition, the second run starts right after the first one's last record.
    for (const p of [0, 1, 2]) {
      const a = first.received.filter((m) => m.partition === p).map((m) => m.offset);
      const b = second.received.filter((m) => m.partition === p).map((m) => m.offset);
      if (a.length > 0 && b.length > 0) assert.equal(b[0], a.at(-1)! + 1, `partition ${p} resumes after ${a.at(-1)}`);
    }

    await broker.restart();
    await runPy(python, [broker.bootstrap, 'produce', topic, '50', '100']);
    const third = (await runPy(python, [broker.bootstrap, 'consume', topic, group, '50'])) as Consumed;
    assert.deepEqual(numbers(third), range(100, 150), 'after a clean broker restart the group resumes');

    await broker.kill9();
    await broker.restart();
    await runPy(python, [broker.bootstrap, 'produce', topic, '20', '150']);
    const fourth = (await runPy(python, [broker.bootstrap, 'consume', topic, group, '20'])) as Consumed;
    assert.deepEqual(numbers(fourth), range(150, 170), 'after a broker crash the group resumes');
  });
});
