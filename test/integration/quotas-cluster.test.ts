// Client quotas in a cluster (startCluster: two brokers on the in-memory coordination store, the same controller
// path as ZooKeeper): a quota altered through one broker goes through the controller's admin queue into the shared
// metadata, every broker describes it and enforces it, and validate-only writes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { alterClientQuotas, describeClientQuotas } from '../../src/client/quotas.ts';
import { Admin, type RunningCluster, startCluster } from '../../src/index.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { AlterClientQuotasResponse, MetadataResponse } from '../../src/protocol/generated/messages.ts';

describe('client quotas in a cluster', { timeout: 120_000 }, () => {
  let cluster: RunningCluster;
  before(async () => {
    cluster = await startCluster({ brokers: 2, sessionTimeoutMs: 2000 });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('altered through one broker, described and enforced by the other', async () => {
    const [b1, b2] = cluster.brokers;
    const a1 = new Admin({ bootstrapServers: b1!.bootstrap });
    const a2 = new Admin({ bootstrapServers: b2!.bootstrap });
    try {
      await alterClientQuotas(a1, { clientId: 'cq' }, { producer_byte_rate: 5000 }, { validateOnly: true });
      await alterClientQuotas(a1, { clientId: 'slow' }, { request_percentage: 0.0001 });
      await assert.rejects(
        alterClientQuotas(a1, { clientId: 'cq' }, { consumer_byte_rate: -1 }),
        /Quota consumer_byte_rate must be greater than 0/,
      );
      // The asking broker answers once its own image holds the change; the other follows the same log.
      let seen: Awaited<ReturnType<typeof describeClientQuotas>> = [];
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        seen = await describeClientQuotas(a2, { ofType: 'client-id' });
        if (seen.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(seen, [{ entity: { clientId: 'slow' }, values: { request_percentage: 0.0001 } }]);
      // Broker 2 enforces it: a Metadata request of client 'slow' is soon answered with a throttle time.
      const c = await BrokerConnection.open('127.0.0.1', b2!.port, 'slow');
      try {
        let throttled = false;
        for (let i = 0; i < 3 && !throttled; i++) {
          const res = await c.send<MetadataResponse>(ApiKey.Metadata, 12, {
            topics: null,
            allowAutoTopicCreation: false,
            includeTopicAuthorizedOperations: false,
          });
          assert.ok(res.throttleTimeMs <= 1000);
          throttled = res.throttleTimeMs > 0;
        }
        assert.ok(throttled, 'broker 2 did not throttle the client');
      } finally {
        c.close();
      }
      await alterClientQuotas(a2, { clientId: 'slow' }, { request_percentage: null });
      assert.deepEqual(await describeClientQuotas(a2, {}), []);
    } finally {
      await a1.close();
      await a2.close();
    }
  });

  test('connection_creation_rate of an ip: connections beyond the rate are closed unanswered', async () => {
    const b = cluster.brokers[0]!;
    const keep = await BrokerConnection.open('127.0.0.1', b.port, 'ip-admin');
    const setIp = async (value: number | null) => {
      const res = await keep.send<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
        entries: [
          {
            entity: [{ entityType: 'ip', entityName: '127.0.0.1' }],
            ops: [{ key: 'connection_creation_rate', value: value ?? 0, remove: value === null }],
          },
        ],
        validateOnly: false,
      });
      assert.equal(res.entries[0]!.errorCode, 0, JSON.stringify(res));
    };
    try {
      await setIp(1);
      // 1 per second over the default window (11 samples: at least 10 s counted): about ten are let in at once,
      // the rest are closed after a throttle time without being answered.
      let accepted = 0;
      let refused = 0;
      const opened: BrokerConnection[] = [];
      for (let i = 0; i < 14; i++) {
        const c = await BrokerConnection.open('127.0.0.1', b.port, 'flood', 5000);
        opened.push(c);
        try {
          await c.send<MetadataResponse>(
            ApiKey.Metadata,
            12,
            { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
            true,
            5000,
          );
          accepted++;
        } catch {
          refused++;
        }
      }
      for (const c of opened) c.close();
      assert.ok(accepted >= 5 && refused >= 2, `accepted ${accepted}, refused ${refused}`);
      await setIp(null);
      const after = await BrokerConnection.open('127.0.0.1', b.port, 'flood', 5000);
      try {
        await after.send(
          ApiKey.Metadata,
          12,
          { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
          true,
          5000,
        );
      } finally {
        after.close();
      }
    } finally {
      keep.close();
    }
  });
});
