// Test runner: `node scripts/test.ts [unit|integration|fault ...] [paths...] [-- node-test-flags...]`.
//
// Finds test/<area>/**/*.test.ts and runs them with node's test runner (2 files at a time: each integration file
// starts its own broker on its own port and temp dir, so they are safe to run in parallel), exiting with its code.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AREAS = ['unit', 'sim', 'integration', 'fault'] as const;
type Area = (typeof AREAS)[number];

function findTests(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name === 'node_modules' || ent.name.startsWith('.')) continue;
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) findTests(p, out);
    else if (ent.isFile() && ent.name.endsWith('.test.ts')) out.push(p);
  }
}

const areas: Area[] = [];
const paths: string[] = [];
const nodeFlags: string[] = [];
for (const arg of process.argv.slice(2)) {
  if ((AREAS as readonly string[]).includes(arg)) areas.push(arg as Area);
  else if (arg.startsWith('-')) nodeFlags.push(arg);
  else paths.push(arg);
}

const files: string[] = [];
if (paths.length > 0) {
  for (const p of paths) {
    const abs = path.resolve(p);
    if (!existsSync(abs)) {
      console.error(`scripts/test.ts: no such file or directory: ${p}`);
      process.exit(2);
    }
    if (statSync(abs).isDirectory()) findTests(abs, files);
    else files.push(abs);
  }
} else {
  for (const area of areas.length > 0 ? areas : AREAS) findTests(path.join(ROOT, 'test', area), files);
}
files.sort();

const selection = paths.length > 0 ? paths.join(' ') : (areas.length > 0 ? areas : AREAS).join(', ');
if (files.length === 0) {
  // Without files `node --test` would glob the whole tree (node_modules, interop, ...): report an empty run instead.
  console.log(`No test files found for: ${selection}`);
  console.log('ℹ tests 0\nℹ pass 0\nℹ fail 0');
  process.exit(0);
}

const args = [
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec',
  // Backstop only: every test sets its own, shorter timeout.
  '--test-timeout=600000',
  // A client socket left open by a failed test must not keep its file's process (and the whole run) alive.
  '--test-force-exit',
  ...nodeFlags,
  ...files.map((f) => path.relative(ROOT, f)),
];
console.log(`Running ${files.length} test file(s) (${selection})`);
const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => child.kill(sig));
}
child.on('exit', (code, signal) => {
  if (signal !== null) {
    console.error(`scripts/test.ts: test runner killed by ${signal}`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
