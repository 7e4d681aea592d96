// The published package, as a user gets it: `npm pack` from a clean copy of the repository (tracked files only, so
// the prepack build must make dist/), the tarball installed into an empty project from the registry, then the
// documented imports (startBroker, Producer, Consumer), the `tributary` executable (npx, broker, produce, consume) and
// the one-line refusal on a Node.js that is too old.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, makeTempDir, probeApiVersions, REPO_ROOT } from '../helpers/broker.ts';
import { describeRun, runProcess } from '../helpers/clients.ts';

const PKG = 'tributary-broker';
const NODE_DIR = path.dirname(process.execPath);

/** This process's environment for npm: Node 24 first on PATH, no npm_* variables from an enclosing `npm test`. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return { ...env, PATH: `${NODE_DIR}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
}

async function npm(args: string[], cwd: string, timeoutMs = 240_000) {
  const r = await runProcess('npm', args, { cwd, env: npmEnv(), timeoutMs });
  assert.equal(r.code, 0, describeRun(`npm ${args.join(' ')} (in ${cwd})`, r));
  return r;
}

/** A Node.js older than 22: the system's /usr/bin/node when it is one, else Node 20 from the registry. */
async function oldNode(scratch: string): Promise<string> {
  const system = '/usr/bin/node';
  if (existsSync(system)) {
    const v = execFileSync(system, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (Number(v.split('.')[0]) < 22) return system;
  }
  const dir = path.join(scratch, 'node20');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'package.json'), '{"name":"old-node","private":true}\n');
  await npm(['install', '--no-audit', '--no-fund', 'node@20'], dir);
  return path.join(dir, 'node_modules', '.bin', 'node');
}

