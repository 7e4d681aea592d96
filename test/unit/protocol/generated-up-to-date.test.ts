// src/protocol/generated/{messages,internal}.ts must be what scripts/gen-protocol.ts makes of Kafka's definitions.
// The script writes to a path fixed relative to itself, so it runs as a copy inside a temp directory laid out like
// the repository: the real generated file is never touched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEFS = resolve(ROOT, '../shared/kafka-protocol');

test('generated messages.ts is up to date', {
  skip: existsSync(join(DEFS, 'kafka-4.4/message')) ? false : `no message definitions at ${DEFS}`,
}, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tributary-gen-'));
  try {
    mkdirSync(join(tmp, 'scripts'));
    mkdirSync(join(tmp, 'src/protocol/generated'), { recursive: true });
    copyFileSync(join(ROOT, 'scripts/gen-protocol.ts'), join(tmp, 'scripts/gen-protocol.ts'));
    execFileSync(process.execPath, [join(tmp, 'scripts/gen-protocol.ts'), DEFS], { stdio: 'pipe' });
    for (const file of ['messages.ts', 'internal.ts']) {
      const fresh = readFileSync(join(tmp, 'src/protocol/generated', file), 'utf8');
      const committed = readFileSync(join(ROOT, 'src/protocol/generated', file), 'utf8');
      if (committed !== fresh) {
        // Name the first stale line rather than dumping 2600 lines of diff.
        const a = committed.split('\n');
        const b = fresh.split('\n');
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        assert.fail(
          `${file} is stale (run: npm run gen); first difference at line ${i + 1}:\n` +
            `  committed: ${a[i]?.slice(0, 200)}\n  generated: ${b[i]?.slice(0, 200)}`,
        );
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
