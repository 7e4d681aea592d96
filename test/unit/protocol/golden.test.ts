// Golden encodings assembled by hand from the rules in Kafka's protocol guide (docs/protocol.html): big-endian
// fixed-width ints; STRING = int16 length + UTF-8; NULLABLE_STRING null = int16 -1; ARRAY = int32 count (null = -1);
// BYTES/RECORDS = int32 length (null = -1); COMPACT_* = unsigned varint of length + 1 (null = 0); in flexible versions
// every struct ends with a tagged-field section: uvarint count, then per field uvarint tag, uvarint size, data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  API_SCHEMAS,
  ApiKey,
  decodeRequestHeader,
  encodeRequestFrame,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../../src/protocol/apis.ts';
import { decode, encode } from '../../../src/protocol/codec.ts';
import {
  ApiVersionsRequestSchema,
  ApiVersionsResponseSchema,
  FetchResponseSchema,
  MetadataRequestSchema,
  ProduceRequestSchema,
  RequestHeaderSchema,
  ResponseHeaderSchema,
} from '../../../src/protocol/generated/messages.ts';
import { ProtocolError, Reader } from '../../../src/protocol/io.ts';
import type { MessageSchema } from '../../../src/protocol/schema.ts';

import { UUID_ZERO } from './schema-arbitrary.ts';

/** Hex with optional spaces/newlines and `"text"` segments (raw UTF-8). */
function hex(...parts: string[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    for (const tok of p.match(/"[^"]*"|[0-9a-fA-F]{2}/g) ?? []) {
      out.push(tok.startsWith('"') ? Buffer.from(tok.slice(1, -1), 'utf8') : Buffer.from(tok, 'hex'));
    }
  }
  return Buffer.concat(out);
}

function decodeAll(schema: MessageSchema, version: number, buf: Buffer): Record<string, unknown> {
  const r = new Reader(buf);
  const v = decode<Record<string, unknown>>(schema, version, r);
  assert.equal(r.remaining, 0, 'whole input consumed');
  return v;
}

/** Encodes `value` to exactly `bytes`, and `bytes` decode to `expected` (the value with defaults filled in). */
function golden(schema: MessageSchema, version: number, value: object, bytes: Buffer, expected: object = value): void {
  assert.deepStrictEqual(encode(schema, version, value).toBuffer(), bytes, 'encode');
  assert.deepStrictEqual(decodeAll(schema, version, bytes), expected, 'decode');
}

describe('RequestHeader', () => {
  test('v1: int16 key, int16 version, int32 correlation id, NULLABLE_STRING client id', () => {
    const bytes = hex('00 12', '00 02', '00 00 00 07', '00 05 "kcat1"');
    golden(
      RequestHeaderSchema,
      1,
      { requestApiKey: 18, requestApiVersion: 2, correlationId: 7, clientId: 'kcat1' },
      bytes,
    );
    golden(
      RequestHeaderSchema,
      1,
      { requestApiKey: 3, requestApiVersion: 1, correlationId: -1, clientId: null },
      hex('00 03 00 01 ff ff ff ff', 'ff ff'),
    );
  });

  test('v2: client id stays a NON-compact nullable string, then the tagged-field count', () => {
    const value = { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'ab' };
    golden(RequestHeaderSchema, 2, value, hex('00 12 00 03 00 00 00 01', '00 02 "ab"', '00'));
    golden(RequestHeaderSchema, 2, { ...value, clientId: null }, hex('00 12 00 03 00 00 00 01', 'ff ff', '00'));
    golden(RequestHeaderSchema, 2, { ...value, clientId: '' }, hex('00 12 00 03 00 00 00 01', '00 00', '00'));
  });

  test('v2: unknown tagged fields are skipped', () => {
    const bytes = hex('00 12 00 03 00 00 00 01 00 02 "ab"', '02', '05 03 aa bb cc', '09 00');
    assert.deepStrictEqual(decodeAll(RequestHeaderSchema, 2, bytes), {
      requestApiKey: 18,
      requestApiVersion: 3,
      correlationId: 1,
      clientId: 'ab',
    });
  });

  test('v0 (ControlledShutdown v0) has no client id', () => {
    golden(
      RequestHeaderSchema,
      0,
      { requestApiKey: 7, requestApiVersion: 0, correlationId: 9 },
      hex('00 07 00 00 00 00 00 09'),
      { requestApiKey: 7, requestApiVersion: 0, correlationId: 9, clientId: '' },
    );
  });

  test('ResponseHeader v0 and v1', () => {
    golden(ResponseHeaderSchema, 0, { correlationId: 258 }, hex('00 00 01 02'));
    golden(ResponseHeaderSchema, 1, { correlationId: 258 }, hex('00 00 01 02 00'));
  });
});

