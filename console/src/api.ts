// The console's calls to the broker's JSON layer (src/ops/console-api.ts). Errors carry the broker's message.

export interface Broker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}
export interface Cluster {
  clusterId: string | null;
  controllerId: number;
  brokers: Broker[];
}
export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  earliestOffset: number;
  latestOffset: number;
  /** Bytes on disk (largest replica); null when no broker reported it. */
  sizeBytes: number | null;
}
export interface Topic {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: PartitionInfo[];
}
export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
}
export interface Message {
  offset: number;
  timestamp: number;
  timestampType: string;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}
export interface Browse {
  topic: string;
  partition: number;
  endOffset: number;
  messages: Message[];
}
export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  type: string;
  lag: number;
  partitions: number;
}
export interface GroupOffset {
  topic: string;
  partition: number;
  offset: number;
  logEndOffset: number;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}
export interface GroupDetail {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    assignment: Array<{ topic: string; partitions: number[] }>;
  }>;
  offsets: GroupOffset[];
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(data.error ?? `${res.status} ${res.statusText}`);
  return data;
}

const enc = encodeURIComponent;

export const api = {
  cluster: () => call<Cluster>('GET', 'cluster'),
  topics: () => call<Topic[]>('GET', 'topics'),
  createTopic: (name: string, partitions: number, configs: Record<string, string>) =>
    call<{ created: string }>('POST', 'topics', { name, partitions, configs }),
  deleteTopic: (name: string) => call<{ deleted: string }>('DELETE', `topics/${enc(name)}`),
  configs: (topic: string) => call<ConfigEntry[]>('GET', `topics/${enc(topic)}/configs`),
  alterConfigs: (topic: string, set: Record<string, string>, del: string[]) =>
    call<ConfigEntry[]>('PUT', `topics/${enc(topic)}/configs`, { set, delete: del }),
  browse: (topic: string, partition: number, from: { offset?: number; timestamp?: number }, limit: number) => {
    const q = new URLSearchParams({ partition: String(partition), limit: String(limit) });
    if (from.offset !== undefined) q.set('offset', String(from.offset));
    if (from.timestamp !== undefined) q.set('timestamp', String(from.timestamp));
    return call<Browse>('GET', `topics/${enc(topic)}/messages?${q}`);
  },
  produce: (
    topic: string,
    m: { key: string | null; value: string; partition?: number; headers?: Record<string, string> },
  ) => call<{ partition: number; offset: number }>('POST', `topics/${enc(topic)}/messages`, m),
  groups: () => call<GroupListing[]>('GET', 'groups'),
  group: (id: string) => call<GroupDetail>('GET', `groups/${enc(id)}`),
  resetOffsets: (id: string, topic: string, to: 'earliest' | 'latest' | number) =>
    call<{ offsets: unknown[] }>('POST', `groups/${enc(id)}/offsets`, { topic, to }),
};
