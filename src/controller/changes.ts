// A decision's partition changes (decisions.ts): the partition states as the decision changes them, so later
// changes see earlier ones, and the PartitionChangeRecords doing it. Leadership, ISR and ELR come from
// partition-change.ts (Kafka's PartitionChangeBuilder); reassignment steps from reassignment.ts.

import type { BrokerInfo, MetadataImage, PartitionInfo } from '../metadata/image.ts';
import { type MetadataRecord, NO_LEADER, NO_LEADER_CHANGE, record } from '../metadata/records.ts';
import type { ControllerSettings } from './decisions.ts';
import {
  checkPartitionState,
  type Election,
  type LeadershipState,
  nextElr,
  type PartitionChangeResult,
  partitionChange,
  sameList,
} from './partition-change.ts';
import type { ReplicaState } from './reassignment.ts';

/** Partition states as this decision changes them (later changes see earlier ones), and the records doing it. */
export class Changes {
  readonly records: MetadataRecord[] = [];
  readonly #state = new Map<string, LeadershipState>();
  readonly #image: MetadataImage;
  readonly #settings: ControllerSettings;
  readonly #brokers = new Map<number, BrokerInfo>();
  /** eligible.leader.replicas.version ≥ 1 (KIP-966). */
  readonly elrEnabled: boolean;

  constructor(image: MetadataImage, settings: ControllerSettings) {
    this.#image = image;
    this.#settings = settings;
    this.elrEnabled = (image.features.get('eligible.leader.replicas.version') ?? 0) >= 1;
  }

  broker(id: number): BrokerInfo | undefined {
    return this.#brokers.get(id) ?? this.#image.brokers.get(id);
  }
  setBroker(b: BrokerInfo): void {
    this.#brokers.set(b.nodeId, b);
  }
  /** May lead and join ISRs: registered, unfenced, not shutting down. */
  usable(id: number): boolean {
    const b = this.broker(id);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  }

