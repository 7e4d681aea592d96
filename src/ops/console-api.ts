/**
 * The web console's thin JSON layer and its static files. Every answer comes from the broker's public Kafka APIs,
 * through the project's own client (Admin, Producer, Consumer) connected to this broker's listener: the console sees
 * exactly what any Kafka client sees, and there is no second source of truth.
 *
 *   GET    /api/cluster                         cluster id, controller, brokers
 *   GET    /api/topics                          topics with partitions (leader, replicas, ISR, offsets, bytes)
 *   POST   /api/topics                          create {name, partitions?, replicationFactor?, configs?}
 *   DELETE /api/topics/:name                    delete
 *   GET    /api/topics/:name/configs            configs (with source)
 *   PUT    /api/topics/:name/configs            {set: {k: v}, delete: [k]}
 *   GET    /api/topics/:name/messages?partition=&offset=|timestamp=&limit=   browse
 *   POST   /api/topics/:name/messages           produce {key?, value, headers?, partition?}
 *   GET    /api/groups                          groups with state and total lag
 *   GET    /api/groups/:id                      members, assignments, committed offsets and lag per partition
 *   POST   /api/groups/:id/offsets              reset {topic, partition?, to: 'earliest' | 'latest' | offset}
 *                                               (the group must have no members, as kafka-consumer-groups requires)
 *
 * Requests that change something must be `application/json` and, when the browser sends an Origin, same-origin:
 * another web page cannot send such a request without a CORS preflight, which is never answered.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from '../client/admin.ts';
import { Consumer } from '../client/consumer.ts';
import { KafkaClientError } from '../client/errors.ts';
import { ApiKey } from '../protocol/apis.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { DescribeLogDirsResponse } from '../protocol/generated/messages.ts';
import { KafkaClients } from './http-auth.ts';
import { sendJson } from './http-server.ts';

/** Where `npm run build` puts the console (dist/console of the package, from src/ops/ or dist/ops/ alike). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

const MAX_BODY = 1024 * 1024;
const MAX_BROWSE = 500;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface ConsoleOptions {
  /** host:port of this broker's own Kafka listener. */
  bootstrap: () => string;
  /** Directory of the built console (default CONSOLE_DIR). */
  dir?: string;
}

export class ConsoleApi {
  private readonly opts: ConsoleOptions;
  private readonly dir: string;
  /** The clients used when the HTTP listener has no authentication (`http.auth=none`). */
  private anonymous: KafkaClients | undefined;

  constructor(opts: ConsoleOptions) {
    this.opts = opts;
    this.dir = opts.dir ?? CONSOLE_DIR;
  }

