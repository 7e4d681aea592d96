// Invariant checkers of the controller simulation. The truth is what the store committed: every transaction is seen
// (MemoryStoreOptions.onCommit) as it commits, so a write that should never have been accepted is caught at once,
// not by its consequences. Each check is shown able to fail in test/unit/controller/checks.test.ts.
import type { CommittedTxn } from '../../src/cluster/coordination/memory.ts';
import { BATCH_PREFIX, decodeBatchNode, PATHS } from '../../src/controller/store-log.ts';
import { MetadataImage } from '../../src/metadata/image.ts';

export interface NodeView {
  readonly id: number;
  /** The node believes it is the active controller, in this epoch. */
  readonly activeEpoch: number | null;
  /** The node's image offset and the log nodes it applied, by base offset. */
  readonly imageOffset: number;
  readonly refused: number;
}

export class ClusterChecker {
  /** The image of everything committed to the log, in order. */
  truth = MetadataImage.empty('sim');
  readonly violations: string[] = [];
  /** Log node path → base offset and record count, for the prefix check. */
  readonly batches = new Map<string, { baseOffset: number; count: number }>();
  readonly #controllerOfEpoch = new Map<number, number>();
  readonly #leaderEpochs = new Map<
    string,
    {
      leader: number;
      leaderEpoch: number;
      isr: readonly number[];
      elr: readonly number[];
      lastKnown: readonly number[];
    }
  >();
  #currentEpoch = 0;
  #now: () => number;
  elections = 0;
  /** Partition leaders elected from the ELR (an ELR member that was not in the ISR). */
  elrElections = 0;
  snapshots = 0;
  deletedLogNodes = 0;

  constructor(now: () => number = () => 0) {
    this.#now = now;
  }

