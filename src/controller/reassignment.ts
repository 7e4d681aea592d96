// Partition reassignment as Kafka's controller does it (KIP-455), pure: a target replica list T against the
// original replicas O (the current ones minus any an ongoing reassignment is adding) gives adding = T − O,
// removing = O − T and replicas = T ++ removing while it runs; it completes once every target replica is in the ISR
// (replicas = T, ISR ∩ T, leadership moves if the leader was being removed). Cancelling reverts to O. The adding
// replicas join the ISR by catching up (replication's AlterPartition): `completeReassignment` is what runs then.

import { NO_LEADER } from '../metadata/records.ts';

export interface ReplicaState {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

const without = (xs: readonly number[], drop: readonly number[]) => xs.filter((x) => !drop.includes(x));

/** A leader for `s`: the current one if it stays a usable ISR member, else the first usable ISR member. */
function keepOrElect(s: ReplicaState, usable: (id: number) => boolean): ReplicaState {
  const ok = (r: number) => s.replicas.includes(r) && s.isr.includes(r) && usable(r);
  if (ok(s.leader)) return s;
  return { ...s, leader: s.replicas.find(ok) ?? NO_LEADER };
}

/** Completes an ongoing reassignment whose target replicas are all in the ISR; null when it cannot yet. */
export function completeReassignment(s: ReplicaState, usable: (id: number) => boolean): ReplicaState | null {
  if (s.adding.length === 0 && s.removing.length === 0) return null;
  const target = without(s.replicas, s.removing);
  const isr = without(s.isr, s.removing);
  if (isr.length === 0 || !target.every((r) => isr.includes(r))) return null;
  return keepOrElect({ replicas: target, isr, leader: s.leader, adding: [], removing: [] }, usable);
}

/** Starts (or replaces) a reassignment to `target`, completing it at once when it can. */
export function startReassignment(
  s: ReplicaState,
  target: readonly number[],
  usable: (id: number) => boolean,
): ReplicaState {
  const original = without(s.replicas, s.adding);
  const adding = without(target, original);
  const removing = without(original, target);
  // Replacing an ongoing reassignment: replicas it was adding that the new target drops leave the ISR too.
  const isr = s.isr.filter((r) => target.includes(r) || original.includes(r));
  const next = { replicas: [...target, ...removing], isr, leader: s.leader, adding, removing };
  if (adding.length === 0 && removing.length === 0) return keepOrElect(next, usable); // a reordering
  return completeReassignment(next, usable) ?? keepOrElect(next, usable);
}

/** Cancels an ongoing reassignment: back to the original replicas. With none of them in the ISR, the first live
 * original replica leads an ISR of itself (Kafka reverts uncleanly then too). */
export function cancelReassignment(s: ReplicaState, usable: (id: number) => boolean): ReplicaState {
  const replicas = without(s.replicas, s.adding);
  const isr = without(s.isr, s.adding);
  if (isr.length > 0) return keepOrElect({ replicas, isr, leader: s.leader, adding: [], removing: [] }, usable);
  const leader = replicas.find(usable) ?? NO_LEADER;
  return { replicas, isr: [leader === NO_LEADER ? replicas[0]! : leader], leader, adding: [], removing: [] };
}
