// Metadata records: the only way cluster state changes. They are Kafka's own metadata records (the generated
// definitions in protocol/generated/internal.ts, from Kafka's metadata/*.json), framed as Kafka's metadata log frames
// them (MetadataRecordSerde): unsigned varints frame version (1), api key, record version, then the record encoded
// with the schema codec. The controller appends them; every broker applies them in order to its MetadataImage.
import { decode, defaults, type Encodable, encode } from '../protocol/codec.ts';
import {
  type AccessControlEntryRecord,
  AccessControlEntryRecordSchema,
  type BrokerRegistrationChangeRecord,
  BrokerRegistrationChangeRecordSchema,
  type ClearElrRecord,
  ClearElrRecordSchema,
  type ClientQuotaRecord,
  ClientQuotaRecordSchema,
  type ConfigRecord,
  ConfigRecordSchema,
  type FeatureLevelRecord,
  FeatureLevelRecordSchema,
  type FenceBrokerRecord,
  FenceBrokerRecordSchema,
  type NoOpRecord,
  NoOpRecordSchema,
  type PartitionChangeRecord,
  PartitionChangeRecordSchema,
  type PartitionRecord,
  PartitionRecordSchema,
  type ProducerIdsRecord,
  ProducerIdsRecordSchema,
  type RegisterBrokerRecord,
  RegisterBrokerRecordSchema,
  type RemoveAccessControlEntryRecord,
  RemoveAccessControlEntryRecordSchema,
  type RemoveTopicRecord,
  RemoveTopicRecordSchema,
  type RemoveUserScramCredentialRecord,
  RemoveUserScramCredentialRecordSchema,
  type TopicRecord,
  TopicRecordSchema,
  type UnfenceBrokerRecord,
  UnfenceBrokerRecordSchema,
  type UnregisterBrokerRecord,
  UnregisterBrokerRecordSchema,
  type UserScramCredentialRecord,
  UserScramCredentialRecordSchema,
} from '../protocol/generated/internal.ts';
import { ProtocolError, Reader, Writer } from '../protocol/io.ts';
import type { MessageSchema } from '../protocol/schema.ts';

/** The record types this cluster writes and applies, by their Kafka names. */
export interface RecordTypes {
  RegisterBrokerRecord: RegisterBrokerRecord;
  UnregisterBrokerRecord: UnregisterBrokerRecord;
  FenceBrokerRecord: FenceBrokerRecord;
  UnfenceBrokerRecord: UnfenceBrokerRecord;
  BrokerRegistrationChangeRecord: BrokerRegistrationChangeRecord;
  TopicRecord: TopicRecord;
  PartitionRecord: PartitionRecord;
  PartitionChangeRecord: PartitionChangeRecord;
  RemoveTopicRecord: RemoveTopicRecord;
  ConfigRecord: ConfigRecord;
  ProducerIdsRecord: ProducerIdsRecord;
  FeatureLevelRecord: FeatureLevelRecord;
  NoOpRecord: NoOpRecord;
  /** One user's credential for one SCRAM mechanism (1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512). */
  UserScramCredentialRecord: UserScramCredentialRecord;
  RemoveUserScramCredentialRecord: RemoveUserScramCredentialRecord;
  /** One ACL, with the id DeleteAcls removes it by. */
  AccessControlEntryRecord: AccessControlEntryRecord;
  RemoveAccessControlEntryRecord: RemoveAccessControlEntryRecord;
  /** One quota key of one client quota entity (user, client-id, both, or ip), set or removed. */
  ClientQuotaRecord: ClientQuotaRecord;
  /** KIP-966: clears the eligible leader replicas of one topic's partitions (or every topic's, name empty). */
  ClearElrRecord: ClearElrRecord;
}
export type RecordType = keyof RecordTypes;

/** One metadata record: its type (the schema's name, which fixes its api key), version and data. */
export type MetadataRecord = { [K in RecordType]: { type: K; version: number; data: RecordTypes[K] } }[RecordType];
export type RecordOf<K extends RecordType> = Extract<MetadataRecord, { type: K }>;

