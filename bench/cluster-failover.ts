// Benchmark (not a test): how fast a three-broker cluster on a real three-node ZooKeeper ensemble recovers.
//   controller failover: kill -9 of the active controller → another broker logs "this broker is the active
//     controller" (and DescribeCluster names it);
//   broker failure: kill -9 of a broker leading partitions (not the controller) → Metadata from another broker shows
//     none of its partitions led by it any more.
// For 10 and 10,000 partitions (one topic, replication factor 3) at zookeeper.session.timeout.ms 6000 and 2000.
// A session ends only when ZooKeeper expires it, so both times are bounded below by the session timeout.
// The rounds do not wait for a restarted broker to catch up and rejoin the ISRs, so ISRs can be short from one round
// to the next; the brokers run with unclean.leader.election.enable=true so that every round still finds a leader for
// every partition (the same decision path, moveAway in controller/decisions.ts, picking from the replicas instead of
// the ISR). `npm run bench -- --cluster` measures failover with data (kill -9 → first acknowledged produce).
// Usage: npm run bench:failover [-- partitions=10,10000 sessions=6000,2000 rounds=2]
import { Admin } from '../src/client/admin.ts';
import { type BrokerHandle, startBrokerProcess } from '../test/helpers/broker.ts';
import { startZooKeeper } from '../test/helpers/zookeeper.ts';

const arg = (name: string, dflt: string) =>
  (process.argv.slice(2).find((a) => a.startsWith(`${name}=`)) ?? `=${dflt}`).split('=')[1]!;
const PARTITIONS = arg('partitions', '10,10000').split(',').map(Number);
const SESSIONS = arg('sessions', '6000,2000').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '2'));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function withAdmin<T>(bootstrap: string, fn: (a: Admin) => Promise<T>): Promise<T> {
  const a = new Admin({ bootstrapServers: bootstrap });
  try {
    return await fn(a);
  } finally {
    await a.close();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, everyMs: number, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const ACTIVE = /this broker is the active controller/g;
const activations = (b: BrokerHandle) => b.logs().match(ACTIVE)?.length ?? 0;

interface Row {
  partitions: number;
  sessionMs: number;
  controllerFailoverMs: number[];
  leaderFailoverMs: number[];
}

async function run(partitions: number, sessionMs: number): Promise<Row> {
  // ZooKeeper grants sessions of 2..20 ticks: a 300 ms tick allows 600..6000 ms.
  const zk = await startZooKeeper({ nodes: 3, tickTimeMs: 300 });
  const brokers: BrokerHandle[] = [];
  const row: Row = { partitions, sessionMs, controllerFailoverMs: [], leaderFailoverMs: [] };
  try {
    for (let id = 1; id <= 3; id++)
      brokers.push(
        await startBrokerProcess({
          readyTimeoutMs: 60_000,
          overrides: {
            'broker.id': String(id),
            'zookeeper.connect': zk.connectString('/tributary'),
            'zookeeper.session.timeout.ms': String(sessionMs),
            'auto.leader.rebalance.enable': 'false',
            'unclean.leader.election.enable': 'true',
            'offsets.topic.replication.factor': '3',
            'log.segment.bytes': String(1024 * 1024),
          },
        }),
      );
    const all = () => brokers;
    const t0 = performance.now();
    // Topics of at most 1000 partitions (one CreateTopics may not add more than 10,000 records, as Kafka's).
    const topics: string[] = [];
    for (let left = partitions, i = 0; left > 0; left -= 1000, i++) {
      const name = `bench-${i}`;
      topics.push(name);
      await withAdmin(brokers[0]!.bootstrap, (a) =>
        a.createTopics([{ topic: name, numPartitions: Math.min(1000, left), replicationFactor: 3 }], {
          timeoutMs: 300_000,
        }),
      );
    }
    const describe = async (b: BrokerHandle) =>
      (await withAdmin(b.bootstrap, (a) => a.describeTopics(topics))).flatMap((t) => t.partitions);
    await until(
      'every broker to have the topic',
      async () => {
        for (const b of all()) {
          if ((await describe(b)).length !== partitions) return undefined;
        }
        return true;
      },
      500,
      600_000,
    );
    console.error(`  created ${partitions} partitions (rf 3) in ${Math.round(performance.now() - t0)} ms`);
    for (let round = 0; round < ROUNDS; round++) {
      // Controller failover.
      const before = await withAdmin(brokers[0]!.bootstrap, (a) => a.describeCluster());
      const victim = brokers[before.controllerId - 1]!;
      const others = brokers.filter((b) => b !== victim);
      const counts = others.map(activations);
      const k0 = performance.now();
      await victim.kill9();
      await until(
        'a new active controller',
        async () => (others.some((b, i) => activations(b) > counts[i]!) ? true : undefined),
        10,
      );
      row.controllerFailoverMs.push(Math.round(performance.now() - k0));
      await victim.restart();
      await until(
        'three brokers',
        () =>
          withAdmin(victim.bootstrap, async (a) =>
            (await a.describeCluster()).brokers.length === 3 ? true : undefined,
          ),
        200,
      );
      // Broker failure → new leaders: the broker leading the most partitions that is not the controller.
      const c = (await withAdmin(brokers[0]!.bootstrap, (a) => a.describeCluster())).controllerId;
      const led = new Map<number, number>();
      for (const p of await describe(brokers[0]!)) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      const id = [...led].filter(([b]) => b !== c && b > 0).sort((x, y) => y[1] - x[1])[0]?.[0];
      if (id === undefined) throw new Error('no broker other than the controller leads a partition');
      const down = brokers[id - 1]!;
      const watcher = brokers.find((b) => b !== down)!;
      const l0 = performance.now();
      await down.kill9();
      await until(
        'new leaders in metadata',
        async () => ((await describe(watcher)).every((p) => p.leader !== id && p.leader > 0) ? true : undefined),
        partitions > 1000 ? 100 : 20,
      );
      row.leaderFailoverMs.push(Math.round(performance.now() - l0));
      await down.restart();
      await until(
        'three brokers',
        () =>
          withAdmin(down.bootstrap, async (a) => ((await a.describeCluster()).brokers.length === 3 ? true : undefined)),
        200,
      );
      console.error(
        `  round ${round + 1}: controller ${row.controllerFailoverMs.at(-1)} ms, leaders of ${led.get(id)} partitions ${row.leaderFailoverMs.at(-1)} ms`,
      );
    }
  } finally {
    for (const b of brokers) await b.kill9().catch(() => {});
    await zk.stop();
  }
  return row;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};
const rows: Row[] = [];
for (const sessionMs of SESSIONS)
  for (const partitions of PARTITIONS) {
    console.error(`${partitions} partitions, zookeeper.session.timeout.ms=${sessionMs}`);
    rows.push(await run(partitions, sessionMs));
  }
console.log(
  '| partitions | session timeout | controller failover (median, all) | broker failure → new leaders (median, all) |',
);
console.log('|---:|---:|---|---|');
for (const r of rows)
  console.log(
    `| ${r.partitions} | ${r.sessionMs} ms | ${median(r.controllerFailoverMs)} ms (${r.controllerFailoverMs.join(', ')}) | ${median(r.leaderFailoverMs)} ms (${r.leaderFailoverMs.join(', ')}) |`,
  );
process.exit(0);
