import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RemoteTxnVerifier, type VerifySend } from '../../../src/coordinator/transaction/produce-verification.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { createLogger } from '../../../src/util/log.ts';

/** A coordinator whose answers the test releases one by one. */
function coordinator() {
  const calls: Array<{ broker: number; req: Parameters<VerifySend>[1]; answer: (code: number) => void }> = [];
  const send: VerifySend = (broker, req) => new Promise((resolve) => calls.push({ broker, req, answer: resolve }));
  return { calls, send };
}

function verifier(send: VerifySend) {
  return new RemoteTxnVerifier({
    nodeId: 1,
    send,
    endpoint: () => undefined,
    requestTimeoutMs: 1000,
    log: createLogger({ level: 'silent' }),
  });
}

test('a verified partition admits one append of that producer and epoch', async () => {
  const c = coordinator();
  const v = verifier(c.send);
  const p = v.verify(2, 'tx', 7, 3, 't', 0, true);
  assert.equal(c.calls.length, 1);
  assert.deepEqual(c.calls[0]!.req, {
    transactionalId: 'tx',
    producerId: 7,
    producerEpoch: 3,
    topic: 't',
    partition: 0,
    verifyOnly: true,
  });
  assert.equal(v.consume('t', 0, 7, 3), false, 'not before the answer');
  c.calls[0]!.answer(ErrorCode.NONE);
  assert.equal(await p, ErrorCode.NONE);
  assert.equal(v.consume('t', 0, 7, 4), false, 'another epoch');
  assert.equal(v.consume('t', 0, 7, 3), true);
  assert.equal(v.consume('t', 0, 7, 3), false, 'once');
});

test('a marker written while the verification is out voids it', async () => {
  const c = coordinator();
  const v = verifier(c.send);
  const p = v.verify(2, 'tx', 7, 3, 't', 0, true);
  v.markerWritten('t', 0, 7);
  c.calls[0]!.answer(ErrorCode.NONE);
  assert.equal(await p, ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal(v.consume('t', 0, 7, 3), false);
});

test('concurrent produces share one request; a refusal leaves no guard', async () => {
  const c = coordinator();
  const v = verifier(c.send);
  const a = v.verify(2, 'tx', 7, 3, 't', 0, false);
  const b = v.verify(2, 'tx', 7, 3, 't', 0, false);
  assert.equal(c.calls.length, 1);
  c.calls[0]!.answer(ErrorCode.INVALID_TXN_STATE);
  assert.deepEqual(await Promise.all([a, b]), [ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_TXN_STATE]);
  assert.equal(v.consume('t', 0, 7, 3), false);
});

test('an unreachable coordinator is NOT_COORDINATOR (the produce answers the retriable NOT_ENOUGH_REPLICAS)', async () => {
  const v = verifier(() => Promise.reject(new Error('connection refused')));
  assert.equal(await v.verify(2, 'tx', 7, 3, 't', 0, true), ErrorCode.NOT_COORDINATOR);
  assert.equal(v.consume('t', 0, 7, 3), false);
});