describe('the npm package', { timeout: 600_000 }, () => {
  let scratch: string;
  let project: string;
  const procs: ChildProcess[] = [];

  before(async () => {
    scratch = makeTempDir('tributary-pack-');
    // A clean clone: the files git tracks (or would track), without node_modules (linked, as `npm install` would
    // make them) and without any dist/ left over from a build.
    const clone = path.join(scratch, 'clone');
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT })
      .toString('utf8')
      .split('\0')
      .filter((f) => f !== '' && existsSync(path.join(REPO_ROOT, f)));
    for (const f of files) cpSync(path.join(REPO_ROOT, f), path.join(clone, f), { recursive: true });
    assert.ok(!existsSync(path.join(clone, 'dist')), 'the clone has no dist/');
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(clone, 'node_modules'));
    const pack = await npm(['pack', '--pack-destination', scratch], clone);
    const tarball = path.join(scratch, pack.stdout.trim().split('\n').at(-1)!);
    assert.ok(existsSync(tarball), describeRun('npm pack', pack));

    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/cli/bin.js',
      'package/dist/console/index.html',
    ])
      assert.ok(listing.includes(f), `${f} is in the tarball`);
    assert.ok(!listing.some((f) => f.startsWith('package/src/')), 'no TypeScript sources in the tarball');

    project = path.join(scratch, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), '{"name":"my-app","private":true,"type":"module"}\n');
    await npm(['install', '--no-audit', '--no-fund', tarball], project);
  });

  after(() => {
    for (const p of procs) p.kill('SIGKILL');
  });

  test('import { startBroker, Producer, Consumer } works: produce and consume through an embedded broker', async () => {
    writeFileSync(
      path.join(project, 'app.mjs'),
      `import { Consumer, Producer, startBroker } from '${PKG}';
const broker = await startBroker({ config: { 'num.partitions': '2', 'group.initial.rebalance.delay.ms': '0' } });
try {
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  await producer.send({ topic: 'orders', messages: [1, 2, 3].map((n) => ({ key: 'k' + n, value: 'v' + n })) });
  await producer.close();
  const consumer = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'g', autoOffsetReset: 'earliest' });
  await consumer.subscribe(['orders']);
  const seen = [];
  for await (const m of consumer) {
    seen.push(m.value.toString());
    if (seen.length === 3) break;
  }
  await consumer.close();
  console.log(JSON.stringify(seen.sort()));
} finally {
  await broker.stop();
}
`,
    );
    const r = await runProcess(process.execPath, ['app.mjs'], { cwd: project, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun('node app.mjs', r));
    assert.deepEqual(JSON.parse(r.stdout), ['v1', 'v2', 'v3']);
  });

  test('npx tributary --help, and the packaged broker and client commands', async () => {
    const help = await runProcess('npx', ['tributary', '--help'], { cwd: project, env: npmEnv() });
    assert.equal(help.code, 0, describeRun('npx tributary --help', help));
    assert.match(help.stdout, /^Usage: tributary \[options\] \[command\]/);
    assert.match(help.stdout, /Examples:\n/);

    const bin = path.join(project, 'node_modules', '.bin', 'tributary');
    const port = await freePort();
    const broker = spawn(
      process.execPath,
      [
        bin,
        'broker',
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${port}`,
        '--override',
        `log.dirs=${path.join(scratch, 'data')}`,
        '--override',
        'http.listeners=http://127.0.0.1:0',
      ],
      { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(broker);
    let logs = '';
    broker.stdout!.on('data', (d) => (logs += d));
    broker.stderr!.on('data', (d) => (logs += d));
    const exited = new Promise<number | null>((r) => broker.once('exit', (code) => r(code)));
    const t0 = Date.now();
    while (!(await probeApiVersions(port))) {
      assert.ok(broker.exitCode === null && Date.now() - t0 < 30_000, `packaged broker did not start:\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const b = ['-b', `127.0.0.1:${port}`];
    const produce = await runProcess(process.execPath, [bin, 'produce', '-t', 'packed', '-K', ':', ...b], {
      cwd: project,
      input: 'a:1\nb:2\n',
    });
    assert.equal(produce.code, 0, describeRun('tributary produce', produce));
    const consume = await runProcess(
      process.execPath,
      [bin, 'consume', '-t', 'packed', '--from-beginning', '-f', '%k=%s\\n', ...b],
      { cwd: project },
    );
    assert.equal(consume.code, 0, describeRun('tributary consume', consume));
    assert.equal(consume.stdout, 'a=1\nb=2\n');
    // The web console, built at pack time, is served by the packaged broker's HTTP listener.
    const http = /http listener started.* port=(\d+)/.exec(logs);
    assert.ok(http, logs);
    const page = await fetch(`http://127.0.0.1:${http[1]}/`);
    const html = await page.text();
    assert.match(html, /<div id="app"><\/div>/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html);
    assert.ok(script, html);
    const js = await fetch(`http://127.0.0.1:${http[1]}/${script[1]}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    broker.kill('SIGTERM');
    assert.equal(await exited, 0, logs);
    assert.match(logs, /shutdown complete/);
  });

  test('on Node.js < 22 the executable and the import say which version is needed', async () => {
    const node = await oldNode(scratch);
    const message =
      /tributary needs Node\.js 22\.15 or newer \(Node\.js 24 recommended\), but this is Node\.js \d+\.\d+\.\d+: install a current one from https:\/\/nodejs\.org\/ or with nvm \(nvm install 24\)\./;
    const bin = path.join(project, 'node_modules', '.bin', 'tributary');
    for (const args of [['--help'], ['broker']]) {
      const r = await runProcess(node, [bin, ...args], { cwd: project });
      assert.equal(r.code, 1, describeRun(`old node tributary ${args.join(' ')}`, r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^${message.source}\n$`), 'one line');
    }
    const r = await runProcess(node, ['--input-type=module', '-e', `await import('${PKG}')`], { cwd: project });
    assert.notEqual(r.code, 0, describeRun('old node import', r));
    assert.match(r.stderr, new RegExp(`Error: ${message.source}`));
    assert.doesNotMatch(r.stderr, /promisify/);
  });
});
