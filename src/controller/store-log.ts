// The cluster's metadata log, kept in the coordination store. The active controller appends record batches as
// persistent sequential nodes under /metadata/log (each under maxBatchBytes, as a znode holds about 1 MB), every
// append a multi conditional on /controller_epoch's version; it snapshots the image now and then (chunks under
// /metadata/snapshots, then /metadata/snapshot pointing at them) and deletes the log nodes the snapshot covers.
// Every broker (the controller's own included) replays snapshot + log in order into its MetadataImage through a
// MetadataFollower, woken by a child watch on /metadata/log.
import { CoordinationError, type CoordinationSession, type Op } from '../cluster/coordination/store.ts';
import { MetadataImage } from '../metadata/image.ts';
import {
  ConfigResourceType,
  decodeRecordBatch,
  encodeRecordBatch,
  type MetadataRecord,
  record,
  recordBytes,
  securityProtocolId,
} from '../metadata/records.ts';
import { Reader, Writer } from '../protocol/io.ts';
import type { SessionKeeper } from './session-keeper.ts';

export const PATHS = {
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  brokerIds: '/brokers/ids',
  log: '/metadata/log',
  snapshot: '/metadata/snapshot',
  snapshots: '/metadata/snapshots',
} as const;

/** Prefix of log nodes (the store appends the 10-digit sequence). */
export const BATCH_PREFIX = 'batch-';
export const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;

export interface BatchHeader {
  /** The controller epoch the batch was written in. */
  readonly controllerEpoch: number;
  /** Offset of the batch's first record. */
  readonly baseOffset: number;
}

export function encodeBatchNode(h: BatchHeader, records: readonly MetadataRecord[]): Buffer {
  const w = new Writer();
  w.int8(0); // format version
  w.int32(h.controllerEpoch);
  w.int64(BigInt(h.baseOffset));
  w.bytes(encodeRecordBatch(records));
  return w.toBuffer();
}

export function decodeBatchNode(data: Uint8Array): { header: BatchHeader; records: MetadataRecord[] } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const r = new Reader(buf);
  const v = r.int8();
  if (v !== 0) throw new Error(`metadata log batch format ${v}`);
  const controllerEpoch = r.int32();
  const baseOffset = Number(r.int64());
  return { header: { controllerEpoch, baseOffset }, records: decodeRecordBatch(buf.subarray(r.pos)) };
}

/** Splits records into batches whose encoding stays under `maxBytes` (a single larger record gets its own). */
export function splitBatches(records: readonly MetadataRecord[], maxBytes: number): MetadataRecord[][] {
  const out: MetadataRecord[][] = [];
  let cur: MetadataRecord[] = [];
  let size = 32;
  for (const r of records) {
    const n = recordBytes(r).length + 5;
    if (cur.length > 0 && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 32;
    }
    cur.push(r);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export function sequenceOf(child: string): number {
  return Number(child.slice(-10));
}

/** The records that rebuild `image` from an empty one (a snapshot's content). */
export function imageRecords(image: MetadataImage): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  for (const [name, level] of image.features) out.push(record('FeatureLevelRecord', { name, featureLevel: level }));
  for (const b of image.brokers.values())
    out.push(
      record('RegisterBrokerRecord', {
        brokerId: b.nodeId,
        brokerEpoch: b.epoch,
        incarnationId: b.incarnationId,
        endPoints: b.endpoints.map((e) => ({ ...e, securityProtocol: securityProtocolId(e.securityProtocol) })),
        rack: b.rack,
        fenced: b.fenced,
        inControlledShutdown: b.inControlledShutdown,
      }),
    );
  for (const [resourceName, configs] of image.brokerConfigs)
    for (const [name, value] of Object.entries(configs))
      out.push(record('ConfigRecord', { resourceType: ConfigResourceType.BROKER, resourceName, name, value }));
  for (const [resourceName, configs] of image.groupConfigs)
    for (const [name, value] of Object.entries(configs))
      out.push(record('ConfigRecord', { resourceType: ConfigResourceType.GROUP, resourceName, name, value }));
  for (const t of image.topics.values()) {
    out.push(record('TopicRecord', { name: t.name, topicId: t.id }));
    for (const [name, value] of Object.entries(t.configs))
      out.push(record('ConfigRecord', { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value }));
    for (const p of t.partitions)
      out.push(
        record('PartitionRecord', {
          topicId: t.id,
          partitionId: p.partition,
          replicas: p.replicas.slice(),
          isr: p.isr.slice(),
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          addingReplicas: (p.addingReplicas ?? []).slice(),
          removingReplicas: (p.removingReplicas ?? []).slice(),
          eligibleLeaderReplicas: (p.elr ?? []).slice(),
          lastKnownElr: (p.lastKnownElr ?? []).slice(),
        }),
      );
  }
  for (const [name, mechs] of image.scramCredentials)
    for (const [mechanism, c] of mechs) out.push(record('UserScramCredentialRecord', { name, mechanism, ...c }));
  for (const [id, acl] of image.acls) out.push(record('AccessControlEntryRecord', { id, ...acl }));
  for (const q of image.clientQuotas.values())
    for (const [key, value] of Object.entries(q.values))
      out.push(record('ClientQuotaRecord', { entity: q.entity.map((p) => ({ ...p })), key, value, remove: false }));
  const pids = image.producerIds;
  if (pids.nextProducerId > 0n)
    out.push(
      record('ProducerIdsRecord', { brokerId: pids.lastBlock?.brokerId ?? -1, nextProducerId: pids.nextProducerId }),
    );
  return out;
}

/** Rebuilds an image from a snapshot's records, at the snapshot's offset. */
export function imageFromRecords(clusterId: string, records: readonly MetadataRecord[], offset: number): MetadataImage {
  let img = MetadataImage.empty(clusterId);
  for (let i = 0; i < records.length; i++) img = img.apply(records[i]!, i);
  return new MetadataImage({ ...img, clusterId, offset });
}

/** Creates the persistent nodes the cluster needs (idempotent). */
export async function ensureLayout(s: CoordinationSession): Promise<void> {
  for (const p of ['/brokers', PATHS.brokerIds, '/metadata', PATHS.log, PATHS.snapshots]) {
    if (await s.exists(p)) continue;
    try {
      await s.create(p, new Uint8Array(0), 'persistent');
    } catch (e) {
      if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
    }
  }
}

interface SnapshotPointer {
  offset: number;
  chunks: string[];
}

function encodePointer(p: SnapshotPointer): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(p));
}

