// KIP-890 at a partition leader whose transaction coordinator is another broker (cluster mode; Kafka's
// AddPartitionsToTxnManager): before the first transactional append of a producer to a partition, the leader asks
// the coordinator with AddPartitionsToTxn v4+ — verify-only for producers on transaction version 1 (Produce v<12:
// the client added the partition itself), a real add for transaction version 2 (Produce v12+). The answer leaves a
// verification guard (Kafka's VerificationGuard) for that producer and partition: the append consumes it, and a
// transaction marker written meanwhile removes it, so a verification of an already finished transaction never lets
// a late batch into the next one. The guard is made before the request goes out and checked when the answer
// arrives.

import { BrokerConnection } from '../../client/connection.ts';
import type { ClientSecurity } from '../../client/security.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../protocol/generated/messages.ts';
import type { Logger } from '../../util/log.ts';

/** One AddPartitionsToTxn (v4+) for one partition to the coordinator `broker`; resolves with the partition's code. */
export type VerifySend = (
  broker: number,
  req: {
    transactionalId: string;
    producerId: number;
    producerEpoch: number;
    topic: string;
    partition: number;
    verifyOnly: boolean;
  },
) => Promise<number>;

export interface RemoteVerifierOptions {
  nodeId: number;
  /** Replaces the network (tests). */
  send?: VerifySend;
  endpoint: (brokerId: number) => { host: string; port: number } | undefined;
  /** TLS / SASL of the inter-broker listener (node/inter-broker.ts). */
  security?: ClientSecurity;
  requestTimeoutMs: number;
  log: Logger;
}

interface Guard {
  producerEpoch: number;
  verified: boolean;
  /** The coordinator's answer (the request under way). */
  answer: Promise<number>;
}

export class RemoteTxnVerifier {
  readonly #o: RemoteVerifierOptions;
  readonly #conns = new Map<number, Promise<BrokerConnection>>();
  /** topic \0 partition \0 producer id → the guard of a verification under way or done. */
  readonly #guards = new Map<string, Guard>();

  constructor(opts: RemoteVerifierOptions) {
    this.#o = opts;
  }

  /**
   * Asks coordinator `broker` whether (verifyOnly) or that (TV2) the partition is in the producer's transaction.
   * Resolves with the coordinator's error code; NONE leaves a guard for the append to consume.
   */
  async verify(
    broker: number,
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    topic: string,
    partition: number,
    verifyOnly: boolean,
  ): Promise<number> {
    const key = guardKey(topic, partition, producerId);
    const existing = this.#guards.get(key);
    if (existing !== undefined && existing.producerEpoch === producerEpoch) {
      // Another produce of the same producer to this partition is verifying (or verified): share its answer.
      if (existing.verified) return ErrorCode.NONE;
      const code = await existing.answer;
      return this.#guards.get(key) === existing || code !== ErrorCode.NONE ? code : ErrorCode.CONCURRENT_TRANSACTIONS;
    }
    const guard: Guard = { producerEpoch, verified: false, answer: Promise.resolve(ErrorCode.NONE) };
    this.#guards.set(key, guard);
    const req = { transactionalId, producerId, producerEpoch, topic, partition, verifyOnly };
    guard.answer = (this.#o.send ?? ((b, r) => this.#send(b, r)))(broker, req).catch((e: unknown) => {
      this.#o.log.info(
        { broker, transactionalId, err: e instanceof Error ? e.message : String(e) },
        'transaction verification with the coordinator failed',
      );
      this.#dropConnection(broker);
      return ErrorCode.NOT_COORDINATOR;
    });
    const code = await guard.answer;
    if (this.#guards.get(key) !== guard) {
      // A marker was written while this one was out: it proves nothing about the transaction open now.
      return code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code;
    }
    if (code === ErrorCode.NONE) guard.verified = true;
    else this.#guards.delete(key);
    return code;
  }

  /** The append of a transactional batch without an open transaction here: true (once) if it was verified. */
  consume(topic: string, partition: number, producerId: number, producerEpoch: number): boolean {
    const key = guardKey(topic, partition, producerId);
    const g = this.#guards.get(key);
    if (g === undefined || !g.verified || g.producerEpoch !== producerEpoch) return false;
    this.#guards.delete(key);
    return true;
  }

  /** A marker of `producerId` was written to the partition: its transaction ended, verifications before are void. */
  markerWritten(topic: string, partition: number, producerId: number): void {
    this.#guards.delete(guardKey(topic, partition, producerId));
  }

  async #send(broker: number, r: Parameters<VerifySend>[1]): Promise<number> {
    const { transactionalId, producerId, producerEpoch, topic, partition, verifyOnly } = r;
    const conn = await this.#connection(broker);
    const range = conn.brokerVersions.get(ApiKey.AddPartitionsToTxn);
    if (range === undefined || range[1] < 4) throw new Error(`broker ${broker} does not serve AddPartitionsToTxn v4+`);
    const body = {
      transactions: [
        {
          transactionalId,
          producerId: BigInt(producerId),
          producerEpoch,
          verifyOnly,
          topics: [{ name: topic, partitions: [partition] }],
        },
      ],
    } as unknown as AddPartitionsToTxnRequest;
    const res = await conn.send<AddPartitionsToTxnResponse, AddPartitionsToTxnRequest>(
      ApiKey.AddPartitionsToTxn,
      Math.min(5, range[1]),
      body,
    );
    if (res.errorCode !== ErrorCode.NONE) return res.errorCode;
    const p = res.resultsByTransaction[0]?.topicResults[0]?.resultsByPartition[0];
    if (p === undefined) throw new Error('AddPartitionsToTxn answered without the partition');
    if (p.partitionErrorCode !== ErrorCode.NONE)
      this.#o.log.debug(
        { broker, transactionalId, topic, partition, error: errorName(p.partitionErrorCode) },
        'transaction verification refused',
      );
    return p.partitionErrorCode;
  }

  #connection(broker: number): Promise<BrokerConnection> {
    let c = this.#conns.get(broker);
    if (c === undefined) {
      c = (async () => {
        const ep = this.#o.endpoint(broker);
        if (ep === undefined) throw new Error(`no endpoint for broker ${broker} on the inter-broker listener`);
        const conn = await BrokerConnection.open(
          ep.host,
          ep.port,
          `txn-verifier-${this.#o.nodeId}`,
          10_000,
          this.#o.security,
        );
        conn.requestTimeoutMs = this.#o.requestTimeoutMs;
        await conn.negotiate();
        return conn;
      })();
      this.#conns.set(broker, c);
      c.then(
        (conn) => {
          if (!conn.isOpen && this.#conns.get(broker) === c) this.#conns.delete(broker);
        },
        () => {
          if (this.#conns.get(broker) === c) this.#conns.delete(broker);
        },
      );
    }
    return c.then((conn) => {
      if (conn.isOpen) return conn;
      this.#dropConnection(broker);
      return this.#connection(broker);
    });
  }

  #dropConnection(broker: number): void {
    const c = this.#conns.get(broker);
    this.#conns.delete(broker);
    c?.then(
      (conn) => conn.close(),
      () => {},
    );
  }

  close(): void {
    for (const b of [...this.#conns.keys()]) this.#dropConnection(b);
    this.#guards.clear();
  }
}

function guardKey(topic: string, partition: number, producerId: number): string {
  return `${topic}\u0000${partition}\u0000${producerId}`;
}
