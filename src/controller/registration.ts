// A broker's membership: the ephemeral /brokers/ids/<id> node holding its endpoints, rack, incarnation id and the
// directory ids of its log dirs. The node's czxid is the broker epoch (a new one each registration). On a new
// session (the old one expired) the broker registers again.
//
// A node with our id held by another session is either this broker's own previous incarnation (a restart, or a
// re-registration, within the old session's timeout: the node goes when the ensemble expires that session) or a
// second live broker started with the same broker.id. Kafka (ZooKeeper mode) cannot tell them apart and refuses
// both (NodeExistsException "... owner does not match current session"); a KRaft controller refuses both until the
// old registration's heartbeats lapse. We tell them apart by the log dirs: a registration naming one of our log
// dirs' directory ids (meta.properties) was made by a broker using the same directory, and two live brokers cannot
// (storage/dir-lock.ts), so its owner is our previous incarnation, gone or going: we wait for the node to go.
// Any other owner is a second broker with our id: we fail at once with Kafka's message.
import { CoordinationError, type CoordinationSession } from '../cluster/coordination/store.ts';
import type { BrokerEndpoint } from '../metadata/image.ts';
import type { SessionKeeper } from './session-keeper.ts';
import { ensureLayout, PATHS } from './store-log.ts';

export interface Registration {
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly incarnationId: string;
  /** The directory.id of each log dir (meta.properties): this broker's identity across restarts. Absent in
   * registrations of Tributary before it (such a node is waited out, as before). */
  readonly logDirIds?: readonly string[];
  /** KIP-966: the broker epoch its log dirs' clean-shutdown markers name (decimal), when every dir has one: the
   * previous incarnation shut down cleanly after that registration. Absent: an unclean shutdown (or none before). */
  readonly previousBrokerEpoch?: string;
}

/** Another live broker holds this broker.id's registration. */
export class DuplicateBrokerIdError extends Error {
  override name = 'DuplicateBrokerIdError';
}

/** Whether `other` (a node's registration) was made by a broker using one of the log dirs in `mine`. */
export function sameBroker(mine: Registration, other: Registration): boolean {
  // Unknown (an older registration, or meta.properties without directory ids): assume it is, and wait.
  if (!mine.logDirIds?.length || !other.logDirIds?.length) return true;
  return other.logDirIds.some((id) => mine.logDirIds!.includes(id));
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

export function encodeRegistration(r: Registration): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

export function decodeRegistration(data: Uint8Array): Registration {
  return JSON.parse(new TextDecoder().decode(data)) as Registration;
}

export class BrokerRegistration {
  readonly brokerId: number;
  readonly #keeper: SessionKeeper;
  readonly #registration: Registration;
  /** The broker epoch of the current registration, or null while unregistered. */
  epoch: bigint | null = null;
  #stopped = false;
  readonly onError: (e: unknown) => void;

  constructor(keeper: SessionKeeper, brokerId: number, registration: Registration, onError: (e: unknown) => void) {
    this.#keeper = keeper;
    this.brokerId = brokerId;
    this.#registration = registration;
    this.onError = onError;
    keeper.listen({
      expired: () => {
        this.epoch = null;
      },
      newSession: () => {
        if (!this.#stopped) this.register().catch(this.onError);
      },
      connection: (state) => {
        // A registration that failed while disconnected is tried again.
        if (state === 'connected' && this.epoch === null && !this.#stopped) this.register().catch(this.onError);
      },
    });
  }

  get path(): string {
    return `${PATHS.brokerIds}/${this.brokerId}`;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Registers (idempotently for this session); resolves with the broker epoch. */
  async register(): Promise<bigint> {
    const s: CoordinationSession = this.#keeper.session;
    await ensureLayout(s);
    for (;;) {
      if (this.#stopped) throw new CoordinationError('SESSION_CLOSED', this.path, 'registration stopped');
      try {
        await s.create(this.path, encodeRegistration(this.#registration), 'ephemeral');
      } catch (e) {
        if (!(e instanceof CoordinationError) || e.code !== 'NODE_EXISTS') throw e;
      }
      const gone = new Promise<void>((resolve) => {
        void s
          .exists(this.path, (ev) => {
            if (ev.type === 'deleted') resolve();
          })
          .then((st) => {
            if (st === null) resolve();
          }, resolve);
      });
      const node = await s.getData(this.path).catch((e: unknown) => {
        if (e instanceof CoordinationError && e.code === 'NO_NODE') return null;
        throw e;
      });
      const stat = node?.stat;
      if (stat && stat.ephemeralOwner === s.sessionId) {
        if (this.#keeper.session === s) this.epoch = stat.czxid;
        return stat.czxid;
      }
      if (node && stat && stat.ephemeralOwner !== 0n) {
        const other = decodeRegistration(node.data);
        if (!sameBroker(this.#registration, other))
          throw new DuplicateBrokerIdError(
            `Error while creating ephemeral at ${this.path}, node already exists and owner ` +
              `'${hex(stat.ephemeralOwner)}' does not match current session '${hex(s.sessionId)}': another live ` +
              `broker is registered with broker.id ${this.brokerId} (endpoints ` +
              `${other.endpoints.map((e) => `${e.name}://${e.host}:${e.port}`).join(',')}, other log dirs); ` +
              'every broker needs its own broker.id',
          );
        // Our own previous incarnation's node: it goes when the ensemble expires that session.
        await gone;
      } else if (stat) throw new Error(`${this.path} exists and is not ephemeral`);
    }
  }
}
