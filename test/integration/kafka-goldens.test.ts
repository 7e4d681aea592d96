// Golden bytes from an independent encoder for every (API, version) this broker serves, requests and responses:
// Kafka's own generated serializers (kafka-clients 4.4 from Maven Central for the versions it defines, 3.9 for the
// versions Kafka 4 removed) encode the same values as Tributary's codec, byte for byte. Values come from the
// round-trip arbitraries (seeded), passed to Java in the JSON shape of Kafka's *JsonConverter classes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { encode } from '../../src/protocol/codec.ts';
import { type FieldSchema, inRange, type MessageSchema } from '../../src/protocol/schema.ts';
import { supportedApis } from '../../src/server/handlers/index.ts';
import { REPO_ROOT } from '../helpers/broker.ts';
import { requireBinary } from '../helpers/clients.ts';
import { ensureKafkaTools } from '../helpers/kafka-tools.ts';
import { fieldsAt, messageArb, structDefaults } from '../unit/protocol/schema-arbitrary.ts';

const SOURCE = path.join(REPO_ROOT, 'test', 'integration', 'java', 'KafkaEncode.java');
const VALUES_PER_VERSION = 4;

/** One KafkaEncode process: a line in, a line out. */
class Encoder {
  private readonly proc: ChildProcess;
  private readonly waiting: Array<(line: string) => void> = [];
  constructor(libs: string) {
    this.proc = spawn('java', ['-cp', `${libs}/*`, SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w(`ERR KafkaEncode exited with ${code}`);
    });
  }
  ask(line: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin!.write(`${line}\n`);
    });
  }
  close(): void {
    this.proc.stdin!.end();
  }
}

/** A value in the JSON shape Kafka's JsonConverter reads (int64 as exact digits, bytes as base64). */
function toJson(value: unknown, f: FieldSchema | undefined, version: number): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => toJson(v, f && { ...f, a: undefined }, version)).join(',')}]`;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  if (typeof value === 'number') return Object.is(value, -0) ? '-0.0' : JSON.stringify(value);
  if (typeof value === 'object') return structJson(value as Record<string, unknown>, f?.f ?? [], version);
  return JSON.stringify(value);
}

function structJson(o: Record<string, unknown>, fields: readonly FieldSchema[], version: number): string {
  const parts: string[] = [];
  for (const f of fields) {
    if (!inRange(f.v, version)) continue;
    parts.push(`${JSON.stringify(f.n)}:${toJson(o[f.n], f, version)}`);
  }
  return `{${parts.join(',')}}`;
}

describe('golden bytes from Kafka’s own serializers', { timeout: 900_000 }, () => {
  const encoders: Encoder[] = [];
  after(() => {
    for (const e of encoders) e.close();
  });

  test('every served (API, version): requests and responses encode as Kafka encodes them', async (t) => {
    requireBinary('java', 'apt-get install openjdk-17-jdk-headless');
    requireBinary('mvn', 'apt-get install maven');
    const current = new Encoder(ensureKafkaTools('4.4.0'));
    const older = new Encoder(ensureKafkaTools('3.9.1'));
    encoders.push(current, older);
    let checked = 0;
    const failures: string[] = [];
    for (const s of supportedApis()) {
      for (const schema of [s.api.request, s.api.response] as MessageSchema[]) {
        const [lo, hi] = (await current.ask(`RANGE ${schema.name}`)).split(' ').map(Number) as [number, number];
        for (let version = s.min; version <= s.max; version++) {
          const fields = fieldsAt(schema, version)!;
          const encoder = version >= lo && version <= hi ? current : older;
          const values = [
            structDefaults(fields, version),
            ...fc.sample(messageArb(schema, version), {
              numRuns: VALUES_PER_VERSION,
              seed: version * 7919 + s.api.key,
            }),
          ];
          for (const value of values) {
            const ours = encode(schema, version, value).toBuffer().toString('hex');
            const theirs = await encoder.ask(`${schema.name} ${version} ${structJson(value, fields, version)}`);
            if (theirs !== ours) {
              failures.push(
                `${schema.name} v${version}: ${theirs.startsWith('ERR') ? theirs : `ours ${ours.slice(0, 120)} kafka ${theirs.slice(0, 120)}`}`,
              );
              break;
            }
            checked++;
          }
        }
      }
    }
    t.diagnostic(`${checked} encodings compared with Kafka's`);
    assert.deepEqual(failures, []);
  });
});
