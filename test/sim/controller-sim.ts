// One seeded run of the cluster controller over the in-memory store: four brokers, each a controller candidate,
// with crashes, session expiries, paused ("zombie") owners, disconnections, controlled shutdowns, delayed and
// reordered watch deliveries and requests in flight, while admin requests (create topics and partitions,
// preferred elections, producer id blocks) go to whoever is the active controller. The checker sees every commit
// and every node after every step; at the end of a calm period the cluster must have settled.
import type { Schedule } from '../../src/cluster/coordination/memory.ts';
import { MemoryCoordinationStore } from '../../src/cluster/coordination/memory.ts';
import { CoordinationError } from '../../src/cluster/coordination/store.ts';
import { ClusterController } from '../../src/controller/controller.ts';
import { BrokerRegistration } from '../../src/controller/registration.ts';
import { SessionKeeper } from '../../src/controller/session-keeper.ts';
import { MetadataFollower, PATHS } from '../../src/controller/store-log.ts';
import { ClusterChecker } from './controller-checks.ts';
import { Sim } from './harness.ts';

const SESSION_MS = 1000;
const BROKERS = 4;

export interface ControllerSimOptions {
  /** TEST ONLY switch passed to every controller: writes not fenced by /controller_epoch. */
  readonly unsafeSkipEpochCheck?: boolean;
  readonly durationMs?: number;
  readonly calmMs?: number;
  /** Chance a chaos step pauses a broker (default 0.15). */
  readonly pauseChance?: number;
}

export interface ControllerSimResult {
  readonly violations: string[];
  readonly elections: number;
  readonly logEnd: number;
  readonly partitions: number;
  /** Writes the /controller_epoch fence refused (zombie controllers caught). */
  readonly fencedWrites: number;
  readonly snapshots: number;
  readonly deletedLogNodes: number;
  /** Leaders elected from the ELR (KIP-966). */
  readonly elrElections: number;
}

interface SimNode {
  readonly id: number;
  alive: boolean;
  paused: boolean;
  incarnation: number;
  /** The registration epoch it left by a clean (controlled) shutdown, else null: KIP-966's previous broker epoch. */
  cleanEpoch: bigint | null;
  keeper?: SessionKeeper;
  follower?: MetadataFollower;
  registration?: BrokerRegistration;
  controller?: ClusterController;
}

function topicId(n: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(n, 12);
  b[0] = 0x40;
  return b.toString('base64url');
}

const ignore = () => {};

