// Durable metadata log of the single-node controller: `metadata.log`, one entry per record, fsynced on append.
// An entry is uint32 length, uint32 CRC32C of the payload, and the payload: the record framed as Kafka's metadata
// log frames it (records.ts). Offsets are the entries' positions. A torn or corrupt tail (crash mid-write) is cut on
// open. A JSON-lines log of an older Tributary (`metadata.jsonl`) is converted once, then kept as
// `metadata.jsonl.converted`.
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../protocol/io.ts';
import { crc32c } from '../records/crc32c.ts';
import type { Logger } from '../util/log.ts';
import type { BrokerEndpoint } from './image.ts';
import {
  ConfigResourceType,
  decodeRecord,
  type MetadataRecord,
  record,
  recordBytes,
  securityProtocolId,
} from './records.ts';

export interface MetadataLogEntry {
  offset: number;
  record: MetadataRecord;
}

export interface MetadataLog {
  readAll(): MetadataLogEntry[];
  append(records: MetadataRecord[]): MetadataLogEntry[];
  close(): void;
}

const HEADER = 8;

function frameEntries(records: readonly MetadataRecord[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    const payload = recordBytes(r);
    const h = Buffer.allocUnsafe(HEADER);
    h.writeUInt32BE(payload.length, 0);
    h.writeUInt32BE(crc32c(payload), 4);
    parts.push(h, payload);
  }
  return Buffer.concat(parts);
}

export class FileMetadataLog implements MetadataLog {
  private fd: number;
  private nextOffset = 0;
  private readonly path: string;
  private readonly entries: MetadataLogEntry[] = [];
  private writePos: number;

  constructor(dir: string, log: Logger) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'metadata.log');
    const legacy = join(dir, 'metadata.jsonl');
    if (!existsSync(this.path) && existsSync(legacy)) {
      const converted = convertLegacyLog(readFileSync(legacy, 'utf8'), log);
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, frameEntries(converted), { flush: true });
      renameSync(tmp, this.path);
      renameSync(legacy, `${legacy}.converted`);
      log.info({ path: this.path, records: converted.length }, 'converted the JSON-lines metadata log to records');
    }
    let valid = 0;
    if (existsSync(this.path)) {
      const buf = readFileSync(this.path);
      let pos = 0;
      while (pos + HEADER <= buf.length) {
        const len = buf.readUInt32BE(pos);
        const end = pos + HEADER + len;
        if (end > buf.length) break;
        const payload = buf.subarray(pos + HEADER, end);
        if (crc32c(payload) !== buf.readUInt32BE(pos + 4)) {
          log.warn({ path: this.path, at: pos }, 'metadata log entry fails its CRC; cutting the tail');
          break;
        }
        try {
          const r = new Reader(payload);
          const rec = decodeRecord(r);
          if (r.remaining !== 0) throw new Error(`${r.remaining} bytes after the record`);
          this.entries.push({ offset: this.nextOffset++, record: rec });
        } catch (err) {
          log.warn({ path: this.path, at: pos, err: String(err) }, 'metadata log has a bad record; cutting the tail');
          break;
        }
        pos = end;
      }
      valid = pos;
      if (valid < buf.length) log.warn({ path: this.path, kept: valid }, 'truncating a torn metadata log tail');
    }
    this.fd = openSync(this.path, existsSync(this.path) ? 'r+' : 'w+');
    ftruncateSync(this.fd, valid);
    this.writePos = valid;
  }

  readAll(): MetadataLogEntry[] {
    return this.entries.slice();
  }

  append(records: MetadataRecord[]): MetadataLogEntry[] {
    const out = records.map((record) => ({ offset: this.nextOffset++, record }));
    const bytes = frameEntries(records);
    writeSync(this.fd, bytes, 0, bytes.length, this.writePos);
    this.writePos += bytes.length;
    fsyncSync(this.fd);
    for (const e of out) this.entries.push(e); // not push(...out): a spread of 100k+ overflows the stack
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The records of the JSON-lines union an older Tributary wrote. */
type LegacyRecord =
  | { type: 'RegisterBroker'; nodeId: number; endpoints: BrokerEndpoint[]; rack: string | null }
  | { type: 'Topic'; name: string; id: string }
  | {
      type: 'Partition';
      topicId: string;
      partition: number;
      replicas: number[];
      isr: number[];
      leader: number;
      leaderEpoch: number;
      partitionEpoch: number;
    }
  | { type: 'RemoveTopic'; topicId: string }
  | { type: 'Config'; resourceType: 'topic' | 'broker'; resourceName: string; name: string; value: string | null }
  | { type: 'FeatureLevel'; name: string; featureLevel: number };

/** Converts an old `metadata.jsonl` (complete lines in offset order; a torn or bad tail is dropped). */
export function convertLegacyLog(text: string, log: Logger): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    try {
      const e = JSON.parse(text.slice(pos, nl)) as { offset: number; record: LegacyRecord };
      if (e.offset !== out.length) throw new Error(`offset ${e.offset}, expected ${out.length}`);
      out.push(fromLegacy(e.record, e.offset));
    } catch (err) {
      log.warn({ at: pos, err: String(err) }, 'old metadata log has a bad record; converting up to it');
      break;
    }
    pos = nl + 1;
  }
  return out;
}

function fromLegacy(r: LegacyRecord, offset: number): MetadataRecord {
  switch (r.type) {
    case 'RegisterBroker':
      return record('RegisterBrokerRecord', {
        brokerId: r.nodeId,
        brokerEpoch: BigInt(offset),
        incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA',
        endPoints: r.endpoints.map((e) => ({ ...e, securityProtocol: securityProtocolId(e.securityProtocol) })),
        rack: r.rack,
        fenced: false,
      });
    case 'Topic':
      return record('TopicRecord', { name: r.name, topicId: r.id });
    case 'Partition':
      return record('PartitionRecord', {
        topicId: r.topicId,
        partitionId: r.partition,
        replicas: r.replicas,
        isr: r.isr,
        leader: r.leader,
        leaderEpoch: r.leaderEpoch,
        partitionEpoch: r.partitionEpoch,
      });
    case 'RemoveTopic':
      return record('RemoveTopicRecord', { topicId: r.topicId });
    case 'Config':
      return record('ConfigRecord', {
        resourceType: r.resourceType === 'topic' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER,
        resourceName: r.resourceName,
        name: r.name,
        value: r.value,
      });
    case 'FeatureLevel':
      return record('FeatureLevelRecord', { name: r.name, featureLevel: r.featureLevel });
    default:
      throw new Error(`unknown record type ${(r as { type: string }).type}`);
  }
}

/** For in-memory brokers (tests): nothing survives a restart. */
export class MemoryMetadataLog implements MetadataLog {
  private readonly entries: MetadataLogEntry[] = [];
  readAll(): MetadataLogEntry[] {
    return this.entries.slice();
  }
  append(records: MetadataRecord[]): MetadataLogEntry[] {
    const base = this.entries.length;
    const out = records.map((record, i) => ({ offset: base + i, record }));
    for (const e of out) this.entries.push(e); // not push(...out): a spread of 100k+ overflows the stack
    return out;
  }
  close(): void {}
}
