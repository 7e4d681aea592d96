// The share-partition state machine (KIP-932), pure logic: the clock comes in as `now`, persistence goes out as the
// batched state changes `takeUpdate()` returns. A share-partition tracks the records between its start offset (every
// record below it is acknowledged or archived) and its end offset (the first record never acquired); each record in
// that window is AVAILABLE, ACQUIRED (by one member, with a lock deadline), ACKNOWLEDGED or ARCHIVED, with the number
// of times it was delivered. Records at or above the end offset are implicitly AVAILABLE with no delivery.
//
// Acquisitions are persisted too (as AVAILABLE with the delivery counted), so the delivery count limit holds across a
// coordinator failover: the runtime must persist the update before it hands acquired records out. A lock does not
// survive a failover (owners are not persisted): the records come back AVAILABLE and the old holder's acknowledgement
// fails with INVALID_RECORD_STATE, as in Kafka.
//
// The window is held in parallel typed arrays (state, delivery count, owner, lock deadline, dirty flag) indexed from
// `#head`: no per-record objects.
import { ErrorCode } from '../../protocol/errors.ts';
import { assert } from '../../util/assert.ts';
import { DeliveryState, type PersistedShareState, type ShareStateUpdate, type StateBatch } from './state.ts';

export interface SharePartitionConfig {
  /** How long an acquired record stays locked to its member. */
  lockDurationMs: number;
  /** Deliveries of a record before it is archived instead of made available again. */
  deliveryCountLimit: number;
  /** The most records in flight (between the start and the end offset) at once. */
  maxRecordLocks: number;
}

/** ShareFetch/ShareAcknowledge acknowledge types (RENEW, KIP-1222: the member keeps the records, their lock starts
 * again). */
export const AcknowledgeType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;

/** A run of acquired records with one delivery count (Kafka's AcquiredRecords). */
export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

/** An acknowledgement batch: `types` holds one type for the whole range or one per offset. */
export interface AckBatch {
  firstOffset: number;
  lastOffset: number;
  types: number[];
}

/** What a record is, for inspection (tests, describe). Below the start offset: `done`. */
export interface RecordView {
  state: number | 'done';
  deliveryCount: number;
  owner: string | undefined;
  lockDeadline: number;
}

const NO_OWNER = -1;

export class SharePartition {
  #config: SharePartitionConfig;
  #start: number;
  #end: number;
  #head = 0;
  #state: Uint8Array;
  #count: Uint16Array;
  #owner: Int32Array;
  #deadline: Float64Array;
  #dirty: Uint8Array;
  #anyDirty = false;
  #startDirty = false;
  #acquired = 0;
  /** The window may exceed maxRecordLocks only when recovered that large (the limit was lowered). */
  #windowLimit: number;
  readonly #memberIds: Array<string | undefined> = [];
  readonly #memberHeld: number[] = [];
  readonly #memberIdx = new Map<string, number>();
  readonly #freeMembers: number[] = [];

  constructor(startOffset: number, config: SharePartitionConfig) {
    assert(Number.isSafeInteger(startOffset) && startOffset >= 0, `bad share-partition start offset ${startOffset}`);
    this.#config = { ...config };
    this.#start = startOffset;
    this.#end = startOffset;
    this.#windowLimit = config.maxRecordLocks;
    const cap = 64;
    this.#state = new Uint8Array(cap);
    this.#count = new Uint16Array(cap);
    this.#owner = new Int32Array(cap).fill(NO_OWNER);
    this.#deadline = new Float64Array(cap);
    this.#dirty = new Uint8Array(cap);
  }

