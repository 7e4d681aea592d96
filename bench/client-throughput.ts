// Client throughput: Tributary's client vs kafkajs vs @platformatic/kafka on the same broker, producing and
// consuming 1 KiB records (acks=all, no compression). Not a test: prints a table (and JSON with --json).
//
//   node bench/client-throughput.ts [--records 100000] [--runs 3] [--partitions 3] [--bootstrap host:port]
//
// Without --bootstrap a Tributary broker process is started (its own process, so clients and broker do not share
// an event loop). Also measures the embedded broker's start-to-first-produce time.
import { parseArgs } from 'node:util';
import { Admin, Consumer, Producer, startBroker } from '../src/index.ts';
import { startBrokerProcess } from '../test/helpers/broker.ts';
import { importInterop } from '../test/helpers/clients.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '4' },
    bootstrap: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(args.records);
const SIZE = Number(args.size);
const RUNS = Number(args.runs);
const PARTITIONS = Number(args.partitions);
const CHUNK = Number(args.chunk);
const CONCURRENCY = Number(args.concurrency);
const payload = Buffer.alloc(SIZE, 'x');

interface ClientImpl {
  name: string;
  /** Sends `send(chunk)` calls with CONCURRENCY outstanding; resolves when all are acknowledged. */
  produce(bootstrap: string, topic: string): Promise<void>;
  /** Reads N records from the start as a new group member; resolves when all arrived. */
  consume(bootstrap: string, topic: string, group: string): Promise<void>;
}

async function pump(send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      const i = next;
      next += CHUNK;
      await send(i);
    }
  });
  await Promise.all(workers);
}

const count = (i: number) => Math.min(CHUNK, N - i);

const tributary: ClientImpl = {
  name: 'tributary',
  async produce(bootstrap, topic) {
    const p = new Producer({ bootstrapServers: bootstrap, acks: -1, lingerMs: 5, batchSize: 1048576 });
    await pump((i) =>
      p.send({ topic, messages: Array.from({ length: count(i) }, (_, j) => ({ key: `k${i + j}`, value: payload })) }),
    );
    await p.close();
  },
  async consume(bootstrap, topic, group) {
    const c = new Consumer({
      bootstrapServers: bootstrap,
      groupId: group,
      autoOffsetReset: 'earliest',
      maxPollRecords: 10000,
    });
    await c.subscribe([topic]);
    let n = 0;
    while (n < N) n += (await c.poll(1000)).length;
    await c.close();
  },
};

interface KafkaJs {
  Kafka: new (
    cfg: unknown,
  ) => {
    producer(cfg?: unknown): {
      connect(): Promise<void>;
      send(r: unknown): Promise<unknown>;
      disconnect(): Promise<void>;
    };
    consumer(cfg: unknown): {
      connect(): Promise<void>;
      subscribe(s: unknown): Promise<void>;
      run(r: unknown): Promise<void>;
      disconnect(): Promise<void>;
    };
  };
  logLevel: { NOTHING: number };
}

const kafkajs: ClientImpl = {
  name: 'kafkajs',
  async produce(bootstrap, topic) {
    const { Kafka, logLevel } = await importInterop<KafkaJs>('kafkajs/index.js');
    const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const p = kafka.producer();
    await p.connect();
    await pump((i) =>
      p.send({
        topic,
        acks: -1,
        messages: Array.from({ length: count(i) }, (_, j) => ({ key: `k${i + j}`, value: payload })),
      }),
    );
    await p.disconnect();
  },
  async consume(bootstrap, topic, group) {
    const { Kafka, logLevel } = await importInterop<KafkaJs>('kafkajs/index.js');
    const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const c = kafka.consumer({ groupId: group });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    let n = 0;
    await new Promise<void>((resolve) => {
      void c.run({
        eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => {
          n += batch.messages.length;
          if (n >= N) resolve();
        },
      });
    });
    await c.disconnect();
  },
};

// biome-ignore lint/suspicious/noExplicitAny: the interop client's types live outside this package
type Any = any;

