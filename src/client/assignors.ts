// The classic consumer protocol's embedded data (subscription and assignment, versioned) and the partition
// assignors the group leader runs: range, roundrobin and cooperative-sticky (KIP-429).
import { decode, encode } from '../protocol/codec.ts';
import {
  type ConsumerProtocolAssignment,
  ConsumerProtocolAssignmentSchema,
  type ConsumerProtocolSubscription,
  ConsumerProtocolSubscriptionSchema,
} from '../protocol/generated/messages.ts';
import { Reader, Writer } from '../protocol/io.ts';
import { getOrInit } from './util.ts';

export type TopicPartitions = Map<string, number[]>;

export interface Subscription {
  topics: string[];
  ownedPartitions: TopicPartitions;
  generationId: number;
  userData: Buffer | null;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId?: string | null;
  subscription: Subscription;
}

export interface Assignor {
  readonly name: string;
  /** Whether members keep partitions across a rebalance and revoke only those they lose (cooperative). */
  readonly cooperative: boolean;
  /** memberId → assigned partitions. `partitions`: topic → partition count, for every subscribed topic. */
  assign(members: GroupMember[], partitions: Map<string, number>): Map<string, TopicPartitions>;
}

const SUBSCRIPTION_VERSION = 1;
const ASSIGNMENT_VERSION = 1;

function toList(tp: TopicPartitions): { topic: string; partitions: number[] }[] {
  return [...tp].map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
}

function fromList(list: { topic: string; partitions: number[] }[] | undefined): TopicPartitions {
  const m: TopicPartitions = new Map();
  for (const x of list ?? []) m.set(x.topic, [...(m.get(x.topic) ?? []), ...x.partitions]);
  return m;
}

function versioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.int16(version);
  body(w);
  return w.toBuffer();
}

export function encodeSubscription(s: Subscription): Buffer {
  return versioned(SUBSCRIPTION_VERSION, (w) =>
    encode<ConsumerProtocolSubscription>(
      ConsumerProtocolSubscriptionSchema,
      SUBSCRIPTION_VERSION,
      {
        topics: s.topics,
        userData: s.userData,
        ownedPartitions: toList(s.ownedPartitions),
        generationId: s.generationId,
      },
      w,
    ),
  );
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = new Reader(buf);
  const version = Math.min(r.int16(), 3);
  const s = decode<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSchema, Math.max(version, 0), r);
  return {
    topics: s.topics,
    ownedPartitions: fromList(version >= 1 ? s.ownedPartitions : []),
    generationId: version >= 2 ? s.generationId : -1,
    userData: s.userData,
  };
}

export function encodeAssignment(tp: TopicPartitions, userData: Buffer | null = null): Buffer {
  return versioned(ASSIGNMENT_VERSION, (w) =>
    encode<ConsumerProtocolAssignment>(
      ConsumerProtocolAssignmentSchema,
      ASSIGNMENT_VERSION,
      { assignedPartitions: toList(tp), userData },
      w,
    ),
  );
}

export function decodeAssignment(buf: Buffer | null): TopicPartitions {
  if (!buf || buf.length < 2) return new Map();
  const r = new Reader(buf);
  const version = Math.min(r.int16(), 3);
  const a = decode<ConsumerProtocolAssignment>(ConsumerProtocolAssignmentSchema, Math.max(version, 0), r);
  return fromList(a.assignedPartitions);
}

function add(m: Map<string, TopicPartitions>, member: string, topic: string, partition: number): void {
  const tp = getOrInit(m, member, () => new Map());
  const list = getOrInit(tp, topic, () => []);
  list.push(partition);
}

function emptyAssignment(members: GroupMember[]): Map<string, TopicPartitions> {
  return new Map(members.map((m) => [m.memberId, new Map()]));
}

/** Per topic, consecutive ranges of partitions to the subscribed members in member-id order. */
export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members, partitions) {
    const out = emptyAssignment(members);
    for (const [topic, count] of [...partitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const subs = members
        .filter((m) => m.subscription.topics.includes(topic))
        .map((m) => m.memberId)
        .sort();
      if (subs.length === 0) continue;
      const per = Math.floor(count / subs.length);
      const extra = count % subs.length;
      let p = 0;
      subs.forEach((id, i) => {
        const n = per + (i < extra ? 1 : 0);
        for (let j = 0; j < n; j++) add(out, id, topic, p++);
      });
    }
    return out;
  },
};

