// Kafka 4.4's kafka-features.sh (org.apache.kafka.tools.FeatureCommand, from Maven Central) against Tributary:
// describe lists the supported ranges and finalized levels; upgrade and downgrade go through UpdateFeatures and the
// controller; an unsupported level or a downgrade without --unsafe/safe typing is refused and changes nothing.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { BrokerConnection } from '../../src/client/connection.ts';
import { BOOTSTRAP_FEATURE_LEVELS, SUPPORTED_FEATURES } from '../../src/metadata/features.ts';
import { ApiKey } from '../../src/protocol/apis.ts';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages.ts';
import { type BrokerHandle, printLogsOnFailure, sharedSetup, startBrokerProcess } from '../helpers/broker.ts';
import { describeRun, requireBinary, runProcess } from '../helpers/clients.ts';
import { ensureKafkaTools } from '../helpers/kafka-tools.ts';

describe("Kafka 4.4's kafka-features.sh", { timeout: 600_000 }, () => {
  let broker: BrokerHandle | undefined;
  let libs = '';
  const setup = sharedSetup(async () => {
    requireBinary('java', 'apt-get install openjdk-17-jre-headless');
    requireBinary('mvn', 'apt-get install maven');
    libs = ensureKafkaTools();
    broker = await startBrokerProcess();
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const features = (...args: string[]) =>
    runProcess(
      'java',
      ['-cp', `${libs}/*`, 'org.apache.kafka.tools.FeatureCommand', '--bootstrap-server', broker!.bootstrap, ...args],
      { timeoutMs: 120_000 },
    );
  /** describe's lines, by feature name. */
  const describeFeatures = async (): Promise<Map<string, string>> => {
    const r = await features('describe');
    assert.equal(r.code, 0, describeRun('kafka-features describe', r));
    const out = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const m = /^Feature: (\S+)\s+(.*)$/.exec(line.trim());
      if (m) out.set(m[1]!, m[2]!.replace(/\s+/g, ' '));
    }
    return out;
  };
  const finalized = async (name: string) => {
    const c = await BrokerConnection.open('127.0.0.1', broker!.port);
    try {
      const v = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 4, {
        clientSoftwareName: 't',
        clientSoftwareVersion: '1',
      });
      return v.finalizedFeatures.find((f) => f.name === name)?.maxVersionLevel ?? 0;
    } finally {
      c.close();
    }
  };

  test('describe: every supported feature with its range and finalized level', async () => {
    await setup.get();
    const d = await describeFeatures();
    assert.deepEqual([...d.keys()].sort(), [...SUPPORTED_FEATURES.keys()].sort());
    for (const [name, level] of BOOTSTRAP_FEATURE_LEVELS) {
      const [min, max] = SUPPORTED_FEATURES.get(name)!;
      assert.match(
        d.get(name)!,
        new RegExp(
          `^SupportedMinVersion: ${min} SupportedMaxVersion: ${max} FinalizedVersionLevel: ${level} Epoch: \\d+`,
        ),
        name,
      );
    }
  });

  test('downgrade needs its own command; upgrade back; an unsupported level is refused', async () => {
    await setup.get();
    const tooHigh = await features('upgrade', '--feature', 'group.version=9');
    assert.notEqual(tooHigh.code, 0, describeRun('upgrade to 9', tooHigh));
    assert.match(tooHigh.stdout + tooHigh.stderr, /Invalid update version 9 for feature group\.version/);
    assert.equal(await finalized('group.version'), 1);

    const down = await features('downgrade', '--feature', 'group.version=0');
    assert.equal(down.code, 0, describeRun('downgrade', down));
    assert.equal(await finalized('group.version'), 0);
    assert.match((await describeFeatures()).get('group.version')!, /FinalizedVersionLevel: 0/);

    const dry = await features('upgrade', '--feature', 'group.version=1', '--dry-run');
    assert.equal(dry.code, 0, describeRun('upgrade --dry-run', dry));
    assert.equal(await finalized('group.version'), 0, 'a dry run changes nothing');

    const up = await features('upgrade', '--feature', 'group.version=1');
    assert.equal(up.code, 0, describeRun('upgrade', up));
    assert.equal(await finalized('group.version'), 1);
  });

  test('a finalized level survives a restart', async () => {
    await setup.get();
    const down = await features('downgrade', '--feature', 'transaction.version=0');
    assert.equal(down.code, 0, describeRun('downgrade', down));
    await broker!.restart();
    assert.equal(await finalized('transaction.version'), 0);
    const up = await features(
      'upgrade',
      '--feature',
      `transaction.version=${SUPPORTED_FEATURES.get('transaction.version')![1]}`,
    );
    assert.equal(up.code, 0, describeRun('upgrade', up));
  });
});
