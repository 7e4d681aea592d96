// The ZooKeeper implementation of the coordination store: a client written on ZooKeeper's wire protocol (see
// jute.ts, connection.ts, session.ts and docs/ARCHITECTURE.md, "Coordination", for why not an npm client).
import { CoordinationError, type CoordinationStore, type SessionOptions } from '../store.ts';
import { validatePath } from './args.ts';
import type { ServerAddress } from './connection.ts';
import { ZooKeeperSession } from './session.ts';

export { ZooKeeperSession } from './session.ts';

export interface ConnectString {
  readonly servers: readonly ServerAddress[];
  /** '' or the chroot path, without a trailing slash. */
  readonly chroot: string;
}

const DEFAULT_PORT = 2181;

/** Parses Kafka's / ZooKeeper's connect string: `h1:2181,h2:2181,[::1]:2181/chroot` (port defaults to 2181). */
export function parseConnectString(connect: string): ConnectString {
  const trimmed = connect.trim();
  const slash = trimmed.indexOf('/');
  const hostPart = slash < 0 ? trimmed : trimmed.slice(0, slash);
  let chroot = slash < 0 ? '' : trimmed.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot.endsWith('/')) chroot = chroot.slice(0, -1);
  if (chroot !== '') {
    try {
      validatePath(chroot, false);
    } catch {
      throw new CoordinationError('BAD_ARGUMENTS', chroot, `invalid chroot in ZooKeeper connect string "${connect}"`);
    }
  }
  const servers: ServerAddress[] = [];
  for (const raw of hostPart.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    let host: string;
    let portText: string | undefined;
    if (entry.startsWith('[')) {
      const close = entry.indexOf(']');
      if (close < 0) throw new CoordinationError('BAD_ARGUMENTS', undefined, `bad ZooKeeper address "${entry}"`);
      host = entry.slice(1, close);
      portText = entry[close + 1] === ':' ? entry.slice(close + 2) : undefined;
    } else {
      const colon = entry.lastIndexOf(':');
      host = colon < 0 ? entry : entry.slice(0, colon);
      portText = colon < 0 ? undefined : entry.slice(colon + 1);
    }
    const port = portText === undefined ? DEFAULT_PORT : Number(portText);
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new CoordinationError('BAD_ARGUMENTS', undefined, `bad ZooKeeper address "${entry}" in "${connect}"`);
    }
    servers.push({ host, port });
  }
  if (servers.length === 0) {
    throw new CoordinationError('BAD_ARGUMENTS', undefined, `no ZooKeeper server in connect string "${connect}"`);
  }
  return { servers, chroot };
}

export interface ZooKeeperStoreOptions {
  /** Create the chroot path (and its parents) if it is missing, as Kafka's brokers do. Default true. */
  readonly createChroot?: boolean;
}

export class ZooKeeperStore implements CoordinationStore {
  readonly description: string;
  readonly #target: ConnectString;
  readonly #createChroot: boolean;

  constructor(connectString: string, options: ZooKeeperStoreOptions = {}) {
    this.#target = parseConnectString(connectString);
    this.description = `zookeeper:${connectString}`;
    this.#createChroot = options.createChroot ?? true;
  }

  get chroot(): string {
    return this.#target.chroot;
  }

  async connect(options: SessionOptions): Promise<ZooKeeperSession> {
    const chroot = this.#target.chroot;
    if (chroot !== '' && this.#createChroot) await this.#ensureChroot(options);
    return this.#open(options, chroot, undefined);
  }

  /**
   * Attaches to an existing session by id and password (ZooKeeper's reconnect-with-credentials). Closing the
   * attached session ends the original one too; tests use this to expire a session on the server.
   */
  resume(sessionId: bigint, password: Uint8Array, options: SessionOptions): Promise<ZooKeeperSession> {
    return this.#open(options, this.#target.chroot, { sessionId, password });
  }

  async #open(
    options: SessionOptions,
    chroot: string,
    resume: { sessionId: bigint; password: Uint8Array } | undefined,
  ): Promise<ZooKeeperSession> {
    if (!Number.isInteger(options.sessionTimeoutMs) || options.sessionTimeoutMs <= 0) {
      throw new CoordinationError('BAD_ARGUMENTS', undefined, `bad session timeout ${options.sessionTimeoutMs}`);
    }
    const session = new ZooKeeperSession({
      servers: this.#target.servers,
      chroot,
      sessionTimeoutMs: options.sessionTimeoutMs,
      connectionTimeoutMs: options.connectionTimeoutMs ?? options.sessionTimeoutMs,
      resume,
    });
    await session.open();
    return session;
  }

  /** A short session without the chroot that creates it, like Kafka's createChrootIfNecessary. */
  async #ensureChroot(options: SessionOptions): Promise<void> {
    const root = await this.#open(options, '', undefined);
    try {
      if ((await root.exists(this.#target.chroot)) !== null) return;
      let path = '';
      for (const name of this.#target.chroot.slice(1).split('/')) {
        path += `/${name}`;
        try {
          await root.create(path, new Uint8Array(0), 'persistent');
        } catch (e) {
          if (!(e instanceof CoordinationError && e.code === 'NODE_EXISTS')) throw e;
        }
      }
    } finally {
      await root.close();
    }
  }
}
