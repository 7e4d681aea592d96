// Zig-zag varints (int32) and varlongs (int64, exact while |value| <= 2^53) of the v2 record format.
// Readers return the value and leave the position after it in `cursor.pos`, so the hot path allocates nothing.
import { invalidRecord } from './errors.ts';

export interface Cursor {
  pos: number;
}

/** Reads a zig-zag varint (at most 5 bytes) at `c.pos`, advancing it; throws INVALID_RECORD past `end`. */
export function readVarint(buf: Uint8Array, c: Cursor, end: number): number {
  let pos = c.pos;
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw invalidRecord('varint runs past the end of the record data');
    const b = buf[pos++]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw invalidRecord('varint is longer than 5 bytes');
  }
  c.pos = pos;
  return (result >>> 1) ^ -(result & 1);
}

/** Reads a zig-zag varlong (at most 10 bytes) at `c.pos`, advancing it. Values beyond 2^53 lose precision. */
export function readVarlong(buf: Uint8Array, c: Cursor, end: number): number {
  let pos = c.pos;
  let result = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i >= 10) throw invalidRecord('varlong is longer than 10 bytes');
    if (pos >= end) throw invalidRecord('varlong runs past the end of the record data');
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) break;
    mul *= 128;
  }
  c.pos = pos;
  // zig-zag decode without 32-bit operators
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}

export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

export function sizeOfVarlong(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes a zig-zag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}
