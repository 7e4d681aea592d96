// The historical replication failures as scripted runs of the simulated cluster (replication-cluster.ts), no random
// faults: a leader that wrote past the HW and died, two leaders failing in a row (KIP-279), ISR shrink while acks=all
// requests wait (Jepsen 2013), a zombie leader after a pause. Each passes with the protections on; where a switch
// turns the protection off, the same script must end in a violation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { type ClusterOptions, ReplicationCluster, Violation } from './replication-cluster.ts';

type Step = [number, (c: ReplicationCluster) => void];

function scripted(
  opts: Partial<ClusterOptions>,
  steps: Step[],
  endMs: number,
  preferred?: number[],
): ReplicationCluster {
  const c = new ReplicationCluster({ seed: 7, ...opts });
  c.sim.faults = false;
  if (preferred) c.preferredLeaders = preferred;
  for (const b of c.brokers) c.sim.at(0, () => c.start(b));
  const consume = () => {
    c.consume(c.state.leader);
    c.sim.at(c.sim.now + 50, consume);
  };
  c.sim.at(100, consume);
  for (const [t, fn] of steps) c.sim.at(t, () => fn(c));
  c.sim.run(endMs);
  c.finalCheck();
  return c;
}

/** Cuts (or heals) both directions between `a` and each of `others`. */
function cut(c: ReplicationCluster, a: number, others: number[], on = true): void {
  for (const o of others) {
    for (const k of [`${a}>${o}`, `${o}>${a}`]) {
      if (on) c.cuts.add(k);
      else c.cuts.delete(k);
    }
  }
}

function sameLogs(c: ReplicationCluster): void {
  const [a, b, d] = c.brokers.map((x) => x.log.read(0, 1e9).values);
  assert.deepEqual(b, a, 'broker 1 has the leader log');
  assert.deepEqual(d, a, 'broker 2 has the leader log');
}

function values(c: ReplicationCluster, broker: number): number[] {
  return c.brokers[broker]!.log.read(0, 1e9).values;
}

