// Turns a request frame into a response frame: header, version check, decode, handler, encode.

import type { RequestObserver } from '../ops/metrics.ts';
import { ApiKey, type ApiSchema, decodeRequestHeader, encodeResponseFrame } from '../protocol/apis.ts';
import { decode } from '../protocol/codec.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { ProtocolError, Reader } from '../protocol/io.ts';
import type { Logger } from '../util/log.ts';
import type { FrameProcessor, ResponseFrame } from './connection.ts';
import { CloseConnection, type ConnectionInfo, type HandlerDef, NO_RESPONSE } from './handler.ts';
import { API_VERSIONS_ERROR_BODY } from './handlers/api-versions.ts';
import { saslGate } from './sasl-gate.ts';
import type { BrokerServices } from './services.ts';
import {
  fetchThrottleMs,
  isFollowerFetch,
  quotaSubject,
  requestThrottleMs,
  throttledFetchResponse,
} from './throttle.ts';

export interface SupportedApi {
  readonly api: ApiSchema;
  readonly min: number;
  readonly max: number;
  readonly handler: HandlerDef;
}

export class Dispatcher implements FrameProcessor {
  private readonly apis = new Map<number, SupportedApi>();
  private readonly broker: BrokerServices;
  private readonly log: Logger;
  /** Metrics: one call per answered request (ops/metrics.ts). */
  private readonly observe: RequestObserver | undefined;

  constructor(broker: BrokerServices, handlers: readonly SupportedApi[], log: Logger, observe?: RequestObserver) {
    this.broker = broker;
    this.log = log;
    this.observe = observe;
    for (const h of handlers) this.apis.set(h.api.key, h);
  }

  async process(frame: Buffer, conn: ConnectionInfo): Promise<ResponseFrame | null> {
    const sasl = conn.sasl;
    if (sasl !== undefined) {
      const raw = saslGate(sasl, frame, conn, this.log);
      if (raw !== undefined) return raw;
    }
    const r = new Reader(frame);
    const { header, api } = decodeRequestHeader(r);
    const version = header.requestApiVersion;
    if (!api) throw new ProtocolError(`unknown api key ${header.requestApiKey}`);
    const supported = this.apis.get(api.key);
    if (!supported) {
      this.log.info({ api: api.name, version, client: header.clientId }, 'unsupported API requested');
      // Answer UNSUPPORTED_VERSION where the response has a top-level error code; otherwise close, as Kafka does
      // for an API it does not enable.
      const known = version >= api.valid[0] && version <= api.valid[1];
      if (known && api.response.fields.some((f) => f.n === 'errorCode' && version >= f.v[0] && version <= f.v[1]))
        return {
          chunks: encodeResponseFrame(api, version, header.correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION }),
        };
      throw new ProtocolError(`API ${api.name} (${api.key}) is not supported by this broker`);
    }
    if (version < supported.min || version > supported.max) {
      if (api.key === ApiKey.ApiVersions) {
        // KIP-511: answer with v0 so that any client can read our version ranges and retry.
        return {
          chunks: encodeResponseFrame(api, 0, header.correlationId, API_VERSIONS_ERROR_BODY(this.supportedList())),
        };
      }
      throw new ProtocolError(`${api.name} v${version} is not supported (supported ${supported.min}-${supported.max})`);
    }
    // At debug level every request is logged by API and version (what a client negotiated, which APIs it uses);
    // checked per request so a BROKER_LOGGER change applies at once.
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ api: api.name, version, client: header.clientId }, 'request');
    const tDecode = performance.now();
    const request = decode<unknown>(api.request, version, r);
    const t0 = this.observe ? performance.now() : 0;
    const sent: Array<() => void> = [];
    const afterSend = () => {
      for (const fn of sent) fn();
    };
    // Whatever the handler registered runs once: when the socket has written the response, or here when there is
    // no response that could reference the handler's memory (an error, acks=0, an encoding failure).
    let handedToSocket = false;
    try {
      let response: unknown;
      // Handling time for request_percentage: decoding and the handler's synchronous part (what it does before
      // its first wait; waits, like Kafka's purgatory, do not count).
      let handlerMs = 0;
      try {
        const pending = supported.handler.handle(
          {
            header,
            apiVersion: version,
            connection: conn,
            broker: this.broker,
            onResponseSent: (fn) => sent.push(fn),
          },
          request,
        );
        handlerMs = performance.now() - tDecode;
        response = await pending;
      } catch (e) {
        this.observe?.(api.key, api.name, version, request, null, t0);
        if (e instanceof CloseConnection) throw e;
        const code = e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
        if (!(e instanceof KafkaError)) this.log.error({ api: api.name, version, err: e }, 'handler failed');
        if (api.response.fields.some((f) => f.n === 'errorCode')) {
          return { chunks: encodeResponseFrame(api, version, header.correlationId, { errorCode: code }) };
        }
        throw e;
      }
      this.observe?.(api.key, api.name, version, request, response === NO_RESPONSE ? undefined : response, t0);
      const quotas = this.broker.quotas;
      const subject =
        quotas && quotaSubject(quotas, this.broker.metadata().clientQuotas, conn, header.clientId, this.broker.clock());
      let throttleMs = subject ? requestThrottleMs(subject, api.key, version, request, frame.length, handlerMs) : 0;
      // acks=0: no answer, but a throttled producer's connection is still muted.
      if (response === NO_RESPONSE) return throttleMs > 0 ? { chunks: [], throttleMs } : null;
      let body = response as { throttleTimeMs?: number };
      if (subject && api.key === ApiKey.Fetch && !isFollowerFetch(api.key, version, request)) {
        const full = encodeResponseFrame(api, version, header.correlationId, body);
        let bytes = 0;
        for (const c of full) bytes += c.length;
        throttleMs = fetchThrottleMs(subject, bytes, throttleMs);
        if (throttleMs === 0) {
          handedToSocket = true;
          return { chunks: full, sent: afterSend };
        }
        body = throttledFetchResponse(body, throttleMs);
      } else if (throttleMs > (body.throttleTimeMs ?? 0)) body = { ...body, throttleTimeMs: throttleMs };
      // A throttle the handler answered (controller mutations) mutes the connection too.
      throttleMs = Math.max(throttleMs, body.throttleTimeMs ?? 0);
      const chunks = encodeResponseFrame(api, version, header.correlationId, body);
      handedToSocket = true;
      return throttleMs > 0 ? { chunks, sent: afterSend, throttleMs } : { chunks, sent: afterSend };
    } finally {
      if (!handedToSocket) afterSend();
    }
  }

  supportedList(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.apis.values()]
      .sort((a, b) => a.api.key - b.api.key)
      .map((s) => ({ apiKey: s.api.key, minVersion: s.min, maxVersion: s.max }));
  }
}