const platformatic: ClientImpl = {
  name: '@platformatic/kafka',
  async produce(bootstrap, topic) {
    const pk: Any = await importInterop('@platformatic/kafka/dist/index.js');
    const p = new pk.Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], idempotent: false });
    await pump((i) =>
      p.send({
        acks: pk.ProduceAcks.ALL,
        messages: Array.from({ length: count(i) }, (_, j) => ({
          topic,
          key: Buffer.from(`k${i + j}`),
          value: payload,
        })),
      }),
    );
    await p.close();
  },
  async consume(bootstrap, topic, group) {
    const pk: Any = await importInterop('@platformatic/kafka/dist/index.js');
    const c = new pk.Consumer({ clientId: 'bench', bootstrapBrokers: [bootstrap], groupId: group });
    const stream = await c.consume({ topics: [topic], mode: pk.MessagesStreamModes.EARLIEST, autocommit: false });
    let n = 0;
    for await (const _m of stream) if (++n >= N) break;
    await stream.close();
    await c.close(true);
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function startupMs(): Promise<{ start: number; firstProduce: number }> {
  const t0 = performance.now();
  const b = await startBroker();
  const t1 = performance.now();
  const p = new Producer({ bootstrapServers: b.bootstrap, lingerMs: 0 });
  await p.send({ topic: 'first', messages: [{ value: 'x' }] });
  const t2 = performance.now();
  await p.close();
  await b.stop();
  return { start: t1 - t0, firstProduce: t2 - t0 };
}

async function main(): Promise<void> {
  // Embedded broker start-up (the first round warms module loading; the figure is the median of the rest).
  const startups: { start: number; firstProduce: number }[] = [];
  for (let i = 0; i < 6; i++) startups.push(await startupMs());
  const warm = startups.slice(1);
  const startup = {
    startMs: median(warm.map((s) => s.start)),
    firstProduceMs: median(warm.map((s) => s.firstProduce)),
    coldFirstProduceMs: startups[0]!.firstProduce,
  };

  const handle = args.bootstrap
    ? undefined
    : await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
  const bootstrap = args.bootstrap ?? handle!.bootstrap;
  const admin = new Admin({ bootstrapServers: bootstrap });
  const results: { client: string; produce: number[]; consume: number[] }[] = [];
  try {
    for (const impl of [tributary, kafkajs, platformatic]) {
      const r = { client: impl.name, produce: [] as number[], consume: [] as number[] };
      for (let run = 0; run < RUNS; run++) {
        const topic = `bench-${impl.name.replace(/\W/g, '')}-${run}-${Date.now()}`;
        await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
        let t = performance.now();
        await impl.produce(bootstrap, topic);
        r.produce.push(N / ((performance.now() - t) / 1000));
        t = performance.now();
        await impl.consume(bootstrap, topic, `${topic}-g`);
        r.consume.push(N / ((performance.now() - t) / 1000));
        await admin.deleteTopics([topic]);
        process.stderr.write(
          `${impl.name} run ${run + 1}: produce ${r.produce.at(-1)!.toFixed(0)}/s, consume ${r.consume.at(-1)!.toFixed(0)}/s\n`,
        );
      }
      results.push(r);
    }
  } finally {
    await admin.close();
    await handle?.stop();
  }
  const mb = (rps: number) => ((rps * SIZE) / 1048576).toFixed(1);
  if (args.json) {
    console.log(JSON.stringify({ records: N, size: SIZE, partitions: PARTITIONS, startup, results }, null, 2));
    return;
  }
  console.log(
    `Embedded broker: start ${startup.startMs.toFixed(1)} ms, start to first acknowledged produce ${startup.firstProduceMs.toFixed(1)} ms (median of 5 warm runs; first run in the process ${startup.coldFirstProduceMs.toFixed(1)} ms)\n`,
  );
  console.log(
    `${N} records of ${SIZE} B, ${PARTITIONS} partitions, acks=all, ${CHUNK} records per send, ${CONCURRENCY} sends in flight; median of ${RUNS} runs`,
  );
  console.log('client                produce rec/s   MB/s   consume rec/s   MB/s');
  for (const r of results) {
    const p = median(r.produce);
    const c = median(r.consume);
    console.log(
      `${r.client.padEnd(20)}  ${p.toFixed(0).padStart(13)}  ${mb(p).padStart(5)}  ${c.toFixed(0).padStart(14)}  ${mb(c).padStart(5)}`,
    );
  }
}

await main();
process.exit(0);
