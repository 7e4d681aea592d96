// Fetch from follower (KIP-392): which replica a consumer should read a partition from, as Kafka's
// RackAwareReplicaSelector decides it at the leader. Pure. The candidates are the leader and the followers in the ISR
// that hold the consumer's fetch offset (log start <= offset <= log end) on a live broker; with a client rack, the
// leader when it is in that rack, else the most caught-up candidate in that rack (largest log end, then the most
// recently caught up), else the leader. The leader answers `preferred_read_replica` only when that is not itself.

export interface ReplicaView {
  readonly id: number;
  readonly rack: string | null;
  readonly logEndOffset: number;
  /** Now minus the replica's last caught-up time (0 for the leader). */
  readonly timeSinceCaughtUpMs: number;
}

/** The replica `clientRack` should read from (RackAwareReplicaSelector.select). */
export function selectReadReplica(clientRack: string, leader: ReplicaView, candidates: readonly ReplicaView[]): number {
  if (clientRack === '') return leader.id;
  if (leader.rack === clientRack) return leader.id;
  let best: ReplicaView | undefined;
  for (const r of candidates) {
    if (r.rack !== clientRack || r.id === leader.id) continue;
    if (
      best === undefined ||
      r.logEndOffset > best.logEndOffset ||
      (r.logEndOffset === best.logEndOffset && r.timeSinceCaughtUpMs < best.timeSinceCaughtUpMs)
    )
      best = r;
  }
  return best?.id ?? leader.id;
}
