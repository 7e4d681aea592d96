// The cluster controller: one broker at a time, elected through the ephemeral /controller node with
// /controller_epoch bumped in the same multi. Everything it does runs on one event queue: store events (a broker's
// registration appearing or going, the /controller node going) and requests (create topics, controlled shutdown,
// ...) become ControllerEvents, decisions.ts turns each into records against the current image, and the records are
// appended to the metadata log in the store, every append a multi conditional on /controller_epoch's version
// (KAFKA-6082): a controller that lost its session and has not yet heard of it can never change anything.
// The controller's image is its broker's MetadataFollower's: it writes, then catches up like every broker.
import { CoordinationError, type CoordinationSession, type Op } from '../cluster/coordination/store.ts';
import { type ControllerDefaults, newUuid } from '../metadata/controller.ts';
import type { Logger } from '../util/log.ts';
import {
  ADMIN_PATHS,
  type AdminRequest,
  adminEvent,
  decideAdmin,
  decodeAdminRequest,
  deleteAbandonedAnswers,
  encodeAdmin,
  ensureAdminLayout,
  REQUEST_PREFIX,
} from './admin-queue.ts';
import {
  type ControllerEvent,
  type ControllerSettings,
  type Decision,
  decide,
  type TopicToCreate,
} from './decisions.ts';
import { decodeRegistration } from './registration.ts';
import type { SessionKeeper } from './session-keeper.ts';
import {
  BATCH_PREFIX,
  DEFAULT_MAX_BATCH_BYTES,
  encodeBatchNode,
  ensureLayout,
  type MetadataFollower,
  PATHS,
  splitBatches,
  writeSnapshot,
} from './store-log.ts';

export class NotControllerError extends Error {
  override name = 'NotControllerError';
}

export interface ClusterControllerOptions {
  readonly brokerId: number;
  readonly keeper: SessionKeeper;
  readonly follower: MetadataFollower;
  readonly settings: ControllerSettings;
  /** Placement offsets (default Math.random). */
  readonly random?: () => number;
  readonly newTopicId?: () => string;
  readonly maxBatchBytes?: number;
  /** A snapshot is written after this many records since the last one (default 10,000). */
  readonly snapshotEveryRecords?: number;
  readonly onError?: (e: unknown) => void;
  /** Called when this broker becomes the active controller (after it caught up with the log). */
  readonly onActivate?: (epoch: number) => void;
  readonly onResign?: (epoch: number, why: string) => void;
  /** The automatic rebalance moved these partitions' leadership back to their preferred replicas. */
  readonly onRebalance?: (partitions: string[]) => void;
  /** Topic and config requests from brokers (admin-queue.ts) are decided with these (the broker's defaults and
   * topic config validation); without them the controller does not serve the queue. */
  readonly admin?: { readonly defaults: ControllerDefaults; readonly logger: Logger };
  /** auto.leader.rebalance.enable: every `intervalMs` (leader.imbalance.check.interval.seconds) the active
   * controller moves leadership back to preferred replicas of brokers whose imbalance is above `imbalancePercentage`
   * (leader.imbalance.per.broker.percentage). Absent: no automatic rebalance. */
  readonly leaderRebalance?: { readonly intervalMs: number; readonly imbalancePercentage: number };
  /** Wall clock for the answers' timestamps (default Date.now). */
  readonly now?: () => number;
  /** TEST ONLY: appends are not conditional on /controller_epoch, so a zombie controller's writes land. The
   * simulation turns this on to show its checker catches what the fence prevents. */
  readonly unsafeSkipEpochCheck?: boolean;
}

const text = (d: Uint8Array) => new TextDecoder().decode(d);
const bytes = (s: string) => new TextEncoder().encode(s);

export class ClusterController {
  readonly brokerId: number;
  readonly #o: ClusterControllerOptions;
  readonly #keeper: SessionKeeper;
  readonly #follower: MetadataFollower;
  #active = false;
  #epoch = -1;
  #epochVersion = -1;
  /** Bumped on every resignation: queued work of an earlier term is dropped. */
  #term = 0;
  #stopped = false;
  #recordsSinceSnapshot = 0;
  #rebalanceTimer: NodeJS.Timeout | undefined;
  readonly #queue: Array<{ term: number | null; run: () => Promise<void>; drop?: (e: unknown) => void }> = [];
  #draining = false;