  #violation(what: string): void {
    this.violations.push(`t=${this.#now()} ${what}`);
  }

  /** Called by the store for every committed transaction. */
  onCommit = (c: CommittedTxn): void => {
    for (let i = 0; i < c.ops.length; i++) {
      const op = c.ops[i]!;
      if ((op.op === 'setData' || op.op === 'create') && op.path === PATHS.snapshot) this.snapshots++;
      if (op.op === 'delete' && op.path.startsWith(`${PATHS.log}/`)) this.deletedLogNodes++;
      if (op.op === 'setData' && op.path === PATHS.controllerEpoch) {
        this.#currentEpoch = Number(new TextDecoder().decode(op.data));
        this.elections++;
      }
    }
    for (let i = 0; i < c.ops.length; i++) {
      const op = c.ops[i]!;
      if (op.op !== 'create' || !op.path.startsWith(`${PATHS.log}/${BATCH_PREFIX}`)) continue;
      const path = (c.results[i] as { path: string }).path;
      this.onBatch(path, op.data);
    }
  };

  /** A batch appended to the log (public for the checker's own tests). */
  onBatch(path: string, data: Uint8Array, currentEpoch = this.#currentEpoch): void {
    const { header, records } = decodeBatchNode(data);
    if (process.env.SIM_DEBUG)
      console.log(this.#now(), path, header, records.map((r) => r.type).join(','), 'log end', this.truth.offset);
    if (header.controllerEpoch !== currentEpoch)
      this.#violation(`${path}: write of controller epoch ${header.controllerEpoch} accepted in epoch ${currentEpoch}`);
    if (header.baseOffset !== this.truth.offset + 1) {
      this.#violation(`${path}: base offset ${header.baseOffset} after log end ${this.truth.offset}`);
      return;
    }
    this.batches.set(path, { baseOffset: header.baseOffset, count: records.length });
    try {
      let img = this.truth;
      for (let i = 0; i < records.length; i++) img = img.apply(records[i]!, header.baseOffset + i);
      this.truth = img;
    } catch (e) {
      this.#violation(`${path}: the log does not apply: ${String(e)}`);
      return;
    }
    this.checkPartitions(this.truth);
  }

  /** Every partition's leader is a registered, unfenced broker in its ISR and replicas, or -1; the ISR and a
   * reassignment's adding / removing replicas are within the replicas; leader epochs only grow, and grow when the
   * leader changes; ELR rules (KIP-966) as commented below. */
  checkPartitions(img: MetadataImage): void {
    for (const t of img.topics.values())
      for (const p of t.partitions) {
        const name = `${t.name}-${p.partition}`;
        if (p.leader !== -1) {
          const b = img.brokers.get(p.leader);
          if (!b) this.#violation(`${name}: leader ${p.leader} is not registered`);
          else if (b.fenced) this.#violation(`${name}: leader ${p.leader} is fenced`);
          if (!p.isr.includes(p.leader)) this.#violation(`${name}: leader ${p.leader} not in ISR [${p.isr}]`);
          if (!p.replicas.includes(p.leader)) this.#violation(`${name}: leader ${p.leader} not a replica`);
        }
        // ELR (KIP-966): only with the feature may the ISR empty; the ELR holds replicas outside the ISR, and only
        // while the ISR is below min.insync.replicas (the HW does not move then, so they hold everything committed).
        const elrOn = (img.features.get('eligible.leader.replicas.version') ?? 0) >= 1;
        const elr = p.elr ?? [];
        if (p.isr.length === 0 && !elrOn) this.#violation(`${name}: empty ISR`);
        if (elr.length > 0 && !elrOn) this.#violation(`${name}: ELR [${elr}] with the feature off`);
        if (new Set(elr).size !== elr.length || elr.some((r) => p.isr.includes(r) || !p.replicas.includes(r)))
          this.#violation(`${name}: ELR [${elr}] not distinct replicas outside the ISR [${p.isr}]`);
        const minIsrConfig = t.configs['min.insync.replicas'] ?? img.brokerConfigs.get('')?.['min.insync.replicas'];
        const minIsr = Math.min(Number(minIsrConfig ?? 1), p.replicas.length);
        if (elr.length > 0 && p.isr.length >= minIsr)
          this.#violation(`${name}: ELR [${elr}] kept with the ISR [${p.isr}] at min ISR ${minIsr}`);
        // A reassignment's replica sets stay inside the replicas, and so does the ISR.
        for (const [what, set] of [
          ['ISR', p.isr],
          ['adding', p.addingReplicas ?? []],
          ['removing', p.removingReplicas ?? []],
        ] as const)
          if (!set.every((r) => p.replicas.includes(r)))
            this.#violation(`${name}: ${what} [${set}] not within replicas [${p.replicas}]`);
        if ((p.addingReplicas ?? []).some((r) => (p.removingReplicas ?? []).includes(r)))
          this.#violation(`${name}: a replica both adding and removing`);
        const key = `${t.id}:${p.partition}`;
        const prev = this.#leaderEpochs.get(key);
        if (prev) {
          if (p.leaderEpoch < prev.leaderEpoch)
            this.#violation(`${name}: leader epoch went back ${prev.leaderEpoch} -> ${p.leaderEpoch}`);
          else if (p.leader !== prev.leader && p.leaderEpoch === prev.leaderEpoch)
            this.#violation(`${name}: leader ${prev.leader} -> ${p.leader} in one leader epoch ${p.leaderEpoch}`);
          // A new leader from outside the ISR, the ELR and the last known leader is an unclean election: it leads
          // an ISR of itself, and the ELR is gone (whatever the others had that it lacks is lost, knowingly).
          if (p.leader !== prev.leader && prev.elr.includes(p.leader) && !prev.isr.includes(p.leader))
            this.elrElections++;
          const known = [...prev.isr, ...prev.elr, ...prev.lastKnown];
          if (p.leader !== -1 && p.leader !== prev.leader && !known.includes(p.leader)) {
            if (p.isr.length !== 1 || elr.length > 0)
              this.#violation(`${name}: leader ${p.leader} from outside ISR/ELR [${known}] with ISR [${p.isr}]`);
          }
        }
        this.#leaderEpochs.set(key, {
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          isr: p.isr,
          elr,
          lastKnown: p.lastKnownElr ?? [],
        });
      }
  }

  /** A node became the active controller of `epoch`. */
  onActivate(node: number, epoch: number): void {
    const other = this.#controllerOfEpoch.get(epoch);
    if (other !== undefined && other !== node)
      this.#violation(`brokers ${other} and ${node} both active controllers of epoch ${epoch}`);
    this.#controllerOfEpoch.set(epoch, node);
  }

  /** After every step: at most one active controller per epoch; every image a prefix of the log. */
  checkNodes(nodes: readonly NodeView[]): void {
    const byEpoch = new Map<number, number>();
    for (const n of nodes) {
      if (n.activeEpoch !== null) {
        const other = byEpoch.get(n.activeEpoch);
        if (other !== undefined) this.#violation(`brokers ${other} and ${n.id} active in epoch ${n.activeEpoch}`);
        byEpoch.set(n.activeEpoch, n.id);
      }
      if (n.imageOffset > this.truth.offset)
        this.#violation(`broker ${n.id}: image at ${n.imageOffset} beyond the log end ${this.truth.offset}`);
      if (n.refused > 0) this.#violation(`broker ${n.id}: refused ${n.refused} log batch(es)`);
    }
  }

  /** A node applied the log node `path` at `baseOffset`: it must be the log's batch at that offset. */
  onApplied(node: number, path: string, baseOffset: number): void {
    const b = this.batches.get(path);
    if (!b || b.baseOffset !== baseOffset)
      this.#violation(`broker ${node}: applied ${path} at ${baseOffset}, which the log does not hold there`);
  }
}
