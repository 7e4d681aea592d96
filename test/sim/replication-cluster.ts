// A simulated three-broker cluster around the replication core (src/replication/): one partition, a simple
// controller (leader, ISR and, with `elr`, eligible leader replicas decided by the real controller's
// partition-change.ts; bumps leader epochs, commits AlterPartition with partition epochs, fences brokers whose
// session lapsed or that registered again after a restart, and takes a restart without a clean stop out of the ISR
// and ELR), a network with delays, drops, reordering and one-way cuts, crashes that keep the log (kill -9: the page
// cache survives) or lose its unflushed tail (power loss), clean stops, pauses (SIGSTOP: a leader wakes up as a
// zombie), acks=all producers with min.insync.replicas=2
// and consumers that read below the HW. Invariants are checked after every event; `finalCheck` runs after the calm
// period. Everything draws from the seeded Sim (harness.ts), so a seed replays exactly.
import { type Election, partitionChange } from '../../src/controller/partition-change.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { FetchAnswer } from '../../src/replication/follower.ts';
import { type MemoryBatch, MemoryReplicaLog } from '../../src/replication/memory-log.ts';
import { PartitionReplica } from '../../src/replication/replica.ts';
import type {
  AlterPartitionAnswer,
  AlterPartitionRequest,
  LeaderEffects,
  PartitionState,
  ReplicaFetch,
  ReplicationConfig,
} from '../../src/replication/types.ts';
import { Sim } from './harness.ts';

export const CONTROLLER = 10;
const SESSION_MS = 1500;
const HEARTBEAT_MS = 250;
const TICK_MS = 50;
const REQUEST_TIMEOUT_MS = 1200;

export interface ClusterOptions {
  seed: number;
  unsafe?: ReplicationConfig['unsafe'];
  /** Test-only: the controller elects any live replica, not only ISR members (unclean election). */
  electOutsideIsr?: boolean;
  /** Test-only: the controller accepts AlterPartition from an old leader epoch or partition epoch (no fencing). */
  acceptStaleAlterPartition?: boolean;
  /** min.insync.replicas (default 2). */
  minInsyncReplicas?: number;
  /** Flush (fsync) every this many ms; a power loss keeps a random part of what came after the last flush. */
  flushIntervalMs?: number;
  /** Eligible leader replicas (KIP-966, eligible.leader.replicas.version=1): the controller keeps the ELR and elects
   * from it when the ISR is empty (controller/partition-change.ts, as the real controller). */
  elr?: boolean;
  /** unclean.leader.election.enable: with no ISR (nor ELR) member to elect, any live replica (Kafka's rule). */
  uncleanElection?: boolean;
  /** Test-only: a broker back after an unclean shutdown stays in the ELR (no clean-shutdown detection). */
  keepUncleanInElr?: boolean;
}

export class Violation extends Error {
  override name = 'Violation';
}

interface Broker {
  id: number;
  up: boolean;
  paused: boolean;
  /** Bumped at every start and crash: messages and timers of an older incarnation are dropped. */
  incarnation: number;
  held: Array<() => void>;
  log: MemoryReplicaLog;
  flushed: number;
  checkpointHw: number;
  replica: PartitionReplica<MemoryBatch> | null;
  registered: boolean;
  fetch: { follower: object; inFlight: boolean; sentAt: number; notBefore: number; waiting: boolean } | null;
  /** Lost unflushed data and has not yet rejoined the ISR. */
  damaged: boolean;
  /** The incarnation it left by a clean shutdown (everything flushed), null after a crash: what its next registration
   * names as its previous one (KIP-966's previous broker epoch). */
  cleanInc: number | null;
  /** What the current incarnation's registration names. */
  previousInc: number | null;
}

interface Pending {
  producer: number;
  values: number[];
  baseOffset: number;
}

