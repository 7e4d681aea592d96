// Bad input gets Kafka's error code and a readable message, loses nothing, and leaves the connection (or at least
// the broker) usable. Raw requests through BrokerConnection, one broker process with auto topic creation off.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type {
  CreateTopicsResponse,
  FetchResponse,
  ListOffsetsResponse,
  MetadataResponse,
  ProduceResponse,
} from '../../src/protocol/generated/messages.ts';
import { batches, buildBatch, iterateRecords } from '../../src/records/index.ts';
import { buildMessageSet } from '../../src/records/legacy.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requirePython, runProcess } from '../helpers/clients.ts';

const ZERO_UUID = Buffer.alloc(16);

async function produce(c: BrokerConnection, topic: string, partition: number, records: Buffer, acks = -1, v = 9) {
  const res = await c.send<ProduceResponse>(ApiKey.Produce, v, {
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

describe('bad input', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  let conn: BrokerConnection | undefined;

  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': 'false' } });
    conn = await BrokerConnection.open('127.0.0.1', broker.port);
    return conn;
  });
  after(async () => {
    conn?.close();
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const createTopic = async (
    c: BrokerConnection,
    name: string,
    opts: { partitions?: number; rf?: number; configs?: Record<string, string> } = {},
  ) => {
    const res = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [
        {
          name,
          numPartitions: opts.partitions ?? 1,
          replicationFactor: opts.rf ?? 1,
          configs: Object.entries(opts.configs ?? {}).map(([k, v]) => ({ name: k, value: v })),
        },
      ],
      timeoutMs: 5000,
    });
    return res.topics[0]!;
  };

  const fetchPartition = async (c: BrokerConnection, topic: string, offset: number, partition = 0) => {
    const res = await c.send<FetchResponse>(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }] }],
    });
    return res.responses[0]!.partitions[0]!;
  };

  /** Every record value in the partition, from offset 0. */
  const values = async (c: BrokerConnection, topic: string, partition = 0) => {
    const p = await fetchPartition(c, topic, 0, partition);
    assert.equal(p.errorCode, ErrorCode.NONE);
    const data = p.records ?? Buffer.alloc(0);
    return [...batches(data)].flatMap((b) =>
      [...iterateRecords(data.subarray(b.position, b.position + b.size))].map((r) => r.value?.toString()),
    );
  };

  const batchOf = (...vals: string[]) => buildBatch({ records: vals.map((v) => ({ value: Buffer.from(v) })) });

  test('a record above max.message.bytes: MESSAGE_TOO_LARGE with the sizes, and the topic still works', async () => {
    const c = await setup.get();
    assert.equal((await createTopic(c, 'too-large', { configs: { 'max.message.bytes': '1000' } })).errorCode, 0);
    const big = await produce(c, 'too-large', 0, buildBatch({ records: [{ value: Buffer.alloc(5000, 7) }] }));
    assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.match(big.errorMessage ?? '', /exceeds the maximum message size 1000/);
    const ok = await produce(c, 'too-large', 0, batchOf('small'));
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.equal(Number(ok.baseOffset), 0);
    assert.deepEqual(await values(c, 'too-large'), ['small']);
  });

  test('produce to a partition index that does not exist: UNKNOWN_TOPIC_OR_PARTITION, nothing written', async () => {
    const c = await setup.get();
    await createTopic(c, 'two-parts', { partitions: 2 });
    for (const index of [2, 99, -1]) {
      const r = await produce(c, 'two-parts', index, batchOf('lost?'));
      assert.equal(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${index}`);
    }
    assert.deepEqual(await values(c, 'two-parts', 0), []);
    assert.deepEqual(await values(c, 'two-parts', 1), []);
  });

  test('invalid topic names: INVALID_TOPIC_EXCEPTION from CreateTopics and Metadata, with a reason', async () => {
    const c = await setup.get();
    const bad = ['bad name!', '..', '.', '', 'x'.repeat(250), 'tópico'];
    const res = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: bad.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, configs: [] })),
      timeoutMs: 5000,
    });
    for (const t of res.topics) {
      assert.equal(t.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, t.name);
      assert.ok((t.errorMessage ?? '').length > 0, `a message for ${JSON.stringify(t.name)}`);
    }
    assert.match(res.topics.find((t) => t.name === 'bad name!')!.errorMessage!, /illegal/);
    assert.match(res.topics.find((t) => t.name.length === 250)!.errorMessage!, /249/);
    const md = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ name: 'bad name!', topicId: ZERO_UUID }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(md.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  test('__cluster_metadata cannot be created (its directory is the metadata log): INVALID_REQUEST as Kafka', async () => {
    const c = await setup.get();
    const r = await createTopic(c, '__cluster_metadata');
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(r.errorMessage, 'Creation of internal topic __cluster_metadata is prohibited.');
    const del = (await c.send(ApiKey.DeleteTopics, 6, {
      topics: [{ name: '__cluster_metadata' }],
      timeoutMs: 5000,
    })) as { responses: { errorCode: number }[] };
    assert.equal(del.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('a topic named twice in one CreateTopics: INVALID_REQUEST for it and not created, as Kafka', async () => {
    const c = await setup.get();
    const res = await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: ['twice', 'once', 'twice'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, configs: [] })),
      timeoutMs: 5000,
    });
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [
        ['twice', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        ['once', ErrorCode.NONE, null],
        ['twice', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      ],
    );
    const md = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ name: 'twice', topicId: ZERO_UUID }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('CreateTopics with an unknown or invalid config: INVALID_CONFIG naming the key, no topic created', async () => {
    const c = await setup.get();
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'no.such.config': '1' }, /no\.such\.config/],
      [{ 'retention.ms': 'abc' }, /(?=.*retention\.ms)(?=.*abc)/],
      [{ 'cleanup.policy': 'bogus' }, /(?=.*cleanup\.policy)(?=.*bogus)/],
      [{ 'max.message.bytes': '-3' }, /max\.message\.bytes/],
    ];
    for (const [configs, message] of cases) {
      const r = await createTopic(c, 'bad-config', { configs });
      assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG, JSON.stringify(configs));
      assert.match(r.errorMessage ?? '', message);
    }
    const md = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ name: 'bad-config', topicId: ZERO_UUID }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('replication factor 3 on one broker: INVALID_REPLICATION_FACTOR', async () => {
    const c = await setup.get();
    const r = await createTopic(c, 'rf3', { rf: 3 });
    assert.equal(r.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.match(r.errorMessage ?? '', /only 1 broker/);
  });

  test('Fetch past the end and before the log start: OFFSET_OUT_OF_RANGE with the bounds', async () => {
    const c = await setup.get();
    await createTopic(c, 'range');
    assert.equal((await produce(c, 'range', 0, batchOf('a', 'b', 'c', 'd'))).errorCode, 0);
    // Move the log start to 2 so "before the start" is a real offset, not just a negative one.
    const del = (await c.send(ApiKey.DeleteRecords, 2, {
      topics: [{ name: 'range', partitions: [{ partitionIndex: 0, offset: 2n }] }],
      timeoutMs: 5000,
    })) as { topics: { partitions: { errorCode: number; lowWatermark: bigint }[] }[] };
    assert.equal(del.topics[0]!.partitions[0]!.errorCode, 0);
    for (const offset of [5, 1000, 1, 0, -5]) {
      const p = await fetchPartition(c, 'range', offset);
      assert.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset}`);
      assert.equal(Number(p.highWatermark), 4);
      assert.equal(Number(p.logStartOffset), 2);
    }
    // Right at the end is not out of range: an empty answer.
    const atEnd = await fetchPartition(c, 'range', 4);
    assert.equal(atEnd.errorCode, ErrorCode.NONE);
  });

  test('a real client reading past the end resets per auto.offset.reset', async () => {
    const c = await setup.get();
    const py = requirePython('kafka', 'apt-get install python3-kafka');
    await createTopic(c, 'reset-me');
    assert.equal((await produce(c, 'reset-me', 0, batchOf('r0', 'r1', 'r2'))).errorCode, 0);
    const script = `
import sys
from kafka import KafkaConsumer, TopicPartition
tp = TopicPartition('reset-me', 0)
c = KafkaConsumer(bootstrap_servers=sys.argv[1], auto_offset_reset=sys.argv[2], consumer_timeout_ms=3000)
c.assign([tp]); c.seek(tp, 1000)
print(','.join(m.value.decode() for m in c))
`;
    for (const [reset, expected] of [
      ['earliest', 'r0,r1,r2'],
      ['latest', ''],
    ]) {
      const r = await runProcess(py, ['-c', script, broker!.bootstrap, reset!]);
      assert.equal(r.code, 0, describeRun('kafka-python', r));
      assert.equal(r.stdout.trim(), expected, describeRun(`kafka-python ${reset}`, r));
    }
  });

  test('ListOffsets by a timestamp in the future: offset -1, no error', async () => {
    const c = await setup.get();
    await createTopic(c, 'lo-future');
    await produce(c, 'lo-future', 0, batchOf('x'));
    const res = await c.send<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'lo-future', partitions: [{ partitionIndex: 0, timestamp: BigInt(Date.now() + 86_400_000) }] }],
    });
    const p = res.topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(Number(p.offset), -1);
    assert.equal(Number(p.timestamp), -1);
  });

  test('DeleteTopics of an unknown topic: UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const c = await setup.get();
    const res = (await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'never-was' }], timeoutMs: 5000 })) as {
      responses: { name: string; errorCode: number }[];
    };
    assert.equal(res.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("AlterConfigs of a broker: Kafka's errors for read-only, unknown and invalid keys; nothing changed", async () => {
    const c = await setup.get();
    const cases = [
      [{ name: 'log.dirs', value: '/elsewhere' }, ErrorCode.INVALID_REQUEST, /Cannot update these configs dynamically/],
      [
        { name: 'no.such.config', value: '1' },
        ErrorCode.INVALID_CONFIG,
        /Unknown broker config name: no\.such\.config/,
      ],
      [{ name: 'log.retention.ms', value: 'soon' }, ErrorCode.INVALID_REQUEST, /'soon'.*log\.retention\.ms/],
    ] as const;
    for (const [entry, code, message] of cases) {
      for (const api of [ApiKey.AlterConfigs, ApiKey.IncrementalAlterConfigs]) {
        const configs = api === ApiKey.AlterConfigs ? [entry] : [{ ...entry, configOperation: 0 }];
        const res = (await c.send(api, api === ApiKey.AlterConfigs ? 2 : 1, {
          resources: [{ resourceType: 4, resourceName: '1', configs }],
          validateOnly: false,
        })) as { responses: { errorCode: number; errorMessage: string | null }[] };
        assert.equal(res.responses[0]!.errorCode, code, entry.name);
        assert.match(res.responses[0]!.errorMessage ?? '', message);
      }
    }
    const d = (await c.send(ApiKey.DescribeConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['log.dirs', 'log.retention.ms'] }],
      includeSynonyms: false,
    })) as { results: { configs: { name: string; configSource: number }[] }[] };
    assert.deepEqual(
      d.results[0]!.configs.map((e) => [e.name, e.configSource === 2]),
      [
        ['log.dirs', false],
        ['log.retention.ms', false],
      ],
      'no dynamic config was stored',
    );
  });

  test('acks=2: INVALID_REQUIRED_ACKS, nothing written', async () => {
    const c = await setup.get();
    await createTopic(c, 'acks2');
    const r = await produce(c, 'acks2', 0, batchOf('nope'), 2);
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
    assert.deepEqual(await values(c, 'acks2'), []);
  });

  test('a failed acks=0 produce closes the connection (as Kafka), a good one does not', async () => {
    const c = await setup.get();
    await createTopic(c, 'acks0');
    const send0 = (conn: BrokerConnection, partition: number, value: string) =>
      conn.send(
        ApiKey.Produce,
        9,
        {
          acks: 0,
          timeoutMs: 5000,
          topicData: [{ name: 'acks0', partitionData: [{ index: partition, records: batchOf(value) }] }],
        },
        false,
      );
    const own = await BrokerConnection.open('127.0.0.1', broker!.port);
    try {
      await send0(own, 0, 'kept');
      await (own.send(ApiKey.ApiVersions, 3, {
        clientSoftwareName: 't',
        clientSoftwareVersion: '1',
      }) as Promise<unknown>);
      assert.ok(own.isOpen);
      await send0(own, 7, 'nowhere');
      // The broker closed the socket: this request fails (closed or reset, depending on timing).
      await assert.rejects(own.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' }));
      assert.equal(own.isOpen, false);
    } finally {
      own.close();
    }
    assert.deepEqual(await values(c, 'acks0'), ['kept']);
    assert.match(broker!.logs(), /closing the connection.*acks=0 produce failed for acks0-7/);
  });

  test('a batch with a bad CRC: CORRUPT_MESSAGE, nothing written, the same connection keeps working', async () => {
    const c = await setup.get();
    await createTopic(c, 'crc');
    const corrupt = Buffer.from(batchOf('flipped'));
    corrupt[corrupt.length - 1]! ^= 0xff;
    const r = await produce(c, 'crc', 0, corrupt);
    assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.match(r.errorMessage ?? '', /crc/);
    assert.ok(c.isOpen);
    const ok = await produce(c, 'crc', 0, batchOf('good'));
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.equal(Number(ok.baseOffset), 0);
    assert.deepEqual(await values(c, 'crc'), ['good']);
  });

  test('a request declaring 200 MB: that connection closes, the broker goes on', async () => {
    const c = await setup.get();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      const s = net.connect(broker!.port, '127.0.0.1', () => {
        const head = Buffer.alloc(8);
        head.writeInt32BE(200 * 1024 * 1024, 0);
        head.writeInt16BE(ApiKey.Produce, 4);
        s.write(head);
      });
      s.on('error', () => {});
      s.on('close', () => resolve(Date.now() - t0));
      setTimeout(() => {
        s.destroy();
        reject(new Error('the connection stayed open'));
      }, 5000).unref();
    });
    assert.ok(closedAfter < 5000);
    assert.match(broker!.logs(), /size=209715200/);
    const api = (await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })) as {
      errorCode: number;
    };
    assert.equal(api.errorCode, 0);
  });

  test('Produce v3+ with two batches for one partition: INVALID_RECORD as Kafka, nothing written', async () => {
    const c = await setup.get();
    await createTopic(c, 'two-batches');
    for (const v of [3, 9, 11]) {
      const r = await produce(c, 'two-batches', 0, Buffer.concat([batchOf('one'), batchOf('two')]), -1, v);
      assert.equal(r.errorCode, ErrorCode.INVALID_RECORD, `v${v}`);
      if (v >= 8) assert.match(r.errorMessage ?? '', /exactly one record batch/); // error_message is v8+
    }
    // A magic 1 message set is for Produce v0-v2 only.
    const legacy = buildMessageSet([{ offset: 0, timestamp: Date.now(), value: Buffer.from('old') }], { magic: 1 });
    const r = await produce(c, 'two-batches', 0, legacy, -1, 9);
    assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
    assert.match(r.errorMessage ?? '', /magic version 2/);
    // Nothing at all: Kafka's "at least one record batch".
    const empty = await produce(c, 'two-batches', 0, Buffer.alloc(0), -1, 9);
    assert.equal(empty.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(await values(c, 'two-batches'), []);
    // Still fine: one batch in v9, a legacy message set in v2.
    assert.equal((await produce(c, 'two-batches', 0, batchOf('single'), -1, 9)).errorCode, 0);
    assert.equal((await produce(c, 'two-batches', 0, legacy, -1, 2)).errorCode, 0);
    assert.deepEqual(await values(c, 'two-batches'), ['single', 'old']);
  });

  test('Metadata for 10,000 unknown topics with auto-create off: all UNKNOWN_TOPIC_OR_PARTITION, none created', async () => {
    const c = await setup.get();
    const before = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    const t0 = Date.now();
    const res = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: Array.from({ length: 10_000 }, (_, i) => ({ name: `ghost-${i}`, topicId: ZERO_UUID })),
      allowAutoTopicCreation: true, // the broker's auto.create.topics.enable=false wins
      includeTopicAuthorizedOperations: false,
    });
    const ms = Date.now() - t0;
    assert.equal(res.topics.length, 10_000);
    assert.ok(res.topics.every((t) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    assert.ok(ms < 5000, `took ${ms} ms`);
    const afterRes = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(afterRes.topics.length, before.topics.length);
  });
});

