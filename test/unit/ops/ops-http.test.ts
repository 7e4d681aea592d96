// The operations HTTP listener against a broker's services built from metadata images: readiness reasons (503),
// replication gauges computed from the image (under-replicated, under-min-ISR, offline, ISR shrinks and expands),
// record counting from batch headers, and http.listeners parsing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ImageListener } from '../../../src/metadata/controller.ts';
import type { MetadataImage, PartitionInfo, TopicInfo } from '../../../src/metadata/image.ts';
import { parseBasic } from '../../../src/ops/http-auth.ts';
import { OpsHttpServer, parseHttpListener } from '../../../src/ops/http-server.ts';
import { countRecords } from '../../../src/ops/metrics.ts';
import { FetchSessionCache } from '../../../src/server/fetch-sessions.ts';
import type { BrokerServices } from '../../../src/server/services.ts';
import type { LogManager } from '../../../src/storage/log-manager.ts';
import { createLogger } from '../../../src/util/log.ts';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

type Item =
  | { kind: 'broker'; nodeId: number; fenced: boolean }
  | { kind: 'topic'; name: string }
  | { kind: 'partition'; partition: number; leader: number; isr: number[] };

/** The parts of a metadata image the ops code reads: brokers, topics with partitions (one topic, 't'). */
function image(items: Item[]): MetadataImage {
  const brokers = new Map<number, { nodeId: number; fenced: boolean }>();
  let topic: TopicInfo | undefined;
  const partitions: PartitionInfo[] = [];
  for (const it of items) {
    if (it.kind === 'broker') brokers.set(it.nodeId, { nodeId: it.nodeId, fenced: it.fenced });
    else if (it.kind === 'topic') topic = { name: it.name, id: TOPIC_ID, partitions, configs: {} };
    else
      partitions[it.partition] = {
        partition: it.partition,
        leader: it.leader,
        leaderEpoch: 0,
        partitionEpoch: 0,
        replicas: [1, 2, 3],
        isr: it.isr,
      };
  }
  const topics = new Map(topic ? [[topic.name, topic]] : []);
  return {
    brokers,
    topics,
    topicsById: new Map(topic ? [[TOPIC_ID, topic]] : []),
    partition: (t: string, p: number) => topics.get(t)?.partitions[p],
  } as unknown as MetadataImage;
}

const broker = (nodeId: number, fenced = false): Item => ({ kind: 'broker', nodeId, fenced });
const topicT: Item = { kind: 'topic', name: 't' };
const partition = (p: number, leader: number, isr: number[]): Item => ({
  kind: 'partition',
  partition: p,
  leader,
  isr,
});

function setup(initial: MetadataImage, offlineDirs = new Map<string, Error>()) {
  let current = initial;
  const listeners: ImageListener[] = [];
  const hosted = [0, 1, 2].map((index) => ({
    topic: 't',
    index,
    log: { isOffline: false, size: 100 * (index + 1), logEndOffset: 10, logStartOffset: 0, highWatermark: 10 },
    config: { minInsyncReplicas: 2 },
  }));
  const services = {
    nodeId: 1,
    metadata: () => current,
    controller: { subscribe: (l: ImageListener) => listeners.push(l) },
    replicas: { all: () => hosted[Symbol.iterator](), get: () => undefined },
    groups: { listGroups: () => [] },
    fetchSessions: new FetchSessionCache({ maxSlots: () => 10, clock: () => 0 }),
  } as unknown as BrokerServices;
  let listening = true;
  const server = new OpsHttpServer({
    services,
    logs: () => ({ offlineDirs }) as unknown as LogManager,
    listening: () => listening,
    connections: () => new Map([['PLAINTEXT', 2]]),
    log: createLogger({ level: 'silent' }),
  });
  return {
    server,
    setImage(next: MetadataImage) {
      const previous = current;
      current = next;
      for (const l of listeners) l(next, previous, []);
    },
    stopListening() {
      listening = false;
    },
  };
}

const metricValue = (text: string, line: string): number => {
  const m = text.split('\n').find((l) => l.startsWith(`${line} `));
  assert.ok(m, `${line} in\n${text}`);
  return Number(m.split(' ').at(-1));
};

