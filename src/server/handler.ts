// What a request handler is: one file per API under src/server/handlers/, each exporting a HandlerDef.

import type { Encodable } from '../protocol/codec.ts';
import type { RequestHeader } from '../protocol/generated/messages.ts';
import type { SaslSession } from '../security/sasl.ts';
import type { BrokerServices } from './services.ts';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
  readonly securityProtocol: string;
  /** Kafka principal of the peer (`User:CN=carol`, `User:alice`); `User:ANONYMOUS` before authentication. */
  principal: string;
  /** SASL state on SASL_PLAINTEXT / SASL_SSL listeners (see security/sasl.ts); undefined elsewhere. */
  readonly sasl?: SaslSession;
}

export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connection: ConnectionInfo;
  readonly broker: BrokerServices;
  /**
   * Runs `fn` once this request's response has been handed to the kernel (or the connection closed): the moment
   * memory referenced by the response (Fetch's pooled reads) may be reused.
   */
  onResponseSent(fn: () => void): void;
}

/** Returned by a handler that must not answer (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no-response');

/**
 * Thrown by a handler to close the connection without answering, as Kafka's `closeConnection` (a failed acks=0
 * produce: the client has no response to read, the disconnect makes it refresh its metadata). Logged at info.
 */
export class CloseConnection extends Error {
  override name = 'CloseConnection';
}

export interface HandlerDef<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  /**
   * Versions this handler implements, pinned by hand (as Redpanda and franz-go's kfake do): ApiVersions advertises
   * exactly this range, so regenerating the definitions never widens what is served. Raise it together with the
   * semantics of the new versions (and the table in test/unit/server/advertised-versions.test.ts).
   */
  readonly versions: readonly [number, number];
  handle(
    ctx: RequestContext,
    request: Req,
  ): Promise<Encodable<Res> | typeof NO_RESPONSE> | Encodable<Res> | typeof NO_RESPONSE;
}

export function defineHandler<Req, Res>(def: HandlerDef<Req, Res>): HandlerDef<Req, Res> {
  return def;
}
