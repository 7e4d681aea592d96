// Shape of the generated message declarations (src/protocol/generated/messages.ts).

export type FieldType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'
  | 'struct';

export interface FieldSchema {
  /** camelCase field name. */
  readonly n: string;
  readonly t: FieldType;
  /** Versions in which the field exists, inclusive. */
  readonly v: readonly [number, number];
  /** Set when the field is an array of `t`. */
  readonly a?: 1;
  /** Versions in which the field may be null. */
  readonly nv?: readonly [number, number];
  /** Versions in which the field is a tagged field, and its tag. */
  readonly tv?: readonly [number, number];
  readonly tag?: number;
  /** Field never uses compact encoding, even in flexible versions (RequestHeader.ClientId). */
  readonly noflex?: 1;
  /** Default value as written in the definition ("null", "-1", "0x7fffffff", "true"...). */
  readonly d?: string;
  /** Struct fields. */
  readonly f?: readonly FieldSchema[];
}

/** The fields of a message over a range of its versions. */
export interface VersionsPart {
  readonly valid: readonly [number, number];
  /** First flexible version (above every valid version when none is). */
  readonly flexible: number;
  readonly fields: readonly FieldSchema[];
}

export interface MessageSchema extends VersionsPart {
  readonly name: string;
  readonly type: 'request' | 'response' | 'header' | 'data' | 'metadata';
  readonly apiKey: number;
  readonly listeners: readonly string[];
  /**
   * Versions only an older definition describes (Kafka 4 removed or renumbered them) where the newest definition's
   * fields do not describe them: their own fields. `valid` above spans both parts.
   */
  readonly older?: VersionsPart;
  /** With an older part: the versions `fields` describe (the newest definition's). */
  readonly newest?: readonly [number, number];
}

/** The fields and flexibility of one version of a message; undefined when the message has no such version. */
export function versionPart(schema: MessageSchema, version: number): VersionsPart | undefined {
  if (schema.older && inRange(schema.older.valid, version)) return schema.older;
  return inRange(schema.newest ?? schema.valid, version) ? schema : undefined;
}

/** Every version a message has, in order. */
export function* schemaVersions(schema: MessageSchema): Generator<number> {
  for (let v = schema.valid[0]; v <= schema.valid[1]; v++) if (versionPart(schema, v)) yield v;
}

export const inRange = (r: readonly [number, number] | undefined, v: number): boolean =>
  r !== undefined && v >= r[0] && v <= r[1];
