// Property test: random append / roll / truncateTo / reopen sequences against an in-memory model of batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { defaultLogConfig } from '../../../src/storage/config.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { makeAppend, parseBatches, tempDir } from './helpers.ts';

interface ModelBatch {
  baseOffset: number;
  lastOffset: number;
  timestamp: number;
}

type Cmd =
  | { kind: 'append'; batches: Array<{ count: number; timestamp: number }> }
  | { kind: 'roll' }
  | { kind: 'truncate'; frac: number }
  | { kind: 'reopen'; clean: boolean; recoveryFrac: number | null };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      batches: fc.array(
        fc.record({ count: fc.integer({ min: 1, max: 5 }), timestamp: fc.integer({ min: 0, max: 1000 }) }),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reopen' as const),
      clean: fc.boolean(),
      recoveryFrac: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  },
);

test('partition log matches an in-memory model', (t) => {
  const root = tempDir(t);
  let run = 0;
  fc.assert(
    fc.property(
      fc.array(cmdArb, { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 200, max: 800 }),
      fc.integer({ min: 1, max: 300 }),
      (cmds, segmentBytes, indexIntervalBytes) => {
        const dir = `${root}/run-${run++}`;
        const config = defaultLogConfig({ segmentBytes, indexIntervalBytes, fileDeleteDelayMs: 0, retentionMs: -1 });
        let log = PartitionLog.open(dir, config);
        const model: ModelBatch[] = [];
        const leo = (): number => (model.length === 0 ? 0 : model[model.length - 1]!.lastOffset + 1);
        try {
          for (const cmd of cmds) {
            if (cmd.kind === 'append') {
              const { buf, batches } = makeAppend(cmd.batches);
              const r = log.append(buf, batches, 1);
              assert.equal(r.baseOffset, leo());
              let o = r.baseOffset;
              for (const b of cmd.batches) {
                model.push({ baseOffset: o, lastOffset: o + b.count - 1, timestamp: b.timestamp });
                o += b.count;
              }
              assert.equal(r.lastOffset, o - 1);
            } else if (cmd.kind === 'roll') {
              log.roll();
            } else if (cmd.kind === 'truncate') {
              const target = Math.floor(cmd.frac * leo());
              log.truncateTo(target);
              while (model.length > 0 && model[model.length - 1]!.lastOffset >= target) model.pop();
            } else {
              if (cmd.clean) {
                log.close();
                log = PartitionLog.open(dir, config, { cleanShutdown: true });
              } else {
                log.close({ flush: false });
                const rp = cmd.recoveryFrac === null ? undefined : Math.floor(cmd.recoveryFrac * leo());
                log = PartitionLog.open(dir, config, { recoveryPoint: rp });
              }
            }
            assert.equal(log.logEndOffset, leo());
          }
          // Full scan equals the model.
          const seen: ModelBatch[] = [];
          let offset = 0;
          while (offset < log.logEndOffset) {
            const batches = parseBatches(log.read(offset, 250).records);
            assert.ok(batches.length > 0);
            for (const b of batches) {
              assert.ok(b.crcOk);
              seen.push({ baseOffset: b.baseOffset, lastOffset: b.lastOffset, timestamp: b.maxTimestamp });
            }
            offset = batches[batches.length - 1]!.lastOffset + 1;
          }
          assert.deepEqual(seen, model);
          // Every offset resolves to its batch.
          for (const m of model) {
            for (let o = m.baseOffset; o <= m.lastOffset; o++) {
              assert.equal(log.read(o, 1).firstOffset, m.baseOffset);
            }
          }
          // Time lookup: first batch with max timestamp >= ts.
          for (const ts of [0, 250, 500, 999]) {
            const want = model.find((m) => m.timestamp >= ts);
            const got = log.offsetForTimestamp(ts);
            assert.equal(got?.offset, want?.baseOffset);
          }
          const max = model.reduce((a, m) => Math.max(a, m.timestamp), -1);
          assert.equal(log.maxTimestampOffset().timestamp, max);
          assert.equal(
            log.size,
            log.segments.reduce((n, s) => n + s.size, 0),
          );
        } finally {
          log.close();
        }
      },
    ),
    { numRuns: 150 },
  );
});
