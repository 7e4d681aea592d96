// Kafka's persister (KIP-932's DefaultStatePersister): how a share-partition leader reads, initializes and writes the
// state of its share-partitions. The state of key group:topicId:partition lives with the share coordinator, the leader
// of its __share_group_state partition. When that is this broker the local coordinator answers (no network hop);
// otherwise ReadShareGroupState / InitializeShareGroupState / WriteShareGroupState / DeleteShareGroupState go to the
// coordinator's broker over the inter-broker listener. The group coordinator's offset admin (offsets.ts) reads
// summaries of many share-partitions at once (`summaries`): one ReadShareGroupStateSummary per coordinator broker. NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// COORDINATOR_LOAD_IN_PROGRESS and a lost connection are retried after a backoff with the coordinator looked up
// again in the (meanwhile updated) metadata; other errors are answers.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type {
  DeleteShareGroupStateResponse,
  InitializeShareGroupStateResponse,
  ReadShareGroupStateResponse,
  ReadShareGroupStateSummaryResponse,
  WriteShareGroupStateResponse,
} from '../../protocol/generated/messages.ts';
import { assert } from '../../util/assert.ts';
import type { Logger } from '../../util/log.ts';
import type { SharePartitionKey } from './records.ts';
import { type PersistedShareState, type ShareStateSummary, type ShareStateUpdate, summarize } from './state.ts';

/** One share-partition's summary: errorCode NONE without `summary` when its state was never initialized. */
export interface SummaryResult {
  errorCode: number;
  errorMessage: string | null;
  summary?: ShareStateSummary;
}

/** How a share-partition leader reads and writes its persisted state; every answer comes once the coordinator has it. */
export interface SharePersister {
  /** The state, or undefined when it was never initialized. */
  read(key: SharePartitionKey): Promise<PersistedShareState | undefined>;
  /** Starts the state at `startOffset`; the error code (NONE when done). */
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<number>;
  /** Persists a change; the error code (NONE once the share coordinator wrote it, FENCED_STATE_EPOCH, ...). */
  write(key: SharePartitionKey, stateEpoch: number, leaderEpoch: number, update: ShareStateUpdate): Promise<number>;
  /** Deletes the state; the error code. */
  delete(key: SharePartitionKey): Promise<number>;
}

/** This broker's share coordinator: throws KafkaError(NOT_COORDINATOR) for a key it does not coordinate. */
export interface LocalShareCoordinator {
  read(key: SharePartitionKey): PersistedShareState | undefined;
  initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): number;
  write(key: SharePartitionKey, stateEpoch: number, leaderEpoch: number, update: ShareStateUpdate): number;
  deleteState(key: SharePartitionKey): void;
}

/** Sends one request to a broker (v0 of the share-state APIs); rejects when the broker cannot be reached. */
export interface ShareStateTransport {
  send<Res>(brokerId: number, apiKey: number, version: number, body: unknown): Promise<Res>;
  /** The connection to `brokerId` failed or its broker is gone: the next send opens a new one. */
  reset(brokerId: number): void;
  close(): void;
}

export interface PersisterDeps {
  nodeId: number;
  /** The broker leading the key's __share_group_state partition now (re-read on every attempt), or undefined. */
  coordinatorOf: (key: SharePartitionKey) => number | undefined;
  local: LocalShareCoordinator;
  transport: ShareStateTransport;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts before the last retriable error is the answer (Kafka retries until its request times out). */
  attempts?: number;
  backoffMs?: number;
}

const RETRIABLE = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

type PartitionResult = { errorCode: number; errorMessage: string | null };

/** The one partition result of a share-state response. */
function only<P extends { partition: number } & PartitionResult>(
  results: Array<{ topicId: string; partitions: P[] }>,
  key: SharePartitionKey,
): P {
  const p = results.find((r) => r.topicId === key.topicId)?.partitions.find((x) => x.partition === key.partition);
  if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'the share coordinator answered without the partition');
  return p;
}

