// The share-state requests of this broker's share-partition leaders to other brokers' share coordinators: one
// connection per broker over the inter-broker listener, opened as the replica fetchers open theirs
// (BrokerConnection to the broker's endpoint in the metadata), dropped on failure and opened again by the next send.

import { BrokerConnection } from '../../client/connection.ts';
import type { ClientSecurity } from '../../client/security.ts';
import type { ShareStateTransport } from './persister.ts';

export interface InterBrokerTransportOptions {
  nodeId: number;
  /** The broker's endpoint on the inter-broker listener, from the metadata. */
  endpoint: (brokerId: number) => { host: string; port: number } | undefined;
  /** TLS / SASL of the inter-broker listener (node/inter-broker.ts). */
  security?: ClientSecurity;
  /** No answer within this long fails the request (and the connection). */
  requestTimeoutMs: number;
}

export class InterBrokerTransport implements ShareStateTransport {
  readonly #o: InterBrokerTransportOptions;
  readonly #conns = new Map<number, Promise<BrokerConnection>>();
  #closed = false;

  constructor(opts: InterBrokerTransportOptions) {
    this.#o = opts;
  }

  #connection(brokerId: number): Promise<BrokerConnection> {
    if (this.#closed) return Promise.reject(new Error('the share-state transport is closed'));
    const open = this.#conns.get(brokerId);
    if (open) return open;
    const ep = this.#o.endpoint(brokerId);
    if (ep === undefined) return Promise.reject(new Error(`no endpoint for broker ${brokerId}`));
    const p = BrokerConnection.open(
      ep.host,
      ep.port,
      `share-persister-${this.#o.nodeId}`,
      10_000,
      this.#o.security,
    ).then((c) => {
      c.requestTimeoutMs = this.#o.requestTimeoutMs;
      return c;
    });
    this.#conns.set(brokerId, p);
    p.catch(() => {
      if (this.#conns.get(brokerId) === p) this.#conns.delete(brokerId);
    });
    return p;
  }

  async send<Res>(brokerId: number, apiKey: number, version: number, body: unknown): Promise<Res> {
    let conn = await this.#connection(brokerId);
    if (!conn.isOpen) {
      this.reset(brokerId);
      conn = await this.#connection(brokerId);
    }
    return conn.send<Res>(apiKey, version, body as never);
  }

  reset(brokerId: number): void {
    const p = this.#conns.get(brokerId);
    this.#conns.delete(brokerId);
    p?.then(
      (c) => c.close(),
      () => {},
    );
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#conns.keys()]) this.reset(id);
  }
}