  /** Rebuilds a share-partition from its persisted state (after a coordinator moved or restarted): every record in
   * the window comes back AVAILABLE unless acknowledged or archived; those delivered to the limit are archived
   * (an update to persist). */
  static fromPersisted(persisted: PersistedShareState, config: SharePartitionConfig): SharePartition {
    const sp = new SharePartition(persisted.startOffset, config);
    const last = persisted.batches.at(-1);
    const end = last ? Math.max(persisted.startOffset, last.lastOffset + 1) : persisted.startOffset;
    sp.#ensureCapacity(end - sp.#start);
    sp.#end = end;
    sp.#windowLimit = Math.max(config.maxRecordLocks, end - sp.#start);
    for (const b of persisted.batches) {
      assert(b.deliveryState !== DeliveryState.ACQUIRED, 'persisted share state holds ACQUIRED');
      for (let o = Math.max(b.firstOffset, sp.#start); o <= b.lastOffset; o++) {
        const i = sp.#slot(o);
        sp.#state[i] = b.deliveryState;
        sp.#count[i] = b.deliveryCount;
      }
    }
    for (let o = sp.#start; o < sp.#end; o++) {
      const i = sp.#slot(o);
      if (sp.#state[i] === DeliveryState.AVAILABLE && sp.#count[i]! >= config.deliveryCountLimit) {
        sp.#state[i] = DeliveryState.ARCHIVED;
        sp.#markDirty(i);
      }
    }
    sp.#advanceStart();
    return sp;
  }

  get startOffset(): number {
    return this.#start;
  }

  /** Exclusive: the first offset never acquired. */
  get endOffset(): number {
    return this.#end;
  }

  get acquiredCount(): number {
    return this.#acquired;
  }

  get config(): Readonly<SharePartitionConfig> {
    return this.#config;
  }

  /** Applies changed group configs: records delivered up to a lowered limit and not locked are archived. */
  setConfig(config: SharePartitionConfig): void {
    this.#config = { ...config };
    this.#windowLimit = Math.max(config.maxRecordLocks, this.#end - this.#start);
    for (let o = this.#start; o < this.#end; o++) {
      const i = this.#slot(o);
      if (this.#state[i] === DeliveryState.AVAILABLE && this.#count[i]! >= config.deliveryCountLimit) {
        this.#state[i] = DeliveryState.ARCHIVED;
        this.#markDirty(i);
      }
    }
    this.#advanceStart();
  }

  record(offset: number): RecordView {
    if (offset < this.#start) return { state: 'done', deliveryCount: 0, owner: undefined, lockDeadline: 0 };
    if (offset >= this.#end)
      return { state: DeliveryState.AVAILABLE, deliveryCount: 0, owner: undefined, lockDeadline: 0 };
    const i = this.#slot(offset);
    const owner = this.#owner[i]!;
    return {
      state: this.#state[i]!,
      deliveryCount: this.#count[i]!,
      owner: owner === NO_OWNER ? undefined : this.#memberIds[owner],
      lockDeadline: this.#deadline[i]!,
    };
  }

  /** Acquires up to `maxRecords` records for `memberId`: AVAILABLE records in the window first (redeliveries), then
   * records of the log from the end offset, all below `logEndOffset` (exclusive: the high watermark, the last stable
   * offset, or the end of what was read), as long as the window stays within max record locks. Locks held past `now`
   * are expired first. New records for which `skip` is true (transaction markers, aborted records under
   * read_committed) are archived instead, never delivered. With `batchEnd` (the end, exclusive, of the stored batch
   * holding an offset: ShareAcquireMode batch-optimized) MaxRecords may be exceeded so that the new records taken end
   * at a batch boundary, as Kafka does: each stored batch then goes out once, not once per MaxRecords slice. */
  acquire(
    memberId: string,
    maxRecords: number,
    logEndOffset: number,
    now: number,
    skip?: (offset: number) => boolean,
    batchEnd?: (offset: number) => number,
  ): AcquiredRange[] {
    this.expireLocks(now);
    const out: AcquiredRange[] = [];
    if (maxRecords <= 0) return out;
    let owner = -1;
    let n = 0;
    const take = (o: number) => {
      if (owner < 0) owner = this.#intern(memberId);
      const i = this.#slot(o);
      assert(this.#state[i] === DeliveryState.AVAILABLE, `acquiring offset ${o} that is not AVAILABLE`);
      const count = this.#count[i]! + 1;
      assert(count <= this.#config.deliveryCountLimit, `offset ${o} delivered beyond the delivery count limit`);
      this.#state[i] = DeliveryState.ACQUIRED;
      this.#count[i] = count;
      this.#owner[i] = owner;
      this.#deadline[i] = now + this.#config.lockDurationMs;
      this.#memberHeld[owner]!++;
      this.#acquired++;
      this.#markDirty(i);
      n++;
      const last = out[out.length - 1];
      if (last && last.lastOffset + 1 === o && last.deliveryCount === count) last.lastOffset = o;
      else out.push({ firstOffset: o, lastOffset: o, deliveryCount: count });
    };
    const inWindow = Math.min(this.#end, logEndOffset);
    for (let o = this.#start; o < inWindow && n < maxRecords; o++) {
      if (this.#state[this.#slot(o)] === DeliveryState.AVAILABLE) take(o);
    }
    const firstNew = this.#end;
    let goal = -1;
    while (this.#end < logEndOffset && this.#end - this.#start < this.#windowLimit) {
      if (n >= maxRecords) {
        if (batchEnd === undefined || this.#end === firstNew) break;
        if (goal < 0) goal = batchEnd(this.#end - 1);
        if (this.#end >= goal) break;
      }
      this.#ensureCapacity(this.#end - this.#start + 1);
      const i = this.#slot(this.#end);
      this.#state[i] = DeliveryState.AVAILABLE;
      this.#count[i] = 0;
      this.#owner[i] = NO_OWNER;
      this.#deadline[i] = 0;
      this.#end++;
      if (skip?.(this.#end - 1)) {
        this.#state[i] = DeliveryState.ARCHIVED;
        this.#markDirty(i);
      } else {
        take(this.#end - 1);
      }
    }
    this.#advanceStart();
    return out;
  }

  /** Applies acknowledgements from `memberId`. Each batch is all or nothing: its error code is NONE, INVALID_REQUEST
   * (malformed) or INVALID_RECORD_STATE (some offset is not acquired by this member, or its lock expired). RENEW
   * keeps a record acquired by the member with a new lock deadline (locks are not persisted, so nothing is written). */
  acknowledge(memberId: string, batches: AckBatch[], now: number): number[] {
    this.expireLocks(now);
    const owner = this.#memberIdx.get(memberId) ?? -2;
    const errors: number[] = [];
    for (const b of batches) {
      const len = b.lastOffset - b.firstOffset + 1;
      if (!(len >= 1) || (b.types.length !== 1 && b.types.length !== len) || b.types.some((t) => !(t >= 0 && t <= 4))) {
        errors.push(ErrorCode.INVALID_REQUEST);
        continue;
      }
      let ok = b.firstOffset >= this.#start && b.lastOffset < this.#end;
      for (let o = b.firstOffset; ok && o <= b.lastOffset; o++) {
        const i = this.#slot(o);
        ok = this.#state[i] === DeliveryState.ACQUIRED && this.#owner[i] === owner;
      }
      if (!ok) {
        errors.push(ErrorCode.INVALID_RECORD_STATE);
        continue;
      }
      for (let o = b.firstOffset; o <= b.lastOffset; o++) {
        const type = b.types.length === 1 ? b.types[0]! : b.types[o - b.firstOffset]!;
        const i = this.#slot(o);
        if (type === AcknowledgeType.RELEASE) this.#release(i);
        else if (type === AcknowledgeType.RENEW) this.#deadline[i] = now + this.#config.lockDurationMs;
        else this.#finish(i, type === AcknowledgeType.ACCEPT ? DeliveryState.ACKNOWLEDGED : DeliveryState.ARCHIVED);
      }
      errors.push(ErrorCode.NONE);
    }
    this.#advanceStart();
    return errors;
  }

  /** The first offset an acquisition would take (after expiring locks held past `now`): the first AVAILABLE record
   * of the window, else the end offset. The caller reads the log from here. */
  firstAcquirable(now: number): number {
    this.expireLocks(now);
    for (let o = this.#start; o < this.#end; o++) {
      if (this.#state[this.#slot(o)] === DeliveryState.AVAILABLE) return o;
    }
    return this.#end;
  }

  /** A member left or its session timed out: its acquired records are released. Returns how many. */
  releaseMember(memberId: string): number {
    const owner = this.#memberIdx.get(memberId);
    if (owner === undefined) return 0;
    let released = 0;
    for (let o = this.#start; o < this.#end && this.#memberHeld[owner]! > 0; o++) {
      const i = this.#slot(o);
      if (this.#state[i] === DeliveryState.ACQUIRED && this.#owner[i] === owner) {
        this.#release(i);
        released++;
      }
    }
    this.#advanceStart();
    return released;
  }

  /** Releases records whose lock deadline is at or before `now`. Returns how many. */
  expireLocks(now: number): number {
    if (this.#acquired === 0) return 0;
    let released = 0;
    for (let o = this.#start; o < this.#end; o++) {
      const i = this.#slot(o);
      if (this.#state[i] === DeliveryState.ACQUIRED && this.#deadline[i]! <= now) {
        this.#release(i);
        released++;
      }
    }
    if (released > 0) this.#advanceStart();
    return released;
  }

  /** The earliest lock deadline (for the runtime's timer), or Infinity. */
  nextLockDeadline(): number {
    let next = Number.POSITIVE_INFINITY;
    if (this.#acquired === 0) return next;
    for (let o = this.#start; o < this.#end; o++) {
      const i = this.#slot(o);
      if (this.#state[i] === DeliveryState.ACQUIRED && this.#deadline[i]! < next) next = this.#deadline[i]!;
    }
    return next;
  }

  /** The log's start offset moved (retention, DeleteRecords): records below it are archived, locked or not. */
  advanceLogStart(logStartOffset: number): void {
    if (logStartOffset <= this.#start) return;
    const upTo = Math.min(logStartOffset, this.#end);
    for (let o = this.#start; o < upTo; o++) {
      const i = this.#slot(o);
      if (this.#state[i] === DeliveryState.ACQUIRED) this.#unlock(i);
      this.#state[i] = DeliveryState.ARCHIVED;
    }
    this.#advanceStart();
    if (logStartOffset > this.#end) {
      this.#start = logStartOffset;
      this.#end = logStartOffset;
      this.#head = 0;
      this.#startDirty = true;
    }
  }

  /** The state changes since the last call, batched by offset runs, or undefined if nothing changed. */
  takeUpdate(): ShareStateUpdate | undefined {
    if (!this.#anyDirty && !this.#startDirty) return undefined;
    const batches: StateBatch[] = [];
    if (this.#anyDirty) {
      for (let o = this.#start; o < this.#end; o++) {
        const i = this.#slot(o);
        if (this.#dirty[i] === 0) continue;
        this.#dirty[i] = 0;
        const st = this.#state[i] === DeliveryState.ACQUIRED ? DeliveryState.AVAILABLE : this.#state[i]!;
        const count = this.#count[i]!;
        const last = batches[batches.length - 1];
        if (last && last.lastOffset + 1 === o && last.deliveryState === st && last.deliveryCount === count) {
          last.lastOffset = o;
        } else {
          batches.push({ firstOffset: o, lastOffset: o, deliveryState: st, deliveryCount: count });
        }
      }
    }
    const update = { startOffset: this.#startDirty ? this.#start : -1, batches };
    this.#anyDirty = false;
    this.#startDirty = false;
    if (update.startOffset < 0 && batches.length === 0) return undefined;
    return update;
  }

  /** Checks every invariant over the whole window (O(window): tests and simulations call it after each step). */
  verify(): void {
    const c = this.#config;
    assert(this.#start <= this.#end, `share-partition start ${this.#start} after end ${this.#end}`);
    assert(this.#end - this.#start <= this.#windowLimit, 'share-partition window beyond max record locks');
    if (this.#start < this.#end) {
      const s = this.#state[this.#slot(this.#start)];
      assert(
        s === DeliveryState.AVAILABLE || s === DeliveryState.ACQUIRED,
        'share-partition start offset not advanced past a finished record',
      );
    }
    let acquired = 0;
    const held = this.#memberHeld.map(() => 0);
    for (let o = this.#start; o < this.#end; o++) {
      const i = this.#slot(o);
      const s = this.#state[i]!;
      const n = this.#count[i]!;
      assert(n <= c.deliveryCountLimit || s !== DeliveryState.ACQUIRED, `offset ${o} acquired beyond the limit`);
      if (s === DeliveryState.ACQUIRED) {
        acquired++;
        const owner = this.#owner[i]!;
        assert(owner >= 0 && this.#memberIds[owner] !== undefined, `offset ${o} acquired without an owner`);
        assert(n >= 1, `offset ${o} acquired without a delivery counted`);
        held[owner]!++;
      } else {
        assert(this.#owner[i] === NO_OWNER, `offset ${o} has an owner but is not acquired`);
        assert(s !== DeliveryState.AVAILABLE || n < c.deliveryCountLimit, `offset ${o} available at the limit`);
      }
    }
    assert(acquired === this.#acquired, 'share-partition acquired count drifted');
    for (let m = 0; m < held.length; m++) {
      assert(held[m] === this.#memberHeld[m], `member ${this.#memberIds[m]} held count drifted`);
    }
  }

  #slot(offset: number): number {
    return this.#head + (offset - this.#start);
  }

  /** A released record: AVAILABLE again, or ARCHIVED once delivered to the limit. */
  #release(i: number): void {
    this.#unlock(i);
    this.#state[i] =
      this.#count[i]! >= this.#config.deliveryCountLimit ? DeliveryState.ARCHIVED : DeliveryState.AVAILABLE;
    this.#markDirty(i);
  }

  #finish(i: number, state: number): void {
    this.#unlock(i);
    this.#state[i] = state;
    this.#markDirty(i);
  }

  #unlock(i: number): void {
    const owner = this.#owner[i]!;
    assert(owner >= 0 && this.#state[i] === DeliveryState.ACQUIRED, 'unlocking a record that is not acquired');
    this.#owner[i] = NO_OWNER;
    this.#deadline[i] = 0;
    this.#acquired--;
    if (--this.#memberHeld[owner]! === 0) {
      this.#memberIdx.delete(this.#memberIds[owner]!);
      this.#memberIds[owner] = undefined;
      this.#freeMembers.push(owner);
    }
    this.#markDirty(i);
  }

  #markDirty(i: number): void {
    this.#dirty[i] = 1;
    this.#anyDirty = true;
  }

  #intern(memberId: string): number {
    let idx = this.#memberIdx.get(memberId);
    if (idx !== undefined) return idx;
    idx = this.#freeMembers.pop() ?? this.#memberIds.length;
    this.#memberIds[idx] = memberId;
    this.#memberHeld[idx] = 0;
    this.#memberIdx.set(memberId, idx);
    return idx;
  }

  #advanceStart(): void {
    const before = this.#start;
    while (this.#start < this.#end) {
      const i = this.#head;
      const s = this.#state[i];
      if (s !== DeliveryState.ACKNOWLEDGED && s !== DeliveryState.ARCHIVED) break;
      this.#dirty[i] = 0;
      this.#head++;
      this.#start++;
    }
    if (this.#start === this.#end) this.#head = 0;
    if (this.#start !== before) this.#startDirty = true;
  }

  /** Makes room for a window of `size` records from the head, compacting or growing the arrays. */
  #ensureCapacity(size: number): void {
    const cap = this.#state.length;
    if (this.#head + size <= cap) return;
    const len = this.#end - this.#start;
    if (size <= cap / 2) {
      for (const a of [this.#state, this.#count, this.#owner, this.#deadline, this.#dirty]) {
        a.copyWithin(0, this.#head, this.#head + len);
      }
      this.#head = 0;
      return;
    }
    let next = cap * 2;
    while (next < size * 2) next *= 2;
    const grow = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(next);
      b.set(a.subarray(this.#head, this.#head + len));
      return b;
    };
    this.#state = grow(this.#state, (n) => new Uint8Array(n));
    this.#count = grow(this.#count, (n) => new Uint16Array(n));
    const owner = new Int32Array(next).fill(NO_OWNER);
    owner.set(this.#owner.subarray(this.#head, this.#head + len));
    this.#owner = owner;
    this.#deadline = grow(this.#deadline, (n) => new Float64Array(n));
    this.#dirty = grow(this.#dirty, (n) => new Uint8Array(n));
    this.#head = 0;
  }
}