  current(topicId: string, p: PartitionInfo): LeadershipState {
    return (
      this.#state.get(`${topicId}:${p.partition}`) ?? {
        leader: p.leader,
        isr: p.isr,
        elr: p.elr ?? [],
        lastKnownElr: p.lastKnownElr ?? [],
      }
    );
  }

  /** The topic's min.insync.replicas (topic config, else the cluster-wide dynamic default, else the controller's
   * static one) capped by the replication factor: Kafka's getTopicEffectiveMinIsr, what leaders use for the HW. */
  minIsr(topicId: string, p: PartitionInfo): number {
    const t = this.#image.topicsById.get(topicId);
    const v = t?.configs['min.insync.replicas'] ?? this.#image.brokerConfigs.get('')?.['min.insync.replicas'];
    const parsed = v === undefined ? Number.NaN : Number(v);
    const configured = Number.isInteger(parsed) && parsed >= 1 ? parsed : (this.#settings.minInsyncReplicas ?? 1);
    return Math.min(configured, p.replicas.length);
  }

  /** The partition's next state for `targetIsr` and an election (partition-change.ts), not written yet. */
  compute(
    topicId: string,
    p: PartitionInfo,
    targetIsr: readonly number[],
    election: Election,
    opts: { acceptable?: (id: number) => boolean; uncleanShutdown?: readonly number[] } = {},
  ): PartitionChangeResult {
    return partitionChange({
      current: this.current(topicId, p),
      replicas: p.replicas,
      targetIsr,
      election,
      elrEnabled: this.elrEnabled,
      minIsr: this.minIsr(topicId, p),
      acceptable: opts.acceptable ?? ((id) => this.usable(id)),
      uncleanShutdown: opts.uncleanShutdown,
    });
  }

  /** Writes a PartitionChangeRecord carrying the fields of `next` that differ from the partition's current state. */
  change(topicId: string, p: PartitionInfo, next: LeadershipState): void {
    const cur = this.current(topicId, p);
    const leaderChanged = next.leader !== cur.leader;
    const isrChanged = !sameList(next.isr, cur.isr);
    const elrChanged = !sameList(next.elr, cur.elr);
    const lastKnownChanged = !sameList(next.lastKnownElr, cur.lastKnownElr);
    if (!leaderChanged && !isrChanged && !elrChanged && !lastKnownChanged) return;
    this.#state.set(`${topicId}:${p.partition}`, next);
    this.records.push(
      record('PartitionChangeRecord', {
        topicId,
        partitionId: p.partition,
        leader: leaderChanged ? next.leader : NO_LEADER_CHANGE,
        isr: isrChanged ? next.isr.slice() : null,
        eligibleLeaderReplicas: elrChanged ? next.elr.slice() : null,
        lastKnownElr: lastKnownChanged ? next.lastKnownElr.slice() : null,
      }),
    );
  }

  /** A reassignment step (reassignment.ts): replicas, adding and removing change with the leader and ISR. */
  reassign(topicId: string, p: PartitionInfo, next: ReplicaState): void {
    const cur = this.current(topicId, p);
    // The ELR follows the ISR as in any change (members that are no longer replicas leave it).
    // A leader from outside the ISR and ELR (a cancel with no original replica in the ISR) is unclean: no ELR.
    const unclean = next.leader !== NO_LEADER && !cur.isr.includes(next.leader) && !cur.elr.includes(next.leader);
    const state: LeadershipState = {
      leader: next.leader,
      isr: next.isr,
      elr: this.elrEnabled && !unclean ? nextElr(cur, next.replicas, next.isr, this.minIsr(topicId, p)) : [],
      lastKnownElr: next.leader !== NO_LEADER || !this.elrEnabled ? [] : cur.lastKnownElr,
    };
    checkPartitionState(state, next.replicas, this.elrEnabled ? this.minIsr(topicId, p) : null);
    const adding = p.addingReplicas ?? [];
    const removing = p.removingReplicas ?? [];
    const replicasChanged = !sameList(next.replicas, p.replicas);
    const addingChanged = !sameList(next.adding, adding);
    const removingChanged = !sameList(next.removing, removing);
    if (!replicasChanged && !addingChanged && !removingChanged) {
      this.change(topicId, p, state);
      return;
    }
    this.#state.set(`${topicId}:${p.partition}`, state);
    this.records.push(
      record('PartitionChangeRecord', {
        topicId,
        partitionId: p.partition,
        leader: next.leader !== cur.leader ? next.leader : NO_LEADER_CHANGE,
        isr: sameList(next.isr, cur.isr) ? null : next.isr.slice(),
        replicas: replicasChanged ? next.replicas.slice() : null,
        addingReplicas: addingChanged ? next.adding.slice() : null,
        removingReplicas: removingChanged ? next.removing.slice() : null,
        eligibleLeaderReplicas: sameList(state.elr, cur.elr) ? null : state.elr.slice(),
        lastKnownElr: sameList(state.lastKnownElr, cur.lastKnownElr) ? null : state.lastKnownElr.slice(),
      }),
    );
  }

  unclean(topicName: string): boolean {
    const v = this.#image.topics.get(topicName)?.configs['unclean.leader.election.enable'];
    return v === undefined ? this.#settings.uncleanLeaderElection : v === 'true';
  }

  /**
   * The partition loses broker `gone` as leader and ISR member (its session ended, or it shuts down): a new leader
   * from the ISR, else (ISR empty, with ELR) from the ELR or the last known leader, else an unclean election when
   * the topic allows it. With ELR the ISR may empty and `gone` joins the ELR while the ISR is below min ISR. A
   * controlled shutdown (`keepLeaderIfAlone`) leaves a leader no one can replace in place.
   */
  moveAway(topicName: string, topicId: string, p: PartitionInfo, gone: number, keepLeaderIfAlone: boolean): void {
    const cur = this.current(topicId, p);
    if (cur.leader !== gone && !cur.isr.includes(gone)) return;
    const next = this.compute(
      topicId,
      p,
      cur.isr.filter((r) => r !== gone),
      this.unclean(topicName) ? 'unclean' : 'online',
      { acceptable: (r) => r !== gone && this.usable(r) },
    );
    if (keepLeaderIfAlone && cur.leader === gone && next.leader === NO_LEADER) return;
    this.change(topicId, p, next);
  }

  /** A broker back after an unclean shutdown (KIP-966): it leaves every ISR and ELR it is in (its log may have lost
   * committed records), and may not lead them until it rejoins by catching up. */
  removeUncleanShutdown(topicName: string, topicId: string, p: PartitionInfo, broker: number): void {
    const cur = this.current(topicId, p);
    if (!cur.isr.includes(broker) && !cur.elr.includes(broker)) return;
    const next = this.compute(
      topicId,
      p,
      cur.isr.filter((r) => r !== broker),
      this.unclean(topicName) ? 'unclean' : 'online',
      { acceptable: (r) => r !== broker && this.usable(r), uncleanShutdown: [broker] },
    );
    this.change(topicId, p, next);
  }

  /** A leaderless partition whose ISR (or, ISR empty, ELR or last known leader) holds a usable broker gets it. */
  electIfLeaderless(topicId: string, p: PartitionInfo): void {
    const cur = this.current(topicId, p);
    if (cur.leader !== NO_LEADER) return;
    this.change(topicId, p, this.compute(topicId, p, cur.isr, 'online'));
  }
}

export function forEachPartition(
  image: MetadataImage,
  fn: (topicName: string, topicId: string, p: PartitionInfo) => void,
) {
  for (const t of image.topics.values()) for (const p of t.partitions) fn(t.name, t.id, p);
}
