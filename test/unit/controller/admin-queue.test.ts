// Admin requests through the store (controller/admin-queue.ts) on the in-memory store: answered by the active
// controller with the metadata offset of the change, refusals answered without records, a request queued while no
// controller runs answered by the one elected later, a request answered exactly once across a controller change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore } from '../../../src/cluster/coordination/memory.ts';
import {
  ABANDONED_ANSWER_MS,
  ADMIN_PATHS,
  callController,
  encodeAdmin,
  ensureAdminLayout,
} from '../../../src/controller/admin-queue.ts';
import { ClusterController } from '../../../src/controller/controller.ts';
import { BrokerRegistration } from '../../../src/controller/registration.ts';
import { SessionKeeper } from '../../../src/controller/session-keeper.ts';
import { MetadataFollower } from '../../../src/controller/store-log.ts';
import type { CreateTopicResult } from '../../../src/metadata/controller.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { createLogger } from '../../../src/util/log.ts';

const settle = () => new Promise((r) => setTimeout(r, 30));
const settings = { defaultPartitions: 1, defaultReplicationFactor: 1, uncleanLeaderElection: false };
const logger = createLogger({ level: 'silent' });
const defaults = { numPartitions: 2, defaultReplicationFactor: 1, validateTopicConfigs: () => [] };

async function broker(store: MemoryCoordinationStore, id: number, startController = true) {
  const keeper = new SessionKeeper(store, { sessionTimeoutMs: 1000 });
  await keeper.start();
  const follower = new MetadataFollower(keeper, 'c');
  const registration = new BrokerRegistration(
    keeper,
    id,
    {
      endpoints: [{ name: 'PLAINTEXT', host: 'h', port: 9000 + id, securityProtocol: 'PLAINTEXT' }],
      rack: null,
      incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA',
    },
    () => {},
  );
  const controller = new ClusterController({ brokerId: id, keeper, follower, settings, admin: { defaults, logger } });
  await follower.catchUp();
  await registration.register();
  if (startController) controller.start();
  await settle();
  return { keeper, follower, controller };
}

const spec = (name: string, rf = 2) => ({
  name,
  numPartitions: 3,
  replicationFactor: rf,
  assignments: [],
  configs: {},
});

