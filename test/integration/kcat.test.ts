// kcat 1.7.1 (librdkafka 2.0.2): metadata, keyed produce with headers under every codec, bulk produce/consume.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';

const INSTALL_HINT = 'apt-get install kcat';

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number }[]; error?: string }[];
}

describe('kcat', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  let kcat = '';

  const run = async (args: string[], input?: string, timeoutMs = 50_000) => {
    const r = await runProcess(kcat, ['-b', broker!.bootstrap, ...args], { input, timeoutMs });
    assert.equal(r.code, 0, describeRun(`kcat ${args.join(' ')}`, r));
    return r;
  };

  const metadata = async (): Promise<KcatMetadata> => JSON.parse((await run(['-L', '-J'])).stdout) as KcatMetadata;

  const setup = sharedSetup(async () => {
    kcat = requireBinary('kcat', INSTALL_HINT);
    broker = await startBrokerProcess();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('-L lists the broker', { timeout: 60_000 }, async () => {
    await setup.get();
    const md = await metadata();
    assert.equal(md.brokers.length, 1, JSON.stringify(md));
    assert.equal(md.brokers[0]!.name, broker!.bootstrap);
    // Plain-text listing too, as a person would read it.
    const text = (await run(['-L'])).stdout;
    assert.match(text, / 1 brokers:\n\s+broker \d+ at 127\.0\.0\.1:\d+/);
    assert.ok(text.includes(`127.0.0.1:${broker!.port}`), text);
  });

  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    test(`produce keyed records with headers (compression ${codec}) and consume them exactly`, {
      timeout: 60_000,
    }, async () => {
      await setup.get();
      const topic = `kcat-${codec}`;
      const n = 50;
      const input = Array.from({ length: n }, (_, i) => `key${i}:value-${i}-${'z'.repeat(i)}\n`).join('');
      await run(
        [
          '-P',
          '-t',
          topic,
          '-p',
          '0',
          '-K:',
          '-H',
          'hdr=val',
          '-H',
          `codec=${codec}`,
          '-X',
          `compression.codec=${codec}`,
        ],
        input,
      );
      const r = await run(['-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%k|%s|%h\n']);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      assert.deepEqual(
        lines,
        Array.from({ length: n }, (_, i) => `key${i}|value-${i}-${'z'.repeat(i)}|hdr=val,codec=${codec}`),
      );
      const md = await metadata();
      const t = md.topics.find((x) => x.topic === topic);
      assert.ok(t, `-L lists ${topic}: ${JSON.stringify(md)}`);
      assert.ok(t.partitions.some((p) => p.partition === 0));
    });
  }

  test('produce 10k records and consume them all', { timeout: 120_000 }, async () => {
    await setup.get();
    const topic = 'kcat-bulk';
    const n = 10_000;
    const values = Array.from({ length: n }, (_, i) => `record-${String(i).padStart(5, '0')}-${'p'.repeat(i % 100)}`);
    await run(['-P', '-t', topic, '-p', '0', '-X', 'compression.codec=lz4'], `${values.join('\n')}\n`, 100_000);
    const r = await run(['-C', '-t', topic, '-p', '0', '-e', '-o', 'beginning', '-f', '%o %s\n'], undefined, 100_000);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, n, `consumed ${lines.length} of ${n}`);
    for (let i = 0; i < n; i++) {
      if (lines[i] !== `${i} ${values[i]}`) assert.fail(`record ${i}: got ${JSON.stringify(lines[i])}`);
    }
  });
});