describe('ApiVersions', () => {
  test('request v0 is empty', () => {
    golden(ApiVersionsRequestSchema, 0, {}, Buffer.alloc(0), {
      clientSoftwareName: '',
      clientSoftwareVersion: '',
      clusterId: null,
      nodeId: -1,
    });
  });

  test('request v3: COMPACT_STRING software name and version, tagged fields', () => {
    golden(
      ApiVersionsRequestSchema,
      3,
      { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0' },
      hex('0b "librdkafka"', '06 "2.3.0"', '00'),
      { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.3.0', clusterId: null, nodeId: -1 },
    );
    // A 200-byte name needs a two-byte varint: 201 = 0xc9 0x01.
    const long = 'x'.repeat(200);
    golden(
      ApiVersionsRequestSchema,
      3,
      { clientSoftwareName: long, clientSoftwareVersion: 'é' },
      hex('c9 01', `"${long}"`, '03 c3 a9', '00'),
      { clientSoftwareName: long, clientSoftwareVersion: 'é', clusterId: null, nodeId: -1 },
    );
  });

  test('response v0: error code, ARRAY of (key, min, max); no throttle time', () => {
    golden(
      ApiVersionsResponseSchema,
      0,
      {
        errorCode: 0,
        apiKeys: [
          { apiKey: 0, minVersion: 0, maxVersion: 11 },
          { apiKey: 18, minVersion: 0, maxVersion: 4 },
        ],
      },
      hex('00 00', '00 00 00 02', '00 00 00 00 00 0b', '00 12 00 00 00 04'),
      {
        errorCode: 0,
        apiKeys: [
          { apiKey: 0, minVersion: 0, maxVersion: 11 },
          { apiKey: 18, minVersion: 0, maxVersion: 4 },
        ],
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      },
    );
  });

  test('response v3: tagged field present (finalizedFeaturesEpoch, tag 1), defaults omitted', () => {
    const value = {
      errorCode: 35,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: 5n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
    golden(
      ApiVersionsResponseSchema,
      3,
      value,
      hex('00 23', '02', '00 12 00 00 00 04 00', '00 00 00 00', '01', '01 08 00 00 00 00 00 00 00 05'),
    );
    // All tagged fields at their defaults: just a zero count.
    golden(
      ApiVersionsResponseSchema,
      3,
      { ...value, finalizedFeaturesEpoch: -1n },
      hex('00 23 02 00 12 00 00 00 04 00 00 00 00 00', '00'),
    );
    // Two tagged fields, written in tag order (0 then 3) whatever the object's key order.
    golden(
      ApiVersionsResponseSchema,
      3,
      {
        ...value,
        zkMigrationReady: true,
        finalizedFeaturesEpoch: -1n,
        supportedFeatures: [{ name: 'f', minVersion: 1, maxVersion: 2 }],
      },
      hex('00 23 02 00 12 00 00 00 04 00 00 00 00 00', '02', '00 08 02 02 "f" 00 01 00 02 00', '03 01 01'),
    );
  });

  test('response v3: unknown tagged fields are skipped, known ones after them still read', () => {
    const bytes = hex('00 00 01 00 00 00 00', '03', '00 01 01', '04 02 ff ff', '03 01 01');
    // error, empty compact array, throttle; tag 0 (known): compact array of 0; tag 4 (unknown); tag 3 (known): true
    assert.deepStrictEqual(decodeAll(ApiVersionsResponseSchema, 3, bytes), {
      errorCode: 0,
      apiKeys: [],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: true,
    });
    const unknownOnly = hex('00 00 01 00 00 00 00', '02', '7f 00', '80 01 04 de ad be ef');
    assert.equal(
      (decodeAll(ApiVersionsResponseSchema, 3, unknownOnly) as { zkMigrationReady: boolean }).zkMigrationReady,
      false,
    );
  });

  test('request and response frames (apis.ts): header v2 for flexible requests, response header v0 always', () => {
    const api = API_SCHEMAS.get(ApiKey.ApiVersions)!;
    assert.equal(requestHeaderVersion(api, 2), 1);
    assert.equal(requestHeaderVersion(api, 3), 2);
    assert.equal(responseHeaderVersion(api, 3), 0);
    const frame = Buffer.concat(
      encodeRequestFrame(
        api,
        3,
        { correlationId: 1, clientId: 'c' },
        { clientSoftwareName: 'n', clientSoftwareVersion: 'v' },
      ),
    );
    const body = hex('00 12 00 03 00 00 00 01 00 01 "c" 00', '02 "n" 02 "v" 00');
    assert.deepStrictEqual(frame, Buffer.concat([hex('00 00 00 11'), body]));
    const r = new Reader(frame, 4);
    const { header, api: decodedApi } = decodeRequestHeader(r);
    assert.equal(decodedApi, api);
    assert.deepStrictEqual(header, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'c' });
    assert.deepStrictEqual(decode(api.request, 3, r), {
      clientSoftwareName: 'n',
      clientSoftwareVersion: 'v',
      clusterId: null,
      nodeId: -1,
    });

    const resp = Buffer.concat(encodeResponseFrame(api, 3, 1, { errorCode: 0, apiKeys: [], throttleTimeMs: 0 }));
    assert.deepStrictEqual(resp, hex('00 00 00 0c', '00 00 00 01', '00 00 01 00 00 00 00 00'));
  });

  test('a newer ApiVersions request than we know is read with header v2', () => {
    const { header, api } = decodeRequestHeader(new Reader(hex('00 12 00 63 00 00 00 05 00 01 "c" 00')));
    assert.equal(api?.key, ApiKey.ApiVersions);
    assert.deepStrictEqual(header, { requestApiKey: 18, requestApiVersion: 99, correlationId: 5, clientId: 'c' });
  });
});

describe('Metadata request', () => {
  const rest = {
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  test('v1: topics null (all topics) is int32 -1, empty array is 0', () => {
    golden(MetadataRequestSchema, 1, { topics: null }, hex('ff ff ff ff'), { topics: null, ...rest });
    golden(MetadataRequestSchema, 1, { topics: [] }, hex('00 00 00 00'), { topics: [], ...rest });
    golden(MetadataRequestSchema, 1, { topics: [{ name: 'orders' }] }, hex('00 00 00 01 00 06 "orders"'), {
      topics: [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
      ...rest,
    });
  });

  test('v0: topics are not nullable', () => {
    assert.throws(() => encode(MetadataRequestSchema, 0, { topics: null }), ProtocolError);
    assert.throws(() => decode(MetadataRequestSchema, 0, new Reader(hex('ff ff ff ff'))), ProtocolError);
  });

  test('v9 (flexible): null is compact length 0, empty is 1', () => {
    const v9 = { ...rest, includeTopicAuthorizedOperations: true, includeClusterAuthorizedOperations: true };
    golden(MetadataRequestSchema, 9, { topics: null, ...v9 }, hex('00', '01 01 01', '00'), { topics: null, ...v9 });
    golden(MetadataRequestSchema, 9, { topics: [], ...v9 }, hex('01', '01 01 01', '00'), { topics: [], ...v9 });
  });
});

describe('Produce request', () => {
  const batch = hex('01 02 03 04 05');
  test('v3: nullable transactional id, int32-length records', () => {
    golden(
      ProduceRequestSchema,
      3,
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: 't', topicId: UUID_ZERO, partitionData: [{ index: 2, records: batch }] }],
      },
      hex(
        'ff ff',
        'ff ff',
        '00 00 75 30',
        '00 00 00 01',
        '00 01 "t"',
        '00 00 00 01',
        '00 00 00 02',
        '00 00 00 05 01 02 03 04 05',
      ),
    );
    golden(
      ProduceRequestSchema,
      3,
      {
        transactionalId: 'tx',
        acks: 1,
        timeoutMs: 0,
        topicData: [{ name: 't', topicId: UUID_ZERO, partitionData: [{ index: 0, records: null }] }],
      },
      hex('00 02 "tx"', '00 01', '00 00 00 00', '00 00 00 01 00 01 "t" 00 00 00 01 00 00 00 00', 'ff ff ff ff'),
    );
  });

  test('v9: compact everything, tagged-field sections at every struct level', () => {
    golden(
      ProduceRequestSchema,
      9,
      {
        transactionalId: 'tx',
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: 't', topicId: UUID_ZERO, partitionData: [{ index: 2, records: batch }] }],
      },
      hex(
        '03 "tx"',
        'ff ff',
        '00 00 75 30',
        '02',
        '02 "t"',
        '02',
        '00 00 00 02',
        '06 01 02 03 04 05',
        '00',
        '00',
        '00',
      ),
    );
    golden(
      ProduceRequestSchema,
      9,
      {
        transactionalId: null,
        acks: 0,
        timeoutMs: 1,
        topicData: [{ name: '', topicId: UUID_ZERO, partitionData: [{ index: 0, records: null }] }],
      },
      hex('00', '00 00', '00 00 00 01', '02 01 02 00 00 00 00', '00', '00 00 00'),
    );
  });

  test('records at least 1 KiB are referenced, not copied, and still encode correctly', () => {
    const big = Buffer.alloc(5000, 0xab);
    const w = encode(ProduceRequestSchema, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 0,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: big }] }],
    });
    const chunks = w.finish();
    assert.ok(chunks.includes(big), 'the records buffer is one of the chunks');
    const buf = Buffer.concat(chunks);
    // 5001 = 0x1389 -> varint 89 27
    assert.deepStrictEqual(buf.subarray(0, 16), hex('00 00 01 00 00 00 00 02 02 "t" 02 00 00 00 00 89'));
    const decoded = decodeAll(ProduceRequestSchema, 9, buf) as {
      topicData: Array<{ partitionData: Array<{ records: Buffer }> }>;
    };
    assert.deepStrictEqual(decoded.topicData[0]!.partitionData[0]!.records, big);
  });
});

