// Seeded simulation of the transaction coordinator with delayed and reordered Produce requests, client-side
// timeouts (abort without waiting for in-flight writes) and coordinator-side transaction timeouts: the KAFKA-17754
// scenario. With transaction version 2 (the epoch is bumped at every EndTxn) no write may land in the wrong
// transaction: every data record must be closed by the marker of the transaction that wrote it, and every write a
// client saw acknowledged in a committed transaction must be visible to read_committed readers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ProducerBatch, ProducerStateManager } from '../../src/broker/producer-state.ts';
import { type MarkerRequest, TxnStateMachine } from '../../src/coordinator/transaction/state.ts';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Entry =
  | { kind: 'data'; pid: number; epoch: number; client: number; txn: number; id: number }
  | { kind: 'marker'; pid: number; epoch: number; commit: boolean };

interface PartitionModel {
  state: ProducerStateManager;
  log: Entry[];
}

interface ProduceMsg {
  client: number;
  partition: number;
  pid: number;
  epoch: number;
  seq: number;
  txn: number;
  id: number;
  deliverAt: number;
}

interface Client {
  txnId: string;
  pid: number;
  epoch: number;
  txn: number;
  phase: 'idle' | 'open';
  partitions: number[];
  seqs: Map<number, number>;
  inFlight: number;
  acked: number[];
  failed: boolean;
  sent: number;
}

const PARTITIONS = 4;
const TIMEOUT_MS = 200;

function simulate(seed: number, steps: number, tv2: boolean) {
  const r = rng(seed);
  let now = 0;
  let nextPid = 1000;
  const machine = new TxnStateMachine(() => nextPid++);
  const parts: PartitionModel[] = Array.from({ length: PARTITIONS }, () => ({
    state: new ProducerStateManager(),
    log: [],
  }));
  /** (pid, marker epoch) → the client transaction it ended and its outcome. */
  const markerOwner = new Map<string, { client: number; txn: number; commit: boolean }>();
  /** Acknowledged writes of transactions the client committed successfully. */
  const committedAcked: Array<{ client: number; txn: number; id: number }> = [];
  const network: ProduceMsg[] = [];
  let nextId = 0;

  const clients: Client[] = [0, 1].map((i) => ({
    txnId: `sim-${i}`,
    pid: -1,
    epoch: -1,
    txn: 0,
    phase: 'idle',
    partitions: [],
    seqs: new Map(),
    inFlight: 0,
    acked: [],
    failed: false,
    sent: 0,
  }));

  const writeMarkers = (m: MarkerRequest, owner: { client: number; txn: number }) => {
    markerOwner.set(`${m.producerId}:${m.producerEpoch}`, { ...owner, commit: m.commit });
    for (const tp of m.partitions) {
      const p = parts[tp.partition]!;
      const batch: ProducerBatch = {
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        baseSequence: -1,
        offsetCount: 1,
        maxTimestamp: now,
        isTransactional: true,
        isControl: true,
      };
      const plan = p.state.prepare([batch], p.log.length, 'coordinator', () => ({
        abort: !m.commit,
        coordinatorEpoch: 0,
        transactionVersion: m.transactionVersion,
      }));
      p.state.commit(plan, () => 0);
      p.log.push({ kind: 'marker', pid: m.producerId, epoch: m.producerEpoch, commit: m.commit });
    }
  };

  const run = (c: number, res: ReturnType<TxnStateMachine['endTxn']>) => {
    if (res.prepare) machine.apply(res.prepare);
    if (res.markers) writeMarkers(res.markers, { client: c, txn: clients[c]!.txn });
    if (res.complete) machine.apply(res.complete);
    return res;
  };

  const init = (c: number) => {
    const cl = clients[c]!;
    const res = run(c, machine.initProducerId(cl.txnId, TIMEOUT_MS, 900_000, cl.pid, cl.epoch, now));
    if (res.errorCode !== ErrorCode.NONE) {
      // Fenced or unknown mapping: start over as a new instance.
      const fresh = run(c, machine.initProducerId(cl.txnId, TIMEOUT_MS, 900_000, -1, -1, now));
      assert.equal(fresh.errorCode, ErrorCode.NONE);
      cl.pid = fresh.producerId;
      cl.epoch = fresh.producerEpoch;
    } else {
      cl.pid = res.producerId;
      cl.epoch = res.producerEpoch;
    }
    cl.phase = 'idle';
    cl.txn++;
    cl.seqs.clear();
  };

  const deliver = (m: ProduceMsg) => {
    const p = parts[m.partition]!;
    const cl = clients[m.client]!;
    let code: number = ErrorCode.NONE;
    try {
      if ((p.state.get(m.pid)?.currentTxnFirstOffset ?? -1) < 0) {
        code = machine.verify(undefined, m.pid, m.epoch, { topic: 't', partition: m.partition });
        if (code !== ErrorCode.NONE) throw new KafkaError(code);
      }
      const batch: ProducerBatch = {
        producerId: m.pid,
        producerEpoch: m.epoch,
        baseSequence: m.seq,
        offsetCount: 1,
        maxTimestamp: now,
        isTransactional: true,
        isControl: false,
      };
      const plan = p.state.prepare([batch], p.log.length, 'client');
      if (!plan.duplicate) {
        p.state.commit(plan, () => 0);
        p.log.push({ kind: 'data', pid: m.pid, epoch: m.epoch, client: m.client, txn: m.txn, id: m.id });
      }
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      code = e.code;
    }
    // The response reaches the client only if it still waits for this transaction.
    if (cl.txn === m.txn && cl.phase === 'open') {
      cl.inFlight--;
      if (code === ErrorCode.NONE) cl.acked.push(m.id);
      else cl.failed = true;
    }
  };

  const step = (c: number) => {
    const cl = clients[c]!;
    if (cl.pid < 0) return init(c);
    if (cl.phase === 'idle') {
      const n = 1 + Math.floor(r() * PARTITIONS);
      cl.partitions = [...new Set(Array.from({ length: n }, () => Math.floor(r() * PARTITIONS)))];
      const res = run(
        c,
        machine.addPartitions(
          cl.txnId,
          cl.pid,
          cl.epoch,
          cl.partitions.map((partition) => ({ topic: 't', partition })),
          now,
          tv2 ? 2 : 0,
        ),
      );
      if (res.errorCode !== ErrorCode.NONE) return init(c);
      cl.phase = 'open';
      cl.acked = [];
      cl.failed = false;
      cl.inFlight = 0;
      cl.sent = 0;
      return;
    }
    const wantMore = cl.sent < 6 && r() < 0.7;
    if (wantMore) {
      const partition = cl.partitions[Math.floor(r() * cl.partitions.length)]!;
      const seq = cl.seqs.get(partition) ?? 0;
      cl.seqs.set(partition, seq + 1);
      // Most requests arrive soon; some are delayed far beyond the transaction (the delayed-write scenario).
      const delay = r() < 0.15 ? 50 + Math.floor(r() * 1000) : Math.floor(r() * 5);
      network.push({
        client: c,
        partition,
        pid: cl.pid,
        epoch: cl.epoch,
        seq,
        txn: cl.txn,
        id: nextId++,
        deliverAt: now + delay,
      });
      cl.inFlight++;
      cl.sent++;
      return;
    }
    // End the transaction: commit only when every write was acknowledged; a client that gives up waiting
    // (timeout) aborts with writes still in flight.
    const allAcked = cl.inFlight === 0 && !cl.failed;
    const giveUp = r() < 0.2;
    if (!allAcked && !giveUp) return;
    const commit = allAcked && r() < 0.7;
    const res = run(c, machine.endTxn(cl.txnId, cl.pid, cl.epoch, commit, tv2, now));
    if (res.errorCode !== ErrorCode.NONE) return init(c);
    if (commit) for (const id of cl.acked) committedAcked.push({ client: c, txn: cl.txn, id });
    cl.pid = res.producerId;
    cl.epoch = res.producerEpoch;
    cl.txn++;
    cl.phase = 'idle';
    cl.seqs.clear();
  };

  for (let i = 0; i < steps; i++) {
    now += Math.floor(r() * 3);
    const x = r();
    if (x < 0.45) {
      const ready = network.filter((m) => m.deliverAt <= now);
      if (ready.length > 0) {
        const m = ready[Math.floor(r() * ready.length)]!;
        network.splice(network.indexOf(m), 1);
        deliver(m);
      }
    } else if (x < 0.95) {
      step(Math.floor(r() * clients.length));
    } else {
      // Coordinator timer: abort transactions open longer than their timeout (bumping the epoch).
      for (const res of machine.timedOut(now)) {
        const c = clients.findIndex((cl) => cl.txnId === res.prepare!.transactionalId);
        run(c, res);
      }
    }
  }
  // Let every delayed request land.
  now += 10_000;
  for (const m of network.splice(0).sort((a, b) => a.deliverAt - b.deliverAt)) deliver(m);
  return { parts, markerOwner, committedAcked, clients };
}