export async function runControllerSim(seed: number, opts: ControllerSimOptions = {}): Promise<ControllerSimResult> {
  const sim = new Sim(seed);
  const checker = new ClusterChecker(() => sim.now);
  const schedule: Schedule = (delayMs, fn) => {
    let live = true;
    sim.at(sim.now + delayMs, () => {
      if (live) fn();
    });
    return () => {
      live = false;
    };
  };
  const store = new MemoryCoordinationStore({
    now: () => sim.now,
    schedule,
    deliveryDelayMs: () => (sim.faults ? Math.floor(sim.rnd() * 40) : 1),
    requestDelayMs: () => (sim.faults ? 1 + Math.floor(sim.rnd() * 8) : 1),
    onCommit: checker.onCommit,
  });
  const nodes: SimNode[] = Array.from({ length: BROKERS }, (_, i) => ({
    id: i + 1,
    alive: false,
    paused: false,
    incarnation: 0,
    cleanEpoch: null,
  }));
  let topics = 0;
  let fenced = 0;
  const settings = { defaultPartitions: 2, defaultReplicationFactor: 2, uncleanLeaderElection: false };

  const start = (n: SimNode) => {
    const previous = n.cleanEpoch;
    n.cleanEpoch = null; // the next stop is unclean unless it is a controlled shutdown
    n.alive = true;
    n.paused = false;
    const inc = ++n.incarnation;
    const live = () => n.alive && n.incarnation === inc;
    // The process's own threads (Kafka's controller event thread hearing of the session): later, and not while
    // the process is paused.
    const defer = (fn: () => void) => {
      const go = () => {
        if (!live()) return;
        if (n.paused) sim.at(sim.now + 10, go);
        else fn();
      };
      sim.at(sim.now + (sim.faults ? Math.floor(sim.rnd() * 50) : 1), go);
    };
    const keeper = new SessionKeeper(store, { sessionTimeoutMs: SESSION_MS }, defer);
    n.keeper = keeper;
    void (async () => {
      await keeper.start();
      if (!live()) return;
      const follower = new MetadataFollower(keeper, 'sim', (e) => {
        if (process.env.SIM_DEBUG) console.log(sim.now, `broker ${n.id} follower`, String(e));
      });
      follower.onBatchApplied = (path, base) => checker.onApplied(n.id, path, base);
      const registration = new BrokerRegistration(
        keeper,
        n.id,
        {
          endpoints: [{ name: 'PLAINTEXT', host: `broker${n.id}`, port: 9092, securityProtocol: 'PLAINTEXT' }],
          rack: n.id % 2 === 1 ? 'rack-a' : 'rack-b',
          incarnationId: topicId(1000 * n.id + inc),
          ...(previous !== null ? { previousBrokerEpoch: String(previous) } : {}),
        },
        ignore,
      );
      const controller = new ClusterController({
        brokerId: n.id,
        keeper,
        follower,
        settings,
        random: sim.rnd,
        newTopicId: () => topicId(++topics),
        maxBatchBytes: 1024,
        snapshotEveryRecords: 60,
        onActivate: (epoch) => {
          if (process.env.SIM_DEBUG) console.log(sim.now, `broker ${n.id} active in epoch ${epoch}`);
          checker.onActivate(n.id, epoch);
        },
        onError: (e) => {
          // A write refused by the fence: this controller had lost its epoch without knowing yet.
          if (e instanceof CoordinationError && e.code === 'BAD_VERSION' && e.path === PATHS.controllerEpoch) fenced++;
        },
        onResign: (epoch, why) => {
          if (process.env.SIM_DEBUG) console.log(sim.now, `broker ${n.id} resigns epoch ${epoch}: ${why}`);
        },
        unsafeSkipEpochCheck: opts.unsafeSkipEpochCheck,
      });
      n.follower = follower;
      n.registration = registration;
      n.controller = controller;
      await follower.catchUp().catch(follower.onError);
      if (!live()) return;
      await registration.register().catch(ignore);
      if (!live()) return;
      controller.start();
    })();
  };

  const halt = (n: SimNode) => {
    n.alive = false;
    n.controller?.stop();
    n.follower?.stop();
    n.registration?.stop();
  };
  /** kill -9: the process is gone; its session lives until its timeout. */
  const crash = (n: SimNode) => {
    halt(n);
    if (n.keeper) store.pauseSession(n.keeper.session.sessionId);
  };
  const sessionOf = (n: SimNode) => n.keeper?.session.sessionId;
  const active = () => nodes.find((n) => n.alive && !n.paused && n.controller?.active);

  const chaos = () => {
    if (!sim.faults) return;
    const n = nodes[Math.floor(sim.rnd() * nodes.length)]!;
    const x = sim.rnd();
    const pause = opts.pauseChance ?? 0.15;
    if (!n.alive) start(n);
    else if (n.paused || sessionOf(n) === undefined) {
      // busy already
    } else if (x < 0.1) crash(n);
    else if (x < 0.22) store.expireSession(sessionOf(n)!);
    else if (x < 0.22 + pause) {
      const sid = sessionOf(n)!;
      const inc = n.incarnation;
      n.paused = true;
      store.pauseSession(sid);
      sim.at(sim.now + 300 + Math.floor(sim.rnd() * 2500), () => {
        if (n.incarnation !== inc || !n.paused) return;
        n.paused = false;
        store.resumeSession(sid);
      });
    } else if (x < 0.34 + pause) {
      const sid = sessionOf(n)!;
      store.disconnectSession(sid);
      sim.at(sim.now + 100 + Math.floor(sim.rnd() * 1500), () => store.reconnectSession(sid));
    } else if (x < 0.42 + pause) {
      // Controlled shutdown: leaderships move away first, then the broker closes its session and stops.
      const c = active();
      const epoch = n.registration?.epoch;
      const inc = n.incarnation;
      const stop = () => {
        if (n.incarnation !== inc || !n.alive) return;
        n.cleanEpoch = n.registration?.epoch ?? null;
        halt(n);
        void n.keeper?.close();
        if (!sim.faults) start(n); // the calm period began meanwhile: everyone runs again
      };
      if (c && epoch !== null && epoch !== undefined)
        c.controller!.submit({ type: 'controlledShutdown', brokerId: n.id, epoch }).then(stop, stop);
      else stop();
    }
    sim.at(sim.now + 200 + Math.floor(sim.rnd() * 800), chaos);
  };

  const admin = () => {
    if (!sim.faults) return;
    const c = active();
    if (c) {
      const ctl = c.controller!;
      const x = sim.rnd();
      const img = c.follower!.image;
      const names = [...img.topics.keys()];
      let p: Promise<unknown>;
      if (x < 0.45 || names.length === 0)
        p = ctl.createTopics([
          {
            name: `t${Math.floor(sim.rnd() * 40)}`,
            numPartitions: 1 + Math.floor(sim.rnd() * 3),
            replicationFactor: 1 + Math.floor(sim.rnd() * 3),
            assignments: null,
            // Some topics with min.insync.replicas 2, where ELR (KIP-966) keeps replicas that left a small ISR.
            configs: sim.rnd() < 0.5 ? { 'min.insync.replicas': '2' } : {},
          },
        ]);
      else if (x < 0.6) {
        const t = img.topics.get(names[Math.floor(sim.rnd() * names.length)]!)!;
        p = ctl.submit({
          type: 'createPartitions',
          topic: t.name,
          count: t.partitions.length + 1,
          assignments: null,
          startIndex: Math.floor(sim.rnd() * 100),
          replicaShift: Math.floor(sim.rnd() * 100),
        });
      } else if (x < 0.65)
        p = ctl.submit({
          type: 'electLeaders',
          electionType: sim.rnd() < 0.5 ? 'preferred' : 'unclean',
          partitions: null,
        });
      else if (x < 0.7) p = ctl.submit({ type: 'rebalanceLeaders', imbalancePercentage: 10 });
      else if (x < 0.8) {
        // Reassign (or cancel) a partition: a target of 1-3 of the brokers ever registered.
        const t = img.topics.get(names[Math.floor(sim.rnd() * names.length)]!)!;
        const ids = [...img.brokers.keys()].sort((a, b) => a - b);
        const target = ids.filter(() => sim.rnd() < 0.6).slice(0, 3);
        p = ctl.submit({
          type: 'alterReassignments',
          partitions: [
            {
              topic: t.name,
              partition: Math.floor(sim.rnd() * t.partitions.length),
              replicas: sim.rnd() < 0.3 || target.length === 0 ? null : target,
            },
          ],
        });
      } else {
        const b = [...img.brokers.values()].find((x) => !x.fenced);
        p = b
          ? ctl.submit({ type: 'allocateProducerIds', brokerId: b.nodeId, brokerEpoch: b.epoch, blockSize: 1000 })
          : Promise.resolve();
      }
      p.catch(ignore);
    }
    sim.at(sim.now + 100 + Math.floor(sim.rnd() * 400), admin);
  };

  const duration = opts.durationMs ?? 7_000;
  const calm = opts.calmMs ?? 4_000;
  for (const n of nodes) sim.at(Math.floor(sim.rnd() * 500), () => start(n));
  sim.at(1500, chaos);
  sim.at(1000, admin);
  sim.at(duration, () => {
    sim.faults = false;
    for (const n of nodes) {
      if (n.paused) {
        n.paused = false;
        store.resumeSession(sessionOf(n)!);
      }
      const sid = sessionOf(n);
      if (n.alive && sid !== undefined) store.reconnectSession(sid);
      if (!n.alive) start(n);
    }
  });
  const views = () =>
    nodes
      .filter((n) => n.alive && n.follower)
      .map((n) => ({
        id: n.id,
        activeEpoch: n.controller?.active ? n.controller.epoch : null,
        imageOffset: n.follower!.image.offset,
        refused: n.follower!.refused.length,
      }));
  await sim.runAsync(duration + calm, () => checker.checkNodes(views()));

  // Settled: one active controller in the current epoch, every image at the log end, every broker registered and
  // unfenced in its current registration, every partition led.
  const epochNow = Number(new TextDecoder().decode(store.peek(PATHS.controllerEpoch)?.data ?? new Uint8Array()));
  const actives = nodes.filter((n) => n.alive && n.controller?.active);
  if (actives.length !== 1 || actives[0]!.controller!.epoch !== epochNow)
    checker.violations.push(
      `end: active controllers ${actives.map((n) => `${n.id}@${n.controller!.epoch}`)} in epoch ${epochNow}`,
    );
  for (const n of nodes) {
    if (n.follower && n.follower.image.offset !== checker.truth.offset)
      checker.violations.push(
        `end: broker ${n.id} image at ${n.follower.image.offset}, log end ${checker.truth.offset}`,
      );
    const reg = store.peek(`${PATHS.brokerIds}/${n.id}`);
    const b = checker.truth.brokers.get(n.id);
    if (!reg || !b || b.fenced || b.epoch !== reg.stat.czxid)
      checker.violations.push(
        `end: broker ${n.id} registered ${reg?.stat.czxid}, image ${b?.epoch} fenced ${b?.fenced}`,
      );
  }
  let partitions = 0;
  for (const t of checker.truth.topics.values())
    for (const p of t.partitions) {
      partitions++;
      if (p.leader === -1) checker.violations.push(`end: ${t.name}-${p.partition} has no leader (ISR [${p.isr}])`);
    }
  for (const n of nodes) halt(n);
  return {
    violations: checker.violations,
    elections: checker.elections,
    logEnd: checker.truth.offset,
    partitions,
    fencedWrites: fenced,
    snapshots: checker.snapshots,
    deletedLogNodes: checker.deletedLogNodes,
    elrElections: checker.elrElections,
  };
}