/** A fenced writer: `fence` returns the check op prepended to every write (or none, in the test-only unsafe mode). */
export interface FencedWriter {
  session(): CoordinationSession;
  fence(): Op[];
}

/** Writes a snapshot of `image` (chunks, then the pointer), then deletes log nodes it covers and older chunks. */
export async function writeSnapshot(
  w: FencedWriter,
  image: MetadataImage,
  coveredSeq: number,
  maxBytes: number,
): Promise<void> {
  const s = w.session();
  const batches = splitBatches(imageRecords(image), maxBytes);
  const chunks: string[] = [];
  const name = `s${String(image.offset).padStart(20, '0')}-`;
  for (const b of batches) {
    const [, res] = await s.multi([
      ...w.fence(),
      {
        op: 'create',
        path: `${PATHS.snapshots}/${name}`,
        data: encodeRecordBatch(b),
        mode: 'persistent_sequential',
      },
    ]);
    chunks.push((res as { path: string }).path);
  }
  const old = await s.exists(PATHS.snapshot);
  const oldChunks = old
    ? (JSON.parse(new TextDecoder().decode((await s.getData(PATHS.snapshot)).data)) as SnapshotPointer).chunks
    : [];
  const pointer = encodePointer({ offset: image.offset, chunks });
  await s.multi([
    ...w.fence(),
    old
      ? { op: 'setData', path: PATHS.snapshot, data: pointer, version: old.version }
      : { op: 'create', path: PATHS.snapshot, data: pointer, mode: 'persistent' },
  ]);
  // Sequence order is offset order: every log node up to the last one the image holds is in the snapshot.
  const logNodes = await s.getChildren(PATHS.log);
  const doomed = [...logNodes.filter((c) => sequenceOf(c) <= coveredSeq).map((c) => `${PATHS.log}/${c}`), ...oldChunks];
  for (let i = 0; i < doomed.length; i += 50)
    await s.multi([...w.fence(), ...doomed.slice(i, i + 50).map((path): Op => ({ op: 'delete', path, version: -1 }))]);
}

export type FollowerListener = (image: MetadataImage, previous: MetadataImage, records: MetadataRecord[]) => void;

/**
 * Replays the log in the store into a MetadataImage, in order, each batch once; batches of an older controller
 * epoch than one already applied are refused (a zombie's write, which the epoch fence should make impossible).
 */
export class MetadataFollower {
  readonly #keeper: SessionKeeper;
  readonly #clusterId: string;
  #image: MetadataImage;
  #lastSeq = -1;
  #snapshotZxid = -1n;
  #layoutReady = false;
  #current = false;
  #maxEpoch = -1;
  readonly #listeners: FollowerListener[] = [];
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Refused batches (never expected): node name and why. */
  readonly refused: Array<{ node: string; reason: string }> = [];
  readonly onError: (e: unknown) => void;
  /** Observes each log node applied (simulation checkers). */
  onBatchApplied: ((node: string, baseOffset: number) => void) | undefined;