function check(seed: number, steps: number, tv2 = true): { records: number; commits: number } {
  const { parts, markerOwner, committedAcked } = simulate(seed, steps, tv2);
  const visible = new Set<number>();
  let records = 0;
  for (const [pi, p] of parts.entries()) {
    const open = new Map<number, Array<Extract<Entry, { kind: 'data' }>>>();
    for (const e of p.log) {
      if (e.kind === 'data') {
        records++;
        open.set(e.pid, [...(open.get(e.pid) ?? []), e]);
        continue;
      }
      const owner = markerOwner.get(`${e.pid}:${e.epoch}`);
      assert.ok(owner, `seed ${seed}: marker of unknown transaction ${e.pid}:${e.epoch}`);
      for (const d of open.get(e.pid) ?? []) {
        assert.equal(
          `${d.client}/${d.txn}`,
          `${owner.client}/${owner.txn}`,
          `seed ${seed}: write ${d.id} of transaction ${d.client}/${d.txn} landed in ${owner.client}/${owner.txn} (partition ${pi})`,
        );
        if (e.commit) visible.add(d.id);
      }
      open.delete(e.pid);
    }
  }
  for (const a of committedAcked)
    assert.ok(visible.has(a.id), `seed ${seed}: acknowledged write ${a.id} of committed ${a.client}/${a.txn} lost`);
  return { records, commits: committedAcked.length };
}

describe('transaction coordinator simulation (KAFKA-17754)', () => {
  test('no write lands in the wrong transaction over 300 seeds', () => {
    let records = 0;
    let commits = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = check(seed, 1500);
      records += r.records;
      commits += r.commits;
    }
    assert.ok(records > 10_000, `the simulation wrote data (${records})`);
    assert.ok(commits > 1000, `transactions committed (${commits})`);
  });

  test('without the KIP-890 epoch bump (transaction version 1) the simulation finds misplaced writes', () => {
    let violations = 0;
    for (let seed = 1; seed <= 300; seed++) {
      try {
        check(seed, 1500, false);
      } catch (e) {
        if (!(e instanceof assert.AssertionError)) throw e;
        violations++;
      }
    }
    assert.ok(violations > 0, 'the scenario is reachable, so the first test has teeth');
  });
});
