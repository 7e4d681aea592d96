// One broker's connection to the coordination store, as Kafka's KafkaZkClient: the current session, replaced by a
// new one when it expires. Requests made through run() that fail because the session expired are retried on the
// new session, so nothing above holds a session object; and that is why every controller write must be fenced by
// /controller_epoch: a request that began under the old session (a controller that has not yet heard it lost its
// election) lands under the new one (KAFKA-6082). Listeners hear of the expiry through `defer`, later than run()
// moves on, as Kafka's controller hears of it through its event queue.
import {
  CoordinationError,
  type CoordinationSession,
  type CoordinationStore,
  type SessionOptions,
} from '../cluster/coordination/store.ts';

export interface SessionKeeperListener {
  /** The session expired: ephemerals are gone, watches are dropped. Stop acting on what it established. */
  expired?(): void;
  /** A new session is up: register again, set watches again. */
  newSession?(session: CoordinationSession): void;
  /** Opening the new session failed (`attempt` times so far); it is tried again after a second. */
  renewFailed?(error: unknown, attempt: number): void;
  /** The connection dropped ('disconnected') or came back ('connected') with the same session. */
  connection?(state: 'connected' | 'disconnected'): void;
}

/** Pause between attempts to open a new session after an expiry (Kafka's ZooKeeperClient: 1 s). */
const RENEW_BACKOFF_MS = 1000;

export class SessionKeeper {
  readonly #store: CoordinationStore;
  readonly #options: SessionOptions;
  readonly #defer: (fn: () => void) => void;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #listeners: SessionKeeperListener[] = [];
  #session: CoordinationSession | undefined;
  #renewing: Promise<CoordinationSession> | undefined;
  #closed = false;

  constructor(
    store: CoordinationStore,
    options: SessionOptions,
    defer: (fn: () => void) => void = setImmediate,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.#store = store;
    this.#options = options;
    this.#defer = defer;
    this.#sleep = sleep;
  }

  async start(): Promise<CoordinationSession> {
    return this.#open();
  }

  get session(): CoordinationSession {
    if (!this.#session) throw new Error('SessionKeeper not started');
    return this.#session;
  }

  get closed(): boolean {
    return this.#closed;
  }

  listen(l: SessionKeeperListener): void {
    this.#listeners.push(l);
  }

  /** Runs `fn` on the current session; if that session has expired, once more on a new one. */
  async run<T>(fn: (s: CoordinationSession) => Promise<T>): Promise<T> {
    const s = this.session;
    try {
      return await fn(s);
    } catch (e) {
      if (!(e instanceof CoordinationError) || e.code !== 'SESSION_EXPIRED' || this.#closed) throw e;
      return fn(await this.#renew(s));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#session?.close();
  }

  async #open(): Promise<CoordinationSession> {
    const s = await this.#store.connect(this.#options);
    this.#session = s;
    s.onStateChange((state) => {
      if (this.#session !== s || this.#closed) return;
      if (state === 'expired') void this.#renew(s).catch(() => {});
      else this.#defer(() => this.#emit((l) => l.connection?.(state)));
    });
    return s;
  }

  /** Replaces `old` (expired) by a new session, once however many callers notice. */
  #renew(old: CoordinationSession): Promise<CoordinationSession> {
    if (this.#session !== old) return Promise.resolve(this.#session!);
    if (this.#renewing) return this.#renewing;
    this.#defer(() => this.#emit((l) => l.expired?.()));
    this.#renewing = this.#openUntilDone().then(
      (s) => {
        this.#renewing = undefined;
        this.#defer(() => this.#emit((l) => l.newSession?.(s)));
        return s;
      },
      (e: unknown) => {
        this.#renewing = undefined;
        throw e;
      },
    );
    return this.#renewing;
  }

  /**
   * A new session, however long the store stays unreachable (no quorum, a partition): as Kafka's ZooKeeperClient
   * reinitialize(), retried every second until it opens or the keeper is closed. Giving up after one failed
   * attempt would leave the broker unregistered for good.
   */
  async #openUntilDone(): Promise<CoordinationSession> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#open();
      } catch (e) {
        if (this.#closed) throw e;
        this.#defer(() => this.#emit((l) => l.renewFailed?.(e, attempt)));
        await this.#sleep(RENEW_BACKOFF_MS);
        if (this.#closed) throw e;
      }
    }
  }

  #emit(fn: (l: SessionKeeperListener) => void): void {
    if (this.#closed) return;
    for (const l of this.#listeners) fn(l);
  }
}
