// The fetcher's side of an incremental fetch session (KIP-227; Kafka's FetchSessionHandler), pure. The first fetch
// is full (session id 0, epoch 0) and the leader answers with a session id; later fetches carry the next epoch and
// only the partitions added or whose fetch parameters changed since the last fetch, plus the ones to forget, so an
// idle partition is not in the request (and the leader leaves it out of the answer). An error answer, a lost
// answer, or an answer the fetcher had to drop (its partition got a new follower state meanwhile) starts over with a
// full fetch that closes the old session (same id, epoch 0); FETCH_SESSION_ID_NOT_FOUND starts a new one (id 0).
import { ErrorCode } from '../protocol/errors.ts';

/** What one partition's fetch asks for. */
export interface PartitionFetchData {
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: number;
  readonly maxBytes: number;
}

export interface SessionFetchPlan {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** A full fetch: `toSend` is every partition. */
  readonly full: boolean;
  readonly toSend: PartitionFetchData[];
  readonly toForget: Array<{ topicId: string; partition: number }>;
  /** The partitions the session holds once this fetch is answered. */
  readonly partitions: ReadonlyMap<string, PartitionFetchData>;
}

const key = (d: { topicId: string; partition: number }) => `${d.topicId}:${d.partition}`;

export class FetchSessionClient {
  #sessionId = 0;
  /** 0: the next fetch is full (opening a session); > 0: incremental with this epoch. */
  #epoch = 0;
  /** What the leader's session holds, as of the last answered fetch. */
  #sessionPartitions: ReadonlyMap<string, PartitionFetchData> = new Map();
  #planned: ReadonlyMap<string, PartitionFetchData> | undefined;

  get sessionId(): number {
    return this.#sessionId;
  }

  /** The fetch to send for `next` (every partition that should be fetched now). */
  plan(next: readonly PartitionFetchData[]): SessionFetchPlan {
    const map = new Map<string, PartitionFetchData>();
    for (const d of next) map.set(key(d), d);
    this.#planned = map;
    if (this.#epoch === 0)
      return {
        sessionId: this.#sessionId,
        sessionEpoch: 0,
        full: true,
        toSend: [...next],
        toForget: [],
        partitions: map,
      };
    const toSend: PartitionFetchData[] = [];
    for (const [k, d] of map) {
      const was = this.#sessionPartitions.get(k);
      if (
        was === undefined ||
        was.fetchOffset !== d.fetchOffset ||
        was.currentLeaderEpoch !== d.currentLeaderEpoch ||
        was.lastFetchedEpoch !== d.lastFetchedEpoch ||
        was.logStartOffset !== d.logStartOffset ||
        was.maxBytes !== d.maxBytes
      )
        toSend.push(d);
    }
    const toForget: Array<{ topicId: string; partition: number }> = [];
    for (const [k, d] of this.#sessionPartitions)
      if (!map.has(k)) toForget.push({ topicId: d.topicId, partition: d.partition });
    return { sessionId: this.#sessionId, sessionEpoch: this.#epoch, full: false, toSend, toForget, partitions: map };
  }

  /** The answer to `plan` (the last one planned): its top-level error and session id. An answer to an older plan,
   * or one that arrives after a reset, changes nothing (the next fetch is full anyway). */
  onResponse(plan: SessionFetchPlan, errorCode: number, sessionId: number): void {
    if (this.#planned === undefined || this.#planned !== plan.partitions) return;
    const planned = this.#planned;
    this.#planned = undefined;
    if (errorCode !== ErrorCode.NONE) {
      this.#restart(errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND ? 0 : this.#sessionId);
      return;
    }
    if (this.#epoch === 0) {
      this.#sessionId = sessionId;
      // Session id 0: the leader kept no session (its cache is full); the next fetch is full again.
      this.#epoch = sessionId === 0 ? 0 : 1;
    } else this.#epoch = this.#epoch === 0x7fffffff ? 1 : this.#epoch + 1;
    this.#sessionPartitions = this.#epoch === 0 ? new Map() : planned;
  }

  /** The answer was lost, or what the session holds is no longer what we know: the next fetch is full and closes
   * the current session. */
  reset(): void {
    this.#restart(this.#sessionId);
  }

  #restart(sessionId: number): void {
    this.#sessionId = sessionId;
    this.#epoch = 0;
    this.#sessionPartitions = new Map();
    this.#planned = undefined;
  }
}
