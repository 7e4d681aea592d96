// The Node.js version check of the `tributary` executable and the package entry.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MIN_NODE_VERSION, nodeVersionProblem } from '../../../src/util/node-version.ts';

test('versions before 22.15 are refused with one line naming the version needed and how to get it', () => {
  for (const v of ['20.20.2', '18.19.0', '22.14.0', '22.0.0', '16.0.0'])
    assert.equal(
      nodeVersionProblem(v),
      `tributary needs Node.js 22.15 or newer (Node.js 24 recommended), but this is Node.js ${v}: install a current one from https://nodejs.org/ or with nvm (nvm install 24).`,
    );
  for (const v of ['22.15.0', '22.21.1', '23.0.0', '24.9.0', '25.1.0', process.versions.node])
    assert.equal(nodeVersionProblem(v), undefined, v);
});

test('package.json engines says the same minimum', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  };
  assert.equal(pkg.engines.node, `>=${MIN_NODE_VERSION.join('.')}`);
});
