// The invariants the share-partition simulation checks, kept apart from the simulation so that each can be shown to
// fail (test/sim/share-partition-sim.test.ts feeds them a broken run). The checker knows only what the simulated
// clients and the simulation's own clock saw: when records were handed out and to whom, which acknowledgements
// succeeded, which members were removed, when the coordinator failed over, and the persisted start offset. It never
// reads the state machine's internals.
//   - exclusive: a record is never handed to a member while another member's lock on it still holds (a lock holds
//     until its lock duration passes, its holder acknowledges it, its holder is removed, or the coordinator fails
//     over); and an acknowledgement succeeds only from the member holding the lock;
//   - no loss: the start offset moves past a record only once it was accepted, rejected, or delivered to the limit;
//     at the end of a calm period every record of the log is behind the start offset;
//   - rejected stays rejected: a record rejected is never handed out again;
//   - delivery limit: no record is handed out more than the limit, and each hand-out carries its true count.
import { AcknowledgeType } from '../../src/coordinator/share/partition.ts';

export class ShareChecker {
  readonly limit: number;
  readonly lockMs: number;
  readonly #deliveries = new Map<number, number>();
  readonly #holders = new Map<number, { member: string; until: number; epoch: number }>();
  readonly #accepted = new Set<number>();
  readonly #rejected = new Set<number>();
  readonly #removed = new Set<string>();
  #epoch = 0;
  #start = 0;

  constructor(limit: number, lockMs: number) {
    this.limit = limit;
    this.lockMs = lockMs;
  }

  #holds(o: number, member: string, at: number): boolean {
    const h = this.#holders.get(o);
    return !!h && h.member === member && h.epoch === this.#epoch && at < h.until && !this.#removed.has(member);
  }

  /** `ranges` were handed to `member` by an acquisition made at `at`. */
  acquired(
    member: string,
    ranges: Array<{ firstOffset: number; lastOffset: number; deliveryCount: number }>,
    at: number,
  ) {
    for (const r of ranges) {
      for (let o = r.firstOffset; o <= r.lastOffset; o++) {
        if (this.#rejected.has(o)) throw new Error(`rejected offset ${o} redelivered to ${member}`);
        const h = this.#holders.get(o);
        if (h && this.#holds(o, h.member, at)) {
          throw new Error(`offset ${o} acquired by two members: ${h.member} (until ${h.until}) and ${member} at ${at}`);
        }
        const n = (this.#deliveries.get(o) ?? 0) + 1;
        this.#deliveries.set(o, n);
        if (n > this.limit) throw new Error(`offset ${o} delivered ${n} times, over the delivery limit ${this.limit}`);
        if (r.deliveryCount !== n)
          throw new Error(`offset ${o} handed out with delivery count ${r.deliveryCount}, not ${n}`);
        this.#holders.set(o, { member, until: at + this.lockMs, epoch: this.#epoch });
      }
    }
  }

  /** An acknowledgement of `offset` by `member`, made at `at`, succeeded; `type` is what the client meant. */
  acknowledged(member: string, offset: number, type: number, at: number): void {
    if (!this.#holds(offset, member, at)) throw new Error(`offset ${offset} acknowledged by ${member}, not holding it`);
    this.#holders.delete(offset);
    if (type === AcknowledgeType.ACCEPT) this.#accepted.add(offset);
    if (type === AcknowledgeType.REJECT || type === AcknowledgeType.GAP) this.#rejected.add(offset);
  }

  memberRemoved(member: string): void {
    this.#removed.add(member);
  }

  failover(): void {
    this.#epoch++;
  }

  /** The persisted start offset is now `start`. */
  startOffset(start: number): void {
    if (start < this.#start) throw new Error(`start offset went back from ${this.#start} to ${start}`);
    for (let o = this.#start; o < start; o++) {
      const done = this.#accepted.has(o) || this.#rejected.has(o) || (this.#deliveries.get(o) ?? 0) >= this.limit;
      if (!done) throw new Error(`offset ${o} lost: the start offset moved past it, neither accepted nor rejected`);
    }
    this.#start = start;
  }

  /** After a calm period: every record of the log was finished. */
  finished(logEnd: number): void {
    if (this.#start !== logEnd) throw new Error(`offsets ${this.#start}..${logEnd - 1} lost: never finished`);
  }

  get rejectedCount(): number {
    return this.#rejected.size;
  }
}