export class ReplicationCluster {
  readonly sim: Sim;
  readonly brokers: Broker[] = [];
  readonly config: ReplicationConfig;
  readonly opts: ClusterOptions;
  /** Controller state. */
  state: PartitionState;
  /** The controller's eligible leader replicas and last known leader (with `elr`). */
  elr: readonly number[] = [];
  lastKnownElr: readonly number[] = [];
  /** The incarnation of each broker's last registration (its broker epoch). */
  readonly #lastInc = new Map<number, number>();
  readonly #registered = new Map<number, number>();
  readonly #lastHeartbeat = new Map<number, number>();
  /** One-way cuts "from>to". */
  readonly cuts = new Set<string>();
  /** value → offset the producer was told. */
  readonly acked = new Map<number, number>();
  /** offset → value any replica had below its HW (or a consumer read). */
  readonly committed: number[] = [];
  readonly #checkedUpTo = new Map<number, number>();
  readonly #leaderHw = new WeakMap<object, number>();
  readonly #epochSeen = new Map<number, { incarnation: number; epoch: number }>();
  readonly #leaderOfEpoch = new Map<number, number>();
  #controllerEpoch = 0;
  readonly #pending = new Map<number, Pending>();
  #nextRequest = 1;
  #nextValue = 1;
  elections = 0;
  truncations = 0;
  /** What the run went through, for the coverage assertions. */
  readonly stats = {
    powerLosses: 0,
    zombieAppends: 0,
    fencedAlterPartitions: 0,
    notEnoughReplicas: 0,
    afterAppendErrors: 0,
    timeouts: 0,
    consumerReads: 0,
    elrElections: 0,
    uncleanShutdownsSeen: 0,
  };
  readonly history: string[] = [];
  /** Scripted scenarios: the controller elects the first live candidate in this order instead of a random one. */
  preferredLeaders: number[] | null = null;
  /** The answer each produce got, by its first value (produces never answered are absent). */
  readonly answers = new Map<number, number>();

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.sim = new Sim(opts.seed);
    this.config = {
      replicaLagTimeMaxMs: 800,
      minInsyncReplicas: opts.minInsyncReplicas ?? 2,
      alterPartitionRetryMs: 400,
      unsafe: opts.unsafe,
    };
    this.state = { leader: 0, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2] };
    for (let id = 0; id < 3; id++) {
      this.brokers.push({
        id,
        up: false,
        paused: false,
        incarnation: 0,
        held: [],
        log: new MemoryReplicaLog(),
        flushed: 0,
        checkpointHw: 0,
        replica: null,
        registered: false,
        fetch: null,
        damaged: false,
        cleanInc: null,
        previousInc: null,
      });
    }
    this.sim.at(0, () => this.#controllerLoop());
  }

  note(s: string): void {
    this.history.push(`${this.sim.now} ${s}`);
  }

  // ---- network ----

  /** Sends a message: dropped on a cut link or (while faults are on) by chance; delivered after 1-40 ms, so messages
   * reorder. A paused broker holds what it receives until it wakes; a down broker (or another incarnation) drops it. */
  send(from: number, to: number, fn: () => void, dropChance = 0.03): void {
    if (this.cuts.has(`${from}>${to}`)) return;
    if (this.sim.faultChance(dropChance)) return;
    const target = to === CONTROLLER || to < 0 ? null : this.brokers[to]!;
    const inc = target?.incarnation;
    this.sim.at(this.sim.now + this.sim.net(), () => {
      if (this.cuts.has(`${from}>${to}`)) return;
      if (target === null) return this.#step(fn);
      this.#onBroker(target, inc!, fn);
    });
  }

  #onBroker(b: Broker, inc: number, fn: () => void): void {
    if (!b.up || b.incarnation !== inc) return;
    if (b.paused) {
      b.held.push(() => {
        if (b.up && b.incarnation === inc) fn();
      });
      return;
    }
    this.#step(fn);
  }

  /** Runs one event and then every invariant. */
  #step(fn: () => void): void {
    fn();
    this.checkInvariants();
  }

  /** A timer of broker `b`'s current incarnation (late if the broker is paused). */
  #timer(b: Broker, delay: number, fn: () => void): void {
    const inc = b.incarnation;
    this.sim.at(this.sim.now + delay, () => this.#onBroker(b, inc, fn));
  }

  // ---- brokers ----

  start(b: Broker): void {
    if (b.up) return;
    b.up = true;
    b.paused = false;
    b.incarnation++;
    b.registered = false;
    b.fetch = null;
    b.previousInc = b.cleanInc;
    b.cleanInc = null;
    const clock = { now: () => this.sim.now };
    b.replica = new PartitionReplica(b.id, b.log, clock, this.config, b.checkpointHw);
    this.#checkedUpTo.set(b.id, 0);
    this.note(`start ${b.id} leo=${b.log.logEndOffset()} hw=${b.replica.highWatermark}`);
    this.#register(b);
    this.#timer(b, TICK_MS, () => this.#brokerTick(b));
    this.#timer(b, HEARTBEAT_MS, () => this.#heartbeat(b));
  }

  #register(b: Broker): void {
    const inc = b.incarnation;
    const previous = b.previousInc;
    this.send(b.id, CONTROLLER, () => this.#controllerRegister(b.id, inc, previous));
    this.#timer(b, 300, () => {
      if (!b.registered) this.#register(b);
    });
  }

  #heartbeat(b: Broker): void {
    const inc = b.incarnation;
    if (b.registered) this.send(b.id, CONTROLLER, () => this.#controllerHeartbeat(b.id, inc));
    this.#timer(b, HEARTBEAT_MS, () => this.#heartbeat(b));
  }

  /** kill -9 (`powerLoss` false: the page cache survives, the log is kept) or power loss (a random suffix after the
   * last flush is lost, the HW checkpoint is the last flushed one). */
  crash(b: Broker, powerLoss: boolean): void {
    if (!b.up) return;
    b.up = false;
    b.paused = false;
    b.held = [];
    b.incarnation++;
    b.replica = null;
    b.fetch = null;
    if (powerLoss) {
      const leo = b.log.logEndOffset();
      const keep = b.flushed + Math.floor(this.sim.rnd() * (leo - b.flushed + 1));
      b.log.truncateTo(keep);
      b.damaged = keep < leo || b.damaged;
      this.stats.powerLosses++;
    }
    this.note(`crash ${b.id}${powerLoss ? ' power loss' : ''} leo=${b.log.logEndOffset()}`);
  }

  /** A clean shutdown (SIGTERM): everything flushed, the HW checkpointed, the incarnation remembered as clean. */
  stop(b: Broker): void {
    if (!b.up || b.paused) return;
    b.flushed = b.log.logEndOffset();
    b.checkpointHw = b.replica!.highWatermark;
    const inc = b.incarnation;
    this.crash(b, false);
    b.cleanInc = inc;
    this.note(`(${b.id} stopped cleanly)`);
  }

  pause(b: Broker): void {
    if (b.up && !b.paused) {
      b.paused = true;
      this.note(`pause ${b.id}`);
    }
  }

  resume(b: Broker): void {
    if (!b.up || !b.paused) return;
    b.paused = false;
    this.note(`resume ${b.id}`);
    const held = b.held;
    b.held = [];
    for (const fn of held) this.#step(fn);
  }

  #brokerTick(b: Broker): void {
    const replica = b.replica!;
    const role = replica.role;
    if (role.kind === 'leader') this.#handleEffects(b, role.leader.tick());
    if (role.kind === 'follower') {
      const f = b.fetch;
      if (f === null || f.follower !== role.follower) {
        b.fetch = { follower: role.follower, inFlight: false, sentAt: 0, notBefore: 0, waiting: false };
      }
      const fs = b.fetch!;
      if (fs.inFlight && this.sim.now - fs.sentAt > 500) fs.inFlight = false;
      if (!fs.inFlight && !fs.waiting && this.sim.now >= fs.notBefore) this.#sendFetch(b);
    }
    if (this.sim.now % (this.opts.flushIntervalMs ?? 400) < TICK_MS) {
      b.flushed = b.log.logEndOffset();
      b.checkpointHw = replica.highWatermark;
    }
    this.#timer(b, TICK_MS, () => this.#brokerTick(b));
  }

  #sendFetch(b: Broker): void {
    const role = b.replica!.role;
    if (role.kind !== 'follower') return;
    const follower = role.follower;
    const fs = b.fetch!;
    const req = follower.nextFetch();
    fs.inFlight = true;
    fs.sentAt = this.sim.now;
    const leader = this.brokers[follower.leaderId]!;
    this.send(b.id, leader.id, () => {
      const answer = this.#serveFetch(leader, req);
      this.send(leader.id, b.id, () => {
        if (b.replica?.role.kind !== 'follower' || b.replica.role.follower !== follower) return;
        fs.inFlight = false;
        const before = b.log.logEndOffset();
        const action = follower.onFetchAnswer(req, answer);
        if (answer.divergingEpoch !== undefined && b.log.logEndOffset() < before) {
          this.truncations++;
          this.note(`${b.id} truncated ${before}→${b.log.logEndOffset()} by ${JSON.stringify(answer.divergingEpoch)}`);
        }
        if (action === 'fetch') this.#sendFetch(b);
        else if (action === 'backoff') fs.notBefore = this.sim.now + 30;
        else fs.waiting = true;
      });
    });
  }

  #serveFetch(leader: Broker, req: ReplicaFetch): FetchAnswer<MemoryBatch> {
    const replica = leader.replica!;
    const role = replica.role;
    if (role.kind !== 'leader') {
      const epoch = replica.state?.leaderEpoch ?? -1;
      let error: number = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      if (req.currentLeaderEpoch > epoch) error = ErrorCode.UNKNOWN_LEADER_EPOCH;
      else if (req.currentLeaderEpoch < epoch) error = ErrorCode.FENCED_LEADER_EPOCH;
      return { error, highWatermark: replica.highWatermark, records: 0 };
    }
    const { result, effects } = role.leader.fetchFromFollower(req);
    this.#handleEffects(leader, effects);
    if (result.readFrom < 0) {
      return {
        error: result.error,
        divergingEpoch: result.divergingEpoch,
        highWatermark: result.highWatermark,
        records: 0,
      };
    }
    const batches = leader.log.read(result.readFrom, 1 + Math.floor(this.sim.rnd() * 8));
    return { error: result.error, highWatermark: result.highWatermark, batches, records: batches.values.length };
  }

  #handleEffects(b: Broker, effects: LeaderEffects): void {
    const req = effects.alterPartition;
    if (req !== null) {
      const leaderObj = b.replica?.role.kind === 'leader' ? b.replica.role.leader : null;
      this.send(b.id, CONTROLLER, () => {
        const answer = this.#controllerAlterPartition(req);
        this.send(CONTROLLER, b.id, () => {
          const role = b.replica?.role;
          if (role?.kind === 'leader' && role.leader === leaderObj)
            this.#handleEffects(b, role.leader.onAlterPartitionAnswer(req, answer));
        });
      });
    }
    for (const c of effects.completed) {
      const p = this.#pending.get(c.requestId);
      if (p === undefined) continue;
      this.#pending.delete(c.requestId);
      this.send(b.id, -1, () => this.#onProduceAnswer(p, c.error));
    }
  }

  #applyState(b: Broker, state: PartitionState): void {
    const replica = b.replica!;
    const before = replica.state;
    this.#handleEffects(b, replica.applyPartitionState(state));
    if (replica.state !== before && replica.role.kind === 'follower') {
      if (b.fetch?.follower !== replica.role.follower) b.fetch = null;
    }
  }

  /** Faults stay within the promise (acks=all, min.insync.replicas=2 survive any single broker loss): while a broker
   * is damaged (lost unflushed data and not yet back in the ISR) no other broker gets a fault. */
  mayFault(b: Broker): boolean {
    return this.brokers.every((o) => o === b || !o.damaged);
  }

  /** A power loss needs every other broker healthy, and `b` must not be, or become through an ISR shrink it has in
   * flight, the ISR's only member: a last ISR member that lost committed data would be elected again and the others
   * truncated to it (KIP-966's "last replica standing": with ELR it leaves the ISR and ELR when it registers again,
   * yet with no other ELR member left it is still elected as the last known leader, as in Kafka). */
  mayLosePower(b: Broker): boolean {
    const s = this.state;
    if (s.isr.length === 1 && s.isr[0] === b.id) return false;
    const role = b.replica?.role;
    if (role?.kind === 'leader' && role.leader.alterPartitionInFlight !== null) return false;
    if (!this.brokers.every((o) => o === b || (o.up && !o.paused && !o.damaged))) return false;
    for (const k of this.cuts) if (!k.split('>').map(Number).includes(b.id)) return false;
    return true;
  }

  // ---- producers and consumers ----

  /** A produce of `count` new values with acks=all to broker `to` (what the producer believes is the leader). */
  produce(producer: number, to: number, count: number): number[] {
    const values: number[] = [];
    for (let i = 0; i < count; i++) values.push(this.#nextValue++);
    const b = this.brokers[to];
    if (b === undefined) return values;
    this.send(-1 - producer, to, () => {
      const role = b.replica!.role;
      if (role.kind !== 'leader') return;
      const leader = role.leader;
      if (leader.checkProduce(-1) !== ErrorCode.NONE) {
        this.answers.set(values[0]!, leader.checkProduce(-1));
        this.stats.notEnoughReplicas++;
        return;
      }
      if (leader.leaderEpoch < this.state.leaderEpoch) this.stats.zombieAppends++;
      const baseOffset = b.log.logEndOffset();
      const last = b.log.appendAsLeader(values, leader.leaderEpoch);
      const id = this.#nextRequest++;
      this.#pending.set(id, { producer, values, baseOffset });
      this.#handleEffects(b, leader.afterAppend(id, last, this.sim.now + REQUEST_TIMEOUT_MS));
    });
    return values;
  }

  #onProduceAnswer(p: Pending, error: number): void {
    this.answers.set(p.values[0]!, error);
    if (error === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND) this.stats.afterAppendErrors++;
    if (error === ErrorCode.REQUEST_TIMED_OUT) this.stats.timeouts++;
    if (error !== ErrorCode.NONE) return;
    for (let i = 0; i < p.values.length; i++) {
      const offset = p.baseOffset + i;
      const v = p.values[i]!;
      if (this.acked.has(v)) throw new Violation(`value ${v} acknowledged twice`);
      this.acked.set(v, offset);
      const c = this.committed[offset];
      if (c !== v) throw new Violation(`acknowledged value ${v} at ${offset} but the committed log holds ${c}`);
    }
  }

  /** A consumer reads everything below the HW of broker `at` if it acts as leader (it may be a zombie). */
  consume(at: number): void {
    const b = this.brokers[at];
    if (b === undefined || !b.up || b.paused || b.replica?.role.kind !== 'leader') return;
    const hw = b.replica.highWatermark;
    for (let o = 0; o < hw; o++) this.#commitValue(o, b.log.valueAt(o)!, `consumer at ${at}`);
    this.stats.consumerReads++;
  }

  /** The producer's idea of the leader: the controller's, or (sometimes, while faults are on) a stale guess. */
  guessLeader(): number {
    if (this.sim.faultChance(0.1)) return Math.floor(this.sim.rnd() * 3);
    return this.state.leader;
  }

  // ---- controller ----

  #controllerLoop(): void {
    for (const [id] of this.#registered) {
      if (this.sim.now - (this.#lastHeartbeat.get(id) ?? 0) > SESSION_MS) {
        this.note(`session of ${id} expired`);
        this.#fence(id);
      }
    }
    this.#broadcast();
    this.sim.at(this.sim.now + 200, () => this.#step(() => this.#controllerLoop()));
  }

  #broadcast(): void {
    const state = this.state;
    for (const b of this.brokers) {
      if (this.#registered.has(b.id)) this.send(CONTROLLER, b.id, () => b.registered && this.#applyState(b, state));
    }
  }

  #change(next: Partial<PartitionState>): void {
    const s = this.state;
    const leaderChanged = next.leader !== undefined && next.leader !== s.leader;
    this.state = {
      ...s,
      ...next,
      leaderEpoch: leaderChanged ? s.leaderEpoch + 1 : s.leaderEpoch,
      partitionEpoch: s.partitionEpoch + 1,
    };
    if (leaderChanged) this.elections++;
    this.note(
      `controller: leader ${this.state.leader} epoch ${this.state.leaderEpoch}/${this.state.partitionEpoch} isr [${this.state.isr}]`,
    );
    this.#broadcast();
  }

  #fence(id: number): void {
    this.#registered.delete(id);
    const s = this.state;
    if (!this.opts.electOutsideIsr) {
      if (s.leader === id || s.isr.includes(id))
        this.#decide(
          s.isr.filter((r) => r !== id),
          this.#election(),
          id,
        );
      return;
    }
    // Test-only unsafe controller: any live replica may be elected, ISR or not.
    const isr = s.isr.filter((r) => r !== id);
    if (s.leader === id) {
      const leader = this.#elect(id);
      this.#change({ leader, isr: leader < 0 ? s.isr : isr.includes(leader) ? isr : [leader] });
    } else if (s.isr.includes(id) && isr.length > 0) {
      this.#change({ isr });
    }
  }

  /**
   * The controller's next state by Kafka's rules (controller/partition-change.ts, as the real controller decides):
   * the ISR `targetIsr`, an election from the ISR, else the ELR, else the last known leader. Candidates are tried in
   * the scripted order, else a random one.
   */
  #decide(targetIsr: readonly number[], election: Election, exclude = -1, uncleanShutdown: number[] = []): void {
    const s = this.state;
    const order = this.preferredLeaders
      ? [...this.preferredLeaders, ...s.replicas.filter((r) => !this.preferredLeaders!.includes(r))]
      : this.#shuffled(s.replicas);
    const next = partitionChange({
      current: { leader: s.leader, isr: s.isr, elr: this.elr, lastKnownElr: this.lastKnownElr },
      replicas: order,
      targetIsr,
      election,
      elrEnabled: this.opts.elr ?? false,
      minIsr: Math.min(this.config.minInsyncReplicas, s.replicas.length),
      acceptable: (r) => r !== exclude && this.#registered.has(r),
      uncleanShutdown,
    });
    if (next.fromElr) {
      this.stats.elrElections++;
      this.note(`controller: ${next.leader} elected from the ELR [${this.elr}]`);
      const b = this.brokers[next.leader]!;
      // What KIP-966 promises: an ELR member holds everything committed (checked while its registered process runs).
      if (b.up && this.#registered.get(b.id) === b.incarnation)
        for (let o = 0; o < this.committed.length; o++)
          if (b.log.valueAt(o) !== this.committed[o])
            throw new Violation(`broker ${b.id} elected from the ELR lacks committed offset ${o}`);
    }
    const changed =
      next.leader !== s.leader ||
      next.isr.join() !== s.isr.join() ||
      next.elr.join() !== this.elr.join() ||
      next.lastKnownElr.join() !== this.lastKnownElr.join();
    this.elr = next.elr;
    this.lastKnownElr = next.lastKnownElr;
    // Any change, an ELR-only one too, is a new partition epoch (as a PartitionChangeRecord makes it).
    if (changed) this.#change({ leader: next.leader, isr: next.isr });
  }

  #election(): Election {
    return this.opts.uncleanElection ? 'unclean' : 'online';
  }

  #shuffled(xs: readonly number[]): number[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.sim.rnd() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  #elect(exclude: number): number {
    const pool = this.opts.electOutsideIsr ? this.state.replicas : this.state.isr;
    const candidates = pool.filter((r) => r !== exclude && this.#registered.has(r));
    if (candidates.length === 0) return -1;
    const preferred = this.preferredLeaders?.find((r) => candidates.includes(r));
    if (preferred !== undefined) return preferred;
    return candidates[Math.floor(this.sim.rnd() * candidates.length)]!;
  }

  #controllerRegister(id: number, inc: number, previous: number | null): void {
    const cur = this.#registered.get(id);
    if (cur !== undefined && cur !== inc) this.#fence(id);
    if (this.#registered.get(id) !== inc) {
      // A new incarnation that did not stop cleanly after its last registration may have lost records: it leaves
      // the ISR and the ELR (Kafka's handleBrokerUncleanShutdown).
      const last = this.#lastInc.get(id);
      if (this.opts.elr && last !== undefined && last !== inc && previous !== last && !this.opts.keepUncleanInElr) {
        this.stats.uncleanShutdownsSeen++;
        const s = this.state;
        if (s.isr.includes(id) || this.elr.includes(id))
          this.#decide(
            s.isr.filter((r) => r !== id),
            this.#election(),
            id,
            [id],
          );
      }
      this.#lastInc.set(id, inc);
      this.#registered.set(id, inc);
      this.#lastHeartbeat.set(id, this.sim.now);
      const s = this.state;
      if (!this.opts.electOutsideIsr) {
        if (s.leader < 0) this.#decide(s.isr, this.#election());
      } else if (s.leader < 0) {
        this.#change({ leader: id, isr: s.isr.includes(id) ? s.isr : [id] });
      }
    }
    const b = this.brokers[id]!;
    const state = this.state;
    this.send(CONTROLLER, id, () => {
      if (b.registered) return;
      b.registered = true;
      this.#applyState(b, state);
    });
  }

  #controllerHeartbeat(id: number, inc: number): void {
    const cur = this.#registered.get(id);
    if (cur === inc) this.#lastHeartbeat.set(id, this.sim.now);
    else if (cur === undefined) this.#controllerRegister(id, inc, this.brokers[id]!.previousInc);
  }

  #controllerAlterPartition(req: AlterPartitionRequest): AlterPartitionAnswer {
    const s = this.state;
    if (this.opts.acceptStaleAlterPartition) {
      this.#change({ isr: req.newIsr });
      return { error: ErrorCode.NONE, state: { ...this.state, leader: req.brokerId, leaderEpoch: req.leaderEpoch } };
    }
    if (req.leaderEpoch < s.leaderEpoch || req.brokerId !== s.leader) {
      this.stats.fencedAlterPartitions++;
      return { error: ErrorCode.FENCED_LEADER_EPOCH };
    }
    if (req.partitionEpoch !== s.partitionEpoch) return { error: ErrorCode.INVALID_UPDATE_VERSION };
    if (!req.newIsr.includes(s.leader)) return { error: ErrorCode.INVALID_REQUEST };
    if (req.newIsr.some((r) => !this.#registered.has(r))) return { error: ErrorCode.INELIGIBLE_REPLICA };
    for (const id of req.newIsr) if (!s.isr.includes(id)) this.brokers[id]!.damaged = false;
    if (this.opts.electOutsideIsr) this.#change({ isr: req.newIsr });
    else this.#decide(req.newIsr, 'none');
    return { error: ErrorCode.NONE, state: this.state };
  }

  // ---- invariants ----

  #commitValue(offset: number, value: number, where: string): void {
    const c = this.committed[offset];
    if (c === undefined) {
      if (offset > this.committed.length) throw new Violation(`gap in the committed log at ${offset} (${where})`);
      this.committed[offset] = value;
    } else if (c !== value) {
      throw new Violation(`offset ${offset} was committed as ${c}, ${where} has ${value} below its HW`);
    }
  }

  /** After every event: logs agree with what was ever below a HW (prefix property), leaders' HWs never move back,
   * the controller's epochs only grow, its leader is in the ISR (unless unclean election is switched on). */
  checkInvariants(): void {
    for (const b of this.brokers) {
      const replica = b.replica;
      if (!b.up || replica === null) continue;
      const hw = replica.highWatermark;
      if (hw > b.log.logEndOffset()) throw new Violation(`broker ${b.id}: HW ${hw} above its LEO`);
      let from = Math.min(this.#checkedUpTo.get(b.id) ?? 0, hw);
      for (; from < hw; from++) this.#commitValue(from, b.log.valueAt(from)!, `broker ${b.id}`);
      this.#checkedUpTo.set(b.id, hw);
      const epoch = replica.state?.leaderEpoch ?? -1;
      const seen = this.#epochSeen.get(b.id);
      if (seen !== undefined && seen.incarnation === b.incarnation && epoch < seen.epoch) {
        throw new Violation(`broker ${b.id} went back from leader epoch ${seen.epoch} to ${epoch}`);
      }
      if (epoch > this.state.leaderEpoch)
        throw new Violation(`broker ${b.id} has epoch ${epoch} the controller never made`);
      this.#epochSeen.set(b.id, { incarnation: b.incarnation, epoch });
      const role = replica.role;
      if (role.kind === 'leader') {
        const other = this.#leaderOfEpoch.get(role.leader.leaderEpoch);
        if (other !== undefined && other !== b.id) {
          throw new Violation(`brokers ${other} and ${b.id} both led epoch ${role.leader.leaderEpoch}`);
        }
        this.#leaderOfEpoch.set(role.leader.leaderEpoch, b.id);
        const prev = this.#leaderHw.get(role.leader) ?? 0;
        if (role.leader.highWatermark < prev) throw new Violation(`leader ${b.id}'s HW went back ${prev}→${hw}`);
        this.#leaderHw.set(role.leader, role.leader.highWatermark);
      }
    }
    const s = this.state;
    if (s.leaderEpoch < this.#controllerEpoch) throw new Violation('the controller leader epoch went back');
    this.#controllerEpoch = s.leaderEpoch;
    if (s.leader >= 0 && !s.isr.includes(s.leader)) throw new Violation(`leader ${s.leader} outside the ISR`);
  }

  /** After the calm period: a leader serves, every acknowledged value is in its log once at its offset, every ISR
   * member's log equals the leader's up to the HW. */
  finalCheck(): void {
    const s = this.state;
    if (s.leader < 0) throw new Violation('no leader after the calm period');
    const leader = this.brokers[s.leader]!;
    if (leader.replica?.role.kind !== 'leader') throw new Violation(`broker ${s.leader} does not act as leader`);
    const log = leader.log;
    const where = new Map<number, number>();
    for (let o = 0; o < log.logEndOffset(); o++) {
      const v = log.valueAt(o)!;
      if (where.has(v)) throw new Violation(`value ${v} at ${where.get(v)} and ${o}`);
      where.set(v, o);
    }
    for (const [v, o] of this.acked) {
      if (where.get(v) !== o)
        throw new Violation(`acknowledged value ${v} at ${o} is at ${where.get(v)} in the final log`);
    }
    for (let o = 0; o < this.committed.length; o++) {
      if (log.valueAt(o) !== this.committed[o]) throw new Violation(`committed offset ${o} changed`);
    }
    const hw = leader.replica.highWatermark;
    for (const id of s.isr) {
      const other = this.brokers[id]!.log;
      if (other.logEndOffset() < hw) throw new Violation(`ISR member ${id} ends at ${other.logEndOffset()}, HW ${hw}`);
      for (let o = 0; o < hw; o++) {
        if (other.valueAt(o) !== log.valueAt(o)) throw new Violation(`ISR member ${id} differs at ${o}`);
      }
    }
  }
}