describe('replication scenarios', () => {
  test('a leader that wrote past the HW and died: its tail is truncated on return, never served', () => {
    let tail: number[] = [];
    const c = scripted(
      {},
      [
        [300, (c) => c.produce(0, 0, 4)],
        [1000, (c) => cut(c, 0, [1, 2])],
        [1050, (c) => (tail = c.produce(0, 0, 3))],
        [1300, (c) => c.crash(c.brokers[0]!, false)],
        [4000, (c) => c.produce(0, c.state.leader, 2)],
        [4500, (c) => cut(c, 0, [1, 2], false)],
        [4600, (c) => c.start(c.brokers[0]!)],
        [5500, (c) => c.produce(0, c.state.leader, 2)],
      ],
      8000,
      [1, 2],
    );
    assert.equal(c.state.leader, 1);
    assert.equal(c.acked.size, 8, 'everything but the tail was acknowledged');
    assert.ok(c.brokers[0]!.log.logEndOffset() >= 8);
    for (const v of tail) {
      assert.ok(!c.acked.has(v), `tail value ${v} was never acknowledged`);
      assert.ok(!c.committed.includes(v), `tail value ${v} was never below a HW`);
      assert.ok(!values(c, 0).includes(v), `tail value ${v} was truncated`);
    }
    assert.ok(c.truncations >= 1);
    sameLogs(c);
  });

  test('two leaders failing in a row (KIP-279): the second leader’s unreplicated epoch is truncated away', () => {
    let lost: number[] = [];
    const steps: Step[] = [
      [300, (c) => c.produce(0, 0, 4)],
      [800, (c) => c.crash(c.brokers[0]!, false)],
      [2600, (c) => cut(c, 1, [2])],
      [2650, (c) => (lost = c.produce(0, 1, 3))],
      [2900, (c) => c.crash(c.brokers[1]!, false)],
      [3000, (c) => c.start(c.brokers[0]!)],
      [5500, (c) => c.produce(0, c.state.leader, 3)],
      [6000, (c) => cut(c, 1, [2], false)],
      [6100, (c) => c.start(c.brokers[1]!)],
      [7000, (c) => c.produce(0, c.state.leader, 2)],
    ];
    const c = scripted({}, steps, 10_000, [1, 2, 0]);
    assert.equal(c.state.leader, 2);
    assert.equal(c.state.leaderEpoch, 2);
    assert.equal(c.acked.size, 9);
    for (const v of lost) assert.ok(!values(c, 1).includes(v), `epoch-1 value ${v} was truncated on broker 1`);
    assert.deepEqual(
      c.brokers[1]!.log.epochEntries().map((e) => e.epoch),
      [0, 2],
      'broker 1 dropped epoch 1 from its epoch cache',
    );
    assert.ok(c.truncations >= 1);
    sameLogs(c);
  });

  // KIP-101's first case: a follower of a new leader that cuts its log at its own HW (which lags the old leader's)
  // drops acknowledged records, and loses them for good if it is elected next.
  const kip101: Step[] = [
    ...Array.from({ length: 14 }, (_, i): Step => [300 + i * 50, (c) => c.produce(0, 0, 1)]),
    [960, (c) => c.cuts.add('0>1')], // broker 1 still reports its LEO, but learns no newer HW
    [1000, (c) => cut(c, 1, [2])],
    [1100, (c) => c.crash(c.brokers[0]!, false)],
    [1200, (c) => c.cuts.delete('0>1')],
    [2800, (c) => c.crash(c.brokers[2]!, false)],
    [4500, (c) => cut(c, 1, [2], false)],
    [4600, (c) => c.start(c.brokers[0]!)],
    [4700, (c) => c.start(c.brokers[2]!)],
    [5500, (c) => c.produce(0, c.state.leader, 3)],
  ];

  test('KIP-101: a follower of a new leader truncates by epochs, so back-to-back failovers keep acknowledged records', () => {
    const c = scripted({}, kip101, 9000, [2, 1, 0]);
    assert.equal(c.state.leader, 1);
    assert.ok(c.acked.size >= 12, `${c.acked.size} acknowledged`);
    sameLogs(c);
  });

  test('KIP-101 with truncation to the HW (pre-KIP-101): the checker finds the acknowledged loss', () => {
    assert.throws(
      () => scripted({ unsafe: { truncateToHighWatermark: true } }, kip101, 9000, [2, 1, 0]),
      (e) => {
        if (process.env.SIM_VERBOSE) console.log(String(e));
        return e instanceof Violation;
      },
    );
  });

  const jepsen2013: Step[] = [
    [300, (c) => c.produce(0, 0, 4)],
    [1000, (c) => cut(c, 0, [1, 2])],
    [1050, (c) => c.produce(0, 0, 3)],
    [2500, (c) => c.produce(0, 0, 1)],
    [3000, (c) => c.crash(c.brokers[0]!, false)],
    [5000, (c) => c.produce(0, c.state.leader, 2)],
    [5500, (c) => cut(c, 0, [1, 2], false)],
    [5600, (c) => c.start(c.brokers[0]!)],
    [7000, (c) => c.produce(0, c.state.leader, 2)],
  ];

  // Kafka 4 (KIP-966's strict min ISR) stops the HW while the ISR is below min.insync.replicas, so the produce that
  // waits across the shrink times out instead of being acknowledged by the leader alone.
  test('ISR shrink while acks=all requests wait (Jepsen 2013): not acknowledged, NOT_ENOUGH_REPLICAS, nothing lost', () => {
    const c = scripted({}, jepsen2013, 10_000);
    assert.equal(c.answers.get(5), ErrorCode.REQUEST_TIMED_OUT, 'the waiting produce');
    assert.equal(c.answers.get(8), ErrorCode.NOT_ENOUGH_REPLICAS, 'a produce to the shrunk ISR');
    assert.equal(c.state.leader, 0, 'the partition waited for its last ISR member');
    assert.ok(values(c, 0).includes(5), 'the records the ISR alone held survive');
    sameLogs(c);
  });

  test('Jepsen 2013 as configured then (min.insync.replicas=1, election outside the ISR): the checker finds the loss', () => {
    assert.throws(
      () => scripted({ electOutsideIsr: true, minInsyncReplicas: 1 }, jepsen2013, 10_000),
      (e) => {
        if (process.env.SIM_VERBOSE) console.log(String(e));
        return e instanceof Violation;
      },
    );
  });

  const zombie: Step[] = [
    [300, (c) => c.produce(0, 0, 4)],
    [900, (c) => cut(c, 0, [1, 2])],
    [950, (c) => c.produce(0, 0, 1)],
    [1000, (c) => c.pause(c.brokers[0]!)],
    [1100, (c) => cut(c, 0, [1, 2], false)],
    [1500, (c) => c.produce(0, 0, 2)],
    [3500, (c) => c.produce(0, c.state.leader, 3)],
    [4000, (c) => c.resume(c.brokers[0]!)],
    [4010, (c) => c.consume(0)],
    [6000, (c) => c.produce(0, c.state.leader, 2)],
  ];

  test('a zombie leader after a pause is fenced: its writes are never acknowledged, its log converges', () => {
    const c = scripted({}, zombie, 9000, [1, 2]);
    assert.equal(c.state.leader, 1);
    assert.ok(c.stats.zombieAppends >= 1, 'the zombie appended the produce it received while paused');
    assert.ok(c.stats.fencedAlterPartitions >= 1, 'its ISR shrink was refused with FENCED_LEADER_EPOCH');
    assert.equal(c.answers.get(5), ErrorCode.REQUEST_TIMED_OUT, 'its waiting produce timed out while it slept');
    assert.equal(c.answers.get(6), ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the produce it received while paused failed');
    for (const v of [5, 6, 7]) assert.ok(!values(c, 0).includes(v), `the zombie's write ${v} was truncated`);
    assert.equal(c.acked.size, 9);
    sameLogs(c);
  });

  test('a zombie leader whose AlterPartition is not fenced: the checker finds the ISR without the leader', () => {
    assert.throws(
      () => scripted({ acceptStaleAlterPartition: true }, zombie, 9000, [1, 2]),
      (e) => {
        if (process.env.SIM_VERBOSE) console.log(String(e));
        return e instanceof Violation;
      },
    );
  });

  // KIP-966 (RF 3, min.insync.replicas 2): broker 2 falls behind and leaves the ISR while it is at min ISR (the HW
  // moves on without it: it misses records 5-7); then broker 1 falls behind too, the ISR is the leader alone, the HW
  // stops, so 1 still has everything committed and becomes an eligible leader replica; then the leader dies.
  let offlineAt6000 = false;
  const elr: Step[] = [
    [300, (c) => c.produce(0, 0, 4)],
    [1000, (c) => cut(c, 2, [0, 1])],
    [2200, (c) => c.produce(0, 0, 3)], // acknowledged by 0 and 1
    [2600, (c) => cut(c, 1, [0])],
    [2700, (c) => c.produce(0, 0, 2)], // only 0 has them: never below the HW while the ISR is 0 alone
    [4000, (c) => c.crash(c.brokers[0]!, false)],
    [6000, (c) => (offlineAt6000 = c.state.leader === -1)],
    [6500, (c) => c.cuts.clear()],
    [7000, (c) => c.start(c.brokers[0]!)],
    [8000, (c) => c.produce(0, c.state.leader, 2)],
  ];
  // An unclean election would pick 2 (first in this order), the replica that lacks 5-7.
  const order = [2, 1, 0];

  test('ELR: the leader dies with the ISR below min ISR; the ELR member with the committed records leads, none lost', () => {
    const c = scripted({ elr: true, uncleanElection: true }, elr, 11_000, order);
    assert.ok(!offlineAt6000, 'the partition had a leader again before the old one came back');
    assert.equal(c.stats.elrElections, 1, 'one leader elected from the ELR');
    assert.equal(c.state.leader, 1, 'broker 1, the ELR member, not 2 (which the unclean election would take)');
    assert.equal(
      c.answers.get(8),
      ErrorCode.REQUEST_TIMED_OUT,
      'the produce only the old leader had: not acknowledged',
    );
    assert.equal(c.acked.size, 9, 'every acknowledged record is in the final log (finalCheck)');
    for (const v of [8, 9]) assert.ok(!values(c, 1).includes(v), `unacknowledged ${v} was not kept`);
    sameLogs(c);
  });

  test('ELR off: the same failure leaves the partition offline until its last ISR member is back', () => {
    const c = scripted({}, elr, 11_000, order);
    assert.ok(offlineAt6000, 'no leader while broker 0 was down');
    assert.equal(c.state.leader, 0);
    assert.equal(c.acked.size, 9);
    sameLogs(c);
  });

  test('ELR off with unclean election: the replica that lacks committed records leads, the checker finds the loss', () => {
    assert.throws(
      () => scripted({ uncleanElection: true }, elr, 11_000, order),
      (e) => {
        if (process.env.SIM_VERBOSE) console.log(String(e));
        return e instanceof Violation;
      },
    );
  });

  test('ELR with the HW moving while the ISR is below min ISR (pre-KIP-966): the ELR leader lacks committed records', () => {
    assert.throws(
      () => scripted({ elr: true, unsafe: { hwBelowMinIsr: true } }, elr, 11_000, order),
      (e) => {
        if (process.env.SIM_VERBOSE) console.log(String(e));
        return e instanceof Violation && /elected from the ELR lacks committed offset 7/.test(e.message);
      },
    );
  });
});