describe('Fetch response v12: tagged structs inside partitions', () => {
  const partition = (tagged: string) =>
    hex(
      '00 00 00 00', // partitionIndex
      '00 06', // errorCode NOT_LEADER_OR_FOLLOWER
      '00 00 00 00 00 00 00 0a', // highWatermark
      'ff ff ff ff ff ff ff ff', // lastStableOffset
      'ff ff ff ff ff ff ff ff', // logStartOffset
      '00', // abortedTransactions: null
      'ff ff ff ff', // preferredReadReplica
      '00', // records: null
      tagged,
    );
  const frame = (tagged: string) =>
    Buffer.concat([
      hex('00 00 00 00', '00 00', '00 00 00 00', '02', '02 "t"', '02'),
      partition(tagged),
      hex('00', '00'), // topic tagged fields, response tagged fields
    ]);
  const value = (currentLeader: object) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 't',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 6,
            highWatermark: 10n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            divergingEpoch: { epoch: -1, endOffset: -1n },
            currentLeader,
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: null,
          },
        ],
      },
    ],
    nodeEndpoints: [],
  });

  test('CurrentLeader (tag 1) present', () => {
    // tag 1, size 9: leaderId 2, leaderEpoch 5, the struct's own empty tagged-field section.
    golden(
      FetchResponseSchema,
      12,
      value({ leaderId: 2, leaderEpoch: 5 }),
      frame('01 01 09 00 00 00 02 00 00 00 05 00'),
    );
  });

  test('CurrentLeader at its default is omitted', () => {
    golden(FetchResponseSchema, 12, value({ leaderId: -1, leaderEpoch: -1 }), frame('00'));
  });

  test('unknown tags around a known one are skipped', () => {
    const bytes = frame('03 00 0d 00 00 00 01 00 00 00 00 00 00 00 00 00 01 09 00 00 00 02 00 00 00 05 00 1f 02 00 00');
    // tag 0 (divergingEpoch) is known: epoch 1 endOffset 0; tag 1 known; tag 31 unknown.
    const expected = value({ leaderId: 2, leaderEpoch: 5 });
    expected.responses[0]!.partitions[0]!.divergingEpoch = { epoch: 1, endOffset: 0n };
    assert.deepStrictEqual(decodeAll(FetchResponseSchema, 12, bytes), expected);
    const onlyUnknown = frame('01 63 03 01 02 03');
    assert.deepStrictEqual(decodeAll(FetchResponseSchema, 12, onlyUnknown), value({ leaderId: -1, leaderEpoch: -1 }));
  });

  test('a tagged field whose size overruns the message is a ProtocolError', () => {
    const bad = frame('01 01 7f 00 00 00 02 00 00 00 05 00');
    assert.throws(() => decodeAll(FetchResponseSchema, 12, bad), ProtocolError);
  });
});
