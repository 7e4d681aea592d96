// GROUP config resources in the consumer-protocol (KIP-848) coordinator: a group's own session timeout and
// heartbeat interval replace the broker's for that group only, and a change applies on the next heartbeat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsumerHeartbeatRequest, TopicsView } from '../../../src/coordinator/group/consumer.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { newShard } from './helpers.ts';

const topics: TopicsView = {
  get: (name) => (name === 't' ? { id: 'AAAAAAAAAAAAAAAAAAAAAQ', numPartitions: 2 } : undefined),
  names: () => ['t'][Symbol.iterator](),
};

function hb(groupId: string, over: Partial<ConsumerHeartbeatRequest> = {}): ConsumerHeartbeatRequest {
  return {
    groupId,
    memberId: `m-${groupId}`,
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    ...over,
  };
}

test("a group's configs replace the broker's session timeout and heartbeat interval for that group only", () => {
  const overrides = new Map<string, { sessionTimeoutMs?: number; heartbeatIntervalMs?: number }>([
    ['tuned', { sessionTimeoutMs: 50_000, heartbeatIntervalMs: 7_000 }],
  ]);
  const shard = newShard({
    consumer: {
      sessionTimeoutMs: 45_000,
      heartbeatIntervalMs: 5_000,
      maxSize: 100,
      assignors: ['uniform'],
      groupConfig: (id) => overrides.get(id) ?? {},
    },
  });
  const tuned = shard.consumerHeartbeat(hb('tuned'), topics, 1000);
  assert.equal(tuned.response.errorCode, ErrorCode.NONE);
  assert.equal(tuned.response.heartbeatIntervalMs, 7_000);
  const sessionTimer = tuned.fx.timers.find((t) => t.key.includes('"cgs"'));
  assert.equal(sessionTimer?.at, 1000 + 50_000);

  const plain = shard.consumerHeartbeat(hb('plain'), topics, 1000);
  assert.equal(plain.response.heartbeatIntervalMs, 5_000);
  assert.equal(plain.fx.timers.find((t) => t.key.includes('"cgs"'))?.at, 1000 + 45_000);

  // Changed at runtime: the next heartbeat of the member gets the new interval, its session the new timeout.
  overrides.set('plain', { heartbeatIntervalMs: 6_000 });
  const again = shard.consumerHeartbeat(
    hb('plain', { memberEpoch: plain.response.memberEpoch, topicPartitions: null }),
    topics,
    2000,
  );
  assert.equal(again.response.heartbeatIntervalMs, 6_000);
  assert.equal(again.fx.timers.find((t) => t.key.includes('"cgs"'))?.at, 2000 + 45_000);

  // The session timer uses the group's timeout: not expired at 45 s, expired after 50 s.
  const memberId = tuned.response.memberId!;
  const timerKey = sessionTimer!.key;
  const early = shard.onTimer(timerKey, 1000 + 45_000);
  assert.ok(shard.consumer.groups.get('tuned')!.members.has(memberId), 'still a member at 45 s');
  assert.ok(
    early.timers.some((t) => t.key === timerKey && t.at === 1000 + 50_000),
    're-armed for its own deadline',
  );
  shard.onTimer(timerKey, 1000 + 50_000);
  assert.ok(!shard.consumer.groups.get('tuned')!.members.has(memberId), 'expired after its own session timeout');
});
