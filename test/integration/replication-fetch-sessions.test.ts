// Replica fetchers keep incremental fetch sessions (KIP-227): three in-process brokers, a topic of 48 partitions with
// replication factor 3. Once the followers have caught up, their fetches carry (almost) no partitions while the
// topic is idle, and a produce to one partition makes only that partition travel; replication still converges (the
// HW reaches the log end on every partition written to, acks=all answers).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, Producer, type RunningCluster, startCluster } from '../../src/index.ts';

const PARTITIONS = 48;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('replica fetch sessions', { timeout: 120_000 }, () => {
  let cluster: RunningCluster;
  let admin: Admin;
  before(async () => {
    cluster = await startCluster({
      brokers: 3,
      sessionTimeoutMs: 4000,
      config: { 'replica.fetch.wait.max.ms': '100' },
    });
    admin = new Admin({ bootstrapServers: cluster.bootstrap });
  });
  after(async () => {
    await admin?.close();
    await cluster?.stop();
  });

  const totals = () => {
    let requests = 0;
    let full = 0;
    let sent = 0;
    let answered = 0;
    let sessions = 0;
    for (const b of cluster.brokers) {
      const s = b.broker.fetchSessionStats;
      requests += s.fetcher?.requests ?? 0;
      full += s.fetcher?.fullRequests ?? 0;
      sent += s.fetcher?.partitionsSent ?? 0;
      answered += s.fetcher?.partitionsAnswered ?? 0;
      sessions += s.sessions;
    }
    return { requests, full, sent, answered, sessions };
  };

  test('idle partitions are neither sent nor answered; replication converges', async () => {
    await admin.createTopics([{ topic: 's', numPartitions: PARTITIONS, replicationFactor: 3 }]);
    await until('full ISRs', async () => {
      const t = (await admin.describeTopics(['s']))[0]!;
      return t.partitions.every((p) => p.leader > 0 && p.isr.length === 3) ? true : undefined;
    });
    // Leaders hold the followers' sessions: every broker leads some partitions, each followed by two fetchers.
    await until('sessions at the leaders', async () => (totals().sessions >= 6 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    const a = totals();
    await new Promise((r) => setTimeout(r, 2000));
    const b = totals();
    const requests = b.requests - a.requests;
    assert.ok(requests >= 12, `fetchers kept polling (${requests} requests in 2 s)`);
    assert.ok(
      b.sent - a.sent <= 6,
      `an idle topic: ${b.sent - a.sent} partitions sent in ${requests} requests (a full fetch would send ${PARTITIONS * 2} each round)`,
    );
    assert.ok(b.answered - a.answered <= 6, `${b.answered - a.answered} partitions answered while idle`);
    assert.equal(b.full, a.full, 'no full fetch while nothing changed');

    // Produce to one partition with acks=all: it converges, and only it travels.
    const producer = new Producer({ bootstrapServers: cluster.bootstrap, acks: 'all' });
    try {
      for (let i = 0; i < 20; i++) await producer.send({ topic: 's', messages: [{ partition: 7, value: `v${i}` }] });
    } finally {
      await producer.close();
    }
    const c = totals();
    await until('the HW at the log end', async () => {
      const [o] = await admin.listOffsets([{ topic: 's', partitions: [7] }], 'latest');
      return o!.offset === 20 ? true : undefined;
    });
    const perRequest = (c.sent - b.sent) / Math.max(1, c.requests - b.requests);
    assert.ok(perRequest <= 2, `while one partition is written, requests carry ${perRequest.toFixed(2)} partitions`);
  });
});