  constructor(o: ClusterControllerOptions) {
    this.#o = o;
    this.brokerId = o.brokerId;
    this.#keeper = o.keeper;
    this.#follower = o.follower;
    o.keeper.listen({
      expired: () => {
        this.#resign('session expired');
        this.#enqueue(null, () => this.#elect());
      },
      newSession: () => this.#enqueue(null, () => this.#elect()),
      connection: (state) => {
        if (state === 'connected') this.#enqueue(null, () => this.#elect());
      },
    });
  }

  get active(): boolean {
    return this.#active;
  }
  get epoch(): number {
    return this.#epoch;
  }

  start(): void {
    this.#enqueue(null, () => this.#elect());
  }

  stop(): void {
    this.#stopped = true;
    this.#resign('stopped');
  }

  /** Runs `event` as the active controller: decides against the image, appends the records, resolves with the
   * decision once the records are in the log (and this broker's image). */
  submit(event: ControllerEvent): Promise<Decision> {
    if (!this.#active) return Promise.reject(new NotControllerError(`broker ${this.brokerId} is not the controller`));
    const term = this.#term;
    return new Promise((resolve, reject) => {
      this.#enqueue(
        term,
        async () => {
          try {
            resolve(await this.#apply(event, term));
          } catch (e) {
            reject(e);
            throw e;
          }
        },
        reject, // dropped with its term: the caller hears it is not the controller
      );
    });
  }

  createTopics(topics: ReadonlyArray<Omit<TopicToCreate, 'topicId'>>): Promise<Decision> {
    const rnd = this.#o.random ?? Math.random;
    const newId = this.#o.newTopicId ?? newUuid;
    return this.submit({
      type: 'createTopics',
      topics: topics.map((t) => ({ ...t, topicId: newId() })),
      startIndex: Math.floor(rnd() * 1_000_000),
      replicaShift: Math.floor(rnd() * 1_000_000),
    });
  }

  // ---- queue ----

  #enqueue(term: number | null, run: () => Promise<void>, drop?: (e: unknown) => void): void {
    if (this.#stopped) {
      drop?.(new NotControllerError('controller stopped'));
      return;
    }
    this.#queue.push({ term, run, drop });
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const item = this.#queue.shift()!;
        if (item.term !== null && item.term !== this.#term) {
          item.drop?.(new NotControllerError('controller resigned'));
          continue;
        }
        try {
          await item.run();
        } catch (e) {
          this.#failed(e);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #failed(e: unknown): void {
    if (e instanceof NotControllerError) return;
    this.#o.onError?.(e);
    if (this.#active) {
      // A failed write leaves us unsure what the log holds (or sure we lost the epoch): start over.
      this.#resign(e instanceof CoordinationError ? e.code : String(e));
      this.#enqueue(null, () => this.#elect());
    }
  }

  #resign(why: string): void {
    this.#term++;
    clearInterval(this.#rebalanceTimer);
    this.#rebalanceTimer = undefined;
    if (!this.#active) return;
    this.#active = false;
    this.#o.onResign?.(this.#epoch, why);
  }

  #run<T>(fn: (s: CoordinationSession) => Promise<T>): Promise<T> {
    return this.#keeper.run(fn);
  }

  // ---- election ----

  async #elect(): Promise<void> {
    if (this.#active || this.#stopped) return;
    const watch = () => this.#enqueue(null, () => this.#elect());
    try {
      await this.#run((s) => ensureLayout(s));
      try {
        if (!(await this.#run((s) => s.exists(PATHS.controllerEpoch))))
          await this.#run((s) => s.create(PATHS.controllerEpoch, bytes('0'), 'persistent'));
      } catch (e) {
        if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
      }
      const held = await this.#run((s) => s.exists(PATHS.controller, watch));
      if (held) {
        if (held.ephemeralOwner !== this.#keeper.session.sessionId) return; // another controller: wait for the watch
        // Ours (a write failed and we are taking stock): the epoch is the one we wrote.
        const mine = JSON.parse(text((await this.#run((s) => s.getData(PATHS.controller))).data)) as { epoch: number };
        const cur = await this.#run((s) => s.getData(PATHS.controllerEpoch));
        if (Number(text(cur.data)) !== mine.epoch) return;
        await this.#activate(mine.epoch, cur.stat.version);
        return;
      }
      const cur = await this.#run((s) => s.getData(PATHS.controllerEpoch));
      const epoch = Number(text(cur.data)) + 1;
      let res: Awaited<ReturnType<CoordinationSession['multi']>>;
      try {
        res = await this.#run((s) =>
          s.multi([
            {
              op: 'create',
              path: PATHS.controller,
              data: bytes(JSON.stringify({ version: 1, brokerid: this.brokerId, epoch })),
              mode: 'ephemeral',
            },
            { op: 'setData', path: PATHS.controllerEpoch, data: bytes(String(epoch)), version: cur.stat.version },
          ]),
        );
      } catch (e) {
        if (e instanceof CoordinationError && (e.code === 'NODE_EXISTS' || e.code === 'BAD_VERSION')) {
          const again = await this.#run((s) => s.exists(PATHS.controller, watch));
          if (!again) watch();
          return;
        }
        throw e;
      }
      await this.#activate(epoch, (res[1] as { stat: { version: number } }).stat.version);
    } catch (e) {
      // CONNECTION_LOSS and the like: the session listener enqueues another attempt when the store is back.
      this.#o.onError?.(e);
    }
  }

  async #activate(epoch: number, epochVersion: number): Promise<void> {
    this.#term++;
    const term = this.#term;
    this.#active = true;
    this.#epoch = epoch;
    this.#epochVersion = epochVersion;
    try {
      await this.#follower.catchUp();
      if (this.#term !== term) return;
      this.#o.onActivate?.(epoch);
      this.#startRebalanceTimer(term);
      await this.#reconcileBrokers(term);
      if (this.#o.admin) {
        await this.#serveAdmin(term);
        await this.#run((s) => deleteAbandonedAnswers(s, (this.#o.now ?? Date.now)()));
      }
    } catch (e) {
      this.#failed(e);
    }
  }

  // ---- automatic leader rebalance ----

  #startRebalanceTimer(term: number): void {
    const r = this.#o.leaderRebalance;
    clearInterval(this.#rebalanceTimer);
    if (!r) return;
    this.#rebalanceTimer = setInterval(() => {
      this.#enqueue(term, async () => {
        const d = await this.#apply({ type: 'rebalanceLeaders', imbalancePercentage: r.imbalancePercentage }, term);
        if (d.elections && d.elections.length > 0)
          this.#o.onRebalance?.(d.elections.map((e) => `${e.topic}-${e.partition}`));
      });
    }, r.intervalMs);
    this.#rebalanceTimer.unref();
  }

  // ---- store events ----

  async #reconcileBrokers(term: number): Promise<void> {
    this.#checkTerm(term);
    const ids = await this.#run((s) =>
      s.getChildren(PATHS.brokerIds, () => this.#enqueue(term, () => this.#reconcileBrokers(term))),
    );
    const live = new Map<number, { epoch: bigint; data: Uint8Array }>();
    for (const id of ids) {
      try {
        const { data, stat } = await this.#run((s) => s.getData(`${PATHS.brokerIds}/${id}`));
        live.set(Number(id), { epoch: stat.czxid, data });
      } catch (e) {
        if (!(e instanceof CoordinationError && e.code === 'NO_NODE')) throw e;
      }
    }
    const events: ControllerEvent[] = [];
    const image = this.#follower.image;
    for (const b of image.brokers.values()) {
      const l = live.get(b.nodeId);
      if (!b.fenced && (!l || l.epoch < b.epoch))
        events.push({ type: 'brokerGone', brokerId: b.nodeId, epoch: b.epoch });
    }
    for (const [id, l] of [...live].sort((a, b) => a[0] - b[0])) {
      const b = image.brokers.get(id);
      if (b && b.epoch >= l.epoch) continue;
      const reg = decodeRegistration(l.data);
      events.push({
        type: 'brokerRegistered',
        brokerId: id,
        epoch: l.epoch,
        incarnationId: reg.incarnationId,
        endpoints: reg.endpoints,
        rack: reg.rack,
        previousBrokerEpoch: /^\d+$/.test(reg.previousBrokerEpoch ?? '') ? BigInt(reg.previousBrokerEpoch!) : -1n,
      });
    }
    for (const e of events) await this.#apply(e, term);
  }

  // ---- admin requests from brokers ----

  async #serveAdmin(term: number): Promise<void> {
    this.#checkTerm(term);
    await this.#run((s) => ensureAdminLayout(s));
    const children = await this.#run((s) =>
      s.getChildren(ADMIN_PATHS.requests, () => this.#enqueue(term, () => this.#serveAdmin(term))),
    );
    const pending = children.filter((c) => c.startsWith(REQUEST_PREFIX)).sort();
    for (const name of pending) {
      this.#checkTerm(term);
      const path = `${ADMIN_PATHS.requests}/${name}`;
      let req: AdminRequest;
      try {
        req = decodeAdminRequest((await this.#run((s) => s.getData(path))).data);
      } catch (e) {
        if (e instanceof CoordinationError && e.code === 'NO_NODE') continue; // withdrawn
        throw e;
      }
      const image = this.#follower.image;
      let records: Decision['records'];
      let result: unknown;
      const event = adminEvent(req);
      if (event) {
        const d = decide(image, event, this.#o.settings);
        records = d.records;
        result = {
          producerIds: d.producerIds,
          remainingLeaders: d.remainingLeaders,
          elections: d.elections,
          reassignments: d.reassignments,
          errorCode: d.errorCode ?? 0,
        };
      } else ({ records, result } = decideAdmin(image, req, this.#o.admin!.defaults, this.#o.admin!.logger));
      const offset = image.offset + records.length;
      // The answer and the request's removal go in the multi of the last batch: answered exactly once.
      const done: Op[] = [
        {
          op: 'create',
          path: `${ADMIN_PATHS.responses}/${name}`,
          data: encodeAdmin({ offset, result, answeredAt: (this.#o.now ?? Date.now)() }),
          mode: 'persistent',
        },
        { op: 'delete', path, version: -1 },
      ];
      await this.#write({ records }, term, done);
    }
  }

  // ---- decisions and writes ----

  #checkTerm(term: number): void {
    if (!this.#active || term !== this.#term) throw new NotControllerError('controller resigned');
  }

  async #apply(event: ControllerEvent, term: number): Promise<Decision> {
    this.#checkTerm(term);
    const d = decide(this.#follower.image, event, this.#o.settings);
    if (d.records.length > 0) await this.#write(d, term);
    return d;
  }

  #fence(): Op[] {
    return this.#o.unsafeSkipEpochCheck
      ? []
      : [{ op: 'check', path: PATHS.controllerEpoch, version: this.#epochVersion }];
  }

  /** Appends the decision's records; `andThen` joins the multi of the last batch (or a fenced multi of its own). */
  async #write(d: Pick<Decision, 'records'>, term: number, andThen: Op[] = []): Promise<void> {
    let base = this.#follower.image.offset + 1;
    const epoch = this.#epoch;
    const batches = splitBatches(d.records, this.#o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
    if (batches.length === 0) {
      this.#checkTerm(term);
      if (andThen.length > 0) await this.#run((s) => s.multi([...this.#fence(), ...andThen]));
      return;
    }
    for (const [i, batch] of batches.entries()) {
      // Stop acting at once on what we know is stale; the fence covers what we do not know yet.
      this.#checkTerm(term);
      const data = encodeBatchNode({ controllerEpoch: epoch, baseOffset: base }, batch);
      await this.#run((s) =>
        s.multi([
          ...this.#fence(),
          { op: 'create', path: `${PATHS.log}/${BATCH_PREFIX}`, data, mode: 'persistent_sequential' },
          ...(i === batches.length - 1 ? andThen : []),
        ]),
      );
      base += batch.length;
    }
    await this.#follower.catchUp();
    this.#recordsSinceSnapshot += d.records.length;
    if (this.#recordsSinceSnapshot >= (this.#o.snapshotEveryRecords ?? 10_000)) {
      this.#checkTerm(term);
      this.#recordsSinceSnapshot = 0;
      await writeSnapshot(
        { session: () => this.#keeper.session, fence: () => this.#fence() },
        this.#follower.image,
        this.#follower.lastSeq,
        this.#o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      );
    }
  }
}
