// A broker's membership: the ephemeral /brokers/ids/<id> node holding its endpoints, rack and incarnation id. The
// node's czxid is the broker epoch (a new one each registration). On a new session (the old one expired) the broker
// registers again; a node left by this broker's previous session is waited out, one held by another live session
// with the same id is an error (two brokers with one broker.id).
import { CoordinationError, type CoordinationSession } from '../cluster/coordination/store.ts';
import type { BrokerEndpoint } from '../metadata/image.ts';
import type { SessionKeeper } from './session-keeper.ts';
import { ensureLayout, PATHS } from './store-log.ts';

export interface Registration {
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly incarnationId: string;
}

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
      const stat = await s.exists(this.path);
      if (stat && stat.ephemeralOwner === s.sessionId) {
        if (this.#keeper.session === s) this.epoch = stat.czxid;
        return stat.czxid;
      }
      if (stat && stat.ephemeralOwner !== 0n) {
        // Our previous session's node (a restart within the session timeout), or another broker with our id: wait
        // for it to go. Kafka fails the second broker at once; waiting covers the restart, which is the common case.
        await gone;
      } else if (stat) throw new Error(`${this.path} exists and is not ephemeral`);
    }
  }
}