test('a request from a broker that is not the controller: answered with the offset its image reaches', async () => {
  const store = new MemoryCoordinationStore();
  const a = await broker(store, 1);
  const b = await broker(store, 2);
  assert.ok(a.controller.active && !b.controller.active);
  const answer = await callController(b.keeper, { op: 'createTopics', specs: [spec('t')] }, 5000);
  const [r] = answer.result as CreateTopicResult[];
  assert.equal(r!.errorCode, ErrorCode.NONE);
  assert.equal(r!.replicationFactor, 2);
  assert.ok(answer.offset > 0);
  await b.follower.catchUp();
  assert.ok(b.follower.image.offset >= answer.offset);
  const t = b.follower.image.topics.get('t')!;
  assert.equal(t.partitions.length, 3);
  for (const p of t.partitions) assert.deepEqual([...p.replicas].sort(), [1, 2]);
  // Refused: nothing written, the answer names the current offset; the queue is empty and the answer consumed.
  const again = await callController(b.keeper, { op: 'createTopics', specs: [spec('t'), spec('x', 3)] }, 5000);
  const [dup, tooMany] = again.result as CreateTopicResult[];
  assert.equal(dup!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal(tooMany!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  assert.equal(again.offset, answer.offset);
  assert.deepEqual(store.peekChildren(ADMIN_PATHS.requests), []);
  assert.deepEqual(store.peekChildren(ADMIN_PATHS.responses), []);
});

test('queued while no controller runs: the controller elected later answers it, once', async () => {
  const store = new MemoryCoordinationStore();
  const b = await broker(store, 2, false);
  const pending = callController(b.keeper, { op: 'createTopics', specs: [spec('late', 1)] }, 5000, 50);
  await settle();
  assert.equal(store.peekChildren(ADMIN_PATHS.requests)?.length, 1);
  b.controller.start();
  const answer = await pending;
  assert.equal((answer.result as CreateTopicResult[])[0]!.errorCode, ErrorCode.NONE);
  // The controller resigns and another is elected: nothing is answered or written twice.
  const records = b.follower.image.offset;
  b.controller.stop();
  await b.keeper.close();
  const c = await broker(store, 3);
  await settle();
  assert.ok(c.controller.active);
  await c.follower.catchUp();
  assert.equal(c.follower.image.topics.get('late')?.partitions.length, 3);
  assert.ok(c.follower.image.offset >= records);
  assert.deepEqual(store.peekChildren(ADMIN_PATHS.requests), []);
});

test('a wall-clock step forward while a request waits does not time it out', async (t) => {
  // Found with the fault harness's clock-skew kind in mind: the asking side's deadline was Date.now-based, so a step
  // of the wall clock by minutes withdrew every request in flight at once (REQUEST_TIMED_OUT for a change the
  // controller may make anyway). The deadline now runs on the monotonic clock.
  const store = new MemoryCoordinationStore();
  const b = await broker(store, 2, false);
  const pending = callController(b.keeper, { op: 'createTopics', specs: [spec('stepped', 1)] }, 5000, 50);
  await settle();
  const wall = Date.now.bind(Date);
  t.mock.method(Date, 'now', () => wall() + 10 * 60_000);
  await settle();
  assert.equal(store.peekChildren(ADMIN_PATHS.requests)?.length, 1, 'still queued');
  b.controller.start();
  const answer = await pending;
  assert.equal((answer.result as CreateTopicResult[])[0]!.errorCode, ErrorCode.NONE);
  b.controller.stop();
  await b.keeper.close();
});

test('answers nobody collected are deleted when a controller takes over; recent ones stay', async () => {
  const store = new MemoryCoordinationStore();
  const b = await broker(store, 2, false);
  await b.keeper.run((s) => ensureAdminLayout(s));
  const old = encodeAdmin({ offset: 0, result: [], answeredAt: Date.now() - ABANDONED_ANSWER_MS - 1 });
  const recent = encodeAdmin({ offset: 0, result: [], answeredAt: Date.now() });
  await b.keeper.run((s) => s.create(`${ADMIN_PATHS.responses}/req-0000000001`, old, 'persistent'));
  await b.keeper.run((s) => s.create(`${ADMIN_PATHS.responses}/req-0000000002`, recent, 'persistent'));
  b.controller.start();
  await settle();
  assert.ok(b.controller.active);
  assert.deepEqual(store.peekChildren(ADMIN_PATHS.responses), ['req-0000000002']);
});

test('producer id blocks and controlled shutdown go through the queue to decisions.ts', async () => {
  const store = new MemoryCoordinationStore();
  const a = await broker(store, 1);
  const epoch = a.follower.image.brokers.get(1)!.epoch;
  const first = await callController(
    a.keeper,
    { op: 'allocateProducerIds', brokerId: 1, brokerEpoch: String(epoch), size: 1000 },
    5000,
  );
  const second = await callController(
    a.keeper,
    { op: 'allocateProducerIds', brokerId: 1, brokerEpoch: String(epoch), size: 1000 },
    5000,
  );
  const ids = (r: unknown) => (r as { producerIds: { firstProducerId: string } }).producerIds.firstProducerId;
  assert.equal(ids(first.result), '0');
  assert.equal(ids(second.result), '1000');
  const stale = await callController(
    a.keeper,
    { op: 'allocateProducerIds', brokerId: 1, brokerEpoch: '1', size: 1000 },
    5000,
  );
  assert.equal((stale.result as { errorCode: number }).errorCode, ErrorCode.STALE_BROKER_EPOCH);
  const shutdown = await callController(
    a.keeper,
    { op: 'controlledShutdown', brokerId: 1, brokerEpoch: String(epoch) },
    5000,
  );
  assert.equal((shutdown.result as { remainingLeaders: number }).remainingLeaders, 0);
  await a.follower.catchUp();
  assert.equal(a.follower.image.brokers.get(1)!.inControlledShutdown, true);
});

test('SCRAM credentials and ACLs through the queue: every broker applies the same records, bytes intact', async () => {
  const store = new MemoryCoordinationStore();
  const a = await broker(store, 1);
  const b = await broker(store, 2);
  assert.ok(a.controller.active && !b.controller.active);
  const key = (n: number) => Buffer.alloc(64, n).toString('base64');
  const up = { name: 'alice', mechanism: 2, iterations: 4096, salt: key(1), storedKey: key(2), serverKey: key(3) };
  const odd = { ...up, name: 'bob', mechanism: 7 };
  const scram = await callController(
    b.keeper,
    { op: 'alterUserScramCredentials', deletions: [], upsertions: [up, odd] },
    5000,
  );
  assert.deepEqual(
    (scram.result as Array<{ user: string; errorCode: number }>).map((r) => [r.user, r.errorCode]),
    [
      ['alice', ErrorCode.NONE],
      ['bob', ErrorCode.UNSUPPORTED_SASL_MECHANISM],
    ],
  );
  const acl = {
    resourceType: 2, // TOPIC
    resourceName: 'orders',
    patternType: 3, // LITERAL
    principal: 'User:alice',
    host: '*',
    operation: 3, // READ
    permissionType: 3, // ALLOW
  };
  const created = await callController(b.keeper, { op: 'createAcls', creations: [acl] }, 5000);
  assert.deepEqual(created.result, [{ errorCode: ErrorCode.NONE, errorMessage: null }]);
  for (const x of [a, b]) {
    await x.follower.catchUp();
    const c = x.follower.image.scramCredentials.get('alice')?.get(2);
    assert.ok(c);
    assert.deepEqual(
      [c.salt, c.storedKey, c.serverKey, c.iterations],
      [Buffer.alloc(64, 1), Buffer.alloc(64, 2), Buffer.alloc(64, 3), 4096],
    );
    assert.deepEqual([...x.follower.image.acls.values()], [acl]);
  }
  const filter = { ...acl, resourceName: null, principal: null, host: null };
  const deleted = await callController(b.keeper, { op: 'deleteAcls', filters: [filter] }, 5000);
  assert.deepEqual(deleted.result, [[acl]]);
  await b.follower.catchUp();
  assert.equal(b.follower.image.acls.size, 0);
  a.controller.stop();
  b.controller.stop();
});
