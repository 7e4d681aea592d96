// `tributary perf produce --producer-props k=v ...`: Kafka's property names mapped to Producer options, and usage
// errors for what is unknown or invalid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/cli/commands/common.ts';
import { producerProps } from '../../../src/cli/commands/perf.ts';

test('defaults, and each supported property', () => {
  assert.deepEqual(producerProps([], undefined), {
    acks: -1,
    lingerMs: 5,
    batchSize: 65536,
    maxInFlightRequests: 5,
    idempotent: false,
    compression: 'none',
  });
  assert.deepEqual(
    producerProps(
      [
        'acks=1',
        'linger.ms=0',
        'batch.size=1000',
        'compression.type=lz4',
        'bootstrap.servers=h:1',
        'client.id=perf',
        'max.in.flight.requests.per.connection=1',
      ],
      undefined,
    ),
    {
      bootstrapServers: 'h:1',
      clientId: 'perf',
      acks: 1,
      lingerMs: 0,
      batchSize: 1000,
      maxInFlightRequests: 1,
      idempotent: false,
      compression: 'lz4',
    },
  );
  // Comma-separated in one argument works too; -z wins over compression.type.
  const p = producerProps(['acks=all,enable.idempotence=true', 'compression.type=gzip'], 'zstd');
  assert.equal(p.acks, -1);
  assert.equal(p.idempotent, true);
  assert.equal(p.compression, 'zstd');
});

test('unknown and invalid properties are usage errors that say what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [['nope=1'], /unsupported producer property nope \(supported: acks, /],
    [['acks=2'], /acks must be all, -1, 0 or 1/],
    [['linger.ms=soon'], /linger\.ms must be a non-negative integer, got "soon"/],
    [['batch.size=-1'], /batch\.size must be a non-negative integer/],
    [['enable.idempotence=yes'], /enable\.idempotence must be true or false/],
    [['enable.idempotence=true', 'acks=1'], /needs acks=all/],
    [['acks'], /expected key=value/],
  ];
  for (const [list, message] of cases)
    assert.throws(
      () => producerProps(list, undefined),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      list.join(' '),
    );
});