  /**
   * An HttpRoute: handles `/api/...` and the console's files; false for anything else. `clients` are the
   * authenticated user's (http.auth=basic); without them the console uses its own anonymous clients.
   */
  readonly route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    clients?: KafkaClients,
  ): Promise<boolean> => {
    if (url.pathname.startsWith('/api/')) {
      const kafka = clients ?? this.anonymousClients();
      try {
        const body = await this.api(req, url, kafka);
        sendJson(res, req.method === 'POST' ? 201 : 200, body);
      } catch (e) {
        const status = e instanceof HttpError ? e.status : e instanceof KafkaClientError ? kafkaStatus(e.code) : 500;
        const denied = status === 403 && e instanceof KafkaClientError;
        // An ACL refusal names who was refused, so the console can say which user lacks which right.
        const error = denied
          ? `${kafka.principal ?? 'the console (User:ANONYMOUS)'} is not authorized: ${(e as Error).message}`
          : (e as Error).message;
        sendJson(res, status, { error });
      }
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    return this.serveFile(res, url.pathname);
  };

  private anonymousClients(): KafkaClients {
    this.anonymous ??= new KafkaClients(
      { bootstrapServers: this.opts.bootstrap(), clientId: 'tributary-console', retries: 2 },
      null,
    );
    return this.anonymous;
  }

  private async api(req: IncomingMessage, url: URL, kafka: KafkaClients): Promise<unknown> {
    const parts = url.pathname.slice('/api/'.length).split('/').map(decodeURIComponent);
    const m = req.method ?? 'GET';
    if (m !== 'GET' && m !== 'HEAD') checkMutation(req);
    const { admin } = kafka;
    const [what, name, sub] = parts;
    if (what === 'cluster' && parts.length === 1 && m === 'GET') return admin.describeCluster();
    if (what === 'topics' && parts.length === 1) {
      if (m === 'GET') return this.topics(admin);
      if (m === 'POST') {
        const b = (await readJson(req)) as {
          name?: unknown;
          partitions?: unknown;
          replicationFactor?: unknown;
          configs?: unknown;
        };
        if (typeof b.name !== 'string' || b.name === '') throw new HttpError(400, 'name: a topic name is required');
        await admin.createTopics([
          {
            topic: b.name,
            numPartitions: optionalInt(b.partitions, 'partitions'),
            replicationFactor: optionalInt(b.replicationFactor, 'replicationFactor'),
            configs: stringRecord(b.configs, 'configs'),
          },
        ]);
        return { created: b.name };
      }
    }
    if (what === 'topics' && name !== undefined && parts.length === 2 && m === 'DELETE') {
      await admin.deleteTopics([name]);
      return { deleted: name };
    }
    if (what === 'topics' && name !== undefined && sub === 'configs' && parts.length === 3) {
      if (m === 'GET') return admin.describeConfigs({ type: 'topic', name });
      if (m === 'PUT') {
        const b = (await readJson(req)) as { set?: unknown; delete?: unknown };
        const set = stringRecord(b.set, 'set') ?? {};
        const del = b.delete ?? [];
        if (!Array.isArray(del) || !del.every((k) => typeof k === 'string'))
          throw new HttpError(400, 'delete: a list of config names is expected');
        await admin.alterConfigs({ type: 'topic', name }, [
          ...Object.entries(set).map(([k, v]) => ({ name: k, op: 'set' as const, value: v })),
          ...(del as string[]).map((k) => ({ name: k, op: 'delete' as const })),
        ]);
        return admin.describeConfigs({ type: 'topic', name });
      }
    }
    if (what === 'topics' && name !== undefined && sub === 'messages' && parts.length === 3) {
      if (m === 'GET') return this.browse(kafka, name, url.searchParams);
      if (m === 'POST') return this.produce(kafka, name, await readJson(req));
    }
    if (what === 'groups' && parts.length === 1 && m === 'GET') {
      const groups = await admin.listGroups();
      return Promise.all(
        groups.map(async (g) => {
          const lag = await admin.describeGroupLag(g.groupId).catch(() => []);
          return { ...g, lag: lag.reduce((n, r) => n + (r.lag ?? 0), 0), partitions: lag.length };
        }),
      );
    }
    if (what === 'groups' && name !== undefined && parts.length === 2 && m === 'GET') {
      const [desc] = await admin.describeGroups([name]);
      const lag = await admin.describeGroupLag(name);
      return {
        ...desc,
        members: desc!.members.map((mb) => ({
          memberId: mb.memberId,
          groupInstanceId: mb.groupInstanceId,
          clientId: mb.clientId,
          clientHost: mb.clientHost,
          assignment: [...mb.assignment].map(([topic, ps]) => ({ topic, partitions: [...ps] })),
        })),
        offsets: lag,
      };
    }
    if (what === 'groups' && name !== undefined && sub === 'offsets' && parts.length === 3 && m === 'POST')
      return this.resetOffsets(admin, name, await readJson(req));
    throw new HttpError(404, `no such API: ${m} ${url.pathname}`);
  }

  private async resetOffsets(admin: Admin, groupId: string, body: unknown) {
    const b = body as { topic?: unknown; partition?: unknown; to?: unknown };
    if (typeof b.topic !== 'string' || b.topic === '') throw new HttpError(400, 'topic: required');
    const partition = optionalInt(b.partition, 'partition');
    const partitions = partition === undefined ? undefined : [partition];
    let offsets: Array<{ topic: string; partition: number; offset: number }>;
    if (b.to === 'earliest' || b.to === 'latest') {
      offsets = (await admin.listOffsets([{ topic: b.topic, partitions }], b.to)).map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
      }));
    } else {
      const to = optionalInt(b.to, 'to');
      if (to === undefined || to < 0) throw new HttpError(400, "to: 'earliest', 'latest' or an offset is expected");
      const ps = partitions ?? (await admin.describeTopics([b.topic]))[0]!.partitions.map((p) => p.partition);
      offsets = ps.map((p) => ({ topic: b.topic as string, partition: p, offset: to }));
    }
    const [desc] = await admin.describeGroups([groupId]);
    if (desc !== undefined && desc.members.length > 0)
      throw new HttpError(409, `group ${groupId} has ${desc.members.length} active member(s): stop them first`);
    await admin.commitGroupOffsets(groupId, offsets);
    return { groupId, offsets };
  }

  private async topics(admin: Admin) {
    const topics = await admin.describeTopics();
    const names = topics.map((t) => t.name);
    const [earliest, latest] =
      names.length === 0
        ? [[], []]
        : await Promise.all([
            admin.listOffsets(
              names.map((topic) => ({ topic })),
              'earliest',
            ),
            admin.listOffsets(
              names.map((topic) => ({ topic })),
              'latest',
            ),
          ]);
    const at = (list: typeof earliest, t: string, p: number) =>
      list.find((o) => o.topic === t && o.partition === p)?.offset ?? -1;
    const sizes = await logSizes(admin);
    return topics
      .map((t) => ({
        name: t.name,
        topicId: t.topicId,
        internal: t.isInternal,
        partitions: t.partitions.map((p) => ({
          partition: p.partition,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          earliestOffset: at(earliest, t.name, p.partition),
          latestOffset: at(latest, t.name, p.partition),
          sizeBytes: sizes.get(`${t.name}\0${p.partition}`) ?? null,
        })),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  private async browse(kafka: KafkaClients, topic: string, q: URLSearchParams) {
    const partition = requiredInt(q.get('partition'), 'partition');
    const limit = Math.min(MAX_BROWSE, optionalInt(q.get('limit') ?? undefined, 'limit') ?? 50);
    const offset = optionalInt(q.get('offset') ?? undefined, 'offset');
    const timestamp = optionalInt(q.get('timestamp') ?? undefined, 'timestamp');
    const [end] = await kafka.admin.listOffsets([{ topic, partitions: [partition] }], 'latest');
    const consumer = new Consumer({ ...kafka.common, maxWaitMs: 200 });
    try {
      consumer.assign([
        offset !== undefined
          ? { topic, partition, offset }
          : { topic, partition, from: timestamp !== undefined ? { timestamp } : 'earliest' },
      ]);
      const out: Array<Record<string, unknown>> = [];
      const deadline = Date.now() + 2000;
      while (out.length < limit && Date.now() < deadline) {
        const batch = await consumer.poll(300);
        for (const r of batch) {
          if (out.length >= limit) break;
          out.push({
            offset: r.offset,
            timestamp: r.timestamp,
            timestampType: r.timestampType,
            key: r.key === null ? null : r.key.toString('utf8'),
            value: r.value === null ? null : r.value.toString('utf8'),
            headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
          });
        }
        if (out.length > 0 && Number(out.at(-1)!.offset) + 1 >= (end?.offset ?? 0)) break;
        if (batch.length === 0 && out.length === 0 && (end?.offset ?? 0) <= (offset ?? 0)) break;
      }
      return { topic, partition, endOffset: end?.offset ?? -1, messages: out };
    } finally {
      await consumer.close();
    }
  }

  private async produce(kafka: KafkaClients, topic: string, body: unknown) {
    const b = body as { key?: unknown; value?: unknown; headers?: unknown; partition?: unknown };
    if (b.value !== null && typeof b.value !== 'string')
      throw new HttpError(400, 'value: a string or null is expected');
    if (b.key !== undefined && b.key !== null && typeof b.key !== 'string')
      throw new HttpError(400, 'key: a string or null is expected');
    const [sent] = await kafka.producer().send({
      topic,
      messages: [
        {
          key: (b.key as string | null | undefined) ?? null,
          value: b.value as string | null,
          headers: stringRecord(b.headers, 'headers'),
          partition: optionalInt(b.partition, 'partition'),
        },
      ],
    });
    return sent;
  }

  private serveFile(res: ServerResponse, pathname: string): boolean {
    if (!existsSync(join(this.dir, 'index.html'))) {
      if (pathname !== '/') return false;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!doctype html><title>Tributary</title><p>The web console is not built in this checkout: run ' +
          '<code>npm run build</code>. <a href="/metrics">/metrics</a>, <a href="/ready">/ready</a> and the ' +
          '<code>/api/</code> endpoints work without it.</p>',
      );
      return true;
    }
    const rel = pathname === '/' ? 'index.html' : normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '');
    const file = join(this.dir, rel);
    if (!file.startsWith(this.dir.endsWith(sep) ? this.dir : this.dir + sep)) return false;
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const immutable = rel.startsWith(`assets${sep}`);
    res.writeHead(200, {
      'content-type': type,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(readFileSync(file));
    return true;
  }

  async close(): Promise<void> {
    await this.anonymous?.close();
    this.anonymous = undefined;
  }
}

/** Bytes on disk per partition (the largest replica), from DescribeLogDirs on every broker. */
async function logSizes(admin: Admin): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  await Promise.all(
    admin.cluster.brokers().map(async (b) => {
      const conn = await admin.cluster.node(b.nodeId);
      const res = await conn.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, { topics: null });
      for (const dir of res.results) {
        if (dir.errorCode !== 0) continue;
        for (const t of dir.topics)
          for (const p of t.partitions) {
            const k = `${t.name}\0${p.partitionIndex}`;
            sizes.set(k, Math.max(sizes.get(k) ?? 0, Number(p.partitionSize)));
          }
      }
    }),
  );
  return sizes;
}

function checkMutation(req: IncomingMessage): void {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json') && req.method !== 'DELETE')
    throw new HttpError(415, 'changes must be sent as application/json');
  const origin = req.headers.origin;
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (origin !== undefined && origin !== `${scheme}://${req.headers.host}`)
    throw new HttpError(403, `cross-origin request from ${origin} refused`);
  if (req.method === 'DELETE' && origin === undefined && req.headers['sec-fetch-site'] === 'cross-site')
    throw new HttpError(403, 'cross-site request refused');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch (e) {
    throw new HttpError(400, `the body must be a JSON object (${(e as Error).message})`);
  }
}

function optionalInt(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new HttpError(400, `${what}: an integer is expected`);
  return n;
}

function requiredInt(v: string | null, what: string): number {
  const n = optionalInt(v ?? undefined, what);
  if (n === undefined) throw new HttpError(400, `${what}: required`);
  return n;
}

function stringRecord(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string'))
    throw new HttpError(400, `${what}: an object of string values is expected`);
  return v as Record<string, string>;
}

/** HTTP status for a Kafka error: the caller's mistake (4xx) or the broker's (5xx). */
function kafkaStatus(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.GROUP_ID_NOT_FOUND:
      return 404;
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return 409;
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
    case ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return 403;
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.UNKNOWN_SERVER_ERROR:
      return 503;
    default:
      return 400;
  }
}
