// One partition's next leader, ISR and eligible leader replicas, as Kafka's PartitionChangeBuilder computes them
// (KIP-966 part 1). Pure: the caller gives the partition as it is, the ISR it wants, the kind of election and which
// brokers may lead; `partitionChange` returns the state to write (decisions.ts turns it into a PartitionChangeRecord,
// the replication simulation's controller uses it as is).
//
// Eligible leader replicas (ELR), when `eligible.leader.replicas.version` is 1: the leader advances the HW only while
// the committed ISR holds min.insync.replicas members (replication/leader.ts), so a replica that leaves the ISR while
// the ISR is (or becomes) smaller than that has everything committed when it leaves. Such replicas go into the ELR;
// the ISR may then become empty; an ISR at min.insync.replicas or above clears the ELR. An election picks from the
// ISR, from the ELR when the ISR is empty (an unfenced member: the ISR becomes it alone), then the last known leader
// (KIP-966's "balanced recovery": lastKnownElr holds the leader of the moment the ISR emptied, elected once the
// ELR is empty too), then, when unclean elections are allowed, any live replica (clearing the ELR: what the others
// had may be lost). A broker that comes back after an unclean shutdown (lost its unflushed tail) leaves the ISR and
// the ELR (`uncleanShutdown`). Without ELR the ISR never becomes empty: it keeps its last member, as before.

import { NO_LEADER } from '../metadata/records.ts';
import { assert } from '../util/assert.ts';

/** A partition's leadership state: what PartitionRecord / PartitionChangeRecord carry (an empty ISR has no leader). */
export interface LeadershipState {
  readonly leader: number;
  readonly isr: readonly number[];
  readonly elr: readonly number[];
  readonly lastKnownElr: readonly number[];
}

/** Kafka's election types: PREFERRED (the first replica if it may lead), ONLINE (keep a valid leader, else the
 * first valid replica), UNCLEAN (ONLINE, then any replica that may lead), and none (the ISR changes, the leader
 * stays while it is in it: AlterPartition from the leader). */
export type Election = 'preferred' | 'online' | 'unclean' | 'none';

export interface PartitionChangeInput {
  readonly current: LeadershipState;
  /** The partition's replicas (their order is the preference order). */
  readonly replicas: readonly number[];
  /** The ISR wanted before the election (the current one minus a leaving broker, a leader's proposal, ...). */
  readonly targetIsr: readonly number[];
  readonly election: Election;
  /** eligible.leader.replicas.version ≥ 1. */
  readonly elrEnabled: boolean;
  /** min.insync.replicas of the topic, capped by the replication factor (Kafka's effective min ISR). */
  readonly minIsr: number;
  /** May lead: registered, unfenced, not shutting down (and not the broker being removed). */
  readonly acceptable: (id: number) => boolean;
  /** Brokers that came back after an unclean shutdown: they leave the ISR and the ELR. */
  readonly uncleanShutdown?: readonly number[];
}

export interface PartitionChangeResult extends LeadershipState {
  /** The leader was chosen by an unclean election: outside ISR and ELR (the last known leader included, which
   * Kafka counts as unclean too). */
  readonly unclean: boolean;
  /** The leader was chosen from the ELR. */
  readonly fromElr: boolean;
}

const without = (xs: readonly number[], drop: readonly number[]) => xs.filter((x) => !drop.includes(x));

export function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => b[i] === x);
}

/**
 * The ELR for `targetIsr` (Kafka's maybePopulateTargetElr): with the ISR at min ISR or above, none; below it, the
 * current ELR plus the current ISR, minus the target ISR, replicas that shut down uncleanly and non-replicas.
 */
export function nextElr(
  current: LeadershipState,
  replicas: readonly number[],
  targetIsr: readonly number[],
  minIsr: number,
  uncleanShutdown: readonly number[] = [],
): number[] {
  if (targetIsr.length >= minIsr) return [];
  const out: number[] = [];
  for (const r of [...current.elr, ...current.isr]) {
    if (out.includes(r) || targetIsr.includes(r) || uncleanShutdown.includes(r) || !replicas.includes(r)) continue;
    out.push(r);
  }
  // Ascending, as Kafka's (a HashSet of broker ids iterates them in order).
  return out.sort((a, b) => a - b);
}

