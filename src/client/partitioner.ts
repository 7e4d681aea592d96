// Partitioners. Keyed records use murmur2 exactly as the Java client and librdkafka's `murmur2_random` do, so the
// same key lands on the same partition whichever client wrote it.

/** 32-bit murmur2 with Kafka's seed; returns a signed int32 like Java's `Utils.murmur2`. */
export function murmur2(data: Uint8Array): number {
  const len = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ len) | 0;
  const whole = len & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = len & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2]! << 16;
    if (rest >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition the Java client's default partitioner picks for a key: `toPositive(murmur2(key)) % n`. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

/**
 * Chooses a partition for a record. `key` is the serialized key (null for none). Return a partition number.
 * `sticky` is the partition the producer currently fills for keyless records of this topic.
 */
export type Partitioner = (args: {
  topic: string;
  key: Buffer | null;
  numPartitions: number;
  sticky: number;
}) => number;

/** Keyed: murmur2. Keyless: the producer's sticky partition (changes each time a batch for it is sent). */
export const defaultPartitioner: Partitioner = ({ key, numPartitions, sticky }) =>
  key !== null ? partitionForKey(key, numPartitions) : sticky;

/** Keyed: murmur2. Keyless: a fresh random partition per record (librdkafka's `murmur2_random`). */
export const murmur2RandomPartitioner: Partitioner = ({ key, numPartitions }) =>
  key !== null ? partitionForKey(key, numPartitions) : Math.floor(Math.random() * numPartitions);

/** Every record (keyed or not) to the next partition in turn. */
export function roundRobinPartitioner(): Partitioner {
  const next = new Map<string, number>();
  return ({ topic, numPartitions }) => {
    const n = next.get(topic) ?? 0;
    next.set(topic, n + 1);
    return n % numPartitions;
  };
}
