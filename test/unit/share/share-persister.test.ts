// The share-partition leader's persister (ShareStatePersister) over a fake transport: the local share coordinator when
// this broker coordinates the key (no request sent), the share-state APIs to the coordinator's broker otherwise
// (requests checked field by field, answers decoded), retries after NOT_COORDINATOR and a lost connection with the
// coordinator looked up again, non-retriable errors answered at once, and giving up after the attempts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShareCoordinatorShard } from '../../../src/coordinator/share/coordinator.ts';
import {
  type LocalShareCoordinator,
  ShareStatePersister,
  type ShareStateTransport,
} from '../../../src/coordinator/share/persister.ts';
import type { SharePartitionKey } from '../../../src/coordinator/share/records.ts';
import { type ShareStateUpdate, summarize } from '../../../src/coordinator/share/state.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.ts';
import { createLogger } from '../../../src/util/log.ts';

const KEY: SharePartitionKey = { groupId: 'g', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partition: 2 };

/** A share coordinator in memory: the local one, or a remote broker's behind the fake transport. */
class Coordinator implements LocalShareCoordinator {
  readonly shard = new ShareCoordinatorShard(10);
  /** Set: every call throws KafkaError(NOT_COORDINATOR), as when the state partition moved away. */
  moved = false;
  calls = 0;
  #check(): void {
    this.calls++;
    if (this.moved) throw new KafkaError(ErrorCode.NOT_COORDINATOR, 'not led here');
  }
  #apply(r: { errorCode: number; records: Array<{ key: Buffer; value: Buffer | null }> }): number {
    for (const rec of r.records) this.shard.replay(rec.key, rec.value);
    return r.errorCode;
  }
  read(key: SharePartitionKey) {
    this.#check();
    return this.shard.read(key);
  }
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): number {
    this.#check();
    return this.#apply(this.shard.initialize(key, stateEpoch, startOffset, 0));
  }
  write(key: SharePartitionKey, stateEpoch: number, leaderEpoch: number, update: ShareStateUpdate): number {
    this.#check();
    return this.#apply(this.shard.write(key, stateEpoch, leaderEpoch, update, 0));
  }
  deleteState(key: SharePartitionKey): void {
    this.#check();
    this.#apply({ errorCode: ErrorCode.NONE, records: this.shard.delete(key, 0) });
  }
}

type Partition = { partition: number; [k: string]: unknown };
type Body = { groupId: string; topics: Array<{ topicId: string; partitions: Partition[] }> };

/** Brokers 2 and 3 as share coordinators answering the share-state APIs as the handlers do (int64s as bigint). */
class FakeTransport implements ShareStateTransport {
  readonly brokers = new Map<number, Coordinator>([
    [2, new Coordinator()],
    [3, new Coordinator()],
  ]);
  readonly sent: Array<{ broker: number; apiKey: number; version: number; body: Body }> = [];
  readonly resets: number[] = [];
  /** Sends to these brokers fail as a lost connection would, once each entry. */
  failNext: number[] = [];

