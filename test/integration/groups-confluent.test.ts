// Consumer groups with librdkafka (python3-confluent-kafka): three members share a 6-partition topic; one is killed
// with SIGKILL, the others take its partitions over within the session timeout and together read every record.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { printLogsOnFailure, REPO_ROOT, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, PY_DIR, requirePython, runProcess, waitFor } from '../helpers/clients.ts';

const SCRIPT = path.join(PY_DIR, 'groups_confluent.py');
const INSTALL_HINT = 'apt-get install python3-confluent-kafka';
const SESSION_MS = 6000;

interface Member {
  name: string;
  proc: ChildProcessWithoutNullStreams;
  assigned: Set<number>;
  seen: Set<string>;
  log: string[];
  exited: boolean;
  /** Rebalances in which the member gave up everything it had (eager protocol behaviour). */
  revokedAll: number;
}

function startMember(
  python: string,
  bootstrap: string,
  topic: string,
  group: string,
  name: string,
  strategy = 'range,roundrobin',
): Member {
  const proc = spawn(python, [SCRIPT, bootstrap, 'consume', topic, group, String(SESSION_MS), strategy], {
    cwd: REPO_ROOT,
  });
  const m: Member = { name, proc, assigned: new Set(), seen: new Set(), log: [], exited: false, revokedAll: 0 };
  let buf = '';
  proc.stdout.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      m.log.push(line);
      const e = JSON.parse(line) as { event?: string; partitions?: number[]; p?: number; o?: number };
      if (e.event === 'assigned') for (const p of e.partitions!) m.assigned.add(p);
      else if (e.event === 'revoked') {
        if (e.partitions!.length > 0 && e.partitions!.length === m.assigned.size) m.revokedAll++;
        for (const p of e.partitions!) m.assigned.delete(p);
      } else if (e.p !== undefined) m.seen.add(`${e.p}:${e.o}`);
    }
  });
  proc.stderr.on('data', (b: Buffer) => m.log.push(`[stderr] ${b.toString('utf8').trimEnd()}`));
  proc.once('exit', () => {
    m.exited = true;
  });
  return m;
}