export function partitionChange(input: PartitionChangeInput): PartitionChangeResult {
  const { current, replicas, election, elrEnabled } = input;
  const unclean = input.uncleanShutdown ?? [];
  const acceptable = (r: number) => !unclean.includes(r) && input.acceptable(r);
  let isr = without(input.targetIsr, unclean);
  let elr = elrEnabled ? nextElr(current, replicas, isr, input.minIsr, unclean) : current.elr.slice();

  // A replica may become leader from the ISR, or from the ELR when the ISR is empty (Kafka's isValidNewLeader).
  const valid = (r: number) =>
    r !== NO_LEADER && (isr.includes(r) || (isr.length === 0 && elr.includes(r))) && acceptable(r);
  const lastKnown = current.lastKnownElr;
  // Kafka's canElectLastKnownLeader, elected only when it may lead (Kafka 4.4's code skips that check; its
  // documentation says "if it is unfenced", which is what this does: a fenced leader is no leader).
  const lastKnownLeader =
    elrEnabled && isr.length === 0 && elr.length === 0 && lastKnown.length === 1 && acceptable(lastKnown[0]!)
      ? lastKnown[0]!
      : NO_LEADER;

  let leader = current.leader;
  let wasUnclean = false;
  // 'none' keeps the leader while it stays in the ISR (else it is an ONLINE election).
  if (election !== 'none' || (current.leader !== NO_LEADER && !isr.includes(current.leader))) {
    let next: number | undefined;
    if (election === 'preferred') {
      next = [replicas[0]!, current.leader, ...replicas.slice(1)].find(valid);
    } else {
      next = valid(current.leader) ? current.leader : replicas.find(valid);
    }
    if (next === undefined && lastKnownLeader !== NO_LEADER) {
      next = lastKnownLeader;
      wasUnclean = true;
    }
    if (next === undefined && election === 'unclean') {
      next = replicas.find(acceptable);
      wasUnclean = next !== undefined;
    }
    leader = next ?? NO_LEADER;
  }

  let fromElr = false;
  if (leader !== NO_LEADER && (leader !== current.leader || !isr.includes(leader))) {
    if (elr.includes(leader)) {
      // Elected from the ELR: it has everything committed; it alone is the ISR now.
      fromElr = true;
      isr = [leader];
      // (An ISR of one at min ISR clears the rest, as the next change would in Kafka: reachable only after
      // min.insync.replicas fell to 1 with an ELR left from before.)
      elr = isr.length >= input.minIsr ? [] : without(elr, [leader]);
    } else if (wasUnclean) {
      // Unclean: the ISR is the new leader alone, whatever the others had that it lacks is lost.
      isr = [leader];
    }
  }
  // An unclean election, or ELR switched off, clears the ELR (Kafka's maybeUpdateRecordElr).
  if (wasUnclean || !elrEnabled) elr = [];
  // Without ELR the ISR is never emptied: it keeps its last member, the only replica known to have everything.
  if (isr.length === 0 && !elrEnabled) isr = current.isr.slice();

  // lastKnownElr keeps the leader of the moment the ISR emptied; a partition with a leader needs none.
  let lastKnownElr = current.lastKnownElr.slice();
  if (elrEnabled) {
    const isrChanged = !sameList(isr, current.isr);
    if (isrChanged && isr.length === 0 && current.leader !== NO_LEADER) {
      if (!(lastKnown.length === 1 && lastKnown[0] === current.leader)) lastKnownElr = [current.leader];
    } else if (leader !== NO_LEADER) lastKnownElr = [];
  }

  const result = { leader, isr, elr, lastKnownElr, unclean: wasUnclean, fromElr };
  checkPartitionState(result, replicas, elrEnabled ? input.minIsr : null);
  return result;
}

/**
 * The invariants of a partition's leadership state: a leader is in the ISR; no duplicates; ISR and ELR are disjoint;
 * the ELR holds replicas only, and (with ELR on, `minIsr` given) only while the ISR is below min ISR; an empty ISR
 * has no leader. A broken one is a bug in the decision: it throws.
 */
export function checkPartitionState(s: LeadershipState, replicas: readonly number[], minIsr: number | null): void {
  const where = () => `leader ${s.leader} isr [${s.isr}] elr [${s.elr}] lastKnownElr [${s.lastKnownElr}]`;
  assert(s.leader === NO_LEADER || s.isr.includes(s.leader), `leader outside the ISR: ${where()}`);
  assert(new Set(s.isr).size === s.isr.length && new Set(s.elr).size === s.elr.length, `duplicates: ${where()}`);
  assert(!s.elr.some((r) => s.isr.includes(r)), `a replica in both ISR and ELR: ${where()}`);
  assert(
    s.elr.every((r) => replicas.includes(r)),
    `an ELR member is not a replica (${replicas}): ${where()}`,
  );
  if (minIsr !== null)
    assert(s.elr.length === 0 || s.isr.length < minIsr, `ELR kept with the ISR at min ISR ${minIsr}: ${where()}`);
  else assert(s.elr.length === 0, `ELR without the feature: ${where()}`);
}