describe('oversized metadata requests', { timeout: 120_000 }, () => {
  let broker: BrokerHandle | undefined;
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test("a million partitions: POLICY_VIOLATION as Kafka's controller, nothing written, the restart stays fast", async () => {
    broker = await startBrokerProcess();
    let c = await BrokerConnection.open('127.0.0.1', broker.port);
    const create = async (name: string, numPartitions: number) =>
      (
        await c.send<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
          topics: [
            { name, numPartitions, replicationFactor: 1, configs: [] },
            { name: `${name}-small`, numPartitions: 1, replicationFactor: 1, configs: [] },
          ],
          timeoutMs: 30_000,
        })
      ).topics;
    for (const n of [1_000_000, 2_147_483_647]) {
      const topics = await create('huge', n);
      for (const t of topics) {
        assert.equal(t.errorCode, ErrorCode.POLICY_VIOLATION, `${t.name} with ${n}`);
        assert.equal(t.errorMessage, 'Unable to perform excessively large batch operation.');
      }
    }
    assert.equal((await create('fine', 100))[0]!.errorCode, ErrorCode.NONE);
    const grow = (await c.send(ApiKey.CreatePartitions, 3, {
      topics: [{ name: 'fine', count: 500_000, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    })) as { results: { errorCode: number }[] };
    assert.equal(grow.results[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
    c.close();

    const t0 = Date.now();
    await broker.restart();
    assert.ok(Date.now() - t0 < 10_000, `restart took ${Date.now() - t0} ms`);
    c = await BrokerConnection.open('127.0.0.1', broker.port);
    const md = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.deepEqual(md.topics.map((t) => [t.name, t.partitions.length]).sort(), [
      ['fine', 100],
      ['fine-small', 1],
    ]);
    c.close();
  });
});

describe('internal topics', { timeout: 120_000 }, () => {
  let broker: BrokerHandle | undefined;
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  test('a client cannot append to __consumer_offsets (INVALID_TOPIC_EXCEPTION), so the broker still starts', async () => {
    broker = await startBrokerProcess();
    let c = await BrokerConnection.open('127.0.0.1', broker.port);
    const fc = (await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] })) as {
      coordinators: { errorCode: number }[];
    };
    // The coordinator creates __consumer_offsets on the first FindCoordinator (it may still be loading).
    assert.ok([0, ErrorCode.COORDINATOR_NOT_AVAILABLE].includes(fc.coordinators[0]!.errorCode));
    const garbage = buildBatch({ records: [{ key: Buffer.from([0, 1, 2]), value: Buffer.from('garbage') }] });
    for (let partition = 0; partition < 50; partition++) {
      const r = await produce(c, '__consumer_offsets', partition, garbage);
      assert.equal(r.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `partition ${partition}`);
      assert.equal(r.errorMessage, 'Cannot append to internal topic __consumer_offsets');
    }
    c.close();
    await broker.restart();
    c = await BrokerConnection.open('127.0.0.1', broker.port);
    const again = (await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] })) as {
      coordinators: { errorCode: number }[];
    };
    assert.equal(again.coordinators[0]!.errorCode, 0);
    c.close();
  });
});
