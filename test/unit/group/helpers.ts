// Test helpers for driving a GroupShard directly: a config, reply collection, consumer-protocol subscriptions.

import { type Effects, type GroupConfig, GroupShard, type JoinRequest } from '../../../src/coordinator/group/shard.ts';
import { Writer } from '../../../src/protocol/io.ts';

export const CONFIG: GroupConfig = {
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 60_000,
  initialRebalanceDelayMs: 100,
  maxSize: 10,
  offsetsRetentionMs: 60_000,
  maxMetadataBytes: 4096,
};

export function newShard(config: Partial<GroupConfig> = {}): GroupShard {
  let n = 0;
  return new GroupShard(0, { ...CONFIG, ...config }, () => `id${++n}`);
}

/** ConsumerProtocolSubscription v0: topics, no user data. */
export function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  w.int32(topics.length);
  for (const t of topics) {
    w.int16(Buffer.byteLength(t));
    w.utf8(t, Buffer.byteLength(t));
  }
  w.int32(-1);
  return w.toBuffer();
}

export function joinReq(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    version: 5,
    ...over,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: replies are untyped unions in tests
export function replyOf(fx: Effects, token: number): any {
  return fx.replies.find((r) => r.token === token)?.response;
}

/** Fires every armed timer due at or before `now` (the latest arming of a key wins), collecting effects. */
export class Timers {
  readonly armed = new Map<string, number>();
  add(fx: Effects): Effects {
    for (const t of fx.timers) this.armed.set(t.key, t.at);
    return fx;
  }
  fire(shard: GroupShard, now: number): Effects {
    const out: Effects = { records: [], replies: [], timers: [] };
    for (;;) {
      const due = [...this.armed].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
      if (due.length === 0) return out;
      const [key] = due[0]!;
      this.armed.delete(key);
      const fx = shard.onTimer(key, now);
      out.records.push(...fx.records);
      out.replies.push(...fx.replies);
      this.add(fx);
    }
  }
}
