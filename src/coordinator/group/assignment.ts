// Partition assignments (topic id → partitions) and the server-side assignors of consumer (KIP-848) groups: pure
// functions over assignments, used by the group state machine in consumer.ts.
import type { TopicPartitionsList } from './records.ts';

/** topic id → partitions. */
export type Assignment = Map<string, Set<number>>;

export interface TopicMeta {
  id: string;
  numPartitions: number;
}

// ---- assignment helpers -----------------------------------------------------------------------------------------

export function cloneAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, ps]) => [t, new Set(ps)]));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const size = (x: Assignment) => [...x.values()].reduce((n, s) => n + s.size, 0);
  if (size(a) !== size(b)) return false;
  for (const [t, ps] of a) for (const p of ps) if (!b.get(t)?.has(p)) return false;
  return true;
}

export function toList(a: Assignment): TopicPartitionsList {
  return [...a]
    .filter(([, ps]) => ps.size > 0)
    .map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

export function fromList(l: TopicPartitionsList): Assignment {
  const a: Assignment = new Map();
  for (const { topicId, partitions } of l) {
    let s = a.get(topicId);
    if (!s) {
      s = new Set();
      a.set(topicId, s);
    }
    for (const p of partitions) s.add(p);
  }
  return a;
}

export function add(a: Assignment, t: string, p: number): void {
  let s = a.get(t);
  if (!s) {
    s = new Set();
    a.set(t, s);
  }
  s.add(p);
}

export function has(a: Assignment, t: string, p: number): boolean {
  return a.get(t)?.has(p) ?? false;
}

export function* pairs(a: Assignment): Generator<[string, number]> {
  for (const [t, ps] of a) for (const p of ps) yield [t, p];
}

export function count(a: Assignment | undefined): number {
  let n = 0;
  for (const s of a?.values() ?? []) n += s.size;
  return n;
}

// ---- assignors --------------------------------------------------------------------------------------------------

export interface AssignorInput {
  /** member id → subscribed topic names (only topics that exist). */
  members: Map<string, Set<string>>;
  topics: Map<string, TopicMeta>;
  /** Current target, for stickiness. */
  previous: Map<string, Assignment>;
}

/** Range: per topic, the subscribed members (sorted by id) get contiguous ranges, the first ones one more. */
export function rangeAssign(input: AssignorInput): Map<string, Assignment> {
  const out = new Map<string, Assignment>([...input.members.keys()].map((m) => [m, new Map()]));
  for (const [name, meta] of [...input.topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const subs = [...input.members].filter(([, ts]) => ts.has(name)).map(([m]) => m);
    subs.sort();
    if (subs.length === 0) continue;
    const per = Math.floor(meta.numPartitions / subs.length);
    const extra = meta.numPartitions % subs.length;
    let p = 0;
    subs.forEach((m, i) => {
      const n = per + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) add(out.get(m)!, meta.id, p++);
    });
  }
  return out;
}

/**
 * Uniform: balanced and sticky. Each member keeps the partitions of its previous target that it still subscribes to,
 * up to its fair share; the rest go one by one to the eligible member holding the fewest.
 */
export function uniformAssign(input: AssignorInput): Map<string, Assignment> {
  const memberIds = [...input.members.keys()].sort();
  const out = new Map<string, Assignment>(memberIds.map((m) => [m, new Map()]));
  const byId = new Map([...input.topics].map(([name, meta]) => [meta.id, { name, ...meta }]));
  const subscribers = new Map<string, string[]>();
  for (const [name] of input.topics)
    subscribers.set(
      name,
      memberIds.filter((m) => input.members.get(m)!.has(name)),
    );
  // Fair share of each member: its part of every subscribed topic, rounded up.
  const quota = new Map<string, number>();
  for (const m of memberIds) {
    let q = 0;
    for (const name of input.members.get(m)!) {
      const meta = input.topics.get(name);
      if (meta) q += meta.numPartitions / subscribers.get(name)!.length;
    }
    quota.set(m, Math.ceil(q - 1e-9));
  }
  const taken = new Set<string>();
  const n = new Map<string, number>(memberIds.map((m) => [m, 0]));
  // Homogeneous groups: exactly floor/ceil, with at most `extra` members at the ceiling.
  const total = [...input.topics.values()].reduce((s, t) => s + t.numPartitions, 0);
  const homogeneous = memberIds.every((m) => input.members.get(m)!.size === input.topics.size);
  let ceilings = homogeneous && memberIds.length > 0 ? total % memberIds.length : Number.POSITIVE_INFINITY;
  const floor = homogeneous && memberIds.length > 0 ? Math.floor(total / memberIds.length) : 0;
  for (const m of memberIds) {
    const prev = input.previous.get(m);
    if (!prev) continue;
    const subs = input.members.get(m)!;
    for (const [t, p] of pairs(prev)) {
      const topic = byId.get(t);
      if (!topic || !subs.has(topic.name) || p >= topic.numPartitions) continue;
      const have = n.get(m)!;
      if (homogeneous) {
        if (have >= floor + 1 || (have >= floor && ceilings === 0)) continue;
        if (have === floor) ceilings--;
      } else if (have >= quota.get(m)!) continue;
      add(out.get(m)!, t, p);
      taken.add(`${t}:${p}`);
      n.set(m, have + 1);
    }
  }
  for (const [name, meta] of [...input.topics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const subs = subscribers.get(name)!;
    if (subs.length === 0) continue;
    for (let p = 0; p < meta.numPartitions; p++) {
      if (taken.has(`${meta.id}:${p}`)) continue;
      let best = subs[0]!;
      for (const m of subs) if (n.get(m)! < n.get(best)!) best = m;
      add(out.get(best)!, meta.id, p);
      n.set(best, n.get(best)! + 1);
    }
  }
  return out;
}

export const ASSIGNORS: Record<string, (i: AssignorInput) => Map<string, Assignment>> = {
  uniform: uniformAssign,
  range: rangeAssign,
};
