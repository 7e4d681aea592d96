// The cluster link kinds against a fake cluster (no processes): which proxies they cut, that they heal them, and
// that each outcome they check fails the cycle when the cluster does not produce it (a cut follower that stays in
// the ISR, an out-of-sync follower elected, a broker cut from ZooKeeper that never hears its session expired).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerHandle } from '../../helpers/broker.ts';
import { availableKinds, type ClusterView, type FaultEnv, prng } from './faults.ts';
import { ManagedBroker } from './processes.ts';
import { FaultProxy } from './proxy.ts';

const IDS = [1, 2, 3];

interface Fake {
  env: FaultEnv;
  brokers: ManagedBroker[];
  killed: Set<number>;
  /** Broker → its log text (what countExpired reads). */
  logs: Map<number, string>;
}

/** Three fake brokers with real (not listening) proxies on every replication and ZooKeeper path. */
function fakeCluster(view: (f: Fake) => ClusterView): Fake {
  const killed = new Set<number>();
  const logs = new Map<number, string>(IDS.map((id) => [id, '']));
  const brokers = IDS.map((id) => {
    const proxy = (name: string) => new FaultProxy({ name, target: { host: '127.0.0.1', port: 1 } });
    const replicationIn = new Map(IDS.filter((f) => f !== id).map((f) => [f, proxy(`broker-${f}→broker-${id}`)]));
    const zkLinks = [0, 1, 2].map((n) => proxy(`broker-${id}→zookeeper-${n}`));
    const handle = {
      logs: () => logs.get(id)!,
      kill9: async () => void killed.add(id),
      restart: async () => void killed.delete(id),
    } as unknown as BrokerHandle;
    const b = new ManagedBroker(id, handle, { client: proxy(`client→broker-${id}`), replicationIn, zkLinks }, 'none');
    b.waitReady = async () => true;
    b.syncReplicationPorts = async () => {};
    return b;
  });
  const f: Fake = { env: { brokers, sessionMs: 0, lagMs: 0, outcomeMs: 1500 }, brokers, killed, logs };
  f.env.describe = async () => view(f);
  return f;
}

const passing = (p: FaultProxy) => p.describe().up.mode === 'pass' && p.describe().down.mode === 'pass';
const allLinks = (f: Fake) => f.brokers.flatMap((b) => [...b.replicationIn.values()]);
/** The partitioned broker: the one at an end of every held replication link (none when all pass). */
const cutOff = (f: Fake): number[] => {
  const held = allLinks(f).filter((p) => !passing(p));
  if (held.length === 0) return [];
  return IDS.filter((id) => held.every((p) => p.name.split('→').includes(`broker-${id}`)));
};

const kind = (env: FaultEnv, name: string) => {
  const k = availableKinds(env, [name]).kinds[0];
  assert.ok(k, `${name} is available with replication and ZooKeeper proxies`);
  return k;
};

test('broker-partition holds every replication link of one broker, which must leave the ISR before the heal', async () => {
  // A cluster whose leader drops a cut follower from the ISR.
  const ok = fakeCluster((f) => ({
    controller: 1,
    partitions: [
      {
        topic: 't',
        partition: 0,
        leader: 1,
        replicas: IDS,
        isr: IDS.filter((id) => !cutOff(f).includes(id) || id === 1),
      },
    ],
  }));
  for (const seed of [1, 2, 3]) {
    const active = await kind(ok.env, 'broker-partition').inject(ok.env, prng(seed));
    const held = allLinks(ok).filter((p) => !passing(p));
    assert.equal(
      held.length,
      4,
      `${active.target}: its two links out and the two in, not the others' (${held.map((p) => p.name)})`,
    );
    assert.ok(
      held.every((p) => p.name.includes(active.target)),
      active.target,
    );
    await active.heal();
    assert.ok(allLinks(ok).every(passing), 'every link passes after the heal');
  }
  // A cluster that never shrinks the ISR: the cycle fails (when the cut broker follows a partition), links healed.
  const stuck = fakeCluster(() => ({
    controller: 1,
    partitions: [{ topic: 't', partition: 0, leader: 1, replicas: IDS, isr: IDS }],
  }));
  let failed = 0;
  for (const seed of [1, 2, 3]) {
    const active = await kind(stuck.env, 'broker-partition').inject(stuck.env, prng(seed));
    const res = await active.heal().then(
      () => 'healed',
      (e: Error) => e.message,
    );
    if (active.target === 'broker-1') assert.equal(res, 'healed', 'the leader follows nothing here');
    else {
      assert.match(res, /still in the ISR/);
      failed++;
    }
    assert.ok(allLinks(stuck).every(passing));
  }
  assert.ok(failed > 0, 'some seed cut a follower');
});

test('follower-cut-leader-kill: the cut follower must leave the ISR, acks=all go on, and it must not be elected', async () => {
  const cluster = (electCut: boolean) =>
    fakeCluster((f) => {
      const cut = IDS.filter((id) => id !== 1 && !passing(f.brokers[0]!.replicationIn.get(id)!));
      const isr = IDS.filter((id) => !cut.includes(id));
      const leader = !f.killed.has(1) ? 1 : electCut ? cut[0]! : isr.find((id) => id !== 1)!;
      return { controller: 2, partitions: [{ topic: 't', partition: 0, leader, replicas: IDS, isr }] };
    });
  const good = cluster(false);
  good.env.lastAck = () => Date.now(); // writes keep being acknowledged
  const active = await kind(good.env, 'follower-cut-leader-kill').inject(good.env, prng(9));
  assert.ok(good.killed.has(1), 'the leader was killed');
  assert.match(active.detail ?? '', /out of the ISR, acks=all still answered, then leader broker-1 SIGKILLed/);
  await active.heal();
  assert.ok(!good.killed.has(1) && allLinks(good).every(passing), 'restarted and healed');

  // No write acknowledged once the follower is out (acks=all should go on with the other two): the cycle fails,
  // before the leader is killed.
  const stalled = cluster(false);
  stalled.env.lastAck = () => 0;
  await assert.rejects(
    kind(stalled.env, 'follower-cut-leader-kill').inject(stalled.env, prng(9)),
    /no write to t-0 acknowledged/,
  );
  assert.equal(stalled.killed.size, 0);

  const unclean = cluster(true);
  await assert.rejects(kind(unclean.env, 'follower-cut-leader-kill').inject(unclean.env, prng(9)), /unclean election/);
});

test('zk-link-partition holds one broker’s ZooKeeper links and fails unless it hears its session expired', async () => {
  const view = (): ClusterView => ({
    controller: 2,
    partitions: [{ topic: 't', partition: 0, leader: 3, replicas: IDS, isr: IDS }],
  });
  const f = fakeCluster(view);
  const active = await kind(f.env, 'zk-link-partition').inject(f.env, prng(4));
  const b = f.brokers.find((x) => x.name === active.target)!;
  assert.ok(
    b.zkLinks.every((p) => !passing(p)),
    'its ZooKeeper links are held',
  );
  assert.ok(
    f.brokers.filter((x) => x !== b).every((x) => x.zkLinks.every(passing)) && allLinks(f).every(passing),
    'nothing else is',
  );
  setTimeout(() => f.logs.set(b.id, 'WARN ZooKeeper session expired: stopped leading partitions'), 700);
  await active.heal();
  assert.ok(b.zkLinks.every(passing));

  const never = fakeCluster(view);
  const again = await kind(never.env, 'zk-link-partition').inject(never.env, prng(4));
  await assert.rejects(again.heal(), /did not report its ZooKeeper session expired/);
});
