// The console's JSON layer (/api/...) on an embedded broker: answers built from the public Kafka APIs, bad input
// answered with the broker's error and a fitting HTTP status, and requests another web page could forge refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Consumer, Producer, type RunningBroker, startBroker } from '../../src/index.ts';

describe('console JSON layer', { timeout: 60_000 }, () => {
  let broker: RunningBroker;
  let base: string;
  const json = { 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = json) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> & { error?: string } };
  };

  before(async () => {
    broker = await startBroker({ config: { 'http.listeners': 'http://127.0.0.1:0' } });
    base = `http://127.0.0.1:${broker.broker.httpListeners[0]!.boundPort}`;
  });
  after(() => broker.stop());

  test('topics: create, describe with offsets, configs, produce, browse by offset and by time, delete', async () => {
    assert.equal((await call('POST', '/api/topics', { name: 'api-t', partitions: 2 })).status, 201);
    const t0 = Date.now();
    const p1 = await call('POST', '/api/topics/api-t/messages', { key: 'a', value: 'first', partition: 1 });
    assert.equal(p1.status, 201);
    assert.deepEqual([p1.body.partition, p1.body.offset], [1, 0]);
    await new Promise((r) => setTimeout(r, 20));
    const t1 = Date.now();
    await call('POST', '/api/topics/api-t/messages', { value: 'second', partition: 1, headers: { h: 'v' } });

    const topics = (await call('GET', '/api/topics')).body as unknown as Array<{
      name: string;
      partitions: Array<{ partition: number; latestOffset: number; leader: number; sizeBytes: number }>;
    }>;
    const t = topics.find((x) => x.name === 'api-t')!;
    assert.equal(t.partitions[0]!.sizeBytes, 0, 'an empty partition');
    assert.ok(t.partitions[1]!.sizeBytes > 2 * 61, 'two batches on disk');
    assert.deepEqual(
      t.partitions.map((p) => [p.partition, p.leader, p.latestOffset]),
      [
        [0, 1, 0],
        [1, 1, 2],
      ],
    );

    const all = (await call('GET', '/api/topics/api-t/messages?partition=1&offset=0')).body;
    assert.deepEqual(
      (all.messages as Array<{ key: string | null; value: string }>).map((m) => [m.key, m.value]),
      [
        ['a', 'first'],
        [null, 'second'],
      ],
    );
    const fromTime = (await call('GET', `/api/topics/api-t/messages?partition=1&timestamp=${t1}`)).body;
    assert.deepEqual(
      (fromTime.messages as Array<{ value: string; headers: unknown }>).map((m) => [m.value, m.headers]),
      [['second', [{ key: 'h', value: 'v' }]]],
    );
    assert.ok(t1 > t0);
    const empty = (await call('GET', '/api/topics/api-t/messages?partition=0&offset=0')).body;
    assert.deepEqual(empty.messages, []);

    const altered = await call('PUT', '/api/topics/api-t/configs', { set: { 'retention.ms': '60000' } });
    assert.equal(altered.status, 200);
    const entry = (altered.body as unknown as Array<{ name: string; value: string; source: string }>).find(
      (c) => c.name === 'retention.ms',
    );
    assert.deepEqual(entry && [entry.value, entry.source], ['60000', 'DYNAMIC_TOPIC_CONFIG']);
    assert.equal((await call('DELETE', '/api/topics/api-t', undefined, {})).status, 200);
    assert.equal((await call('GET', '/api/topics/api-t/messages?partition=0')).status, 404);
  });

  test('groups: lag per partition from committed offsets, total lag in the list', async () => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    await producer.send({ topic: 'api-g', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.close();
    const consumer = new Consumer({
      bootstrapServers: broker.bootstrap,
      groupId: 'api-group',
      enableAutoCommit: false,
    });
    consumer.assign([{ topic: 'api-g', partition: 0, from: 'earliest' }]);
    await consumer.commit([{ topic: 'api-g', partition: 0, offset: 1 }]);
    await consumer.close();

    const list = (await call('GET', '/api/groups')).body as unknown as Array<{ groupId: string; lag: number }>;
    assert.equal(list.find((g) => g.groupId === 'api-group')?.lag, 2);
    const g = (await call('GET', '/api/groups/api-group')).body as unknown as {
      offsets: Array<{ topic: string; partition: number; offset: number; logEndOffset: number; lag: number }>;
    };
    assert.deepEqual(
      g.offsets.map((o) => [o.topic, o.partition, o.offset, o.logEndOffset, o.lag]),
      [['api-g', 0, 1, 3, 2]],
    );

    // Reset: to latest (lag 0), to an offset, to earliest; refused while the group has a member.
    const reset = async (to: unknown) => call('POST', '/api/groups/api-group/offsets', { topic: 'api-g', to });
    const lagNow = async () =>
      ((await call('GET', '/api/groups/api-group')).body.offsets as Array<{ offset: number; lag: number }>).map((o) => [
        o.offset,
        o.lag,
      ]);
    assert.equal((await reset('latest')).status, 201);
    assert.deepEqual(await lagNow(), [[3, 0]]);
    assert.equal((await reset(2)).status, 201);
    assert.deepEqual(await lagNow(), [[2, 1]]);
    assert.equal((await reset('earliest')).status, 201);
    assert.deepEqual(await lagNow(), [[0, 3]]);
    assert.equal((await reset('soon')).status, 400);
    const member = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'api-group' });
    await member.subscribe(['api-g']);
    await member.poll(3000);
    try {
      const busy = await reset('latest');
      assert.equal(busy.status, 409);
      assert.match(busy.body.error!, /1 active member/);
    } finally {
      await member.close();
    }
  });

  test('bad input: the broker error with a fitting status', async () => {
    assert.equal((await call('POST', '/api/topics', { name: 'dup' })).status, 201);
    const dup = await call('POST', '/api/topics', { name: 'dup' });
    assert.equal(dup.status, 409);
    assert.match(dup.body.error!, /^TOPIC_ALREADY_EXISTS/);
    const badName = await call('POST', '/api/topics', { name: 'bad name!' });
    assert.equal(badName.status, 400);
    assert.match(badName.body.error!, /^INVALID_TOPIC_EXCEPTION/);
    const badConfig = await call('PUT', '/api/topics/dup/configs', { set: { 'retention.ms': 'soon' } });
    assert.equal(badConfig.status, 400);
    assert.match(badConfig.body.error!, /^INVALID_CONFIG/);
    assert.deepEqual(await call('POST', '/api/topics', {}), {
      status: 400,
      body: { error: 'name: a topic name is required' },
    });
    assert.equal((await call('POST', '/api/topics', '{not json')).status, 400);
    assert.equal((await call('POST', '/api/topics', { name: 'x', partitions: 'many' })).status, 400);
    assert.equal((await call('GET', '/api/topics/dup/messages')).body.error, 'partition: required');
    assert.equal((await call('GET', '/api/nothing')).status, 404);
  });

  test('changes need application/json and the same origin; files outside the console are not served', async () => {
    const form = await call('POST', '/api/topics', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const cross = await call('POST', '/api/topics', { name: 'x' }, { ...json, origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    const crossDelete = await call('DELETE', '/api/topics/dup', undefined, { origin: 'http://evil.example' });
    assert.equal(crossDelete.status, 403);
    assert.equal((await call('GET', '/api/topics')).status, 200, 'reads need neither');
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json'])
      assert.equal((await fetch(`${base}${p}`)).status, 404, p);
  });

  test('an unbuilt console says so at /; a built one is served with its assets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-console-'));
    const { ConsoleApi } = await import('../../src/ops/console-api.ts');
    const serve = async (api: InstanceType<typeof ConsoleApi>, path: string) => {
      let status = 0;
      let text = '';
      const res = {
        writeHead: (s: number) => {
          status = s;
        },
        end: (b?: Buffer | string) => {
          text = b === undefined ? '' : b.toString();
        },
      };
      const handled = await api.route(
        { method: 'GET', url: path, headers: {} } as never,
        res as never,
        new URL(path, 'http://x'),
      );
      return { handled, status, text };
    };
    after(() => rmSync(dir, { recursive: true, force: true }));
    const unbuilt = new ConsoleApi({ bootstrap: () => broker.bootstrap, dir });
    const page = await serve(unbuilt, '/');
    assert.match(page.text, /not built in this checkout: run <code>npm run build<\/code>/);
    writeFileSync(join(dir, 'index.html'), '<div id="app"></div>');
    const built = new ConsoleApi({ bootstrap: () => broker.bootstrap, dir });
    assert.deepEqual(await serve(built, '/'), { handled: true, status: 200, text: '<div id="app"></div>' });
    assert.equal((await serve(built, '/assets/missing.js')).handled, false);
  });
});
