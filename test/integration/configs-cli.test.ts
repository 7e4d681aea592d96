// `tributary configs` for dynamic configs against a broker process: broker (per node and cluster default), broker
// loggers (runtime log levels) and groups (used by the KIP-848 coordinator, checked with a ConsumerGroupHeartbeat on
// the wire); bad input answers Kafka's error names with readable messages and exits non-zero.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { ConsumerGroupHeartbeatResponse } from '../../src/protocol/generated/messages.ts';
import {
  type BrokerHandle,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { runProcess, waitFor } from '../helpers/clients.ts';

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

interface Row {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
}

describe('tributary configs (dynamic configs)', { timeout: 240_000 }, () => {
  let broker: BrokerHandle | undefined;
  const setup = sharedSetup(async () => {
    broker = await startBrokerProcess();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const cli = async (args: string[], expectCode = 0) => {
    await setup.get();
    const r = await runProcess(process.execPath, [CLI, ...args, '-b', broker!.bootstrap], { timeoutMs: 60_000 });
    assert.equal(r.code, expectCode, `tributary ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };
  const describeJson = async (args: string[]) =>
    new Map(
      (JSON.parse((await cli(['configs', 'describe', ...args, '--json'])).stdout) as Row[]).map((r) => [r.name, r]),
    );

  test('broker configs: cluster default and per broker, with Kafka errors for read-only, unknown and invalid keys', async () => {
    const done = await cli(['configs', 'alter', '--broker-default', '--add-config', 'log.retention.ms=3600000']);
    assert.equal(done.stdout, 'Completed updating config for the default broker.\n');
    const defaults = await describeJson(['--entity-type', 'brokers', '--entity-default']);
    assert.deepEqual([...defaults.keys()], ['log.retention.ms']);
    assert.equal(defaults.get('log.retention.ms')!.source, 'DYNAMIC_DEFAULT_BROKER_CONFIG');

    await cli(['configs', 'alter', '--broker', '1', '--add-config', 'log.cleaner.min.cleanable.ratio=0.25']);
    const b = await describeJson(['--broker', '1', '--all']);
    assert.equal(b.get('log.cleaner.min.cleanable.ratio')!.source, 'DYNAMIC_BROKER_CONFIG');
    assert.equal(b.get('log.retention.ms')!.value, '3600000');
    assert.equal(b.get('advertised.listeners')!.readOnly, true);
    const table = (await cli(['configs', 'describe', '--broker', '1'])).stdout;
    assert.match(table, /log\.cleaner\.min\.cleanable\.ratio\s+0\.25\s+DYNAMIC_BROKER_CONFIG\s+false/);

    // Topics pick the new defaults up at once.
    await cli(['topics', 'create', '-t', 'dyn']);
    const topic = await describeJson(['--topic', 'dyn', '--all']);
    assert.equal(topic.get('retention.ms')!.value, '3600000');
    assert.equal(topic.get('retention.ms')!.source, 'DYNAMIC_DEFAULT_BROKER_CONFIG');
    assert.equal(topic.get('min.cleanable.dirty.ratio')!.value, '0.25');

    const old = await cli(['configs', 'alter', '--topic', 'dyn', '--add-config', 'message.format.version=2.8']);
    assert.match(
      old.stderr,
      /^Warning: Accepted, but message\.format\.version has no effect: deprecated since Kafka 3\.0/,
    );

    const noEffect = await cli(['configs', 'alter', '--broker', '1', '--add-config', 'num.io.threads=4']);
    assert.match(noEffect.stderr, /^Warning: Accepted, but num\.io\.threads has no effect: .*event loop/);

    const readOnly = await cli(['configs', 'alter', '--broker', '1', '--add-config', 'log.dirs=/tmp/x'], 1);
    assert.match(readOnly.stderr, /INVALID_REQUEST.*Cannot update these configs dynamically: Set\(log\.dirs\)/);
    const unknown = await cli(['configs', 'alter', '--broker-default', '--add-config', 'mesage.max.bytes=1'], 1);
    assert.match(
      unknown.stderr,
      /INVALID_CONFIG.*Unknown broker config name: mesage\.max\.bytes \(did you mean message\.max\.bytes\?\)/,
    );
    const invalid = await cli(['configs', 'alter', '--broker', '1', '--add-config', 'message.max.bytes=big'], 1);
    assert.match(invalid.stderr, /INVALID_REQUEST.*Invalid value 'big' for configuration message\.max\.bytes/);

    await cli(['configs', 'alter', '--broker-default', '--delete-config', 'log.retention.ms']);
    assert.equal((await describeJson(['--broker-default'])).size, 0);
    assert.equal((await describeJson(['--topic', 'dyn', '--all'])).get('retention.ms')!.value, '604800000');
  });

  test('broker loggers: describe and set log levels at runtime', async () => {
    const before = await describeJson(['--broker-logger', '1']);
    assert.equal(before.get('root')!.value, 'INFO');
    assert.equal(before.get('tributary.server')!.value, 'INFO');
    assert.equal(before.get('tributary.server')!.source, 'DYNAMIC_BROKER_LOGGER_CONFIG');

    // The controller's info lines ("created topic") stop at WARN and come back when the level is unset.
    await cli(['topics', 'create', '-t', 'lvl-shown']);
    await cli(['configs', 'alter', '--broker-logger', '1', '--add-config', 'tributary.controller=WARN']);
    assert.equal((await describeJson(['--broker-logger', '1'])).get('tributary.controller')!.value, 'WARN');
    await cli(['topics', 'create', '-t', 'lvl-hidden']);
    assert.match(broker!.logs(), /created topic topic=lvl-shown/);
    assert.doesNotMatch(broker!.logs(), /created topic topic=lvl-hidden/);
    assert.match(broker!.logs(), /Updated the log level of tributary\.controller to WARN/);
    await cli(['configs', 'alter', '--broker-logger', '1', '--delete-config', 'tributary.controller']);
    await cli(['topics', 'create', '-t', 'lvl-back']);
    assert.match(broker!.logs(), /created topic topic=lvl-back/);

    const badLevel = await cli(['configs', 'alter', '--broker-logger', '1', '--add-config', 'root=LOUD'], 1);
    assert.match(
      badLevel.stderr,
      /INVALID_CONFIG.*Cannot set the log level of root to LOUD.*Valid log levels are DEBUG, ERROR, FATAL, INFO, TRACE, WARN/,
    );
    const unknown = await cli(['configs', 'alter', '--broker-logger', '1', '--add-config', 'kafka.nope=DEBUG'], 1);
    assert.match(unknown.stderr, /INVALID_CONFIG.*Logger kafka\.nope does not exist!/);
    const root = await cli(['configs', 'alter', '--broker-logger', '1', '--delete-config', 'root'], 1);
    assert.match(root.stderr, /INVALID_REQUEST.*Removing the log level of the root logger is not allowed/);

    await cli(['configs', 'alter', '--broker-logger', '1', '--add-config', 'root=DEBUG']);
    const all = await describeJson(['--broker-logger', '1']);
    assert.equal(all.get('tributary.server')!.value, 'DEBUG', 'loggers without a level of their own follow root');
    await cli(['configs', 'alter', '--broker-logger', '1', '--add-config', 'root=INFO']);
  });

  test('group configs: stored, validated against the broker bounds, used by the consumer-protocol coordinator', async () => {
    await cli([
      'configs',
      'alter',
      '--group',
      'cg1',
      '--add-config',
      'consumer.session.timeout.ms=50000,consumer.heartbeat.interval.ms=6000',
    ]);
    const g = await describeJson(['--group', 'cg1']);
    assert.deepEqual(
      [...g.values()].map((r) => [r.name, r.value, r.source]),
      [
        ['consumer.heartbeat.interval.ms', '6000', 'GROUP_CONFIG'],
        ['consumer.session.timeout.ms', '50000', 'GROUP_CONFIG'],
      ],
    );
    assert.equal((await describeJson(['--group', 'cg1', '--all'])).get('share.auto.offset.reset')!.value, 'latest');

    const low = await cli(
      ['configs', 'alter', '--group', 'cg1', '--add-config', 'consumer.session.timeout.ms=1000'],
      1,
    );
    assert.match(
      low.stderr,
      /INVALID_CONFIG.*consumer\.session\.timeout\.ms must be greater than or equal to group\.consumer\.min\.session\.timeout\.ms/,
    );
    const unknown = await cli(['configs', 'alter', '--group', 'cg1', '--add-config', 'session.timeout.ms=50000'], 1);
    assert.match(unknown.stderr, /INVALID_CONFIG.*Unknown group config name: session\.timeout\.ms/);
    const streams = await cli(['configs', 'alter', '--group', 'cg1', '--add-config', 'streams.num.standby.replicas=1']);
    assert.match(
      streams.stderr,
      /Warning: .*streams\.num\.standby\.replicas has no effect: streams groups are not built yet/,
    );

    // A KIP-848 member of cg1 is told the group's heartbeat interval; another group gets the broker's.
    const conn = await BrokerConnection.open('127.0.0.1', broker!.port, 'cg-test');
    try {
      const heartbeat = (groupId: string) =>
        waitFor(`a ConsumerGroupHeartbeat answer for ${groupId}`, async () => {
          const r = await conn.send<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, 0, {
            groupId,
            memberId: `m-${groupId}-0000000000`,
            memberEpoch: 0,
            instanceId: null,
            rackId: null,
            rebalanceTimeoutMs: 30_000,
            subscribedTopicNames: ['dyn'],
            serverAssignor: null,
            topicPartitions: [],
          });
          return r.errorCode === 0 ? r : undefined;
        });
      assert.equal((await heartbeat('cg1')).heartbeatIntervalMs, 6000);
      assert.equal((await heartbeat('cg-plain')).heartbeatIntervalMs, 5000);
    } finally {
      conn.close();
    }
  });

  test('usage errors exit 2', async () => {
    assert.match((await cli(['configs', 'describe'], 2)).stderr, /name the entity/);
    assert.match((await cli(['configs', 'describe', '--broker', 'one'], 2)).stderr, /--broker takes a broker id/);
    assert.match(
      (await cli(['configs', 'describe', '--entity-type', 'topics', '--entity-default'], 2)).stderr,
      /--entity-default is only supported with --entity-type brokers/,
    );
    assert.match((await cli(['configs', 'describe', '--help'])).stdout, /Examples:\n {2}\$ tributary configs describe/);
  });
});
