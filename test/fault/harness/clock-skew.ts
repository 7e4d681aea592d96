// The clock-skew fault kind (cluster mode): one broker's wall clock is shifted by minutes, the way Jepsen's clock
// nemesis does it, through libfaketime (Debian's `libfaketime` package, LD_PRELOAD). When a run includes the kind,
// every broker process starts preloaded with libfaketime and a clock file of its own holding its offset ("+0s" to
// begin with); libfaketime reads the file again after a second or two (FAKETIME_CACHE_DURATION=1, whole seconds),
// so writing it moves the clock of the running process, and FAKETIME_DONT_FAKE_MONOTONIC leaves the monotonic clock
// (Node's timers, performance.now) alone, as a real wall-clock step (an NTP correction, an operator's `date -s`)
// would. Node 24's Date.now goes through clock_gettime(CLOCK_REALTIME), which libfaketime intercepts.
//
// Variants, by the cycle's seed, on a partition's leader, a follower or the controller, offsets of 1 to 5 minutes
// either way: `bump` steps the running broker's clock (and steps it back on heal: two jumps); `jump` steps it, then
// steps it again the other way during the hold; `restart` restarts the broker (controlled shutdown) with its clock
// already skewed, so it registers, catches up and serves with the wrong time. The kind checks that the broker really
// runs on the skewed clock (brokerClock: the LogAppendTime it gives a record of a probe topic only it hosts) and
// that acks=all writes to a workload partition are still acknowledged under the skew and after each step, and
// **fails the cycle** if the broker's ZooKeeper session expired meanwhile (it did, before the session's timeouts
// moved to the monotonic clock: every step, either way, expired it). The checker's rules must hold as for every
// kind (records' CreateTime comes from the producers and is not skewed; a LogAppendTime or a broker's own
// timestamps would be).
import { existsSync, writeFileSync } from 'node:fs';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode, errorName } from '../../../src/protocol/errors.ts';
import { buildBatch } from '../../../src/records/index.ts';
import {
  type ActiveFault,
  byId,
  countExpired,
  type FaultEnv,
  type FaultKind,
  needsCluster,
  pick,
  ready,
  settledPartition,
  sleep,
  until,
} from './fault-env.ts';
import type { ManagedBroker } from './processes.ts';

const LIBFAKETIME_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/** libfaketime's shared library ($LIBFAKETIME, else Debian's paths), or undefined when it is not installed. */
export function libfaketimePath(): string | undefined {
  const own = process.env.LIBFAKETIME;
  if (own) return existsSync(own) ? own : undefined;
  return LIBFAKETIME_CANDIDATES.find((p) => existsSync(p));
}

