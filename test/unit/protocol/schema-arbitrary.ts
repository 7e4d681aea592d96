// fast-check arbitraries derived from the generated message schemas, and the defaults a decoder must produce for
// fields that are absent in a version. Written independently of src/protocol/codec.ts so the two can be compared.
import fc from 'fast-check';
import { type FieldSchema, inRange, type MessageSchema } from '../../../src/protocol/schema.ts';

export const UUID_ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * The fields of one version: the older definition's for the versions only it describes (Kafka 4 removed them),
 * else the newest definition's; undefined for a version in neither (a gap between the two).
 */
export function fieldsAt(schema: MessageSchema, version: number): readonly FieldSchema[] | undefined {
  if (schema.older && inRange(schema.older.valid, version)) return schema.older.fields;
  return inRange(schema.newest ?? schema.valid, version) ? schema.fields : undefined;
}

export const isFlexible = (schema: MessageSchema, version: number): boolean =>
  version >= (schema.older && inRange(schema.older.valid, version) ? schema.older.flexible : schema.flexible);

/** Every version a schema has. */
export function* versionsOf(schema: MessageSchema): Generator<number> {
  for (let version = schema.valid[0]; version <= schema.valid[1]; version++)
    if (fieldsAt(schema, version)) yield version;
}

/** Every (schema, version) pair of ALL_SCHEMAS. */
export function* messageVersions(
  schemas: readonly MessageSchema[],
): Generator<{ schema: MessageSchema; version: number }> {
  for (const schema of schemas) for (const version of versionsOf(schema)) yield { schema, version };
}

/** The value Kafka's generated code gives a field that is not on the wire (absent in the version, or tagged and omitted). */
export function fieldDefault(f: FieldSchema, version: number): unknown {
  if (f.d === 'null') return null;
  if (f.a) return [];
  switch (f.t) {
    case 'bool':
      return f.d === 'true';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return f.d === undefined ? 0 : Number(f.d);
    case 'int64':
      return f.d === undefined ? 0n : BigInt(f.d);
    case 'string':
      return f.d ?? '';
    case 'uuid':
      return UUID_ZERO;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'struct':
      return structDefaults(f.f!, version);
  }
}

export function structDefaults(fields: readonly FieldSchema[], version: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.n] = fieldDefault(f, version);
  return o;
}

const INT_RANGES = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
} as const;

const buffers = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b.buffer, b.byteOffset, b.length));

/** Mostly small, sometimes past the Writer's 1 KiB reference threshold. */
const bytesArb = fc.oneof({ weight: 9, arbitrary: buffers(0, 40) }, { weight: 1, arbitrary: buffers(1020, 1100) });

/** Full unicode (no lone surrogates: they do not survive UTF-8). Longer strings cross the 1-byte varint boundary. */
const stringArb = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 120, maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 40, maxLength: 80 }) },
);

const uuidArb = buffers(16, 16).map((b) => b.toString('base64url'));

function scalarArb(f: FieldSchema, version: number, depth: number): fc.Arbitrary<unknown> {
  switch (f.t) {
    case 'bool':
      return fc.boolean();
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [min, max] = INT_RANGES[f.t];
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, 0, -1 >= min ? -1 : 1));
    }
    case 'int64':
      return fc.oneof(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n),
      );
    case 'float64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'string':
      return stringArb;
    case 'uuid':
      return uuidArb;
    case 'bytes':
    case 'records':
      return bytesArb;
    case 'struct':
      return structArb(f.f!, version, depth + 1);
  }
}

function fieldArb(f: FieldSchema, version: number, depth: number): fc.Arbitrary<unknown> {
  let arb = scalarArb(f, version, depth);
  if (f.a) arb = fc.array(arb, { maxLength: depth > 3 ? 1 : 3 });
  if (inRange(f.nv, version)) arb = fc.option(arb, { nil: null, freq: 4 });
  return arb;
}

/**
 * Values for a struct in one version: fields of the version get arbitrary values (nulls only where nullable), fields
 * outside it hold their defaults, so the generated value is also the expected result of decoding its encoding.
 * Tagged fields are often left at their default, which must make them disappear from the wire and come back.
 */
export function structArb(
  fields: readonly FieldSchema[],
  version: number,
  depth = 0,
): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    if (!inRange(f.v, version)) model[f.n] = fc.constant(null).map(() => fieldDefault(f, version));
    else if (inRange(f.tv, version))
      model[f.n] = fc.oneof(
        fc.constant(null).map(() => fieldDefault(f, version)),
        fieldArb(f, version, depth),
      );
    else model[f.n] = fieldArb(f, version, depth);
  }
  return fc.record(model).map((o) => ({ ...o })); // fc.record builds null-prototype objects
}

export function messageArb(schema: MessageSchema, version: number): fc.Arbitrary<Record<string, unknown>> {
  return structArb(fieldsAt(schema, version)!, version);
}

/** Fields (recursively) that are tagged in this version: a sanity check on the schemas themselves. */
export function taggedOutsideFlexible(schema: MessageSchema): string[] {
  const bad: string[] = [];
  const walk = (fields: readonly FieldSchema[], flexible: number, path: string) => {
    for (const f of fields) {
      if (f.tv && f.tv[0] < flexible) bad.push(`${path}${f.n}`);
      if (f.f) walk(f.f, flexible, `${path}${f.n}.`);
    }
  };
  walk(schema.fields, schema.flexible, '');
  if (schema.older) walk(schema.older.fields, schema.older.flexible, 'older:');
  return bad;
}
