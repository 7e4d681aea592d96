// Serializers turn a message's key/value into bytes on send; deserializers turn bytes back on consume.

export type Serializer<T> = (value: T, topic: string) => Buffer | null;
export type Deserializer<T> = (bytes: Buffer | null, topic: string) => T;

/** Buffers as they are; strings as UTF-8; null stays null. The default. */
export const bufferSerializer: Serializer<Buffer | string | null | undefined> = (v) =>
  v == null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

export const stringSerializer: Serializer<string | null | undefined> = (v) =>
  v == null ? null : Buffer.from(v, 'utf8');

/** `JSON.stringify` as UTF-8 (like kafka-python's `value_serializer=lambda x: json.dumps(x).encode()`). */
export const jsonSerializer: Serializer<unknown> = (v) =>
  v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8');

export const bufferDeserializer: Deserializer<Buffer | null> = (b) => b;

export const stringDeserializer: Deserializer<string | null> = (b) => (b === null ? null : b.toString('utf8'));

export const jsonDeserializer: Deserializer<unknown> = (b) => (b === null ? null : JSON.parse(b.toString('utf8')));

export const serializers = { buffer: bufferSerializer, string: stringSerializer, json: jsonSerializer } as const;
export const deserializers = {
  buffer: bufferDeserializer,
  string: stringDeserializer,
  json: jsonDeserializer,
} as const;
