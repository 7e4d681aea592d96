// A current librdkafka (confluent-kafka from PyPI, installed by the test) against OffsetForLeaderEpoch (KIP-320:
// a position sought with a leader epoch is validated; one past the end of its epoch is a log truncation) and
// KIP-467 record errors (keyless records to a compacted topic fail with INVALID_RECORD on exactly the bad records).
// The broker's per-record messages are checked with the Java client (java-client.test.ts), whose producer exposes
// them, and over the wire in test/unit/server/produce-record-errors.test.ts.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, runProcess } from '../helpers/clients.ts';
import { type CurrentLibrdkafka, currentLibrdkafka } from '../helpers/current-librdkafka.ts';

const SCRIPT = path.join(PY_DIR, 'epochs_confluent.py');

interface ClientError {
  code: number;
  name: string;
  str: string;
}

async function runPy(lib: CurrentLibrdkafka, args: string[]): Promise<Record<string, unknown>> {
  const r = await runProcess(lib.python, [SCRIPT, ...args], { env: lib.env, timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun(`epochs_confluent.py ${args.join(' ')}`, r));
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
}

describe('current librdkafka: leader epochs and record errors', { timeout: 600_000 }, () => {
  const setup = sharedSetup(async () => ({ lib: await currentLibrdkafka(), broker: await startBrokerProcess() }));
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  test('seek with a leader epoch is validated by OffsetForLeaderEpoch; past the epoch end is a truncation', async () => {
    const { lib, broker } = await setup.get();
    const res = (await runPy(lib, [broker.bootstrap, 'validate', 'rdk-epochs'])) as {
      start: { records: number; errors: ClientError[] };
      valid: { records: { offset: number; leader_epoch: number }[]; errors: ClientError[] };
      past_epoch: { records: unknown[]; errors: ClientError[] };
      librdkafka: string;
    };
    assert.deepEqual(res.start, { records: 10, errors: [] });
    assert.deepEqual(res.valid.errors, []);
    assert.deepEqual(
      res.valid.records.map((r) => [r.offset, r.leader_epoch]),
      [5, 6, 7, 8, 9].map((o) => [o, 0]),
    );
    // Without OffsetForLeaderEpoch librdkafka fetches at 20 and reports "Offset out of range" instead.
    assert.equal(res.past_epoch.records.length, 0);
    assert.match(
      res.past_epoch.errors[0]?.str ?? '',
      /log truncation detected at offset 20 \(leader epoch 0\): broker end offset is 10 \(offset leader epoch 0\)/,
      JSON.stringify(res),
    );
  });

  test('keyless records to a compacted topic: INVALID_RECORD on the bad records, the others failed with them', async () => {
    const { lib, broker } = await setup.get();
    const res = (await runPy(lib, [broker.bootstrap, 'record-errors', 'rdk-record-errors'])) as {
      reports: { value: string; offset: number | null; error: ClientError | null }[];
    };
    assert.deepEqual(
      res.reports.map((r) => [r.value, r.error?.name ?? null]),
      [
        ['after', null],
        ['v0', '_INVALID_DIFFERENT_RECORD'],
        ['v1', 'INVALID_RECORD'],
        ['v2', '_INVALID_DIFFERENT_RECORD'],
        ['v3', 'INVALID_RECORD'],
      ],
      JSON.stringify(res),
    );
    assert.equal(res.reports[0]!.offset, 0, 'the rejected batch appended nothing');
  });
});