const SCHEMAS: { [K in RecordType]: MessageSchema } = {
  RegisterBrokerRecord: RegisterBrokerRecordSchema,
  UnregisterBrokerRecord: UnregisterBrokerRecordSchema,
  FenceBrokerRecord: FenceBrokerRecordSchema,
  UnfenceBrokerRecord: UnfenceBrokerRecordSchema,
  BrokerRegistrationChangeRecord: BrokerRegistrationChangeRecordSchema,
  TopicRecord: TopicRecordSchema,
  PartitionRecord: PartitionRecordSchema,
  PartitionChangeRecord: PartitionChangeRecordSchema,
  RemoveTopicRecord: RemoveTopicRecordSchema,
  ConfigRecord: ConfigRecordSchema,
  ProducerIdsRecord: ProducerIdsRecordSchema,
  FeatureLevelRecord: FeatureLevelRecordSchema,
  NoOpRecord: NoOpRecordSchema,
  UserScramCredentialRecord: UserScramCredentialRecordSchema,
  RemoveUserScramCredentialRecord: RemoveUserScramCredentialRecordSchema,
  AccessControlEntryRecord: AccessControlEntryRecordSchema,
  RemoveAccessControlEntryRecord: RemoveAccessControlEntryRecordSchema,
  ClientQuotaRecord: ClientQuotaRecordSchema,
  ClearElrRecord: ClearElrRecordSchema,
};
const BY_API_KEY = new Map<number, RecordType>(
  (Object.keys(SCHEMAS) as RecordType[]).map((k) => [SCHEMAS[k].apiKey, k]),
);

/** Kafka's ConfigResource.Type ids, as ConfigRecord.resourceType carries them. */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, GROUP: 32 } as const;
/** PartitionChangeRecord.leader: the leader stays as it is (Kafka's LeaderConstants.NO_LEADER_CHANGE). */
export const NO_LEADER_CHANGE = -2;
/** The leader field when the partition has none. */
export const NO_LEADER = -1;
/** Kafka's SecurityProtocol ids, as RegisterBrokerRecord endpoints carry them. */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;

/** Kafka's SecurityProtocol id of a listener's protocol name. */
export function securityProtocolId(name: string): number {
  const id = (SECURITY_PROTOCOLS as readonly string[]).indexOf(name);
  if (id < 0) throw new Error(`unknown security protocol ${name}`);
  return id;
}

/** The version this broker writes: the highest one its definitions know. */
export function latestVersion(type: RecordType): number {
  return SCHEMAS[type].valid[1];
}

/** A record of the latest version, every field not given at its default. */
export function record<K extends RecordType>(type: K, data: Partial<RecordTypes[K]>): RecordOf<K> {
  const version = latestVersion(type);
  return {
    type,
    version,
    data: { ...defaults<RecordTypes[K]>(SCHEMAS[type], version), ...data },
  } as unknown as RecordOf<K>;
}

/** The frame version of Kafka's MetadataRecordSerde. */
const FRAME_VERSION = 1;

/** Encodes one record as Kafka's metadata log frames it. */
export function encodeRecord(r: MetadataRecord, w: Writer = new Writer()): Writer {
  const schema = SCHEMAS[r.type];
  w.uvarint(FRAME_VERSION);
  w.uvarint(schema.apiKey);
  w.uvarint(r.version);
  encode(schema, r.version, r.data as Encodable<unknown>, w);
  return w;
}

export function recordBytes(r: MetadataRecord): Buffer {
  return encodeRecord(r).toBuffer();
}

/** Decodes one framed record from `r` (which may hold more after it). Throws ProtocolError on bad input. */
export function decodeRecord(r: Reader): MetadataRecord {
  const frame = r.uvarint();
  if (frame !== FRAME_VERSION) throw new ProtocolError(`metadata record frame version ${frame}, expected 1`);
  const apiKey = r.uvarint();
  const type = BY_API_KEY.get(apiKey);
  if (type === undefined) throw new ProtocolError(`unknown metadata record api key ${apiKey}`);
  const version = r.uvarint();
  const schema = SCHEMAS[type];
  if (version < schema.valid[0] || version > schema.valid[1])
    throw new ProtocolError(`${type} version ${version} is not supported`);
  return { type, version, data: decode(schema, version, r) } as MetadataRecord;
}

/** A batch of records: an unsigned varint count, then each record as an unsigned varint length and its frame. */
export function encodeRecordBatch(records: readonly MetadataRecord[]): Buffer {
  const w = new Writer();
  w.uvarint(records.length);
  for (const r of records) {
    const b = recordBytes(r);
    w.uvarint(b.length);
    w.bytes(b);
  }
  return w.toBuffer();
}

export function decodeRecordBatch(buf: Buffer): MetadataRecord[] {
  const r = new Reader(buf);
  const n = r.uvarint();
  if (n > r.remaining) throw new ProtocolError(`batch of ${n} records in ${r.remaining} bytes`);
  const out: MetadataRecord[] = [];
  for (let i = 0; i < n; i++) {
    const len = r.uvarint();
    const end = r.pos + len;
    if (len > r.remaining) throw new ProtocolError(`record of ${len} bytes, ${r.remaining} left`);
    out.push(decodeRecord(new Reader(r.buf, r.pos, end)));
    r.pos = end;
  }
  if (r.remaining !== 0) throw new ProtocolError(`${r.remaining} bytes after the last record of a batch`);
  return out;
}
