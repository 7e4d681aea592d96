// The recorded history of a fault run: one JSON object per line, in the order the harness saw the events.
//
// Workloads report what they observed (acknowledged writes, failed writes, reads, offset commits, transactions);
// the fault schedule reports each fault as it is injected and healed; at the end the harness dumps every partition
// (`final`). The checker (checker.ts) judges nothing but this file, so a failing run can be re-checked offline.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

export type Isolation = 'read_uncommitted' | 'read_committed';

/** Header: which topics exist and what the transactional job copies. */
export interface RunEvent {
  type: 'run';
  seed: number;
  /** Per topic: partitions, and whether transactions write to it (then offsets may skip control markers). */
  topics: Record<string, { partitions: number; transactional: boolean }>;
  /** The consume-transform-produce job: reads `input` (read_committed), writes `<txn>|<value>` to `output`. */
  ctp?: { input: string; output: string };
}

export interface FaultEvent {
  type: 'fault';
  t: number;
  cycle: number;
  kind: string;
  phase: 'inject' | 'heal' | 'error';
  target: string;
  detail?: string;
}

/**
 * A write acknowledged by the broker (acks=all) at this offset. `null`: acknowledged without an offset, as librdkafka
 * reports a batch of an idempotent producer it knows was written (a later batch of the same producer was accepted
 * after this one's answer was lost) but whose offset it never received.
 */
export interface AckEvent {
  type: 'ack';
  t: number;
  proc: string;
  topic: string;
  partition: number;
  offset: number | null;
  value: string;
}

/** A write whose outcome the client does not know (error or timeout): it may or may not be in the log. */
export interface FailEvent {
  type: 'fail';
  t: number;
  proc: string;
  topic: string;
  value: string;
  error: string;
}

export interface ReadEvent {
  type: 'read';
  t: number;
  proc: string;
  isolation: Isolation;
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

/** An offset commit the coordinator acknowledged (t0: when it was sent). */
export interface CommitEvent {
  type: 'commit';
  t: number;
  t0: number;
  proc: string;
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

/** The committed offset a member read (OffsetFetch) when it was assigned the partition; -1: none. t0: sent at. */
export interface CommittedEvent {
  type: 'committed';
  t: number;
  t0: number;
  proc: string;
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

/** The end of one transaction of the consume-transform-produce job. */
export interface TxnEvent {
  type: 'txn';
  t: number;
  proc: string;
  txn: string;
  outcome: 'commit' | 'abort' | 'unknown';
  records: number;
  error?: string;
}

/** The job's last word: whether it consumed its input to the end. */
export interface CtpDoneEvent {
  type: 'ctp-done';
  t: number;
  proc: string;
  drained: boolean;
  transactions: number;
  restarts: number;
}

/** A partition read from the log start to the high watermark after the run. */
export interface FinalEvent {
  type: 'final';
  t: number;
  isolation: Isolation;
  topic: string;
  partition: number;
  logStart: number;
  high: number;
  records: Array<[offset: number, value: string]>;
}

export interface InfoEvent {
  type: 'info';
  t: number;
  proc: string;
  msg: string;
}

export type HistoryEvent =
  | RunEvent
  | FaultEvent
  | AckEvent
  | FailEvent
  | ReadEvent
  | CommitEvent
  | CommittedEvent
  | TxnEvent
  | CtpDoneEvent
  | FinalEvent
  | InfoEvent;

/** Appends events to a JSON-lines file (buffered; flush() writes). */
export class HistoryWriter {
  readonly file: string;
  #buf: string[] = [];
  #count = 0;
  readonly #lastAck = new Map<string, number>();

  constructor(file: string) {
    this.file = file;
    writeFileSync(file, '');
  }

  get count(): number {
    return this.#count;
  }

  /** When (harness clock) the last acknowledgement of a write to this partition was recorded; 0 if none yet. */
  lastAck(topic: string, partition: number): number {
    return this.#lastAck.get(`${topic}-${partition}`) ?? 0;
  }

  add(ev: HistoryEvent): void {
    if (ev.type === 'ack') this.#lastAck.set(`${ev.topic}-${ev.partition}`, Date.now());
    this.#buf.push(JSON.stringify(ev));
    this.#count++;
    if (this.#buf.length >= 2000) this.flush();
  }

  /** A line a workload printed: must be one JSON event; anything else becomes an info event. */
  addLine(proc: string, line: string): void {
    if (line.trim() === '') return;
    try {
      const ev = JSON.parse(line) as HistoryEvent;
      if (typeof ev === 'object' && ev !== null && typeof ev.type === 'string') {
        this.add(ev);
        return;
      }
    } catch {
      // not an event
    }
    this.add({ type: 'info', t: Date.now(), proc, msg: line.slice(0, 2000) });
  }

  flush(): void {
    if (this.#buf.length === 0) return;
    appendFileSync(this.file, `${this.#buf.join('\n')}\n`);
    this.#buf = [];
  }
}

export function readHistory(file: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') out.push(JSON.parse(line));
  return out;
}
