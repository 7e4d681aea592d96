// Golden encodings of the versions Kafka 4.4 added that Tributary serves, assembled by hand from the rules in Kafka's
// protocol guide (see golden.test.ts) and the field order of Kafka 4.4's definitions. Every value here is at a
// flexible version: COMPACT_STRING = uvarint(length + 1) + UTF-8 (null = 00), COMPACT_ARRAY = uvarint(count + 1),
// each struct ends with its tagged-field section (00 when empty). Decoding the bytes must give back every field set.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode, encode } from '../../../src/protocol/codec.ts';
import {
  ApiVersionsRequestSchema,
  ApiVersionsResponseSchema,
  DeleteGroupsResponseSchema,
  DescribeClusterRequestSchema,
  DescribeClusterResponseSchema,
  DescribeGroupsResponseSchema,
  DescribeLogDirsResponseSchema,
  FetchRequestSchema,
  ListOffsetsRequestSchema,
  ListTransactionsRequestSchema,
  MetadataResponseSchema,
  OffsetCommitRequestSchema,
  OffsetCommitResponseSchema,
  OffsetFetchResponseSchema,
  ProduceRequestSchema,
  ProduceResponseSchema,
  TxnOffsetCommitRequestSchema,
  TxnOffsetCommitResponseSchema,
  UpdateFeaturesRequestSchema,
  UpdateFeaturesResponseSchema,
} from '../../../src/protocol/generated/messages.ts';
import { Reader } from '../../../src/protocol/io.ts';
import type { MessageSchema } from '../../../src/protocol/schema.ts';