describe('OpsHttpServer', () => {
  test('/ready: 200 when serving; 503 with reasons when not registered, a log dir is offline, or not listening', async () => {
    const ok = setup(image([broker(1)]));
    assert.deepEqual(ok.server.readiness(), { ready: true, reasons: [] });
    ok.stopListening();
    assert.deepEqual(ok.server.readiness().reasons, ['the Kafka listeners are not accepting connections']);
    assert.deepEqual(setup(image([broker(1, true)])).server.readiness().reasons, ['broker 1 is fenced']);

    const bad = setup(image([broker(2)]), new Map([['/data/a', new Error('EIO')]]));
    const [bound] = await bad.server.listen([{ host: '127.0.0.1', port: 0 }]);
    try {
      const r = await fetch(`http://127.0.0.1:${bound!.boundPort}/ready`);
      assert.equal(r.status, 503);
      assert.deepEqual(await r.json(), {
        status: 'NOT_READY',
        reasons: ['broker 1 is not registered in the cluster metadata', 'log dir /data/a is offline: EIO'],
      });
      assert.equal((await fetch(`http://127.0.0.1:${bound!.boundPort}/health`)).status, 200);
    } finally {
      await bad.server.close();
    }
  });

  test('a port already taken is logged and skipped, not fatal', async () => {
    const a = setup(image([broker(1)]));
    const [bound] = await a.server.listen([{ host: '127.0.0.1', port: 0 }]);
    const b = setup(image([broker(1)]));
    try {
      assert.deepEqual(await b.server.listen([{ host: '127.0.0.1', port: bound!.boundPort }]), []);
    } finally {
      await a.server.close();
    }
  });

  test('replication gauges come from the image: under-replicated, under min ISR, offline, ISR shrinks/expands', async () => {
    const base = [broker(1), topicT];
    const s = setup(image([...base, partition(0, 1, [1, 2, 3]), partition(1, 1, [1, 2]), partition(2, 2, [2, 3])]));
    let text = await s.server.metrics.scrape();
    assert.equal(metricValue(text, 'kafka_server_replicamanager_partitioncount'), 3);
    assert.equal(metricValue(text, 'kafka_server_replicamanager_leadercount'), 2);
    assert.equal(metricValue(text, 'kafka_server_replicamanager_underreplicatedpartitions'), 1, 'partition 1');
    assert.equal(metricValue(text, 'kafka_server_replicamanager_underminisrpartitioncount'), 0);
    assert.equal(metricValue(text, 'kafka_controller_kafkacontroller_offlinepartitionscount'), 0);
    assert.equal(metricValue(text, 'kafka_log_log_size{topic="t",partition="2"}'), 300);
    assert.equal(metricValue(text, 'kafka_server_socketservermetrics_connection_count{listener="PLAINTEXT"}'), 2);
    assert.equal(metricValue(text, 'kafka_server_fetchsessioncache_numincrementalfetchsessions'), 0);
    assert.equal(metricValue(text, 'kafka_server_fetchsessioncache_numincrementalfetchpartitionscached'), 0);

    // Partition 0 loses two followers (under min ISR 2), partition 2 loses its leader, partition 1 regains one.
    s.setImage(image([...base, partition(0, 1, [1]), partition(1, 1, [1, 2, 3]), partition(2, -1, [])]));
    text = await s.server.metrics.scrape();
    assert.equal(metricValue(text, 'kafka_server_replicamanager_underreplicatedpartitions'), 1, 'partition 0');
    assert.equal(metricValue(text, 'kafka_server_replicamanager_underminisrpartitioncount'), 1);
    assert.equal(metricValue(text, 'kafka_controller_kafkacontroller_offlinepartitionscount'), 1);
    assert.equal(metricValue(text, 'kafka_server_replicamanager_isrshrinks_total'), 2);
    assert.equal(metricValue(text, 'kafka_server_replicamanager_isrexpands_total'), 1);
  });

  test('request observations: per-topic counters from produce payloads, rejected bytes on partition errors', async () => {
    const s = setup(image([broker(1), topicT, partition(0, 1, [1])]));
    const batch = Buffer.alloc(61 + 20);
    batch.writeInt32BE(batch.length - 12, 8);
    batch[16] = 2;
    batch.writeInt32BE(7, 57);
    const req = { topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] };
    const ok = { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0 }] }] };
    const failed = { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 10 }] }] };
    s.server.metrics.observeRequest(0, 'Produce', 9, req, ok, performance.now());
    s.server.metrics.observeRequest(0, 'Produce', 9, req, failed, performance.now());
    s.server.metrics.observeRequest(0, 'Produce', 9, req, undefined, performance.now()); // acks=0
    s.server.metrics.observeRequest(0, 'Produce', 9, req, null, performance.now()); // the handler threw
    const text = await s.server.metrics.scrape();
    assert.equal(metricValue(text, 'kafka_server_brokertopicmetrics_messagesin_total{topic="t"}'), 14);
    assert.equal(metricValue(text, 'kafka_server_brokertopicmetrics_bytesin_total{topic="t"}'), 2 * batch.length);
    assert.equal(metricValue(text, 'kafka_server_brokertopicmetrics_bytesrejected_total{topic="t"}'), 2 * batch.length);
    assert.equal(metricValue(text, 'kafka_server_brokertopicmetrics_failedproducerequests_total{topic="t"}'), 2);
    assert.equal(metricValue(text, 'kafka_network_requestmetrics_requests_total{request="Produce"}'), 4);
    assert.equal(metricValue(text, 'kafka_network_requestmetrics_totaltime_seconds_count{request="Produce"}'), 4);

    // A deleted topic's series go away at the next scrape.
    s.setImage(image([broker(1)]));
    assert.doesNotMatch(await s.server.metrics.scrape(), /brokertopicmetrics_\w+{topic="t"}/);
  });

  test('countRecords reads v2 batch headers and counts a legacy entry as one', () => {
    const v2 = (n: number) => {
      const b = Buffer.alloc(70);
      b.writeInt32BE(70 - 12, 8);
      b[16] = 2;
      b.writeInt32BE(n, 57);
      return b;
    };
    const legacy = Buffer.alloc(30);
    legacy.writeInt32BE(30 - 12, 8);
    legacy[16] = 1;
    assert.equal(countRecords(Buffer.concat([v2(3), v2(4), legacy])), 8);
    assert.equal(countRecords(Buffer.alloc(0)), 0);
    assert.equal(countRecords(Buffer.concat([v2(2), Buffer.alloc(5)])), 2, 'a partial trailing batch is not counted');
  });

  test('parseHttpListener', () => {
    assert.deepEqual(parseHttpListener('http://127.0.0.1:9644'), { host: '127.0.0.1', port: 9644 });
    assert.deepEqual(parseHttpListener('http://:0'), { host: '', port: 0 });
    assert.deepEqual(parseHttpListener('http://[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseHttpListener('https://0.0.0.0:9643'), { host: '0.0.0.0', port: 9643, tls: true });
    assert.throws(() => parseHttpListener('ftp://h:1'), /expected http:\/\/host:port or https:\/\/host:port/);
    assert.throws(() => parseHttpListener('http://h:70000'), /expected http:\/\/host:port/);
  });
});