/** All partitions of all topics in order, dealt to the members in turn (skipping members not subscribed). */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(members, partitions) {
    const out = emptyAssignment(members);
    const ids = members.map((m) => m.memberId).sort();
    const byId = new Map(members.map((m) => [m.memberId, m]));
    let next = 0;
    for (const [topic, count] of [...partitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (let p = 0; p < count; p++) {
        for (let tries = 0; tries < ids.length; tries++) {
          const id = ids[next++ % ids.length]!;
          if (byId.get(id)!.subscription.topics.includes(topic)) {
            add(out, id, topic, p);
            break;
          }
        }
      }
    }
    return out;
  },
};

/**
 * Sticky and balanced: members keep what they own (when still subscribed and not claimed by a member of a newer
 * generation), over-full members give up their excess, free partitions go to the least loaded members. As a
 * cooperative assignor, a partition that moves away from its current owner is left out of this generation: the
 * owner revokes it and rejoins, and the next rebalance hands it over.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members, partitions) {
    const key = (t: string, p: number) => `${t}\u0000${p}`;
    const subscribed = (m: GroupMember, t: string) => m.subscription.topics.includes(t);
    const all: [string, number][] = [];
    for (const [t, n] of [...partitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      for (let p = 0; p < n; p++) if (members.some((m) => subscribed(m, t))) all.push([t, p]);
    // Current owners (highest generation wins a partition claimed twice).
    const owner = new Map<string, { id: string; gen: number }>();
    for (const m of members)
      for (const [t, ps] of m.subscription.ownedPartitions) {
        if (!partitions.has(t) || !subscribed(m, t)) continue;
        for (const p of ps) {
          if (p >= (partitions.get(t) ?? 0)) continue;
          const cur = owner.get(key(t, p));
          if (!cur || m.subscription.generationId > cur.gen)
            owner.set(key(t, p), { id: m.memberId, gen: m.subscription.generationId });
        }
      }
    const target = new Map<string, [string, number][]>(members.map((m) => [m.memberId, []]));
    const free: [string, number][] = [];
    for (const [t, p] of all) {
      const o = owner.get(key(t, p));
      if (o) target.get(o.id)!.push([t, p]);
      else free.push([t, p]);
    }
    // Balance: no member above ceil(total / members) while others sit below floor.
    const ids = members.map((m) => m.memberId).sort();
    const byId = new Map(members.map((m) => [m.memberId, m]));
    const max = Math.ceil(all.length / Math.max(ids.length, 1));
    for (const id of ids) {
      const list = target.get(id)!;
      while (list.length > max) free.push(list.pop()!);
    }
    for (const [t, p] of free) {
      let best: string | undefined;
      for (const id of ids) {
        if (!subscribed(byId.get(id)!, t)) continue;
        if (best === undefined || target.get(id)!.length < target.get(best)!.length) best = id;
      }
      if (best !== undefined) target.get(best)!.push([t, p]);
    }
    // Move from the most to the least loaded while the gap is above one partition.
    for (let moved = true; moved; ) {
      moved = false;
      const sorted = [...ids].sort((a, b) => target.get(a)!.length - target.get(b)!.length);
      const lo = sorted[0]!;
      const hi = sorted[sorted.length - 1]!;
      if (target.get(hi)!.length - target.get(lo)!.length <= 1) break;
      const hiList = target.get(hi)!;
      const idx = hiList.findIndex(([t]) => subscribed(byId.get(lo)!, t));
      if (idx >= 0) {
        target.get(lo)!.push(hiList.splice(idx, 1)[0]!);
        moved = true;
      }
    }
    const out = emptyAssignment(members);
    for (const [id, list] of target)
      for (const [t, p] of list) {
        const o = owner.get(key(t, p));
        if (o && o.id !== id) continue; // still owned elsewhere: handed over in the next generation
        add(out, id, t, p);
      }
    return out;
  },
};

export const ASSIGNORS: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};