function hex(...parts: string[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts)
    for (const tok of p.match(/"[^"]*"|[0-9a-fA-F]{2}/g) ?? [])
      out.push(tok.startsWith('"') ? Buffer.from(tok.slice(1, -1), 'utf8') : Buffer.from(tok, 'hex'));
  return Buffer.concat(out);
}

/** Every field of `expected` (recursively) is in `actual` with that value. */
function assertSubset(actual: unknown, expected: unknown, path = ''): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} is an array`);
    assert.equal(actual.length, expected.length, `${path}.length`);
    for (const [i, e] of expected.entries()) assertSubset(actual[i], e, `${path}[${i}]`);
  } else if (expected !== null && typeof expected === 'object' && !Buffer.isBuffer(expected)) {
    for (const [k, v] of Object.entries(expected))
      assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else assert.deepStrictEqual(actual, expected, path);
}

function golden(schema: MessageSchema, version: number, value: object, bytes: Buffer): void {
  assert.deepStrictEqual(encode(schema, version, value).toBuffer(), bytes, 'encode');
  const r = new Reader(bytes);
  assertSubset(decode(schema, version, r), value);
  assert.equal(r.remaining, 0, 'whole input consumed');
}

const TOPIC_ID = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex').toString('base64url');

describe('ApiVersions v5 (KIP-1242)', () => {
  test('request: ClusterId (compact nullable string) and NodeId after the software name and version', () => {
    golden(
      ApiVersionsRequestSchema,
      5,
      { clientSoftwareName: 'n', clientSoftwareVersion: 'v', clusterId: 'c', nodeId: 7 },
      hex('02 "n"', '02 "v"', '02 "c"', '00 00 00 07', '00'),
    );
    golden(
      ApiVersionsRequestSchema,
      5,
      { clientSoftwareName: 'n', clientSoftwareVersion: 'v', clusterId: null, nodeId: -1 },
      hex('02 "n"', '02 "v"', '00', 'ff ff ff ff', '00'),
    );
  });
  test('response: REBOOTSTRAP_REQUIRED (129) with no api keys', () => {
    golden(
      ApiVersionsResponseSchema,
      5,
      { errorCode: 129, apiKeys: [], throttleTimeMs: 0 },
      hex('00 81', '01', '00 00 00 00', '00'),
    );
  });
});

test('Metadata response v13: the top-level ErrorCode comes last, after the topics', () => {
  golden(
    MetadataResponseSchema,
    13,
    {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 1,
      topics: [],
      errorCode: 129,
    },
    hex('00 00 00 00', '02', '00 00 00 01 02 "h" 00 00 23 84 00 00', '02 "c"', '00 00 00 01', '01', '00 81', '00'),
  );
});

test('DescribeGroups response v6: ErrorMessage right after each group ErrorCode', () => {
  golden(
    DescribeGroupsResponseSchema,
    6,
    {
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: 69,
          errorMessage: 'm',
          groupId: 'g',
          groupState: 'Dead',
          protocolType: '',
          protocolData: '',
          members: [],
          authorizedOperations: -2147483648,
        },
      ],
    },
    hex('00 00 00 00', '02', '00 45', '02 "m"', '02 "g"', '05 "Dead"', '01', '01', '01', '80 00 00 00', '00', '00'),
  );
});

test('DeleteGroups response v3: ErrorMessage after each result ErrorCode', () => {
  golden(
    DeleteGroupsResponseSchema,
    3,
    { throttleTimeMs: 0, results: [{ groupId: 'g', errorCode: 68, errorMessage: 'x' }] },
    hex('00 00 00 00', '02', '02 "g"', '00 44', '02 "x"', '00', '00'),
  );
});

describe('DescribeCluster v2 (KIP-1073)', () => {
  test('request: IncludeFencedBrokers after EndpointType', () => {
    golden(
      DescribeClusterRequestSchema,
      2,
      { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true },
      hex('00', '01', '01', '00'),
    );
  });
  test('response: IsFenced closes each broker', () => {
    golden(
      DescribeClusterResponseSchema,
      2,
      {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        endpointType: 1,
        clusterId: 'c',
        controllerId: 1,
        brokers: [{ brokerId: 1, host: 'h', port: 9092, rack: null, isFenced: true }],
        clusterAuthorizedOperations: -2147483648,
      },
      hex(
        '00 00 00 00',
        '00 00',
        '00',
        '01',
        '02 "c"',
        '00 00 00 01',
        '02',
        '00 00 00 01 02 "h" 00 00 23 84 00 01 00',
        '80 00 00 00',
        '00',
      ),
    );
  });
});

test('ListTransactions request v2: TransactionalIdPattern after DurationFilter', () => {
  golden(
    ListTransactionsRequestSchema,
    2,
    { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: 'a.*' },
    hex('02 08 "Ongoing"', '01', 'ff ff ff ff ff ff ff ff', '04 "a.*"', '00'),
  );
});

test('DescribeLogDirs response v5: IsCordoned after UsableBytes', () => {
  golden(
    DescribeLogDirsResponseSchema,
    5,
    {
      throttleTimeMs: 0,
      errorCode: 0,
      results: [
        {
          errorCode: 0,
          logDir: '/d',
          topics: [
            { name: 't', partitions: [{ partitionIndex: 0, partitionSize: 10n, offsetLag: 0n, isFutureKey: false }] },
          ],
          totalBytes: 100n,
          usableBytes: 50n,
          isCordoned: true,
        },
      ],
    },
    hex(
      '00 00 00 00',
      '00 00',
      '02',
      '00 00',
      '03 "/d"',
      '02 02 "t" 02',
      '00 00 00 00 00 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00',
      '00',
      '00 00 00 00 00 00 00 64',
      '00 00 00 00 00 00 00 32',
      '01',
      '00',
      '00',
    ),
  );
});

describe('Fetch request v18 (KIP-1166)', () => {
  const body = {
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    forgottenTopicsData: [],
    rackId: '',
  };
  const partition = {
    partition: 0,
    currentLeaderEpoch: -1,
    fetchOffset: 5n,
    lastFetchedEpoch: -1,
    logStartOffset: -1n,
    partitionMaxBytes: 1048576,
  };
  const head = hex('00 00 01 f4', '00 00 00 01', '7f ff ff ff', '00', '00 00 00 00', 'ff ff ff ff', '02');
  const part = hex(
    '000102030405060708090a0b0c0d0e0f',
    '02',
    '00 00 00 00',
    'ff ff ff ff',
    '00 00 00 00 00 00 00 05',
    'ff ff ff ff',
    'ff ff ff ff ff ff ff ff',
    '00 10 00 00',
  );
  test('HighWatermark is tag 1 of the partition, left off at its default (Long.MAX_VALUE)', () => {
    golden(
      FetchRequestSchema,
      18,
      { ...body, topics: [{ topicId: TOPIC_ID, partitions: [{ ...partition, highWatermark: 0x7fffffffffffffffn }] }] },
      Buffer.concat([head, part, hex('00', '00', '01', '01', '00')]),
    );
  });
  test('a follower high watermark is written as tag 1, size 8', () => {
    golden(
      FetchRequestSchema,
      18,
      { ...body, topics: [{ topicId: TOPIC_ID, partitions: [{ ...partition, highWatermark: 42n }] }] },
      Buffer.concat([head, part, hex('01 01 08 00 00 00 00 00 00 00 2a', '00', '01', '01', '00')]),
    );
  });
});

test('ListOffsets request v11: the earliest-pending-upload point (-6) is an ordinary timestamp on the wire', () => {
  golden(
    ListOffsetsRequestSchema,
    11,
    {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -6n }] }],
      timeoutMs: 1000,
    },
    hex(
      'ff ff ff ff',
      '00',
      '02 02 "t" 02',
      '00 00 00 00 ff ff ff ff ff ff ff ff ff ff ff fa 00',
      '00',
      '00 00 03 e8',
      '00',
    ),
  );
});

describe('OffsetCommit and OffsetFetch v10: a topic is its 16-byte id, no name', () => {
  test('OffsetCommit request v10', () => {
    golden(
      OffsetCommitRequestSchema,
      10,
      {
        groupId: 'g',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [
          {
            topicId: TOPIC_ID,
            partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: 'm' }],
          },
        ],
      },
      hex(
        '02 "g"',
        'ff ff ff ff',
        '01',
        '00',
        '02',
        '000102030405060708090a0b0c0d0e0f',
        '02 00 00 00 00 00 00 00 00 00 00 00 03 ff ff ff ff 02 "m" 00',
        '00',
        '00',
      ),
    );
  });
  test('OffsetCommit response v10: UNKNOWN_TOPIC_ID (100) per partition', () => {
    golden(
      OffsetCommitResponseSchema,
      10,
      { throttleTimeMs: 0, topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: 100 }] }] },
      hex('00 00 00 00', '02', '000102030405060708090a0b0c0d0e0f', '02 00 00 00 00 00 64 00', '00', '00'),
    );
  });
  test('OffsetFetch response v10', () => {
    golden(
      OffsetFetchResponseSchema,
      10,
      {
        throttleTimeMs: 0,
        groups: [
          {
            groupId: 'g',
            topics: [
              {
                topicId: TOPIC_ID,
                partitions: [
                  { partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 },
                ],
              },
            ],
            errorCode: 0,
          },
        ],
      },
      hex(
        '00 00 00 00',
        '02',
        '02 "g"',
        '02',
        '000102030405060708090a0b0c0d0e0f',
        '02 00 00 00 00 00 00 00 00 00 00 00 03 ff ff ff ff 02 "m" 00 00 00',
        '00',
        '00 00',
        '00',
        '00',
      ),
    );
  });
});

describe('features', () => {
  test('ApiVersions response v4: supported features (tag 0), epoch (tag 1), finalized features (tag 2)', () => {
    golden(
      ApiVersionsResponseSchema,
      4,
      {
        errorCode: 0,
        apiKeys: [],
        throttleTimeMs: 0,
        supportedFeatures: [{ name: 'g', minVersion: 0, maxVersion: 1 }],
        finalizedFeaturesEpoch: 5n,
        finalizedFeatures: [{ name: 'g', maxVersionLevel: 1, minVersionLevel: 1 }],
      },
      hex(
        '00 00',
        '01',
        '00 00 00 00',
        '03',
        '00 08 02 02 "g" 00 00 00 01 00',
        '01 08 00 00 00 00 00 00 00 05',
        '02 08 02 02 "g" 00 01 00 01 00',
      ),
    );
  });
  test('UpdateFeatures request v0 (AllowDowngrade) and v1 (UpgradeType, ValidateOnly)', () => {
    golden(
      UpdateFeaturesRequestSchema,
      0,
      { timeoutMs: 60000, featureUpdates: [{ feature: 'g', maxVersionLevel: 0, allowDowngrade: true }] },
      hex('00 00 ea 60', '02 02 "g" 00 00 01 00', '00'),
    );
    golden(
      UpdateFeaturesRequestSchema,
      1,
      { timeoutMs: 60000, featureUpdates: [{ feature: 'g', maxVersionLevel: 1, upgradeType: 2 }], validateOnly: true },
      hex('00 00 ea 60', '02 02 "g" 00 01 02 00', '01', '00'),
    );
  });
  test('UpdateFeatures response: v1 repeats the error per feature, v2 has the top-level error only', () => {
    golden(
      UpdateFeaturesResponseSchema,
      1,
      {
        throttleTimeMs: 0,
        errorCode: 95,
        errorMessage: 'x',
        results: [{ feature: 'g', errorCode: 95, errorMessage: 'x' }],
      },
      hex('00 00 00 00', '00 5f', '02 "x"', '02 02 "g" 00 5f 02 "x" 00', '00'),
    );
    golden(
      UpdateFeaturesResponseSchema,
      2,
      { throttleTimeMs: 0, errorCode: 95, errorMessage: 'x' },
      hex('00 00 00 00', '00 5f', '02 "x"', '00'),
    );
  });
});

describe('transactions v2 and topic ids: Produce 12/13, TxnOffsetCommit 5/6', () => {
  const batch = hex('01 02 03 04 05');
  test('Produce request v12 is v11 on the wire (only the meaning of a transactional id changed)', () => {
    golden(
      ProduceRequestSchema,
      12,
      {
        transactionalId: 'tx',
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: 't', partitionData: [{ index: 2, records: batch }] }],
      },
      hex('03 "tx"', 'ff ff', '00 00 75 30', '02 02 "t" 02 00 00 00 02 06 01 02 03 04 05 00 00', '00'),
    );
  });
  test('Produce request v13: the topic is its id', () => {
    golden(
      ProduceRequestSchema,
      13,
      {
        transactionalId: 'tx',
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ topicId: TOPIC_ID, partitionData: [{ index: 2, records: batch }] }],
      },
      hex(
        '03 "tx"',
        'ff ff',
        '00 00 75 30',
        '02',
        '000102030405060708090a0b0c0d0e0f',
        '02 00 00 00 02 06 01 02 03 04 05 00',
        '00',
        '00',
      ),
    );
  });
  test('Produce response v13: UNKNOWN_TOPIC_ID (100) for the topic id', () => {
    golden(
      ProduceResponseSchema,
      13,
      {
        responses: [
          {
            topicId: TOPIC_ID,
            partitionResponses: [
              {
                index: 2,
                errorCode: 100,
                baseOffset: -1n,
                logAppendTimeMs: -1n,
                logStartOffset: -1n,
                recordErrors: [],
                errorMessage: null,
              },
            ],
          },
        ],
        throttleTimeMs: 0,
      },
      hex(
        '02',
        '000102030405060708090a0b0c0d0e0f',
        '02 00 00 00 02 00 64',
        'ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff',
        '01 00 00',
        '00',
        '00 00 00 00',
        '00',
      ),
    );
  });
  test('TxnOffsetCommit request v5 is v4 on the wire; v6 names topics by id', () => {
    const head = hex('02 "t"', '02 "g"', '00 00 00 00 00 00 00 05', '00 01', 'ff ff ff ff', '01', '00', '02');
    const part = hex('02 00 00 00 00 00 00 00 00 00 00 00 03 ff ff ff ff 02 "m" 00');
    const common = {
      transactionalId: 't',
      groupId: 'g',
      producerId: 5n,
      producerEpoch: 1,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
    };
    const partitions = [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: 'm' }];
    golden(
      TxnOffsetCommitRequestSchema,
      5,
      { ...common, topics: [{ name: 'x', partitions }] },
      Buffer.concat([head, hex('02 "x"'), part, hex('00', '00')]),
    );
    golden(
      TxnOffsetCommitRequestSchema,
      6,
      { ...common, topics: [{ topicId: TOPIC_ID, partitions }] },
      Buffer.concat([head, hex('000102030405060708090a0b0c0d0e0f'), part, hex('00', '00')]),
    );
  });
  test('TxnOffsetCommit response v6', () => {
    golden(
      TxnOffsetCommitResponseSchema,
      6,
      { throttleTimeMs: 0, topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: 100 }] }] },
      hex('00 00 00 00', '02', '000102030405060708090a0b0c0d0e0f', '02 00 00 00 00 00 64 00', '00', '00'),
    );
  });
});
