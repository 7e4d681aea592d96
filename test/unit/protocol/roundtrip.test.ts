// Property: for every message schema and every valid version, encode(value) then decode gives the value back,
// with fields absent in the version decoding to their defaults, and the decoder consuming exactly the encoding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decode, defaults, encode } from '../../../src/protocol/codec.ts';
import { ALL_SCHEMAS as INTERNAL_SCHEMAS } from '../../../src/protocol/generated/internal.ts';
import { ALL_SCHEMAS as MESSAGE_SCHEMAS } from '../../../src/protocol/generated/messages.ts';
import { ProtocolError, Reader } from '../../../src/protocol/io.ts';
import type { MessageSchema } from '../../../src/protocol/schema.ts';
import { fieldsAt, messageArb, structDefaults, taggedOutsideFlexible, versionsOf } from './schema-arbitrary.ts';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 20);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

function roundTrip(schema: MessageSchema, version: number, value: Record<string, unknown>): void {
  const buf = encode(schema, version, value).toBuffer();
  const r = new Reader(buf);
  const out = decode(schema, version, r);
  assert.deepStrictEqual(out, value);
  assert.equal(r.remaining, 0, 'decoder must consume the whole encoding');
}

const ALL_SCHEMAS = [...MESSAGE_SCHEMAS, ...INTERNAL_SCHEMAS];

test('schemas: tagged fields only in flexible versions', () => {
  for (const s of ALL_SCHEMAS) assert.deepEqual(taggedOutsideFlexible(s), [], s.name);
});

for (const schema of ALL_SCHEMAS) {
  test(`round trip ${schema.name} v${schema.valid[0]}-${schema.valid[1]}`, async (t) => {
    for (const version of versionsOf(schema)) {
      await t.test(`v${version}`, () => {
        // Defaults: an empty object encodes every field at its default and decodes to defaults().
        const dflt = structDefaults(fieldsAt(schema, version)!, version);
        assert.deepStrictEqual(defaults(schema, version), dflt, 'defaults()');
        roundTrip(schema, version, dflt);
        const buf = encode(schema, version, {}).toBuffer();
        assert.deepStrictEqual(decode(schema, version, new Reader(buf)), dflt, 'encode({})');

        fc.assert(
          fc.property(messageArb(schema, version), (v) => roundTrip(schema, version, v)),
          { numRuns: NUM_RUNS, seed: SEED },
        );
      });
    }
  });
}

test('versions between the newest and the older definition are not versions (no fields to guess)', () => {
  // Kafka 4.4 renumbered coordinator record keys: ConsumerGroupMetadataKey is its v0, the older definition's v3.
  const s = INTERNAL_SCHEMAS.find((x) => x.name === 'ConsumerGroupMetadataKey')!;
  assert.deepEqual([...versionsOf(s)], [0, 3]);
  for (const v of [1, 2, 4]) assert.throws(() => encode(s, v, {}), ProtocolError);
  assert.deepEqual(encode(s, 3, { groupId: 'g' }).toBuffer(), encode(s, 0, { groupId: 'g' }).toBuffer());
});