/** A retriable failure inside one attempt: the next attempt looks up the coordinator again. */
class Retry extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export class ShareStatePersister implements SharePersister {
  readonly #d: PersisterDeps;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(deps: PersisterDeps) {
    this.#d = deps;
    this.#attempts = deps.attempts ?? 20;
    this.#backoffMs = deps.backoffMs ?? 250;
    this.#sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
  }

  /**
   * Runs `local` when this broker coordinates `key`, else `remote` against the coordinator's broker; retries
   * retriable errors and lost connections. Returns the last answer, or throws KafkaError with the last retriable code.
   */
  async #call<T>(
    key: SharePartitionKey,
    local: () => T,
    remote: (brokerId: number) => Promise<{ code: number; message: string | null; value?: T }>,
  ): Promise<{ code: number; value?: T }> {
    let last = new Retry(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no share coordinator');
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      if (attempt > 0) await this.#sleep(this.#backoffMs);
      let coordinator: number | undefined;
      try {
        try {
          coordinator = this.#d.coordinatorOf(key);
        } catch (e) {
          if (e instanceof KafkaError && RETRIABLE.has(e.code)) throw new Retry(e.code, e.message);
          throw e;
        }
        if (coordinator === undefined || coordinator < 0) {
          throw new Retry(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the share-state partition has no leader');
        }
        if (coordinator === this.#d.nodeId) {
          try {
            return { code: ErrorCode.NONE, value: local() };
          } catch (e) {
            if (e instanceof KafkaError && RETRIABLE.has(e.code)) throw new Retry(e.code, e.message);
            throw e;
          }
        }
        let r: { code: number; message: string | null; value?: T };
        try {
          r = await remote(coordinator);
        } catch (e) {
          if (e instanceof KafkaError) throw e;
          this.#d.transport.reset(coordinator);
          throw new Retry(ErrorCode.COORDINATOR_NOT_AVAILABLE, (e as Error).message);
        }
        if (RETRIABLE.has(r.code)) throw new Retry(r.code, r.message ?? `error ${r.code}`);
        return r;
      } catch (e) {
        if (!(e instanceof Retry)) throw e;
        last = e;
        this.#d.log.debug(
          { group: key.groupId, topicId: key.topicId, partition: key.partition, coordinator, err: e.message },
          'share-state request retried',
        );
      }
    }
    throw new KafkaError(last.code, `share coordinator unavailable: ${last.message}`);
  }

  async read(key: SharePartitionKey): Promise<PersistedShareState | undefined> {
    const r = await this.#call(
      key,
      () => this.#d.local.read(key),
      async (broker) => {
        const res = await this.#d.transport.send<ReadShareGroupStateResponse>(broker, ApiKey.ReadShareGroupState, 0, {
          groupId: key.groupId,
          topics: [{ topicId: key.topicId, partitions: [{ partition: key.partition, leaderEpoch: -1 }] }],
        });
        const p = only(res.results, key);
        if (p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return { code: ErrorCode.NONE, message: null };
        if (p.errorCode !== ErrorCode.NONE) return { code: p.errorCode, message: p.errorMessage };
        const value: PersistedShareState = {
          stateEpoch: p.stateEpoch,
          leaderEpoch: -1,
          startOffset: Number(p.startOffset),
          batches: p.stateBatches.map((b) => ({
            firstOffset: Number(b.firstOffset),
            lastOffset: Number(b.lastOffset),
            deliveryState: b.deliveryState,
            deliveryCount: b.deliveryCount,
          })),
        };
        return { code: ErrorCode.NONE, message: null, value };
      },
    );
    if (r.code !== ErrorCode.NONE) throw new KafkaError(r.code, 'could not read the share-partition state');
    return r.value;
  }

  async initialize(key: SharePartitionKey, stateEpoch: number, startOffset: number): Promise<number> {
    const r = await this.#call(
      key,
      () => this.#d.local.initialize(key, stateEpoch, startOffset),
      async (broker) => {
        const res = await this.#d.transport.send<InitializeShareGroupStateResponse>(
          broker,
          ApiKey.InitializeShareGroupState,
          0,
          {
            groupId: key.groupId,
            topics: [
              {
                topicId: key.topicId,
                partitions: [{ partition: key.partition, stateEpoch, startOffset: BigInt(startOffset) }],
              },
            ],
          },
        );
        const p = only(res.results, key);
        return { code: p.errorCode, message: p.errorMessage, value: p.errorCode };
      },
    );
    return r.value ?? r.code;
  }

  async write(
    key: SharePartitionKey,
    stateEpoch: number,
    leaderEpoch: number,
    update: ShareStateUpdate,
  ): Promise<number> {
    const r = await this.#call(
      key,
      () => this.#d.local.write(key, stateEpoch, leaderEpoch, update),
      async (broker) => {
        const res = await this.#d.transport.send<WriteShareGroupStateResponse>(broker, ApiKey.WriteShareGroupState, 0, {
          groupId: key.groupId,
          topics: [
            {
              topicId: key.topicId,
              partitions: [
                {
                  partition: key.partition,
                  stateEpoch,
                  leaderEpoch,
                  startOffset: BigInt(update.startOffset),
                  deliveryCompleteCount: -1,
                  stateBatches: update.batches.map((b) => ({
                    firstOffset: BigInt(b.firstOffset),
                    lastOffset: BigInt(b.lastOffset),
                    deliveryState: b.deliveryState,
                    deliveryCount: b.deliveryCount,
                  })),
                },
              ],
            },
          ],
        });
        const p = only(res.results, key);
        return { code: p.errorCode, message: p.errorMessage, value: p.errorCode };
      },
    );
    return r.value ?? r.code;
  }

  /**
   * The state summaries of share-partitions of one group, in the order of `keys`: the local share coordinator's
   * answers for keys it coordinates, one ReadShareGroupStateSummary (v1) per other coordinator broker for the rest.
   * Keys whose coordinator stays unavailable through the attempts answer with the last retriable error.
   */
  async summaries(keys: SharePartitionKey[]): Promise<SummaryResult[]> {
    const out: SummaryResult[] = new Array(keys.length);
    const groupId = keys[0]?.groupId ?? '';
    assert(
      keys.every((k) => k.groupId === groupId),
      'share-state summaries are asked of one group at a time',
    );
    let pending = keys.map((_, i) => i);
    let last = new Retry(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no share coordinator');
    for (let attempt = 0; attempt < this.#attempts && pending.length > 0; attempt++) {
      if (attempt > 0) await this.#sleep(this.#backoffMs);
      const retry: number[] = [];
      const again = (i: number, code: number, message: string) => {
        retry.push(i);
        last = new Retry(code, message);
      };
      const byBroker = new Map<number, number[]>();
      for (const i of pending) {
        const key = keys[i]!;
        try {
          const c = this.#d.coordinatorOf(key);
          if (c === undefined || c < 0) {
            again(i, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the share-state partition has no leader');
          } else if (c === this.#d.nodeId) {
            const state = this.#d.local.read(key);
            out[i] = { errorCode: ErrorCode.NONE, errorMessage: null, summary: state && summarize(state) };
          } else {
            byBroker.set(c, [...(byBroker.get(c) ?? []), i]);
          }
        } catch (e) {
          if (!(e instanceof KafkaError) || !RETRIABLE.has(e.code)) throw e;
          again(i, e.code, e.message);
        }
      }
      await Promise.all(
        [...byBroker].map(async ([broker, idx]) => {
          const topics = new Map<string, Array<{ partition: number; leaderEpoch: number }>>();
          for (const i of idx) {
            const k = keys[i]!;
            topics.set(k.topicId, [...(topics.get(k.topicId) ?? []), { partition: k.partition, leaderEpoch: -1 }]);
          }
          let res: ReadShareGroupStateSummaryResponse;
          try {
            res = await this.#d.transport.send<ReadShareGroupStateSummaryResponse>(
              broker,
              ApiKey.ReadShareGroupStateSummary,
              1,
              { groupId, topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })) },
            );
          } catch (e) {
            if (e instanceof KafkaError) throw e;
            this.#d.transport.reset(broker);
            for (const i of idx) again(i, ErrorCode.COORDINATOR_NOT_AVAILABLE, (e as Error).message);
            return;
          }
          for (const i of idx) {
            const key = keys[i]!;
            const p = res.results
              .find((r) => r.topicId === key.topicId)
              ?.partitions.find((x) => x.partition === key.partition);
            if (!p) {
              const errorMessage = 'the share coordinator answered without the partition';
              out[i] = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage };
            } else if (RETRIABLE.has(p.errorCode)) {
              again(i, p.errorCode, p.errorMessage ?? `error ${p.errorCode}`);
            } else if (p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
              out[i] = { errorCode: ErrorCode.NONE, errorMessage: null };
            } else if (p.errorCode !== ErrorCode.NONE) {
              out[i] = { errorCode: p.errorCode, errorMessage: p.errorMessage };
            } else {
              const summary: ShareStateSummary = {
                stateEpoch: p.stateEpoch,
                leaderEpoch: p.leaderEpoch,
                startOffset: Number(p.startOffset),
                deliveryCompleteCount: p.deliveryCompleteCount,
              };
              out[i] = { errorCode: ErrorCode.NONE, errorMessage: null, summary };
            }
          }
        }),
      );
      if (retry.length > 0) {
        this.#d.log.debug({ group: groupId, keys: retry.length, err: last.message }, 'share-state summaries retried');
      }
      pending = retry;
    }
    for (const i of pending) {
      out[i] = { errorCode: last.code, errorMessage: `share coordinator unavailable: ${last.message}` };
    }
    return out;
  }

  async delete(key: SharePartitionKey): Promise<number> {
    const r = await this.#call(
      key,
      () => {
        this.#d.local.deleteState(key);
        return ErrorCode.NONE as number;
      },
      async (broker) => {
        const res = await this.#d.transport.send<DeleteShareGroupStateResponse>(
          broker,
          ApiKey.DeleteShareGroupState,
          0,
          { groupId: key.groupId, topics: [{ topicId: key.topicId, partitions: [{ partition: key.partition }] }] },
        );
        const p = only(res.results, key);
        return { code: p.errorCode, message: p.errorMessage, value: p.errorCode };
      },
    );
    return r.value ?? r.code;
  }
}
