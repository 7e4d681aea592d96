// The clock-skew kind's mechanism, checked on Node itself: a process started with faketimeEnv runs with its wall
// clock (Date.now) shifted by the offset in its clock file, follows a new offset written while it runs, and keeps
// its monotonic clock and timers sane (a step of minutes does not make a 3 s timer fire minutes early or late).
// Needs libfaketime (Debian's libfaketime package; .ci/run installs it): missing, the test fails.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { faketimeEnv, libfaketimePath, offsetSpec } from './clock-skew.ts';

test('offsetSpec writes libfaketime relative offsets', () => {
  assert.equal(offsetSpec(300), '+300s');
  assert.equal(offsetSpec(-120), '-120s');
  assert.equal(offsetSpec(0), '+0s');
});

test('libfaketime shifts Node 24 Date.now, follows a step while running, leaves the monotonic clock alone', async (t) => {
  const lib = libfaketimePath();
  assert.ok(lib, 'libfaketime is installed (apt-get install libfaketime)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clock-skew-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'clock');
  writeFileSync(file, offsetSpec(240));
  // The child prints its wall clock, waits for a line on stdin (the step is written), then 3 s by a timer (libfaketime reads the file again within two seconds).
  const script = `
    const p0 = performance.now();
    console.log(JSON.stringify({ wall: Date.now() }));
    process.stdin.once('data', () => setTimeout(() => {
      console.log(JSON.stringify({ wall: Date.now(), monoMs: performance.now() - p0 }));
      process.exit(0);
    }, 3000));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, ...faketimeEnv(lib, file) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Array<{ wall: number; monoMs?: number; at: number }> = [];
  let buf = '';
  const done = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      buf += s;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push({ ...JSON.parse(buf.slice(0, i)), at: Date.now() });
        buf = buf.slice(i + 1);
        if (lines.length === 1) {
          writeFileSync(file, offsetSpec(-180));
          child.stdin.write('stepped\n');
        }
      }
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited with ${code}`))));
  });
  await done;
  assert.equal(lines.length, 2);
  const skew = (l: { wall: number; at: number }) => (l.wall - l.at) / 1000;
  assert.ok(Math.abs(skew(lines[0]!) - 240) < 10, `started ${skew(lines[0]!)} s off, not +240 s`);
  assert.ok(Math.abs(skew(lines[1]!) + 180) < 10, `after the step ${skew(lines[1]!)} s off, not -180 s`);
  const mono = lines[1]!.monoMs!;
  assert.ok(mono >= 2900 && mono < 60_000, `the 3 s timer fired after ${mono} ms of monotonic time`);
});
