// The broker epoch in the clean-shutdown markers (KIP-966): written into the markers the log manager left, read back
// only when every log dir names the same epoch.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCleanShutdownEpoch, writeCleanShutdownEpoch } from '../../../src/node/clean-shutdown.ts';
import { CLEAN_SHUTDOWN_MARKER } from '../../../src/storage/log-manager.ts';

test('clean-shutdown markers carry the broker epoch when every log dir was closed cleanly', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'clean-shutdown-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dirs = [join(root, 'a'), join(root, 'b')];
  for (const d of dirs) mkdirSync(d);
  assert.equal(readCleanShutdownEpoch(dirs), null, 'no markers: unclean');
  // The log manager closed only dir a cleanly: b gets no marker, and the epoch is not trusted.
  writeFileSync(join(dirs[0]!, CLEAN_SHUTDOWN_MARKER), '');
  writeCleanShutdownEpoch(dirs, 4294967353n);
  assert.deepEqual(JSON.parse(readFileSync(join(dirs[0]!, CLEAN_SHUTDOWN_MARKER), 'utf8')), {
    version: 0,
    brokerEpoch: 4294967353,
  });
  assert.equal(readCleanShutdownEpoch(dirs), null, 'dir b has no marker');
  writeFileSync(join(dirs[1]!, CLEAN_SHUTDOWN_MARKER), '');
  assert.equal(readCleanShutdownEpoch(dirs), null, 'an empty marker names no epoch');
  writeCleanShutdownEpoch(dirs, 4294967353n);
  assert.equal(readCleanShutdownEpoch(dirs), 4294967353n);
  writeFileSync(join(dirs[1]!, CLEAN_SHUTDOWN_MARKER), JSON.stringify({ version: 0, brokerEpoch: 7 }));
  assert.equal(readCleanShutdownEpoch(dirs), null, 'dirs disagree');
});