  async send<Res>(broker: number, apiKey: number, version: number, body: unknown): Promise<Res> {
    const b = body as Body;
    this.sent.push({ broker, apiKey, version, body: b });
    const i = this.failNext.indexOf(broker);
    if (i >= 0) {
      this.failNext.splice(i, 1);
      throw new Error('connection closed');
    }
    const c = this.brokers.get(broker)!;
    if (apiKey === ApiKey.ReadShareGroupStateSummary) {
      // Every asked partition, as the handler answers them (summarize of the coordinator's state).
      const blank = { stateEpoch: -1, leaderEpoch: -1, startOffset: -1n, deliveryCompleteCount: -1 };
      const results = b.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const key = { groupId: b.groupId, topicId: t.topicId, partition: p.partition };
          let s: ReturnType<Coordinator['read']>;
          try {
            s = c.read(key);
          } catch (e) {
            return { partition: p.partition, errorCode: (e as KafkaError).code, errorMessage: 'moved', ...blank };
          }
          if (!s) return { partition: p.partition, errorCode: 3, errorMessage: 'never initialized', ...blank };
          const sum = summarize(s);
          return {
            partition: p.partition,
            errorCode: 0,
            errorMessage: null,
            ...sum,
            startOffset: BigInt(sum.startOffset),
          };
        }),
      }));
      return { results } as Res;
    }
    const t = b.topics[0]!;
    const p = t.partitions[0]!;
    const key = { groupId: b.groupId, topicId: t.topicId, partition: p.partition };
    const answer = (fields: Record<string, unknown>) =>
      ({
        results: [{ topicId: t.topicId, partitions: [{ partition: p.partition, errorMessage: null, ...fields }] }],
      }) as Res;
    const code = (fn: () => number) => {
      try {
        return fn();
      } catch (e) {
        if (e instanceof KafkaError) return e.code;
        throw e;
      }
    };
    switch (apiKey) {
      case ApiKey.ReadShareGroupState: {
        let s: ReturnType<Coordinator['read']>;
        try {
          s = c.read(key);
        } catch (e) {
          return answer({ errorCode: (e as KafkaError).code, stateEpoch: -1, startOffset: -1n, stateBatches: [] });
        }
        if (!s)
          return answer({
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            stateEpoch: -1,
            startOffset: -1n,
            stateBatches: [],
          });
        return answer({
          errorCode: ErrorCode.NONE,
          stateEpoch: s.stateEpoch,
          startOffset: BigInt(s.startOffset),
          stateBatches: s.batches.map((x) => ({
            ...x,
            firstOffset: BigInt(x.firstOffset),
            lastOffset: BigInt(x.lastOffset),
          })),
        });
      }
      case ApiKey.InitializeShareGroupState:
        return answer({ errorCode: code(() => c.initialize(key, p.stateEpoch as number, Number(p.startOffset))) });
      case ApiKey.WriteShareGroupState: {
        const batches = (p.stateBatches as Array<Record<string, unknown>>).map((x) => ({
          firstOffset: Number(x.firstOffset),
          lastOffset: Number(x.lastOffset),
          deliveryState: x.deliveryState as number,
          deliveryCount: x.deliveryCount as number,
        }));
        const update = { startOffset: Number(p.startOffset), batches };
        return answer({ errorCode: code(() => c.write(key, p.stateEpoch as number, p.leaderEpoch as number, update)) });
      }
      case ApiKey.DeleteShareGroupState:
        return answer({
          errorCode: code(() => {
            c.deleteState(key);
            return ErrorCode.NONE;
          }),
        });
    }
    throw new Error(`unexpected api ${apiKey}`);
  }
  reset(broker: number): void {
    this.resets.push(broker);
  }
  close(): void {}
}

