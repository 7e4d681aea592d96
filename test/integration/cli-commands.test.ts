// The `tributary` CLI against a broker process: topics, produce, consume (formats, offsets, groups), groups,
// configs, cluster, perf; errors name the Kafka error and exit non-zero.
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

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

describe('tributary CLI', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const cli = async (args: string[], input?: string, expectCode = 0) => {
    await setup.get();
    const r = await runProcess(process.execPath, [CLI, ...args, '-b', broker!.bootstrap], { input, timeoutMs: 60_000 });
    assert.equal(r.code, expectCode, `tributary ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };

  test('topics create, list, describe, alter, delete', async () => {
    assert.match(
      (await cli(['topics', 'create', '-t', 'c1', '-p', '3', '-c', 'retention.ms=60000'])).stdout,
      /Created topic c1/,
    );
    const dup = await cli(['topics', 'create', '-t', 'c1'], undefined, 1);
    assert.match(dup.stderr, /^Error: TOPIC_ALREADY_EXISTS/);
    await cli(['topics', 'create', '-t', 'c1', '--if-not-exists']);
    assert.ok((await cli(['topics', 'list'])).stdout.split('\n').includes('c1'));
    assert.ok((JSON.parse((await cli(['topics', 'list', '--json'])).stdout) as string[]).includes('c1'));
    const d = (await cli(['topics', 'describe', '-t', 'c1'])).stdout;
    assert.match(d, /^Topic: c1\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=60000\n/);
    assert.match(d, /\tTopic: c1\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1/);
    await cli(['topics', 'alter', '-t', 'c1', '-p', '4', '-c', 'cleanup.policy=compact']);
    const j = JSON.parse((await cli(['topics', 'describe', '-t', 'c1', '--json'])).stdout) as {
      partitions: unknown[];
      configs: Record<string, string>;
    }[];
    assert.equal(j[0]!.partitions.length, 4);
    assert.equal(j[0]!.configs['cleanup.policy'], 'compact');
    assert.equal((await cli(['topics', 'delete', '-t', 'c1'])).stdout, 'Deleted topic c1.\n');
    const gone = await cli(['topics', 'delete', '-t', 'c1'], undefined, 1);
    assert.match(gone.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    // --if-exists: not an error (as kafka-topics.sh), and no claim that anything was deleted.
    await cli(['topics', 'create', '-t', 'c1b']);
    const ifExists = await cli(['topics', 'delete', '-t', 'c1', '-t', 'c1b', '--if-exists']);
    assert.equal(ifExists.stdout, 'Deleted topic c1b.\nTopic c1 does not exist: nothing deleted.\n');
    const usage = await cli(['topics', 'alter', '-t', 'c1'], undefined, 2);
    assert.match(usage.stderr, /nothing to alter/);
  });

  test('produce with keys and headers, consume with a format string, JSON, offsets and count', async () => {
    await cli(['topics', 'create', '-t', 'c2', '-p', '2']);
    await cli(['produce', '-t', 'c2', '-K', ':', '-H', 'src=cli', '-p', '1'], 'a:1\nb:2\nc:3\n');
    await cli(['produce', '-t', 'c2', '--json', '-p', '1'], '{"key":"d","value":{"n":4},"headers":{"h":"v"}}\n');
    const all = await cli(['consume', '-t', 'c2', '--from-beginning', '-f', '%t %p %o %k=%s [%h] %K %S\\n']);
    assert.equal(
      all.stdout,
      'c2 1 0 a=1 [src=cli] 1 1\nc2 1 1 b=2 [src=cli] 1 1\nc2 1 2 c=3 [src=cli] 1 1\nc2 1 3 d={"n":4} [h=v] 1 7\n',
    );
    assert.match(all.stderr, /Processed a total of 4 messages/);
    const js = (await cli(['consume', '-t', 'c2', '-p', '1', '-o', '2', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      js.map((m) => [m.offset, m.key, m.payload, m.headers]),
      [
        [2, 'c', '3', ['src', 'cli']],
        [3, 'd', '{"n":4}', ['h', 'v']],
      ],
    );
    assert.equal((await cli(['consume', '-t', 'c2', '-p', '1', '-o', '-1'])).stdout, '{"n":4}\n');
    assert.equal((await cli(['consume', '-t', 'c2', '--from-beginning', '-c', '2'])).stdout, '1\n2\n');
    assert.equal((await cli(['consume', '-t', 'c2', '--timestamp', String(Date.now() + 60_000)])).stdout, '');
    assert.match((await cli(['consume', '-t', 'c2', '-o', 'nowhere'], undefined, 2)).stderr, /invalid --offset/);
  });

  test('consume with a group, then groups describe, reset-offsets, delete', async () => {
    await cli(['topics', 'create', '-t', 'c3', '-p', '2']);
    await cli(['produce', '-t', 'c3', '-K', ':'], 'k1:v1\nk2:v2\nk3:v3\nk4:v4\n');
    const first = await cli(['consume', '-t', 'c3', '-g', 'cg', '--from-beginning']);
    assert.deepEqual(first.stdout.trim().split('\n').sort(), ['v1', 'v2', 'v3', 'v4']);
    // Committed: a second run has nothing to read.
    assert.equal((await cli(['consume', '-t', 'c3', '-g', 'cg'])).stdout, '');
    assert.match(
      (await cli(['groups', 'list'])).stdout,
      /^GROUP\s+STATE\s+PROTOCOL-TYPE\s+TYPE\ncg\s+Empty\s+consumer\s+classic/m,
    );
    const lag = JSON.parse((await cli(['groups', 'describe', '-g', 'cg', '--json'])).stdout) as {
      partitions: { lag: number }[];
    }[];
    assert.deepEqual(
      lag[0]!.partitions.map((p) => p.lag),
      [0, 0],
    );
    assert.equal(
      (await cli(['groups', 'describe', '-g', 'cg', '--members'])).stdout,
      "Consumer group 'cg' has no active members.\n",
    );
    const dry = await cli(['groups', 'reset-offsets', '-g', 'cg', '--all-topics', '--to-earliest']);
    assert.match(dry.stderr, /Dry run/);
    assert.match(
      (await cli(['groups', 'describe', '-g', 'cg'])).stdout,
      /LAG\s+CONSUMER-ID[\s\S]*c3\s+0\s+\d+\s+\d+\s+0\s/,
    );
    await cli(['groups', 'reset-offsets', '-g', 'cg', '--topic', 'c3', '--to-earliest', '--execute']);
    assert.deepEqual((await cli(['consume', '-t', 'c3', '-g', 'cg'])).stdout.trim().split('\n').sort(), [
      'v1',
      'v2',
      'v3',
      'v4',
    ]);
    await cli(['groups', 'delete', '-g', 'cg']);
    // A group that does not exist (deleted, or never there): said as Kafka says it, and a failure.
    for (const extra of [[], ['--state'], ['--members'], ['--json']]) {
      const missing = await cli(['groups', 'describe', '-g', 'cg', ...extra], undefined, 1);
      assert.equal(missing.stderr, "Error: Consumer group 'cg' does not exist.\n");
    }
    const never = await cli(['groups', 'describe', '-g', 'never-there'], undefined, 1);
    assert.equal(never.stdout, '');
    assert.equal(never.stderr, "Error: Consumer group 'never-there' does not exist.\n");
  });

  test('configs describe/alter and cluster describe', async () => {
    await cli(['topics', 'create', '-t', 'c4']);
    await cli(['configs', 'alter', '--topic', 'c4', '--add-config', 'retention.ms=5000,max.message.bytes=2000']);
    const d = JSON.parse((await cli(['configs', 'describe', '--topic', 'c4', '--json'])).stdout) as {
      name: string;
      value: string;
    }[];
    assert.equal(d.find((c) => c.name === 'retention.ms')?.value, '5000');
    await cli([
      'configs',
      'alter',
      '--entity-type',
      'topics',
      '--entity-name',
      'c4',
      '--delete-config',
      'retention.ms',
    ]);
    assert.doesNotMatch((await cli(['configs', 'describe', '--topic', 'c4'])).stdout, /retention\.ms/);
    const bad = await cli(['configs', 'alter', '--topic', 'c4', '--add-config', 'retention.ms=abc'], undefined, 1);
    assert.match(bad.stderr, /^Error: INVALID_CONFIG: /);
    const c = JSON.parse((await cli(['cluster', 'describe', '--json'])).stdout) as { brokers: { port: number }[] };
    assert.equal(c.brokers[0]!.port, broker!.port);
    assert.match(
      (await cli(['cluster', 'describe'])).stdout,
      /^Cluster ID: \S+\nController: 1\n\nID\s+HOST\s+PORT\s+RACK\n1\s+127\.0\.0\.1/,
    );
  });

  test('perf produce and consume', async () => {
    const p = await cli(['perf', 'produce', '-t', 'perf', '-n', '5000', '-s', '100']);
    assert.match(
      p.stdout,
      /5000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.\n$/,
    );
    // --producer-props takes space-separated properties, as kafka-producer-perf-test does.
    const props = await cli(
      ['perf', 'produce', '-t', 'perf', '-n', '1000', '-s', '100', '--producer-props', 'acks=all', 'linger.ms=5'],
      undefined,
    );
    assert.match(props.stdout, /^1000 records sent/m);
    await cli([
      'perf',
      'produce',
      '-t',
      'perf',
      '-n',
      '1000',
      '--producer-props',
      'acks=all',
      '--producer-props',
      'enable.idempotence=true',
      'batch.size=1000',
    ]);
    const bad = await cli(
      ['perf', 'produce', '-t', 'perf', '-n', '1', '--producer-props', 'acks=1', 'nope=1'],
      undefined,
      2,
    );
    assert.match(bad.stderr, /^Error: unsupported producer property nope/);
    const c = await cli(['perf', 'consume', '-t', 'perf', '-n', '7000']);
    assert.match(c.stdout, /^start\.time, end\.time, data\.consumed\.in\.MB/);
    assert.match(c.stdout, /, 7000, /);
  });

  test("usage errors exit 2 (commander's and ours), --help and --version exit 0", async () => {
    const run = (args: string[]) => runProcess(process.execPath, [CLI, ...args], { timeoutMs: 30_000 });
    for (const [args, message] of [
      [['nosuch'], /unknown command 'nosuch'/],
      [['topics', 'lst'], /unknown command 'lst'[\s\S]*Did you mean list\?/],
      [['topics', 'list', '--nosuch'], /unknown option '--nosuch'/],
      [['topics', 'create'], /required option '-t, --topic <name>' not specified/],
      [['topics', 'list', 'extra'], /too many arguments/],
      [['topics'], /Usage: tributary topics/],
      [['consume', '-t', 'x', '-o', 'nowhere', '-b', '127.0.0.1:1'], /invalid --offset/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, describeRun(`tributary ${args.join(' ')}`, r));
      assert.match(r.stderr, message);
    }
    for (const args of [['--help'], ['topics', '--help'], ['help', 'topics'], ['--version']]) {
      const r = await run(args);
      assert.equal(r.code, 0, describeRun(`tributary ${args.join(' ')}`, r));
      assert.notEqual(r.stdout, '');
    }
  });

  test("every command's --help ends with examples", async () => {
    // Walks the command tree through the help output itself ("Commands:" sections).
    const seen: string[] = [];
    const visit = async (path: string[]) => {
      const r = await runProcess(process.execPath, [CLI, ...path, '--help'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, describeRun(`tributary ${path.join(' ')} --help`, r));
      const examples = /\nExamples:\n((?: {2}\$ .*tributary .+\n)+)$/.exec(r.stdout);
      assert.ok(examples, `tributary ${path.join(' ')} --help ends with examples:\n${r.stdout}`);
      seen.push(path.join(' '));
      const commands = /\nCommands:\n([\s\S]*?)\n\n/.exec(r.stdout)?.[1] ?? '';
      for (const line of commands.split('\n')) {
        const name = /^ {2}(\S+)/.exec(line)?.[1];
        if (name && name !== 'help') await visit([...path, name]);
      }
    };
    await visit([]);
    for (const c of [
      'broker',
      'topics create',
      'produce',
      'consume',
      'groups reset-offsets',
      'configs alter',
      'perf produce',
    ])
      assert.ok(seen.includes(c), `${c} was visited (${seen.join(', ')})`);
  });

  test('a broker that is not there: clear error, exit 1', async () => {
    await setup.get();
    const r = await runProcess(process.execPath, [CLI, 'topics', 'list', '-b', '127.0.0.1:1'], { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: cannot connect to any bootstrap server \(127\.0\.0\.1:1\)/);
  });
});
