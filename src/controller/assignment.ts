// Replica placement as Kafka's AdminUtils.assignReplicasToBrokers: leaders spread round-robin from a start index,
// followers shifted so that replicas of consecutive partitions land on different brokers; with racks, the broker
// list alternates racks and each partition's replicas cover as many racks as possible. Pure: the caller draws the
// start index and shift (Kafka draws them at random).

export interface BrokerPlacement {
  readonly id: number;
  readonly rack: string | null;
}

export class AssignmentError extends Error {
  override name = 'AssignmentError';
}

export function assignReplicas(
  brokers: readonly BrokerPlacement[],
  partitions: number,
  replicationFactor: number,
  opts: { startIndex: number; replicaShift: number; firstPartitionId?: number },
): number[][] {
  if (partitions <= 0) throw new AssignmentError('Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new AssignmentError('Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length)
    throw new AssignmentError(
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    );
  const withRack = brokers.filter((b) => b.rack !== null).length;
  if (withRack > 0 && withRack < brokers.length)
    throw new AssignmentError('Not all brokers have rack information for replica rack aware assignment.');
  const sorted = brokers.slice().sort((a, b) => a.id - b.id);
  return withRack === 0
    ? assignRackUnaware(
        sorted.map((b) => b.id),
        partitions,
        replicationFactor,
        opts,
      )
    : assignRackAware(sorted, partitions, replicationFactor, opts);
}

function replicaIndex(first: number, secondShift: number, index: number, n: number): number {
  return (first + 1 + ((secondShift + index) % (n - 1))) % n;
}

function assignRackUnaware(
  ids: number[],
  partitions: number,
  rf: number,
  opts: { startIndex: number; replicaShift: number; firstPartitionId?: number },
): number[][] {
  const n = ids.length;
  const out: number[][] = [];
  let shift = opts.replicaShift % n;
  let p = Math.max(0, opts.firstPartitionId ?? 0);
  for (let i = 0; i < partitions; i++, p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + opts.startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < rf - 1; j++) replicas.push(ids[replicaIndex(first, shift, j, n)]!);
    out.push(replicas);
  }
  return out;
}

/** Brokers ordered so that racks alternate: r1's first, r2's first, ..., r1's second, ... */
export function rackAlternated(brokers: readonly BrokerPlacement[]): BrokerPlacement[] {
  const byRack = new Map<string, BrokerPlacement[]>();
  for (const b of brokers.slice().sort((x, y) => x.id - y.id)) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  const next = new Map(racks.map((r) => [r, 0]));
  const out: BrokerPlacement[] = [];
  for (let r = 0; out.length < brokers.length; r = (r + 1) % racks.length) {
    const rack = racks[r]!;
    const i = next.get(rack)!;
    const list = byRack.get(rack)!;
    if (i < list.length) {
      out.push(list[i]!);
      next.set(rack, i + 1);
    }
  }
  return out;
}

function assignRackAware(
  brokers: readonly BrokerPlacement[],
  partitions: number,
  rf: number,
  opts: { startIndex: number; replicaShift: number; firstPartitionId?: number },
): number[][] {
  const arranged = rackAlternated(brokers);
  const n = arranged.length;
  const numRacks = new Set(brokers.map((b) => b.rack)).size;
  const out: number[][] = [];
  let shift = opts.replicaShift % n;
  let p = Math.max(0, opts.firstPartitionId ?? 0);
  for (let i = 0; i < partitions; i++, p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + opts.startIndex) % n;
    const leader = arranged[first]!;
    const replicas = [leader.id];
    const racks = new Set([leader.rack]);
    const used = new Set([leader.id]);
    let k = 0;
    for (let j = 0; j < rf - 1; j++) {
      for (;;) {
        const b = arranged[replicaIndex(first, shift * numRacks, k, n)]!;
        k++;
        if ((!racks.has(b.rack) || racks.size === numRacks) && (!used.has(b.id) || used.size === n)) {
          replicas.push(b.id);
          racks.add(b.rack);
          used.add(b.id);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}
