// Idempotent and transactional producers with confluent-kafka-python (librdkafka): no duplicates or reordering
// through a broker kill -9; transactions read back with read_committed / read_uncommitted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'txn_confluent.py');
const INSTALL_HINT = 'apt-get install python3-confluent-kafka';

async function runPy(python: string, args: string[], timeoutMs = 150_000): Promise<unknown> {
  const r = await runProcess(python, [SCRIPT, ...args], { timeoutMs });
  assert.equal(r.code, 0, describeRun(`txn_confluent.py ${args.join(' ')}`, r));
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
}

describe('confluent-kafka idempotence and transactions', { timeout: 400_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('confluent_kafka', INSTALL_HINT);
    return { python, broker: await startBrokerProcess({ overrides: { 'num.partitions': '2' } }) };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  test('idempotent producer through broker kill -9 and restart: no duplicates, in order', {
    timeout: 200_000,
  }, async () => {
    const { python, broker } = await setup.get();
    const N = 6000;
    const producing = runPy(python, [broker.bootstrap, 'idempotent', 'idem', String(N)]);
    await sleep(1500);
    await broker.kill9();
    await sleep(300);
    await broker.restart();
    await sleep(1000);
    await broker.kill9();
    await broker.restart();
    const res = (await producing) as { delivered: number; errorCount: number; errors: string[]; unflushed: number };
    assert.equal(res.unflushed, 0);
    assert.equal(res.errorCount, 0, `delivery errors: ${res.errors.join('; ')}`);
    assert.equal(res.delivered, N);
    const read = (await runPy(python, [broker.bootstrap, 'consume', 'idem', 'read_uncommitted'])) as Record<
      string,
      string[]
    >;
    for (const [p, values] of Object.entries(read)) {
      const nums = values.map(Number);
      const expected = Array.from({ length: N / 2 }, (_, i) => i * 2 + Number(p));
      assert.deepEqual(nums, expected, `partition ${p}: exactly once, in order`);
    }
  });

  test('transactions: committed visible to read_committed, aborted never; zombie fenced', {
    timeout: 120_000,
  }, async () => {
    const { python, broker } = await setup.get();
    const res = (await runPy(python, [broker.bootstrap, 'txn', 'txn-out'])) as {
      done: string[];
      fenced: string | null;
    };
    assert.deepEqual(res.done, ['c1', 'a', 'c2']);
    assert.ok(res.fenced !== null, 'the fenced producer could not commit');
    const committed = (await runPy(python, [broker.bootstrap, 'consume', 'txn-out', 'read_committed'])) as Record<
      string,
      string[]
    >;
    const all = Object.values(committed).flat();
    assert.equal(all.filter((v) => v.startsWith('a-')).length, 0, 'aborted records are invisible');
    assert.equal(all.filter((v) => v.startsWith('c1-') || v.startsWith('c2-')).length, 20);
    assert.ok(!all.includes('zombie'));
    assert.ok(all.includes('p2-0'));
    assert.deepEqual(
      committed['0']!.filter((v) => v !== 'p2-0'),
      [0, 2, 4, 6, 8].map((i) => `c1-${i}`).concat([0, 2, 4, 6, 8].map((i) => `c2-${i}`)),
    );
    const uncommitted = (await runPy(python, [broker.bootstrap, 'consume', 'txn-out', 'read_uncommitted'])) as Record<
      string,
      string[]
    >;
    assert.equal(
      Object.values(uncommitted)
        .flat()
        .filter((v) => v.startsWith('a-')).length,
      10,
    );
  });

  test('consume-transform-produce with send_offsets_to_transaction, killed mid-way: exactly once', {
    timeout: 150_000,
  }, async () => {
    const { python, broker } = await setup.get();
    const N = 600;
    await runPy(python, [broker.bootstrap, 'fill', 'ctp-in', String(N)]);
    // First run: killed (SIGKILL) while it works, leaving a transaction open.
    const child = spawn(python, [SCRIPT, broker.bootstrap, 'ctp', 'ctp-in', 'ctp-out'], { stdio: 'ignore' });
    await sleep(5000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Second run: fences the first, aborts its open transaction, resumes from the committed offsets.
    const res = (await runPy(python, [broker.bootstrap, 'ctp', 'ctp-in', 'ctp-out'])) as { transactions: number };
    assert.ok(res.transactions >= 0);
    const out = (await runPy(python, [broker.bootstrap, 'consume', 'ctp-out', 'read_committed'])) as Record<
      string,
      string[]
    >;
    for (const p of ['0', '1']) {
      const expected = Array.from({ length: N / 2 }, (_, i) => `out-${i * 2 + Number(p)}`);
      assert.deepEqual(out[p], expected, `partition ${p}: every input exactly once, in order`);
    }
  });
});
