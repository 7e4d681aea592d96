// The API table: request/response schemas by api key, and the header versions each API version uses.

import { decode, type Encodable, encode } from './codec.ts';
import { ALL_SCHEMAS, type RequestHeader, RequestHeaderSchema, ResponseHeaderSchema } from './generated/messages.ts';
import { ProtocolError, type Reader, Writer } from './io.ts';
import type { MessageSchema } from './schema.ts';

export interface ApiSchema {
  readonly key: number;
  /** e.g. "Produce" */
  readonly name: string;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
  /** Versions Kafka defines for this API. */
  readonly valid: readonly [number, number];
  /** Listeners Kafka serves it on: "broker", "controller", "zkBroker". */
  readonly listeners: readonly string[];
}

export const API_SCHEMAS: ReadonlyMap<number, ApiSchema> = (() => {
  const m = new Map<number, ApiSchema>();
  const responses = new Map<number, MessageSchema>();
  for (const s of ALL_SCHEMAS) if (s.type === 'response') responses.set(s.apiKey, s);
  for (const s of ALL_SCHEMAS) {
    if (s.type !== 'request') continue;
    const response = responses.get(s.apiKey);
    if (!response) throw new Error(`no response schema for api ${s.apiKey}`);
    m.set(s.apiKey, {
      key: s.apiKey,
      name: s.name.replace(/Request$/, ''),
      request: s,
      response,
      valid: s.valid,
      listeners: s.listeners,
    });
  }
  return m;
})();

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  LeaderAndIsr: 4,
  StopReplica: 5,
  UpdateMetadata: 6,
  ControlledShutdown: 7,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  WriteTxnMarkers: 27,
  TxnOffsetCommit: 28,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  AlterReplicaLogDirs: 34,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  ElectLeaders: 43,
  IncrementalAlterConfigs: 44,
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  OffsetDelete: 47,
  DescribeClientQuotas: 48,
  AlterClientQuotas: 49,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeQuorum: 55,
  UpdateFeatures: 57,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
  ListConfigResources: 74,
  DescribeTopicPartitions: 75,
  ShareGroupHeartbeat: 76,
  ShareGroupDescribe: 77,
  ShareFetch: 78,
  ShareAcknowledge: 79,
  InitializeShareGroupState: 83,
  ReadShareGroupState: 84,
  WriteShareGroupState: 85,
  DeleteShareGroupState: 86,
  ReadShareGroupStateSummary: 87,
  DescribeShareGroupOffsets: 90,
  AlterShareGroupOffsets: 91,
  DeleteShareGroupOffsets: 92,
} as const;

export function requestHeaderVersion(api: ApiSchema, version: number): number {
  // ControlledShutdown v0 used a header without a client id.
  if (api.key === ApiKey.ControlledShutdown && version === 0) return 0;
  return version >= api.request.flexible ? 2 : 1;
}

export function responseHeaderVersion(api: ApiSchema, version: number): number {
  // ApiVersions responses always use header v0 so that a client can parse them before it knows our versions.
  if (api.key === ApiKey.ApiVersions) return 0;
  return version >= api.response.flexible ? 1 : 0;
}

/**
 * Decodes a request header. The api key and version come first in every header version; an unknown key or
 * version is returned with `api` undefined so that the caller can answer as Kafka does.
 */
export function decodeRequestHeader(r: Reader): { header: RequestHeader; api: ApiSchema | undefined } {
  if (r.remaining < 8) throw new ProtocolError('request shorter than a header');
  const apiKey = r.buf.readInt16BE(r.pos);
  const apiVersion = r.buf.readInt16BE(r.pos + 2);
  const api = API_SCHEMAS.get(apiKey);
  let hv = 1;
  if (api && apiVersion >= api.valid[0] && apiVersion <= api.valid[1]) hv = requestHeaderVersion(api, apiVersion);
  else if (api && apiVersion > api.valid[1] && api.key === ApiKey.ApiVersions) hv = 2; // newer ApiVersions: flexible
  const header = decode<RequestHeader>(RequestHeaderSchema, hv, r);
  return { header, api };
}

/** Encodes a whole response frame: size, header, body. */
export function encodeResponseFrame<T>(
  api: ApiSchema,
  version: number,
  correlationId: number,
  body: Encodable<T>,
): Buffer[] {
  const w = new Writer(512);
  w.int32(0); // size, patched below
  encode(ResponseHeaderSchema, responseHeaderVersion(api, version), { correlationId }, w);
  encode(api.response, version, body, w);
  const chunks = w.finish();
  chunks[0]!.writeInt32BE(w.size - 4, 0);
  return chunks;
}

/** Encodes a whole request frame (used by the client and tests). */
export function encodeRequestFrame<T>(
  api: ApiSchema,
  version: number,
  header: { correlationId: number; clientId: string | null },
  body: Encodable<T>,
): Buffer[] {
  const w = new Writer(512);
  w.int32(0);
  encode(
    RequestHeaderSchema,
    requestHeaderVersion(api, version),
    { requestApiKey: api.key, requestApiVersion: version, ...header },
    w,
  );
  encode(api.request, version, body, w);
  const chunks = w.finish();
  chunks[0]!.writeInt32BE(w.size - 4, 0);
  return chunks;
}
