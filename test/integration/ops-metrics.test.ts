// The operations HTTP listener of a real broker process: /health, /ready, and /metrics parsed by Prometheus's Python
// client parser; the counters move as kafka-python and kcat produce, and the consumer lag as a group commits.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, REPO_ROOT, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requireBinary, requirePython, runProcess } from '../helpers/clients.ts';
import { httpPort, type ParsedMetrics, parseMetrics, sample } from '../helpers/prometheus.ts';

const GROUPS_PY = path.join(PY_DIR, 'groups_kafka_python.py');

async function runPy(python: string, args: string[]): Promise<void> {
  const r = await runProcess(python, [GROUPS_PY, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(`groups_kafka_python.py ${args.join(' ')}`, r));
}

describe('operations HTTP listener', { timeout: 180_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('kafka', 'apt-get install python3-kafka');
    const kcat = requireBinary('kcat', 'apt-get install kcat');
    const broker = await startBrokerProcess({ overrides: { 'http.listeners': 'http://127.0.0.1:0' } });
    return { python, kcat, broker, base: `http://127.0.0.1:${httpPort(broker)}` };
  });
  after(async () => {
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  const scrape = async (base: string): Promise<ParsedMetrics> => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return parseMetrics(await r.text());
  };

  test('/health and /ready answer 200 with JSON; unknown paths 404; other methods 405', async () => {
    const { base } = await setup.get();
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'UP' });
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'READY' });
    assert.equal((await fetch(`${base}/no-such-page`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  });

  test('/metrics parses, and the broker, topic and group series move with produce and commits', async () => {
    const { python, broker, base } = await setup.get();
    const before = await scrape(base);
    for (const [family, type] of Object.entries(before.types))
      assert.notEqual(type, 'unknown', `${family} has a # TYPE line`);
    assert.equal(before.types.kafka_server_brokertopicmetrics_messagesin, 'counter');
    assert.equal(before.types.kafka_network_requestmetrics_totaltime_seconds, 'histogram');
    assert.equal(sample(before, 'kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.equal(sample(before, 'kafka_server_replicamanager_underreplicatedpartitions'), 0);
    assert.equal(sample(before, 'kafka_brokers'), 1);
    assert.ok((sample(before, 'nodejs_eventloop_lag_p99_seconds') ?? -1) >= 0, 'event-loop delay is reported');

    const topic = 'ops-metrics';
    await runPy(python, [broker.bootstrap, 'produce', topic, '8', '0']);
    const produced = await scrape(base);
    const t = { topic };
    assert.equal(sample(produced, 'kafka_server_brokertopicmetrics_messagesin_total', t), 8);
    assert.ok((sample(produced, 'kafka_server_brokertopicmetrics_bytesin_total', t) ?? 0) > 8 * 10);
    assert.ok((sample(produced, 'kafka_network_requestmetrics_requests_total', { request: 'Produce' }) ?? 0) >= 1);
    assert.ok(
      (sample(produced, 'kafka_network_requestmetrics_totaltime_seconds_count', { request: 'Produce' }) ?? 0) >= 1,
    );
    assert.equal(sample(produced, 'kafka_topic_partition_current_offset', { topic, partition: '0' }), 8);
    assert.ok((sample(produced, 'kafka_log_log_size', { topic, partition: '0' }) ?? 0) > 0);
    assert.equal(
      sample(produced, 'kafka_server_replicamanager_leadercount'),
      sample(produced, 'kafka_server_replicamanager_partitioncount'),
    );

    // The group reads 5 of the 8 and commits on close: lag 3; then it reads the rest: lag 0.
    const group = 'ops-metrics-group';
    await runPy(python, [broker.bootstrap, 'consume', topic, group, '5']);
    const g = { consumergroup: group, topic, partition: '0' };
    const partly = await scrape(base);
    assert.equal(sample(partly, 'kafka_consumergroup_current_offset', g), 5);
    assert.equal(sample(partly, 'kafka_consumergroup_lag', g), 3);
    assert.equal(sample(partly, 'kafka_consumergroup_lag_sum', { consumergroup: group, topic }), 3);
    assert.ok((sample(partly, 'kafka_server_brokertopicmetrics_bytesout_total', t) ?? 0) > 0, 'bytes out moved');
    await runPy(python, [broker.bootstrap, 'consume', topic, group, '3']);
    const done = await scrape(base);
    assert.equal(sample(done, 'kafka_consumergroup_current_offset', g), 8);
    assert.equal(sample(done, 'kafka_consumergroup_lag', g), 0);
    assert.equal(sample(done, 'kafka_consumergroup_members', { consumergroup: group }), 0, 'the consumer left');
  });

  test('log flushes are timed: kafka_log_logflushstats_logflushrateandtimems counts each fsync', async () => {
    const { kcat, broker, base } = await setup.get();
    const topic = 'ops-flush';
    const produce = async (input: string) => {
      const r = await runProcess(kcat, ['-b', broker.bootstrap, '-P', '-t', topic], { input });
      assert.equal(r.code, 0, describeRun('kcat -P', r));
    };
    await produce('first\n');
    const flushes = (m: ParsedMetrics) => sample(m, 'kafka_log_logflushstats_logflushrateandtimems_count') ?? -1;
    const before = await scrape(base);
    assert.equal(before.types.kafka_log_logflushstats_logflushrateandtimems, 'summary');
    // flush.messages=1: every append is fsynced before it is acknowledged, and timed.
    const cfg = await runProcess(
      process.execPath,
      [
        'src/cli/main.ts',
        'configs',
        'alter',
        '--bootstrap-server',
        broker.bootstrap,
        '--topic',
        topic,
        '--add-config',
        'flush.messages=1',
      ],
      { cwd: REPO_ROOT },
    );
    assert.equal(cfg.code, 0, describeRun('tributary configs --alter', cfg));
    for (let i = 0; i < 3; i++) await produce(`flushed ${i}\n`);
    const after = await scrape(base);
    assert.ok(flushes(after) >= flushes(before) + 3, `flushes ${flushes(before)} → ${flushes(after)}`);
    assert.ok((sample(after, 'kafka_log_logflushstats_logflushrateandtimems_sum') ?? -1) >= 0);
    const p99 = sample(after, 'kafka_log_logflushstats_logflushrateandtimems', { quantile: '0.99' });
    assert.ok(p99 !== undefined && p99 >= 0, 'the 99th percentile is reported');
  });

  test('a produce the broker refuses counts as failed, with its bytes rejected', async () => {
    const { kcat, broker, base } = await setup.get();
    const topic = 'ops-small';
    const create = await runProcess(
      kcat,
      ['-b', broker.bootstrap, '-P', '-t', topic, '-X', 'topic.metadata.refresh.interval.ms=100'],
      { input: 'x\n' },
    );
    assert.equal(create.code, 0, describeRun('kcat -P (auto-creates the topic)', create));
    // Shrink the topic's max.message.bytes, then send a record bigger than that.
    const cfg = await runProcess(
      process.execPath,
      [
        'src/cli/main.ts',
        'configs',
        'alter',
        '--bootstrap-server',
        broker.bootstrap,
        '--topic',
        topic,
        '--add-config',
        'max.message.bytes=200',
      ],
      { cwd: REPO_ROOT },
    );
    assert.equal(cfg.code, 0, describeRun('tributary configs --alter', cfg));
    const big = await runProcess(
      kcat,
      ['-b', broker.bootstrap, '-P', '-t', topic, '-X', 'message.send.max.retries=0'],
      {
        input: `${'y'.repeat(2000)}\n`,
      },
    );
    assert.notEqual(big.code, 0, 'kcat reports the refused record');
    const m = await scrape(base);
    assert.equal(sample(m, 'kafka_server_brokertopicmetrics_messagesin_total', { topic }), 1);
    assert.ok((sample(m, 'kafka_server_brokertopicmetrics_failedproducerequests_total', { topic }) ?? 0) >= 1);
    assert.ok((sample(m, 'kafka_server_brokertopicmetrics_bytesrejected_total', { topic }) ?? 0) > 2000);
    assert.equal(
      typeof sample(m, 'kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' }),
      'number',
    );
  });
});
