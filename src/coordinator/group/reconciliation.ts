// Reconciliation of one consumer-protocol member towards its target assignment (Kafka's CurrentAssignmentBuilder),
// one heartbeat at a time: partitions it must give up are first pending revocation (UNREVOKED_PARTITIONS, epoch
// unchanged); once its heartbeat shows them released it moves to the target epoch and gets the new partitions no
// other member still owns (UNRELEASED_PARTITIONS until every one is free). Pure functions over the group.
import { type Assignment, add, cloneAssignment, count, has, pairs } from './assignment.ts';
import { updateAssignmentEpochs } from './assignment-epochs.ts';
import { type ConsumerGroup, type ConsumerMember, MemberState } from './consumer-model.ts';

/** One reconciliation step (Kafka's CurrentAssignmentBuilder): `owned` is what the member reported, if it did. */
export function reconcile(g: ConsumerGroup, m: ConsumerMember, owned: Assignment | null): void {
  reconcileStep(g, m, owned);
  updateAssignmentEpochs(m);
}

function reconcileStep(g: ConsumerGroup, m: ConsumerMember, owned: Assignment | null): void {
  if (m.state === MemberState.UNREVOKED_PARTITIONS) {
    const released = owned !== null && ![...pairs(m.pendingRevocation)].some(([t, p]) => has(owned, t, p));
    if (!released) return;
    m.pendingRevocation = new Map();
    m.state = MemberState.STABLE;
  }
  if (m.memberEpoch === g.assignmentEpoch && m.state === MemberState.STABLE) return;
  const target = g.target.get(m.memberId) ?? new Map();
  const keep: Assignment = new Map();
  const revoke: Assignment = new Map();
  for (const [t, p] of pairs(m.assigned)) add(has(target, t, p) ? keep : revoke, t, p);
  if (count(revoke) > 0) {
    m.assigned = keep;
    m.pendingRevocation = revoke;
    m.state = MemberState.UNREVOKED_PARTITIONS;
    return;
  }
  const owners = ownersExcept(g, m.memberId);
  let unreleased = false;
  const next = cloneAssignment(keep);
  for (const [t, p] of pairs(target)) {
    if (has(next, t, p)) continue;
    if (owners.has(`${t}:${p}`)) unreleased = true;
    else add(next, t, p);
  }
  m.assigned = next;
  if (m.memberEpoch !== g.assignmentEpoch) {
    m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = g.assignmentEpoch;
  }
  m.state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
}

/** partition → member id, for every partition assigned to or pending revocation by a member other than `except`. */
function ownersExcept(g: ConsumerGroup, except: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of g.members.values()) {
    if (o.memberId === except) continue;
    for (const [t, p] of pairs(o.assigned)) out.set(`${t}:${p}`, o.memberId);
    for (const [t, p] of pairs(o.pendingRevocation)) out.set(`${t}:${p}`, o.memberId);
  }
  return out;
}
