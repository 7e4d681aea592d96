// The web console in headless Chromium (Debian's chromium, driven by playwright-core) against a real broker
// process: the cluster page, create and delete a topic, produce a message and browse it, and a kafka-python group's
// lag dropping to 0 once it has consumed everything; with http.auth=basic, a user without the ACL shown the broker's
// refusal and the super user allowed. The test builds the console (vite) into dist/console first.
// TRIBUTARY_CONSOLE_SCREENSHOTS=<dir> saves screenshots there (docs/ holds the ones taken that way).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, printLogsOnFailure, REPO_ROOT, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requireBinary, requirePython, runProcess, waitFor } from '../helpers/clients.ts';
import { httpPort } from '../helpers/prometheus.ts';

const GROUPS_PY = path.join(PY_DIR, 'groups_kafka_python.py');
const SHOTS = process.env.TRIBUTARY_CONSOLE_SCREENSHOTS;

async function runPy(python: string, args: string[]): Promise<void> {
  const r = await runProcess(python, [GROUPS_PY, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(`groups_kafka_python.py ${args.join(' ')}`, r));
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

describe('web console (headless Chromium)', { timeout: 240_000 }, () => {
  let browser: Browser | undefined;
  const setup = sharedSetup(async () => {
    const chromiumPath = requireBinary('chromium', 'apt-get install chromium');
    const python = requirePython('kafka', 'apt-get install python3-kafka');
    const build = await runProcess(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'vite'),
      ['build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'],
      { cwd: REPO_ROOT, timeoutMs: 120_000 },
    );
    assert.equal(build.code, 0, describeRun('vite build (the console)', build));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    const broker = await startBrokerProcess({
      overrides: { 'http.listeners': 'http://127.0.0.1:0', 'num.partitions': '2' },
    });
    return { python, broker, base: `http://127.0.0.1:${httpPort(broker)}/` };
  });
  after(async () => {
    await browser?.close();
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  const open = async (hash: string): Promise<Page> => {
    const { base } = await setup.get();
    const page = await browser!.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}${hash}`);
    return page;
  };

  test('cluster page: the broker and the controller', async () => {
    const page = await open('');
    await page.getByText('controller', { exact: true }).waitFor();
    assert.match((await page.locator('main p').first().textContent()) ?? '', /controller broker 1$/);
    await page.close();
  });

  test('topics: create one with two partitions, produce a JSON message, browse it; delete another', async () => {
    const page = await open('#/topics');
    await page.fill('input[name=topic]', 'console-orders');
    await page.fill('input[name=partitions]', '2');
    await page.fill('input[name=configs]', 'retention.ms=86400000');
    await page.click('text=Create topic');
    const row = page.locator('tr[data-topic="console-orders"]');
    await row.waitFor();
    assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 5), ['console-orders', '2', '0', '0 B', '0']);

    await page.click('a[href="#/topics/console-orders"]');
    await page.getByRole('heading', { name: 'Partitions' }).waitFor();
    assert.equal(await page.locator('table').first().locator('tbody tr').count(), 2);
    await page.fill('input[name=key]', 'order-1');
    await page.fill('input[name=value]', '{"item":"book","qty":2}');
    await page.fill('input[name=headers]', 'source=console');
    await page.click('text=Produce to partition 0');
    await page.getByText('Written to partition 0 at offset 0').waitFor();
    const msg = page.locator('tr[data-offset="0"]');
    await msg.waitFor();
    assert.equal(await msg.locator('pre.json').textContent(), '{\n  "item": "book",\n  "qty": 2\n}');
    const cells = await msg.locator('td').allTextContents();
    assert.equal(cells[2], 'order-1');
    assert.equal(cells[4], 'source: console');
    // The topic config given at creation is there, as an override.
    const retention = page
      .locator('table.configs tr')
      .filter({ has: page.getByRole('cell', { name: 'retention.ms', exact: true }) });
    assert.deepEqual((await retention.locator('td').allTextContents()).slice(0, 3), [
      'retention.ms',
      '86400000',
      'DYNAMIC_TOPIC_CONFIG',
    ]);
    await shot(page, 'console-topic');

    // A second message, browsed from offset 1 only.
    await page.fill('input[name=value]', 'plain text');
    await page.click('text=Produce to partition 0');
    await page.getByText('Written to partition 0 at offset 1').waitFor();
    await page.fill('input[name=from]', '1');
    await page.click('text=Show messages');
    await page.getByText('Partition 0: 1 message(s)').waitFor();
    await page.close();

    const list = await open('#/topics');
    await list.fill('input[name=topic]', 'console-scratch');
    await list.click('text=Create topic');
    await list.locator('tr[data-topic="console-scratch"]').waitFor();
    await list.locator('tr[data-topic="console-scratch"] button', { hasText: 'Delete' }).click();
    await list.locator('tr[data-topic="console-scratch"]').waitFor({ state: 'detached' });
    // Bad input gets the broker's error.
    await list.fill('input[name=topic]', 'console-orders');
    await list.click('text=Create topic');
    await list
      .getByRole('alert')
      .getByText(/TOPIC_ALREADY_EXISTS/)
      .waitFor();
    await list.close();
  });

  test("consumer groups: a group's lag, and 0 once it has consumed everything", async () => {
    const { python, broker } = await setup.get();
    const topic = 'console-lag';
    const group = 'console-group';
    await runPy(python, [broker.bootstrap, 'produce', topic, '10', '0']);
    await runPy(python, [broker.bootstrap, 'consume', topic, group, '4']);

    const page = await open('#/groups');
    const row = page.locator(`tr[data-group="${group}"]`);
    await row.waitFor();
    assert.equal(await row.locator('td.lag').textContent(), '6');
    await page.click(`a[href="#/groups/${group}"]`);
    await page.locator('table.lag-table tbody tr').first().waitFor();
    const lags = await page.locator('table.lag-table td.lag').allTextContents();
    assert.equal(
      lags.reduce((n, t) => n + Number(t.trim()), 0),
      6,
    );
    await shot(page, 'console-group');

    await runPy(python, [broker.bootstrap, 'consume', topic, group, '6']);
    await page.click('text=Refresh');
    await waitFor('every partition at lag 0', async () => {
      const now = await page.locator('table.lag-table td.lag').allTextContents();
      return now.length > 0 && now.every((t) => t.trim() === '0') ? true : undefined;
    });
    // Reset the (now empty) group to the earliest offsets: all 10 records are lag again.
    await page.selectOption('select[name=to]', 'earliest');
    await page.click('text=Reset (group must be empty)');
    await waitFor('lag 10 after the reset', async () => {
      const now = await page.locator('table.lag-table td.lag').allTextContents();
      return now.reduce((n, t) => n + Number(t.trim()), 0) === 10 ? true : undefined;
    });
    await runPy(python, [broker.bootstrap, 'consume', topic, group, '10']);
    await page.goto(`${(await setup.get()).base}#/groups`);
    await page.locator(`tr[data-group="${group}"] td.lag`, { hasText: /^0$/ }).waitFor();
    await page.close();
  });
});

describe('web console with http.auth=basic (headless Chromium)', { timeout: 240_000 }, () => {
  let browser: Browser | undefined;
  const JAAS =
    'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_bob="bob-secret";';
  const setup = sharedSetup(async () => {
    const chromiumPath = requireBinary('chromium', 'apt-get install chromium');
    const build = await runProcess(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'vite'),
      ['build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'],
      { cwd: REPO_ROOT, timeoutMs: 120_000 },
    );
    assert.equal(build.code, 0, describeRun('vite build (the console)', build));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    const broker = await startBrokerProcess({
      extraListeners: `SASL_PLAINTEXT://127.0.0.1:${await freePort()}`,
      overrides: {
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
        'http.listeners': 'http://127.0.0.1:0',
        'http.auth': 'basic',
      },
    });
    return { broker, base: `http://127.0.0.1:${httpPort(broker)}/` };
  });
  after(async () => {
    await browser?.close();
    await setup.value()?.broker.stop();
  });
  afterEach((t) => printLogsOnFailure(t, setup.value()?.broker));

  const openAs = async (username: string, password: string, hash: string): Promise<Page> => {
    const { base } = await setup.get();
    const context = await browser!.newContext({ httpCredentials: { username, password } });
    const page = await context.newPage();
    await page.goto(`${base}${hash}`);
    return page;
  };

  test("a user without the ACL sees the broker's refusal naming it; the super user creates the topic", async () => {
    const bob = await openAs('bob', 'bob-secret', '#/topics');
    await bob.fill('input[name=topic]', 'console-acl');
    await bob.click('text=Create topic');
    await bob
      .getByRole('alert')
      .getByText(/User:bob is not authorized: TOPIC_AUTHORIZATION_FAILED/)
      .waitFor();
    await bob.context().close();

    const admin = await openAs('admin', 'admin-secret', '#/topics');
    await admin.fill('input[name=topic]', 'console-acl');
    await admin.click('text=Create topic');
    await admin.locator('tr[data-topic="console-acl"]').waitFor();
    await admin.context().close();

    const wrong = await openAs('bob', 'not-bobs', '');
    const { base } = await setup.get();
    const res = await wrong.goto(base);
    assert.equal(res?.status(), 401);
    await wrong.context().close();
  });
});