  constructor(keeper: SessionKeeper, clusterId: string, onError: (e: unknown) => void = () => {}) {
    this.#keeper = keeper;
    this.#clusterId = clusterId;
    this.#image = MetadataImage.empty(clusterId);
    this.onError = onError;
    // The child watch went with the old session; events held while disconnected are delivered on reconnect.
    // Stale from the moment the session is in doubt until a pass on a live connection completes. A pass that
    // failed while disconnected left no watch: read again when the connection is back.
    keeper.listen({
      expired: () => {
        this.#current = false;
      },
      newSession: () => void this.catchUp().catch(onError),
      connection: (state) => {
        if (state === 'connected') void this.catchUp().catch(onError);
        else this.#current = false;
      },
    });
  }

  get image(): MetadataImage {
    return this.#image;
  }

  /** False while the session is disconnected or expired (until the next complete read): the image may be behind
   * what the controller decided, so a broker must not act on it as current (KAFKA-5473). */
  get current(): boolean {
    return this.#current;
  }

  /** Sequence number of the last log node read (applied, or refused). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  subscribe(l: FollowerListener): void {
    this.#listeners.push(l);
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Reads what is new in the log (and sets the child watch again); concurrent calls share one pass. */
  catchUp(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          const session = this.#keeper.session;
          await this.#pass();
          if (this.#keeper.session === session && session.state === 'connected') this.#current = true;
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #pass(): Promise<void> {
    if (!this.#layoutReady) {
      await this.#keeper.run((s) => ensureLayout(s));
      this.#layoutReady = true;
    }
    const children = await this.#keeper.run((s) =>
      s.getChildren(PATHS.log, () => {
        if (!this.#stopped) this.catchUp().catch(this.onError);
      }),
    );
    // A snapshot beyond our image (the log nodes it covers may be gone): start from it.
    const snap = await this.#keeper.run((s) => s.exists(PATHS.snapshot));
    if (snap && snap.mzxid !== this.#snapshotZxid) {
      this.#snapshotZxid = snap.mzxid;
      await this.#loadSnapshot(this.#image.offset + 1, true);
    }
    const fresh = children
      .filter((c) => c.startsWith(BATCH_PREFIX))
      .map((c) => ({ c, seq: sequenceOf(c) }))
      .filter((x) => x.seq > this.#lastSeq)
      .sort((a, b) => a.seq - b.seq);
    for (const { c, seq } of fresh) {
      if (this.#stopped) return;
      let data: Uint8Array;
      try {
        data = (await this.#keeper.run((s) => s.getData(`${PATHS.log}/${c}`))).data;
      } catch (e) {
        if (e instanceof CoordinationError && e.code === 'NO_NODE') continue; // deleted under a snapshot
        throw e;
      }
      const { header, records } = decodeBatchNode(data);
      if (header.baseOffset > this.#image.offset + 1) await this.#loadSnapshot(header.baseOffset - 1);
      this.#lastSeq = seq;
      if (header.controllerEpoch < this.#maxEpoch) {
        this.refused.push({ node: c, reason: `controller epoch ${header.controllerEpoch} < ${this.#maxEpoch}` });
        continue;
      }
      if (header.baseOffset !== this.#image.offset + 1) {
        if (header.baseOffset + records.length - 1 <= this.#image.offset) continue; // in the snapshot already
        this.refused.push({ node: c, reason: `base offset ${header.baseOffset}, expected ${this.#image.offset + 1}` });
        continue;
      }
      this.#maxEpoch = header.controllerEpoch;
      const previous = this.#image;
      let img = previous;
      for (let i = 0; i < records.length; i++) img = img.apply(records[i]!, header.baseOffset + i);
      this.#image = img;
      this.onBatchApplied?.(`${PATHS.log}/${c}`, header.baseOffset);
      for (const l of this.#listeners) l(img, previous, records);
    }
  }

  /** Loads the snapshot if it holds offset `atLeast` (else: a gap, unless `optional`). */
  async #loadSnapshot(atLeast: number, optional = false): Promise<void> {
    const { data } = await this.#keeper.run((s) => s.getData(PATHS.snapshot));
    const p = JSON.parse(new TextDecoder().decode(data)) as SnapshotPointer;
    if (p.offset < atLeast) {
      if (optional) return;
      throw new Error(`metadata log gap: snapshot at ${p.offset}, next batch at ${atLeast + 1}`);
    }
    const records: MetadataRecord[] = [];
    for (const chunk of p.chunks) {
      const d = (await this.#keeper.run((s) => s.getData(chunk))).data;
      for (const r of decodeRecordBatch(Buffer.from(d.buffer, d.byteOffset, d.length))) records.push(r);
    }
    const previous = this.#image;
    this.#image = imageFromRecords(this.#clusterId, records, p.offset);
    for (const l of this.#listeners) l(this.#image, previous, records);
  }
}
