// Tagged fields are left off the wire when they hold their default, so "is it the default?" must be exact: a value
// that is not the default but is judged to be one is silently replaced by the default on the other side.
// The generated schemas have no tagged struct with an array inside today; these synthetic schemas have.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode } from '../../../src/protocol/codec.ts';
import { Reader } from '../../../src/protocol/io.ts';
import type { MessageSchema } from '../../../src/protocol/schema.ts';

const TaggedStructSchema: MessageSchema = {
  name: 'TaggedStructTest',
  type: 'data',
  apiKey: -1,
  listeners: [],
  valid: [0, 0],
  flexible: 0,
  fields: [
    {
      n: 'extra',
      t: 'struct',
      v: [0, 32767],
      tv: [0, 32767],
      tag: 0,
      f: [
        { n: 'ids', t: 'int32', v: [0, 32767], a: 1, nv: [0, 32767], d: 'null' },
        { n: 'names', t: 'string', v: [0, 32767], a: 1 },
      ],
    },
  ],
};

const roundTrip = (value: object) =>
  decode(TaggedStructSchema, 0, new Reader(encode(TaggedStructSchema, 0, value).toBuffer()));

test('tagged struct at its default is omitted and comes back as the default', () => {
  assert.deepStrictEqual(
    encode(TaggedStructSchema, 0, { extra: { ids: null, names: [] } }).toBuffer(),
    Buffer.from([0]),
  );
  assert.deepStrictEqual(roundTrip({ extra: { ids: null, names: [] } }), { extra: { ids: null, names: [] } });
  assert.deepStrictEqual(roundTrip({ extra: { ids: [1], names: [] } }), { extra: { ids: [1], names: [] } });
});

test('tagged struct holding an empty array where the default is null keeps the empty array', () => {
  // Expected on the wire: 1 tagged field, tag 0, size 3: ids = compact [] (01), names = compact [] (01), no tags (00).
  assert.deepStrictEqual(
    encode(TaggedStructSchema, 0, { extra: { ids: [], names: [] } }).toBuffer(),
    Buffer.from([1, 0, 3, 1, 1, 0]),
  );
  assert.deepStrictEqual(roundTrip({ extra: { ids: [], names: [] } }), { extra: { ids: [], names: [] } });
});
