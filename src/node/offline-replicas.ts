// A cluster broker with several log dirs keeps running when one of them fails (JBOD), but the partitions in the
// failed dir must neither stay led by it nor count it in their ISRs. Kafka's broker reports its offline log dirs to
// the controller (KRaft: BrokerHeartbeat's OfflineLogDirs, the controller knowing each replica's directory from
// the PartitionRecord's Directories, KIP-858; ZooKeeper mode: a log_dir_event_notification znode, after which the
// controller learns the offline replicas from the broker's LeaderAndIsr answers). Our controller does not know which
// dir holds which replica (the broker picks the dir when it creates the log), so the broker reports the offline
// replicas themselves, as the ZooKeeper-mode broker effectively did: every replica hosted here whose log is offline
// and that the image still has leading, or in an ISR with other members. The controller takes them out
// (decisions.ts `offlineReplicas`: the same moves as for a broker that is gone, for those partitions only). The
// report is sent again whenever an image shows such a replica (an election that picked it, a report lost with a
// controller) and retried after a failure, so the cluster converges whatever is lost on the way.
import type { MetadataImage } from '../metadata/image.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { Logger } from '../util/log.ts';

export interface OfflineReplica {
  readonly topicId: string;
  readonly partition: number;
}

/** Replicas of `nodeId` with an offline log that the image has leading, or in an ISR with other members (pure). */
export function replicasToReport(
  image: MetadataImage,
  nodeId: number,
  isOffline: (topic: string, partition: number) => boolean,
): OfflineReplica[] {
  const out: OfflineReplica[] = [];
  for (const t of image.topics.values())
    for (const p of t.partitions) {
      // Alone in the ISR of a leaderless partition is where the controller leaves the last replica: nothing to move.
      if (p.leader !== nodeId && !(p.isr.length > 1 && p.isr.includes(nodeId))) continue;
      if (isOffline(t.name, p.partition)) out.push({ topicId: t.id, partition: p.partition });
    }
  return out;
}

export interface OfflineReplicaReporterOptions {
  readonly nodeId: number;
  readonly image: () => MetadataImage;
  /** Cheap: whether any hosted log may be offline at all (the image is not scanned otherwise). */
  readonly mayHaveOfflineLogs: () => boolean;
  readonly isOffline: (topic: string, partition: number) => boolean;
  /** Sends the report to the controller; resolves with its error code. */
  readonly send: (replicas: OfflineReplica[]) => Promise<number>;
  readonly logger: Logger;
  /** After a failed or refused report (default 1000 ms). */
  readonly retryMs?: number;
}

export class OfflineReplicaReporter {
  readonly #o: OfflineReplicaReporterOptions;
  #inFlight = false;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(o: OfflineReplicaReporterOptions) {
    this.#o = o;
  }

  /** Reports what the current image still needs to hear (called when a log dir fails and on every image). */
  check(): void {
    if (this.#stopped || this.#inFlight || this.#retry !== undefined || !this.#o.mayHaveOfflineLogs()) return;
    const replicas = replicasToReport(this.#o.image(), this.#o.nodeId, this.#o.isOffline);
    if (replicas.length === 0) return;
    this.#inFlight = true;
    this.#o.logger.warn(
      { replicas: replicas.map((r) => `${r.topicId}:${r.partition}`) },
      'reporting replicas in an offline log dir to the controller (they leave their ISRs and leaderships)',
    );
    const again = (why: Record<string, unknown>) => {
      this.#o.logger.warn(why, 'offline replicas not taken out by the controller yet; reporting again');
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.check();
      }, this.#o.retryMs ?? 1000);
      this.#retry.unref();
    };
    this.#o.send(replicas).then(
      (code) => {
        this.#inFlight = false;
        if (code !== ErrorCode.NONE) again({ error: errorName(code) });
        else this.check(); // our image has the controller's answer: anything left (new since) goes now
      },
      (e: unknown) => {
        this.#inFlight = false;
        again({ err: e instanceof Error ? e.message : String(e) });
      },
    );
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }
}
