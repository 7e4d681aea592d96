// KAFKA-6082 step by step: a controller whose session expired, and which has not heard of it yet, makes a write.
// Its SessionKeeper has already opened a new session and retries the request there; only the /controller_epoch
// fence stops it. Without the fence (the test-only switch) the zombie's write lands in the log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCoordinationStore } from '../../../src/cluster/coordination/memory.ts';
import { CoordinationError } from '../../../src/cluster/coordination/store.ts';
import { ClusterController } from '../../../src/controller/controller.ts';
import { BrokerRegistration } from '../../../src/controller/registration.ts';
import { SessionKeeper } from '../../../src/controller/session-keeper.ts';
import { decodeBatchNode, MetadataFollower, PATHS } from '../../../src/controller/store-log.ts';

const settle = () => new Promise((r) => setTimeout(r, 20));
const settings = { defaultPartitions: 1, defaultReplicationFactor: 1, uncleanLeaderElection: false };

async function node(store: MemoryCoordinationStore, id: number, unsafeSkipEpochCheck = false) {
  // What the keeper tells the broker's other parts waits here until the test lets it through.
  const held: Array<() => void> = [];
  let holding = false;
  const keeper = new SessionKeeper(store, { sessionTimeoutMs: 1000 }, (fn) =>
    holding ? held.push(fn) : setImmediate(fn),
  );
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
  const errors: unknown[] = [];
  const controller = new ClusterController({
    brokerId: id,
    keeper,
    follower,
    settings,
    newTopicId: () => `AAAAAAAAAAAAAAAAAAAA${id}w`,
    onError: (e) => errors.push(e),
    unsafeSkipEpochCheck,
  });
  await follower.catchUp();
  await registration.register();
  controller.start();
  await settle();
  return {
    keeper,
    follower,
    controller,
    errors,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const fn of held.splice(0)) fn();
    },
  };
}

function logEpochs(store: MemoryCoordinationStore): number[] {
  return (store.peekChildren(PATHS.log) ?? [])
    .sort()
    .map((c) => decodeBatchNode(store.peek(`${PATHS.log}/${c}`)!.data).header.controllerEpoch);
}

for (const unsafe of [false, true]) {
  test(
    unsafe
      ? 'without the fence, the zombie write lands (what the fence prevents)'
      : 'the zombie write is refused by the /controller_epoch fence',
    async () => {
      const store = new MemoryCoordinationStore({
        schedule: (d, fn) => {
          const t = setTimeout(fn, d);
          return () => clearTimeout(t);
        },
      });
      const a = await node(store, 1, unsafe);
      assert.equal(a.controller.active, true);
      assert.equal(a.controller.epoch, 1);
      const b = await node(store, 2, unsafe);
      await settle();
      assert.equal(b.controller.active, false);

      // A's session expires; A has not heard yet (its keeper's news is held).
      a.hold();
      store.expireSession(a.keeper.session.sessionId);
      await settle();
      assert.equal(b.controller.active, true, 'B took over');
      assert.equal(b.controller.epoch, 2);
      assert.equal(a.controller.active, true, 'A still believes it is the controller');

      // A zombie write: the old session is expired, the keeper retries on a new one.
      const write = a.controller.createTopics([
        { name: 'zombie', numPartitions: 1, replicationFactor: 1, assignments: null, configs: {} },
      ]);
      const outcome = await write.then(
        () => 'written',
        (e) => (e instanceof CoordinationError ? e.code : String(e)),
      );
      const epochs = logEpochs(store);
      if (unsafe) {
        assert.equal(outcome, 'written');
        assert.ok(epochs.indexOf(1, epochs.indexOf(2)) > 0, `an epoch-1 batch after epoch 2's: ${epochs}`);
      } else {
        assert.equal(outcome, 'BAD_VERSION');
        assert.equal(epochs.indexOf(1, epochs.indexOf(2)), -1, `no epoch-1 batch after epoch 2's: ${epochs}`);
        assert.equal(a.controller.active, false, 'the refused write made A resign');
        await settle();
        assert.equal(b.follower.image.topics.has('zombie'), false);
      }
      a.release();
      await settle();
      assert.equal(a.controller.active, false);
      assert.equal(b.controller.active, true);
      a.controller.stop();
      b.controller.stop();
      a.follower.stop();
      b.follower.stop();
    },
  );
}
