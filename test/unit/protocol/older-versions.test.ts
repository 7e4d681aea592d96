// Every version the older definitions describe reads and writes the same bytes with the generated schemas (Kafka
// 4.4's definitions plus the older ones for what 4.4 removed): old clients see exactly what they saw before. The
// schemas the older definitions alone give are generated here into a temp directory; each version's encodings (from
// the round-trip arbitraries) must decode under the current schema and re-encode to the same bytes (field names may
// differ where Kafka renamed a field; the wire may not).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { decode, encode } from '../../../src/protocol/codec.ts';
import * as INTERNAL from '../../../src/protocol/generated/internal.ts';
import * as MESSAGES from '../../../src/protocol/generated/messages.ts';
import { ProtocolError, Reader } from '../../../src/protocol/io.ts';
import type { MessageSchema } from '../../../src/protocol/schema.ts';
import { messageArb } from './schema-arbitrary.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEFS = resolve(ROOT, '../shared/kafka-protocol');
const have = existsSync(join(DEFS, 'message'));

// Definitions Kafka changed on the wire at a version it had already defined, in APIs and records Tributary does
// not serve or store: share groups were early access in 4.0 and were redefined before their release.
const REDEFINED = new Set([
  'ReadShareGroupStateSummaryResponse',
  'ShareGroupMetadataValue',
  'ShareGroupStatePartitionMetadataValue',
]);

const tmp = mkdtempSync(join(tmpdir(), 'tributary-older-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function olderOnly(): Promise<{ messages: readonly MessageSchema[]; internal: readonly MessageSchema[] }> {
  const defs = join(tmp, 'defs');
  mkdirSync(defs);
  symlinkSync(join(DEFS, 'message'), join(defs, 'message'));
  symlinkSync(join(DEFS, 'internal'), join(defs, 'internal'));
  mkdirSync(join(tmp, 'scripts'));
  mkdirSync(join(tmp, 'src/protocol/generated'), { recursive: true });
  copyFileSync(join(ROOT, 'scripts/gen-protocol.ts'), join(tmp, 'scripts/gen-protocol.ts'));
  copyFileSync(join(ROOT, 'src/protocol/schema.ts'), join(tmp, 'src/protocol/schema.ts'));
  execFileSync(process.execPath, [join(tmp, 'scripts/gen-protocol.ts'), defs], { stdio: 'pipe' });
  const m = await import(join(tmp, 'src/protocol/generated/messages.ts'));
  const i = await import(join(tmp, 'src/protocol/generated/internal.ts'));
  return { messages: m.ALL_SCHEMAS, internal: i.ALL_SCHEMAS };
}

/** The current schema for an older one: same name, or the same api key and kind (renamed APIs). */
function current(old: MessageSchema, all: readonly MessageSchema[]): MessageSchema | undefined {
  return (
    all.find((s) => s.name === old.name) ??
    (old.apiKey >= 0 ? all.find((s) => s.type === old.type && s.apiKey === old.apiKey) : undefined)
  );
}

const older = have ? await olderOnly() : null;

/** Whether one encoding of `old` at `v` reads and re-encodes to the same bytes under the current schema. */
function sameBytes(old: MessageSchema, s: MessageSchema, v: number, value: Record<string, unknown>): boolean {
  const bytes = encode(old, v, value).toBuffer();
  try {
    const r = new Reader(bytes);
    const decoded = decode(s, v, r);
    return r.remaining === 0 && encode(s, v, decoded).toBuffer().equals(bytes);
  } catch (e) {
    if (e instanceof ProtocolError) return false;
    throw e;
  }
}

test('versions the older definitions describe are encoded as before', { skip: !have && 'no definitions' }, async () => {
  assert.ok(older);
  let checked = 0;
  for (const [olds, now] of [
    [older.messages, MESSAGES.ALL_SCHEMAS],
    [older.internal, INTERNAL.ALL_SCHEMAS],
  ] as const) {
    for (const old of olds) {
      if (REDEFINED.has(old.name)) continue;
      const s = current(old, now);
      assert.ok(s, `${old.name} is still generated`);
      for (let v = old.valid[0]; v <= old.valid[1]; v++) {
        fc.assert(
          fc.property(messageArb(old, v), (value) => sameBytes(old, s, v, value)),
          { numRuns: 10 },
        );
        checked++;
      }
    }
  }
  assert.ok(checked > 700, `checked ${checked} (message, version) pairs`);
});

test('the redefined share-group definitions really differ (else drop them from REDEFINED)', {
  skip: !have && 'no definitions',
}, () => {
  assert.ok(older);
  for (const name of REDEFINED) {
    const old = [...older.messages, ...older.internal].find((x) => x.name === name)!;
    const s = [...MESSAGES.ALL_SCHEMAS, ...INTERNAL.ALL_SCHEMAS].find((x) => x.name === name)!;
    const differs = fc.check(
      fc.property(messageArb(old, 0), (value) => sameBytes(old, s, 0, value)),
      { numRuns: 50, seed: 1 },
    ).failed;
    assert.ok(differs, name);
  }
});
