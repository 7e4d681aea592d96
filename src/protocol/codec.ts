// Schema-driven encoder and decoder: one implementation for every message and version, compiled once per
// (message, version) into a list of field steps.

import { ProtocolError, Reader, UUID_ZERO, Writer } from './io.ts';
import { type FieldSchema, inRange, type MessageSchema, versionPart } from './schema.ts';

/** What an encoder accepts: any field may be left out and then takes its default; int64 accepts numbers too. */
export type Encodable<T> = T extends Buffer
  ? T
  : T extends bigint
    ? bigint | number
    : T extends Array<infer U>
      ? Array<Encodable<U>>
      : T extends object
        ? { [K in keyof T]?: Encodable<T[K]> }
        : T;

interface Step {
  f: FieldSchema;
  nullable: boolean;
  compact: boolean;
  children?: Compiled;
  def: () => unknown;
}

interface Compiled {
  flexible: boolean;
  inline: Step[];
  tagged: Map<number, Step>;
  taggedSorted: Step[];
  absent: Step[]; // fields not present in this version: decoded as their default
}

function defaultFn(f: FieldSchema, version: number, flexible: boolean): () => unknown {
  if (f.d === 'null') return () => null;
  if (f.a) return () => [];
  switch (f.t) {
    case 'bool': {
      const v = f.d === 'true';
      return () => v;
    }
    case 'int64': {
      const v = f.d !== undefined ? BigInt(f.d) : 0n;
      return () => v;
    }
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64': {
      const v = f.d !== undefined ? Number(f.d) : 0;
      return () => v;
    }
    case 'string': {
      const v = f.d ?? '';
      return () => v;
    }
    case 'uuid':
      return () => UUID_ZERO;
    case 'bytes':
      return () => Buffer.alloc(0);
    case 'records':
      return () => null;
    case 'struct': {
      const c = compileFields(f.f!, version, flexible);
      return () => decodeDefaults(c);
    }
  }
}

function decodeDefaults(c: Compiled): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const s of c.inline) o[s.f.n] = s.def();
  for (const s of c.taggedSorted) o[s.f.n] = s.def();
  for (const s of c.absent) o[s.f.n] = s.def();
  return o;
}

function compileFields(fields: readonly FieldSchema[], version: number, flexible: boolean): Compiled {
  const c: Compiled = { flexible, inline: [], tagged: new Map(), taggedSorted: [], absent: [] };
  for (const f of fields) {
    const step: Step = {
      f,
      nullable: inRange(f.nv, version),
      compact: flexible && !f.noflex,
      def: defaultFn(f, version, flexible),
    };
    if (f.t === 'struct') step.children = compileFields(f.f!, version, flexible);
    if (!inRange(f.v, version)) c.absent.push(step);
    else if (flexible && inRange(f.tv, version)) {
      c.tagged.set(f.tag!, step);
      c.taggedSorted.push(step);
    } else c.inline.push(step);
  }
  c.taggedSorted.sort((a, b) => a.f.tag! - b.f.tag!);
  return c;
}

// ---------- decode ----------

function readLength(r: Reader, compact: boolean, wide: boolean): number {
  if (compact) return r.uvarint() - 1;
  return wide ? r.int32() : r.int16();
}

function decodeValue(r: Reader, s: Step): unknown {
  const f = s.f;
  if (f.a) {
    const n = readLength(r, s.compact, true);
    if (n < 0) {
      if (!s.nullable) throw new ProtocolError(`null array for non-nullable field ${f.n}`);
      return null;
    }
    if (n > r.remaining) throw new ProtocolError(`array length ${n} of ${f.n} exceeds the ${r.remaining} bytes left`);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = decodeOne(r, s);
    return out;
  }
  if (f.t === 'struct' && s.nullable) {
    if (r.int8() < 0) return null;
  }
  return decodeOne(r, s);
}

function decodeOne(r: Reader, s: Step): unknown {
  switch (s.f.t) {
    case 'bool':
      return r.bool();
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const n = readLength(r, s.compact, false);
      if (n < 0) {
        if (!s.nullable) throw new ProtocolError(`null string for non-nullable field ${s.f.n}`);
        return null;
      }
      return r.utf8(n);
    }
    case 'bytes':
    case 'records': {
      const n = readLength(r, s.compact, true);
      if (n < 0) {
        if (!s.nullable) throw new ProtocolError(`null bytes for non-nullable field ${s.f.n}`);
        return null;
      }
      return r.slice(n);
    }
    case 'struct':
      return decodeStruct(r, s.children!);
  }
}

function decodeStruct(r: Reader, c: Compiled): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const s of c.inline) o[s.f.n] = decodeValue(r, s);
  if (c.flexible) {
    for (const s of c.taggedSorted) o[s.f.n] = s.def();
    const n = r.uvarint();
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint();
      const size = r.uvarint();
      const s = c.tagged.get(tag);
      if (s) {
        const sub = new Reader(r.buf, r.pos, r.pos + size);
        if (size > r.remaining) throw new ProtocolError(`tagged field ${tag} overruns the message`);
        o[s.f.n] = decodeValue(sub, s);
      }
      r.slice(size);
    }
  }
  for (const s of c.absent) o[s.f.n] = s.def();
  return o;
}

