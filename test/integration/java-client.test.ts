// The official Java client (kafka-clients 4.x), unchanged: admin, idempotent producer under each codec, consumer
// groups (classic protocol), transactions. Needs a JDK and Maven (jars come from Maven Central into .cache/java);
// .ci/run installs both; where they are missing the suite fails (a missing client is a failure, never a skip).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages.ts';
import {
  type BrokerHandle,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { describeRun, runProcess } from '../helpers/clients.ts';

const KAFKA_CLIENTS_VERSION = '4.1.1';
const CACHE = path.join(REPO_ROOT, '.cache', 'java', KAFKA_CLIENTS_VERSION);
const SOURCE = path.join(REPO_ROOT, 'test', 'integration', 'java', 'JavaClient.java');

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = ['java', 'mvn'].filter((b) => !which(b));

/** Fetches kafka-clients and its runtime dependencies from Maven Central once. */
function ensureJars(): string {
  const libs = path.join(CACHE, 'libs');
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('kafka-clients'))) return libs;
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(
    path.join(CACHE, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>dev.tributary</groupId><artifactId>java-interop</artifactId><version>1</version>
<dependencies>
<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>${KAFKA_CLIENTS_VERSION}</version></dependency>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
</dependencies></project>`,
  );
  execFileSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`], {
    cwd: CACHE,
    stdio: 'inherit',
  });
  return libs;
}

describe('Java client', { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  let libs = '';
  let served = new Set<number>();
  const setup = sharedSetup(async () => {
    assert.deepEqual(
      missing,
      [],
      `the Java client tests need ${missing.join(' and ')} on PATH (.ci/run installs them)`,
    );
    libs = ensureJars();
    broker = await startBrokerProcess({
      overrides: { 'group.initial.rebalance.delay.ms': '0', 'group.consumer.heartbeat.interval.ms': '1000' },
    });
    const c = await BrokerConnection.open('127.0.0.1', broker.port);
    const v = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 0, {});
    served = new Set(v.apiKeys.map((k) => k.apiKey));
    c.close();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const java = async (...args: string[]) => {
    const r = await runProcess('java', ['-cp', `${libs}/*`, SOURCE, args[0]!, broker!.bootstrap, ...args.slice(1)], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, describeRun(`java JavaClient ${args.join(' ')}`, r));
    return r.stdout;
  };

  test('admin: create with configs, list, describe, describeConfigs, createPartitions, describeCluster, delete', async () => {
    await setup.get();
    const out = await java('admin', 'java-admin');
    assert.match(out, /created java-admin/);
    assert.match(out, /listed true/);
    assert.match(out, /partitions 3\n/);
    assert.match(out, /retention\.ms 3600000/);
    assert.match(out, /partitions 4\n/);
    assert.match(out, /cluster 1/);
    assert.match(out, /deleted java-admin/);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    test(`producer (acks=all, ${codec}) then a classic consumer group reads every record and commits`, async () => {
      await setup.get();
      // The Java producer is idempotent by default; it can be only where the broker serves InitProducerId.
      const idempotent = String(served.has(ApiKey.InitProducerId));
      const topic = `java-${codec}`;
      assert.match(await java('produce', topic, '300', codec, idempotent), /acked 300/);
      const out = await java('consume', topic, `g-${codec}`, '300', 'classic');
      assert.match(out, /consumed 300/);
      assert.match(out, /committed 300/);
    });
  }

  test('consumer group protocol (KIP-848, group.protocol=consumer): two members share 6 partitions, one leaves, the other takes over', async () => {
    await setup.get();
    assert.ok(served.has(ApiKey.ConsumerGroupHeartbeat), 'ConsumerGroupHeartbeat must be served');
    const out = await java('share', 'java-kip848', 'g-kip848', '300', 'consumer');
    assert.match(out, /shared [1-5] [1-5] seen 300\n/, out);
    assert.match(out, /took over 6\n/, out);
    assert.match(out, /seen 600 dups 0\n/, out);
  });

  test('the classic protocol in the same scenario (for comparison)', async () => {
    await setup.get();
    const out = await java('share', 'java-classic-share', 'g-classic-share', '300', 'classic');
    assert.match(out, /took over 6\n/, out);
    assert.match(out, /seen 600 /, out);
  });

  test('transactions: committed records visible to read_committed, aborted ones never', async () => {
    await setup.get();
    assert.ok(served.has(ApiKey.EndTxn), 'EndTxn must be served');
    const out = await java('txn', 'java-txn', '20');
    assert.match(out, /txn done/);
    assert.match(out, /read_committed 20 0/);
  });

  test('KIP-320: positions with a leader epoch are validated by OffsetForLeaderEpoch; one past its epoch is a truncation', async () => {
    await setup.get();
    const out = await java('epochs', 'java-epochs');
    assert.match(out, /validated first 5 epoch 0 count 5\n/, out);
    // Without OffsetForLeaderEpoch the consumer skips validation and gets OffsetOutOfRange instead.
    assert.match(out, /truncation at 10 epoch 0\n/, out);
  });

  test("KIP-467: keyless records to a compacted topic fail with the broker's per-record error", async () => {
    await setup.get();
    const out = await java('record-errors', 'java-record-errors');
    assert.match(out, /record 0 KafkaException: Failed to append record because it was part of a batch which had/, out);
    assert.match(
      out,
      /record 1 InvalidRecordException: Compacted topic cannot accept message without key in topic partition java-record-errors-0\n/,
      out,
    );
    assert.match(out, /keyed after acked/, out);
  });
});