async function produce(python: string, bootstrap: string, topic: string, n: number, start: number): Promise<void> {
  const r = await runProcess(python, [SCRIPT, bootstrap, 'produce', topic, String(n), String(start)], {
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, describeRun('groups_confluent.py produce', r));
  const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { sent: number; errors: string[] };
  assert.deepEqual(res.errors, []);
}

describe('consumer groups: librdkafka', { timeout: 240_000 }, () => {
  const setup = sharedSetup(async () => {
    const python = requirePython('confluent_kafka', INSTALL_HINT);
    return { python, broker: await startBrokerProcess({ overrides: { 'num.partitions': '6' } }) };
  });
  const members: Member[] = [];
  after(async () => {
    for (const m of members) if (!m.exited) m.proc.kill('SIGKILL');
    await setup.value()?.broker.stop();
  });
  afterEach((t) => {
    printLogsOnFailure(t, setup.value()?.broker);
    if ('passed' in t && !t.passed)
      for (const m of members) console.log(`--- ${m.name} ---\n${m.log.slice(-40).join('\n')}`);
  });

  test('three consumers, one killed: the others take over within the session timeout, every record read', {
    timeout: 200_000,
  }, async (t) => {
    const { python, broker } = await setup.get();
    const topic = 'rdk-group';
    const group = 'rdk-group-1';
    await produce(python, broker.bootstrap, topic, 300, 0);
    for (const name of ['a', 'b', 'c']) members.push(startMember(python, broker.bootstrap, topic, group, name));
    const covered = (ms: Member[]) => {
      const all = ms.flatMap((m) => [...m.assigned]);
      return all.length === 6 && new Set(all).size === 6;
    };
    await waitFor(
      'the three members to share the 6 partitions',
      async () => (covered(members) && members.every((m) => m.assigned.size === 2) ? true : undefined),
      60_000,
    );
    const distinct = () => new Set(members.flatMap((m) => [...m.seen])).size;
    await waitFor('the first 300 records to be read', async () => (distinct() === 300 ? true : undefined), 60_000);

    const victim = members.find((m) => m.assigned.size > 0)!;
    const survivors = members.filter((m) => m !== victim);
    const orphaned = [...victim.assigned];
    victim.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await produce(python, broker.bootstrap, topic, 300, 300);
    await waitFor(
      'the survivors to take over the killed member partitions',
      async () => (covered(survivors) ? true : undefined),
      SESSION_MS * 4,
    );
    const takeoverMs = Date.now() - killedAt;
    t.diagnostic(`partitions ${orphaned} taken over ${takeoverMs} ms after the kill (session ${SESSION_MS} ms)`);
    assert.ok(takeoverMs < SESSION_MS + 5000, `partitions ${orphaned} taken over after ${takeoverMs} ms`);
    await waitFor('all 600 records to be read', async () => (distinct() === 600 ? true : undefined), 60_000);

    // No gap: per partition, the offsets read are exactly 0..n-1 and the partitions hold 600 records in all.
    const byPartition = new Map<number, Set<number>>();
    for (const key of new Set(members.flatMap((m) => [...m.seen]))) {
      const [p, o] = key.split(':').map(Number) as [number, number];
      if (!byPartition.has(p)) byPartition.set(p, new Set());
      byPartition.get(p)!.add(o);
    }
    let total = 0;
    for (const [p, offs] of byPartition) {
      const max = Math.max(...offs);
      assert.equal(offs.size, max + 1, `partition ${p} has no gap`);
      total += offs.size;
    }
    assert.equal(total, 600);
    for (const m of survivors) m.proc.stdin.end();
    await waitFor('survivors to close', async () => (survivors.every((m) => m.exited) ? true : undefined), 30_000);
  });

  test('cooperative-sticky: a third member joins incrementally, the others keep what they do not give up', {
    timeout: 120_000,
  }, async () => {
    const { python, broker } = await setup.get();
    const topic = 'rdk-coop';
    const group = 'rdk-coop-1';
    await produce(python, broker.bootstrap, topic, 120, 0);
    const coop = [
      startMember(python, broker.bootstrap, topic, group, 'x', 'cooperative-sticky'),
      startMember(python, broker.bootstrap, topic, group, 'y', 'cooperative-sticky'),
    ];
    members.push(...coop);
    const covered = (ms: Member[]) => {
      const all = ms.flatMap((m) => [...m.assigned]);
      return all.length === 6 && new Set(all).size === 6 && ms.every((m) => m.assigned.size === 6 / ms.length);
    };
    await waitFor('two members to share 6 partitions', async () => (covered(coop) ? true : undefined), 60_000);
    const before = coop.map((m) => new Set(m.assigned));
    const revokedBefore = coop.map((m) => m.revokedAll);
    const z = startMember(python, broker.bootstrap, topic, group, 'z', 'cooperative-sticky');
    members.push(z);
    coop.push(z);
    await waitFor('three members to share 6 partitions', async () => (covered(coop) ? true : undefined), 60_000);
    for (const [i, m] of coop.slice(0, 2).entries()) {
      assert.equal(m.revokedAll, revokedBefore[i], `${m.name} revoked only what moved (incremental rebalance)`);
      for (const p of m.assigned) assert.ok(before[i]!.has(p), `${m.name} kept its partitions and got no new one`);
    }
    const distinct = () => new Set(coop.flatMap((m) => [...m.seen])).size;
    await produce(python, broker.bootstrap, topic, 60, 120);
    await waitFor('all 180 records to be read', async () => (distinct() === 180 ? true : undefined), 60_000);
    for (const m of coop) m.proc.stdin.end();
    await waitFor('members to close', async () => (coop.every((m) => m.exited) ? true : undefined), 30_000);
  });
});