describe('docs/grafana-dashboard.json', () => {
  test('every series its queries use is one the broker exports', () => {
    const file = new URL('../../../docs/grafana-dashboard.json', import.meta.url);
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
      panels: Array<{ id: number; targets?: Array<{ expr: string }> }>;
    };
    const s = setup(image([broker(1)]));
    const exported = new Set(s.server.metrics.registry.getMetricsAsArray().map((m) => m.name));
    const ids = new Set<number>();
    let queries = 0;
    for (const p of dashboard.panels) {
      assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
      ids.add(p.id);
      for (const t of p.targets ?? []) {
        queries++;
        for (const [name] of t.expr.matchAll(/\b(kafka|nodejs|process)_[a-z0-9_]+/g)) {
          const family = name.replace(/_(bucket|sum|count)$/, '');
          assert.ok(exported.has(name) || exported.has(family), `${name} (in "${t.expr}") is exported`);
        }
      }
    }
    assert.ok(queries >= 20, `${queries} queries`);
  });
});

describe('HTTP Basic credentials', () => {
  test('parseBasic reads user and password (UTF-8, colons in the password) and refuses malformed headers', () => {
    const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;
    assert.deepEqual(parseBasic(basic('bob:se:cret')), { user: 'bob', password: 'se:cret' });
    assert.deepEqual(parseBasic(basic('jürgen:pässword')), { user: 'jürgen', password: 'pässword' });
    assert.deepEqual(parseBasic(`basic   ${Buffer.from('a:').toString('base64')}`), { user: 'a', password: '' });
    assert.equal(parseBasic(undefined), undefined);
    assert.equal(parseBasic(basic(':no-user')), undefined);
    assert.equal(parseBasic(basic('no-colon')), undefined);
    assert.equal(parseBasic('Bearer abc'), undefined);
  });
});