function setup(coordinator: { id: number }, attempts = 5) {
  const local = new Coordinator();
  const transport = new FakeTransport();
  const sleeps: number[] = [];
  const persister = new ShareStatePersister({
    nodeId: 1,
    coordinatorOf: () => coordinator.id,
    local,
    transport,
    log: createLogger({ level: 'error' }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    attempts,
    backoffMs: 7,
  });
  return { local, transport, persister, sleeps };
}

const UPDATE: ShareStateUpdate = {
  startOffset: 3,
  batches: [{ firstOffset: 3, lastOffset: 5, deliveryState: 0, deliveryCount: 1 }],
};

test('the local share coordinator answers when this broker coordinates the key: no request is sent', async () => {
  const { local, transport, persister } = setup({ id: 1 });
  assert.equal(await persister.read(KEY), undefined);
  assert.equal(await persister.initialize(KEY, 0, 3), ErrorCode.NONE);
  assert.equal(await persister.write(KEY, 0, -1, UPDATE), ErrorCode.NONE);
  assert.deepEqual((await persister.read(KEY))?.batches, UPDATE.batches);
  assert.equal(await persister.delete(KEY), ErrorCode.NONE);
  assert.equal(await persister.read(KEY), undefined);
  assert.equal(local.calls, 6);
  assert.equal(transport.sent.length, 0);
});

test('another broker coordinating the key gets Initialize/Read/Write/DeleteShareGroupState v0', async () => {
  const { local, transport, persister } = setup({ id: 2 });
  assert.equal(await persister.read(KEY), undefined, 'never initialized: UNKNOWN_TOPIC_OR_PARTITION is no state');
  assert.equal(await persister.initialize(KEY, 0, 3), ErrorCode.NONE);
  assert.equal(await persister.write(KEY, 0, 4, UPDATE), ErrorCode.NONE);
  const s = await persister.read(KEY);
  assert.deepEqual(s, { stateEpoch: 0, leaderEpoch: -1, startOffset: 3, batches: UPDATE.batches });
  assert.equal(await persister.delete(KEY), ErrorCode.NONE);
  assert.equal(transport.brokers.get(2)!.shard.read(KEY), undefined);
  assert.equal(local.calls, 0);
  assert.deepEqual(
    transport.sent.map((r) => [r.broker, r.apiKey, r.version]),
    [
      [2, ApiKey.ReadShareGroupState, 0],
      [2, ApiKey.InitializeShareGroupState, 0],
      [2, ApiKey.WriteShareGroupState, 0],
      [2, ApiKey.ReadShareGroupState, 0],
      [2, ApiKey.DeleteShareGroupState, 0],
    ],
  );
  assert.deepEqual(transport.sent[2]!.body, {
    groupId: 'g',
    topics: [
      {
        topicId: KEY.topicId,
        partitions: [
          {
            partition: 2,
            stateEpoch: 0,
            leaderEpoch: 4,
            startOffset: 3n,
            deliveryCompleteCount: -1,
            stateBatches: [{ firstOffset: 3n, lastOffset: 5n, deliveryState: 0, deliveryCount: 1 }],
          },
        ],
      },
    ],
  });
});

test('NOT_COORDINATOR: the coordinator is looked up again after a backoff and the request goes to the new one', async () => {
  const where = { id: 2 };
  const { transport, persister, sleeps } = setup(where);
  transport.brokers.get(2)!.moved = true;
  let lookups = 0;
  // The metadata learns of the move while the persister backs off.
  const original = transport.send.bind(transport);
  transport.send = async (broker, apiKey, version, body) => {
    lookups++;
    const r = await original(broker, apiKey, version, body);
    if (broker === 2) where.id = 3;
    return r as never;
  };
  assert.equal(await persister.initialize(KEY, 0, 0), ErrorCode.NONE);
  assert.deepEqual(
    transport.sent.map((r) => r.broker),
    [2, 3],
  );
  assert.equal(lookups, 2);
  assert.deepEqual(sleeps, [7]);
  assert.ok(transport.brokers.get(3)!.shard.read(KEY), 'initialized on the new coordinator');
});

test('a lost connection is dropped and the request sent again', async () => {
  const { transport, persister } = setup({ id: 3 });
  transport.failNext = [3];
  assert.equal(await persister.initialize(KEY, 0, 0), ErrorCode.NONE);
  assert.deepEqual(transport.resets, [3]);
  assert.deepEqual(
    transport.sent.map((r) => r.apiKey),
    [ApiKey.InitializeShareGroupState, ApiKey.InitializeShareGroupState],
  );
});

test('the local coordinator losing the key mid-way sends the request to the new coordinator', async () => {
  const where = { id: 1 };
  const { local, transport, persister } = setup(where);
  await persister.initialize(KEY, 0, 0);
  // Broker 2 took over the state partition (in a cluster it replays the replicated records).
  transport.brokers.get(2)!.initialize(KEY, 0, 0);
  local.moved = true;
  const write = persister.write(KEY, 0, -1, UPDATE);
  where.id = 2; // the metadata learns of the move while the persister backs off
  assert.equal(await write, ErrorCode.NONE);
  assert.deepEqual(transport.brokers.get(2)!.shard.read(KEY)?.batches, UPDATE.batches);
  assert.deepEqual(
    transport.sent.map((r) => [r.broker, r.apiKey]),
    [[2, ApiKey.WriteShareGroupState]],
  );
});

test('a non-retriable answer comes back at once; retriable ones end in a KafkaError after the attempts', async () => {
  const { transport, persister, sleeps } = setup({ id: 2 }, 3);
  await persister.initialize(KEY, 5, 0);
  assert.equal(await persister.write(KEY, 4, -1, UPDATE), ErrorCode.FENCED_STATE_EPOCH);
  assert.equal(sleeps.length, 0);
  transport.brokers.get(2)!.moved = true;
  await assert.rejects(
    persister.read(KEY),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR,
  );
  assert.deepEqual(sleeps, [7, 7]);
  await assert.rejects(
    setup({ id: -1 }, 2).persister.write(KEY, 0, -1, UPDATE),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_NOT_AVAILABLE,
  );
});

test('summaries: the local coordinator for its keys, one ReadShareGroupStateSummary v1 per other broker', async () => {
  const local = new Coordinator();
  const transport = new FakeTransport();
  // Partition 0's state is coordinated here, 1 and 3 by broker 2, 2 by broker 3, 4 by broker 2 (never initialized).
  const owner = [1, 2, 3, 2, 2];
  const persister = new ShareStatePersister({
    nodeId: 1,
    coordinatorOf: (k) => owner[k.partition],
    local,
    transport,
    log: createLogger({ level: 'error' }),
    sleep: async () => {},
    attempts: 3,
    backoffMs: 1,
  });
  const key = (partition: number) => ({ ...KEY, partition });
  const coordinator = (p: number) => (owner[p] === 1 ? local : transport.brokers.get(owner[p]!)!);
  for (const p of [0, 1, 2, 3]) coordinator(p).initialize(key(p), p, 10 * p);
  coordinator(1).write(key(1), 1, 5, {
    startOffset: -1,
    batches: [{ firstOffset: 10, lastOffset: 13, deliveryState: 2, deliveryCount: 1 }],
  });
  transport.failNext = [3]; // broker 3's first answer is a lost connection: asked again after a backoff
  const got = await persister.summaries([0, 1, 2, 3, 4].map(key));
  assert.deepEqual(
    got.map((r) => [r.errorCode, r.summary?.stateEpoch, r.summary?.startOffset, r.summary?.deliveryCompleteCount]),
    [
      [0, 0, 0, 0],
      [0, 1, 10, 4],
      [0, 2, 20, 0],
      [0, 3, 30, 0],
      [0, undefined, undefined, undefined],
    ],
  );
  assert.equal(got[1]!.summary!.leaderEpoch, 5);
  assert.deepEqual(
    transport.sent.map((r) => [
      r.broker,
      r.apiKey,
      r.version,
      r.body.topics.flatMap((t) => t.partitions.map((p) => p.partition)),
    ]),
    [
      [2, ApiKey.ReadShareGroupStateSummary, 1, [1, 3, 4]],
      [3, ApiKey.ReadShareGroupStateSummary, 1, [2]],
      [3, ApiKey.ReadShareGroupStateSummary, 1, [2]],
    ],
  );
  assert.deepEqual(transport.resets, [3]);
  // A coordinator that keeps answering NOT_COORDINATOR: that key answers the error after the attempts, others fine.
  transport.brokers.get(3)!.moved = true;
  const before = transport.brokers.get(3)!.calls;
  const again = await persister.summaries([key(2), key(0)]);
  assert.deepEqual(
    again.map((r) => r.errorCode),
    [ErrorCode.NOT_COORDINATOR, ErrorCode.NONE],
  );
  assert.equal(transport.brokers.get(3)!.calls - before, 3, 'asked once per attempt');
});
