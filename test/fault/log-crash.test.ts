// Crash test with real processes: a confluent-kafka (librdkafka) producer with acks=all writes while the broker is
// SIGKILLed several times; a consumer reads concurrently. After the last restart every acknowledged record must be
// in the log exactly once (idempotence when the broker advertises InitProducerId, else duplicates are counted
// apart from losses), offsets contiguous, acknowledged offsets matching the log, and the consumer must have read on
// from where it was across every restart.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import { supportedApis } from '../../src/server/handlers/index.ts';
import { type BrokerHandle, makeTempDir, printLogsOnFailure, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'log_client.py');
const N = 6000;
const KILLS = 3;

interface CrashLoad {
  acked: Array<[number, number]>;
  failed: Array<[number, string]>;
  unflushed: number;
  consumed: Array<[number, number]>;
  consumerErrors: string[];
}

/** Counts lost, duplicated and reordered records of `0..n-1` in the log. */
export function checkLog(
  log: Array<[offset: number, value: number]>,
  acked: Map<number, number>,
): { lost: number[]; duplicated: number[]; reordered: number; gaps: number; ackedOffsetMismatch: number } {
  const positions = new Map<number, number[]>();
  let gaps = 0;
  for (let i = 0; i < log.length; i++) {
    const [offset, v] = log[i]!;
    if (i > 0 && offset !== log[i - 1]![0] + 1) gaps++;
    const list = positions.get(v) ?? [];
    list.push(offset);
    positions.set(v, list);
  }
  const lost = [...acked.keys()].filter((v) => !positions.has(v));
  const duplicated = [...positions.entries()].filter(([, l]) => l.length > 1).map(([v]) => v);
  let reordered = 0;
  let prev = -1;
  for (const [, v] of log) {
    if (v < prev) reordered++;
    prev = Math.max(prev, v);
  }
  let ackedOffsetMismatch = 0;
  for (const [v, offset] of acked) if (!(positions.get(v) ?? []).includes(offset)) ackedOffsetMismatch++;
  return { lost, duplicated, reordered, gaps, ackedOffsetMismatch };
}

let broker: BrokerHandle | undefined;
afterEach((t) => printLogsOnFailure(t, broker));
after(async () => {
  await broker?.stop();
});

test('acks=all records survive repeated SIGKILL of the broker, exactly once and in order', {
  timeout: 300_000,
}, async () => {
  const python = requirePython('confluent_kafka', 'apt-get install python3-confluent-kafka');
  const idempotent = supportedApis().some((a) => a.handler.apiKey === 22);
  broker = await startBrokerProcess();
  const topic = 'crash';
  const c = await runProcess(python, [SCRIPT, 'create', broker.bootstrap, topic, '1', 'segment.bytes=65536']);
  assert.equal(c.code, 0, describeRun('create', c));
  const ready = path.join(makeTempDir('crash-ready-'), 'ready');
  const load = runProcess(
    python,
    [SCRIPT, 'crashload', broker.bootstrap, topic, String(N), idempotent ? '1' : '0', ready],
    {
      timeoutMs: 280_000,
    },
  );
  for (let waited = 0; !existsSync(ready); waited += 50) {
    assert.ok(waited < 30_000, 'the load generator did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (let k = 0; k < KILLS; k++) {
    await new Promise((r) => setTimeout(r, 600 + k * 300));
    await broker.kill9();
    await new Promise((r) => setTimeout(r, 300));
    await broker.restart();
    process.stderr.write(`crash test: broker restarted after SIGKILL ${k + 1}\n`);
  }
  const r = await load;
  assert.equal(r.code, 0, describeRun('crashload', r));
  const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as CrashLoad;
  rmSync(ready, { force: true });
  assert.equal(res.unflushed, 0, 'the producer got an answer for every record');
  const acked = new Map(res.acked);
  assert.ok(
    acked.size > N * 0.9,
    `most records acknowledged (${acked.size}/${N}, failed ${res.failed.length}: ${JSON.stringify(res.failed.slice(0, 3))})`,
  );

  // What the log holds after a final unclean restart.
  await broker.kill9();
  await broker.restart();
  const read = await runProcess(python, [SCRIPT, 'read', broker.bootstrap, topic], { timeoutMs: 60_000 });
  assert.equal(read.code, 0, describeRun('read', read));
  const log = (JSON.parse(read.stdout.trim().split('\n').at(-1)!) as { records: Array<[number, string, string]> })
    .records;
  const check = checkLog(
    log.map(([o, , v]) => [o, Number(v)]),
    acked,
  );
  const summary = {
    idempotent,
    acked: acked.size,
    failed: res.failed.length,
    logRecords: log.length,
    ...check,
    lost: check.lost.length,
    duplicated: check.duplicated.length,
  };
  process.stderr.write(`crash test: ${JSON.stringify(summary)}\n`);
  assert.equal(log[0]?.[0], 0, 'the log starts at offset 0');
  assert.equal(check.gaps, 0, 'offsets are contiguous');
  assert.deepEqual(check.lost, [], 'no acknowledged record is lost');
  assert.equal(check.ackedOffsetMismatch, 0, 'every acknowledged record is at the offset it was acknowledged with');
  if (idempotent) {
    assert.deepEqual(check.duplicated, [], 'idempotence: no duplicates');
    assert.equal(check.reordered, 0, 'idempotence: no reordering');
  } else {
    assert.equal(check.reordered, 0, 'max.in.flight=1: no reordering');
  }
  // The concurrent consumer read on across every restart: what it saw is a contiguous prefix of the log.
  const seen = res.consumed;
  assert.ok(seen.length > 0);
  for (let i = 0; i < seen.length; i++) {
    assert.equal(seen[i]![0], i, `consumer offsets contiguous and never repeated (at ${i})`);
    assert.equal(seen[i]![1], Number(log[i]![2]), 'the consumer saw what the log holds');
  }
});