/** The environment that shifts a process's wall clock by the offset written in `file` (re-read within ~2 s). */
export function faketimeEnv(lib: string, file: string): Record<string, string> {
  return {
    LD_PRELOAD: lib,
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_CACHE_DURATION: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** libfaketime's relative offset: "+300s", "-120s". */
export const offsetSpec = (seconds: number): string => `${seconds < 0 ? '-' : '+'}${Math.abs(seconds)}s`;

/** Sets the broker's clock offset (seconds); the running process follows within about two seconds. */
export function setClockOffset(b: ManagedBroker, seconds: number): void {
  if (b.clockFile === undefined) throw new Error(`${b.name} was not started with libfaketime`);
  writeFileSync(b.clockFile, offsetSpec(seconds));
}

/** One record appended by the broker to a LogAppendTime topic only it hosts: the broker's wall clock (ms). */
export async function brokerClock(b: ManagedBroker): Promise<number> {
  const topic = `clock-probe-${b.id}`;
  const conn = await BrokerConnection.open('127.0.0.1', b.handle.port, 'fault-harness-clock', 5000);
  try {
    if (!probeTopics.has(topic)) {
      const created = (await conn.send(ApiKey.CreateTopics, 5, {
        topics: [
          {
            name: topic,
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [{ partitionIndex: 0, brokerIds: [b.id] }],
            configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
          },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      })) as { topics: Array<{ errorCode: number; errorMessage: string | null }> };
      const e = created.topics[0]!;
      if (e.errorCode !== ErrorCode.NONE && e.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
        throw new Error(`cannot create ${topic}: ${errorName(e.errorCode)} ${e.errorMessage ?? ''}`);
      probeTopics.add(topic);
    }
    const res = (await conn.send(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [
        {
          name: topic,
          partitionData: [{ index: 0, records: buildBatch({ records: [{ value: Buffer.from('clock') }] }) }],
        },
      ],
    })) as { responses: Array<{ partitionResponses: Array<{ errorCode: number; logAppendTimeMs: bigint }> }> };
    const r = res.responses[0]!.partitionResponses[0]!;
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`clock probe of ${b.name}: ${errorName(r.errorCode)}`);
    return Number(r.logAppendTimeMs);
  } finally {
    conn.close();
  }
}
const probeTopics = new Set<string>();

/** 1 to 5 minutes, either way, in seconds. */
function drawOffset(rng: () => number): number {
  const magnitude = 60 + Math.floor(rng() * 241);
  return rng() < 0.5 ? -magnitude : magnitude;
}

const VARIANTS = ['bump', 'jump', 'restart'] as const;

/** Waits until the broker's clock (brokerClock) is `offset` s off the harness's, within 5 s. */
async function checkSkewed(b: ManagedBroker, offset: number, outcomeMs: number): Promise<void> {
  let last = 'no answer';
  await until(
    async () => {
      try {
        const off = (await brokerClock(b)) - Date.now();
        last = `${Math.round(off / 1000)} s`;
        return Math.abs(off - offset * 1000) < 5000;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
        return false;
      }
    },
    outcomeMs,
    `${b.name}'s clock is not ${offsetSpec(offset)} off (last probe: ${last}; libfaketime not in effect?)`,
  );
}

/** Waits until a write to `topic-partition` is acknowledged after `t` (harness clock). */
async function acknowledgedAfter(env: FaultEnv, topic: string, partition: number, t: number, what: string) {
  if (!env.lastAck) return;
  await until(
    () => env.lastAck!(topic, partition) > t,
    (env.sessionMs ?? 0) + (env.outcomeMs ?? 20_000),
    `no write to ${topic}-${partition} acknowledged ${what}`,
  );
}

export const CLOCK_SKEW: FaultKind = {
  name: 'clock-skew',
  unavailable: (env) =>
    needsCluster(env) ??
    (env.brokers.every((b) => b.clockFile !== undefined)
      ? undefined
      : libfaketimePath() === undefined
        ? 'needs libfaketime (apt-get install libfaketime)'
        : 'the brokers were not started with libfaketime (the run does not include clock-skew)'),
  async inject(env, rng): Promise<ActiveFault> {
    const p = await settledPartition(env, rng);
    const role = pick(rng, ['leader', 'follower', 'controller'] as const);
    let id = p.leader;
    let roleText = `leader of ${p.topic}-${p.partition}`;
    if (role === 'follower') {
      id = pick(
        rng,
        p.replicas.filter((r) => r !== p.leader),
      );
      roleText = `follower of ${p.topic}-${p.partition} (leader ${p.leader})`;
    } else if (role === 'controller') {
      const view = await env.describe!();
      if (view.controller < 0) throw new Error('the cluster reports no controller');
      id = view.controller;
      roleText = 'controller';
    }
    const b = byId(env, id);
    const variant = pick(rng, VARIANTS);
    const first = drawOffset(rng);
    const second = -Math.sign(first) * (60 + Math.floor(rng() * 241));
    const outcomeMs = env.outcomeMs ?? 20_000;
    const steps: string[] = [];
    setClockOffset(b, first);
    const expiredBefore = countExpired(b);
    if (variant === 'restart') {
      await b.restart();
      await ready(b);
      steps.push(`restarted with its clock ${offsetSpec(first)}`);
    } else steps.push(`clock stepped ${offsetSpec(first)} while running`);
    await checkSkewed(b, first, outcomeMs);
    await acknowledgedAfter(env, p.topic, p.partition, Date.now(), `with ${b.name}'s clock ${offsetSpec(first)} off`);
    if (variant === 'jump') {
      await sleep(500 + Math.floor(rng() * 1500));
      setClockOffset(b, second);
      await checkSkewed(b, second, outcomeMs);
      await acknowledgedAfter(
        env,
        p.topic,
        p.partition,
        Date.now(),
        `after ${b.name}'s clock jumped to ${offsetSpec(second)}`,
      );
      steps.push(`then stepped to ${offsetSpec(second)}`);
    }
    return {
      target: b.name,
      detail: `${roleText}; ${steps.join(', ')}; writes to ${p.topic}-${p.partition} acknowledged under the skew; the clock is stepped back on heal`,
      async heal() {
        setClockOffset(b, 0);
        // The step back is one more jump: the cluster must keep serving through it too.
        await checkSkewed(b, 0, outcomeMs);
        // A wall-clock step is no reason to lose the ZooKeeper session (its timeouts are monotonic).
        if (countExpired(b) > expiredBefore)
          throw new Error(`${b.name}'s ZooKeeper session expired after a step of its wall clock`);
      },
    };
  },
};