// ---------- encode ----------

function writeLength(w: Writer, compact: boolean, wide: boolean, n: number): void {
  if (compact) w.uvarint(n + 1);
  else if (wide) w.int32(n);
  else w.int16(n);
}

function encodeValue(w: Writer, s: Step, v: unknown): void {
  const f = s.f;
  if (v === undefined) v = s.def();
  if (f.a) {
    if (v === null) {
      if (!s.nullable) throw new ProtocolError(`field ${f.n} is not nullable in this version`);
      writeLength(w, s.compact, true, -1);
      return;
    }
    const arr = v as unknown[];
    writeLength(w, s.compact, true, arr.length);
    for (const e of arr) encodeOne(w, s, e);
    return;
  }
  if (f.t === 'struct' && s.nullable) {
    if (v === null) {
      w.int8(-1);
      return;
    }
    w.int8(1);
  }
  encodeOne(w, s, v);
}

const utf8Len = Buffer.byteLength;

function encodeOne(w: Writer, s: Step, v: unknown): void {
  switch (s.f.t) {
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'int8':
      w.int8(v as number);
      return;
    case 'int16':
      w.int16(v as number);
      return;
    case 'uint16':
      w.uint16(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'uint32':
      w.uint32(v as number);
      return;
    case 'int64':
      w.int64(v as bigint | number);
      return;
    case 'float64':
      w.float64(v as number);
      return;
    case 'uuid':
      w.uuid(v as string);
      return;
    case 'string': {
      if (v === null) {
        if (!s.nullable) throw new ProtocolError(`field ${s.f.n} is not nullable in this version`);
        writeLength(w, s.compact, false, -1);
        return;
      }
      const str = v as string;
      const n = utf8Len(str);
      if (!s.compact && n > 0x7fff) throw new ProtocolError(`string field ${s.f.n} is too long`);
      writeLength(w, s.compact, false, n);
      w.utf8(str, n);
      return;
    }
    case 'bytes':
    case 'records': {
      if (v === null) {
        if (!s.nullable) throw new ProtocolError(`field ${s.f.n} is not nullable in this version`);
        writeLength(w, s.compact, true, -1);
        return;
      }
      const b = v as Uint8Array;
      writeLength(w, s.compact, true, b.length);
      w.bytes(b);
      return;
    }
    case 'struct':
      encodeStruct(w, s.children!, (v ?? {}) as Record<string, unknown>);
      return;
  }
}

function isDefault(s: Step, v: unknown): boolean {
  if (v === undefined) return true;
  const d = s.def();
  if (v === d) return true;
  if (Array.isArray(v)) return v.length === 0 && Array.isArray(d);
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && v.equals(d);
  if (typeof v === 'object' && v !== null && typeof d === 'object' && d !== null) {
    for (const k of Object.keys(d)) {
      const a = (v as Record<string, unknown>)[k];
      const b = (d as Record<string, unknown>)[k];
      if (a !== undefined && a !== b && !(Array.isArray(a) && a.length === 0 && Array.isArray(b))) return false;
    }
    return true;
  }
  return false;
}

function encodeStruct(w: Writer, c: Compiled, o: Record<string, unknown>): void {
  for (const s of c.inline) encodeValue(w, s, o[s.f.n]);
  if (!c.flexible) return;
  const present = c.taggedSorted.filter((s) => !isDefault(s, o[s.f.n]));
  w.uvarint(present.length);
  for (const s of present) {
    const sub = new Writer(64);
    encodeValue(sub, s, o[s.f.n]);
    w.uvarint(s.f.tag!);
    w.uvarint(sub.size);
    w.append(sub);
  }
}

// ---------- public ----------

const cache = new WeakMap<MessageSchema, Map<number, Compiled>>();

function compiled(schema: MessageSchema, version: number): Compiled {
  let byVersion = cache.get(schema);
  if (!byVersion) {
    byVersion = new Map();
    cache.set(schema, byVersion);
  }
  let c = byVersion.get(version);
  if (!c) {
    const part = versionPart(schema, version);
    if (!part) throw new ProtocolError(`${schema.name} has no version ${version}`);
    c = compileFields(part.fields, version, version >= part.flexible);
    byVersion.set(version, c);
  }
  return c;
}

export function decode<T>(schema: MessageSchema, version: number, r: Reader): T {
  return decodeStruct(r, compiled(schema, version)) as T;
}

export function encode<T>(
  schema: MessageSchema,
  version: number,
  value: Encodable<T>,
  w: Writer = new Writer(),
): Writer {
  encodeStruct(w, compiled(schema, version), value as Record<string, unknown>);
  return w;
}

/** A message with every field at its default for that version. */
export function defaults<T>(schema: MessageSchema, version: number): T {
  return decodeDefaults(compiled(schema, version)) as T;
}
