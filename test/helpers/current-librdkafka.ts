// A current librdkafka for the integration tests: confluent-kafka from PyPI, whose wheel bundles librdkafka 2.1x
// (Debian's python3-confluent-kafka has 2.0.2, too old for KIP-320 validation by seek, KIP-848 and more). The tests
// install it themselves, once, with `pip install --target .cache/pylibs/confluent-kafka confluent-kafka` (.cache/ is
// git-ignored); a failed install is a test failure, never a skip.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './broker.ts';
import { describeRun, runProcess } from './clients.ts';

export const CURRENT_CONFLUENT_DIR = path.join(REPO_ROOT, '.cache', 'pylibs', 'confluent-kafka');
const PYTHON = '/usr/bin/python3';
/** The oldest librdkafka the tests accept as "current" (KIP-848 needs 2.12). */
const MIN_LIBRDKAFKA = [2, 12];

export interface CurrentLibrdkafka {
  python: string;
  /** Environment for the python process: PYTHONPATH pointing at the installed wheel first. */
  env: NodeJS.ProcessEnv;
  librdkafka: string;
}

async function probe(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const r = await runProcess(PYTHON, ['-c', 'import confluent_kafka; print(confluent_kafka.libversion()[0])'], {
    env,
    timeoutMs: 30_000,
  });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

function isCurrent(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > MIN_LIBRDKAFKA[0]! || (major === MIN_LIBRDKAFKA[0] && minor >= MIN_LIBRDKAFKA[1]!);
}

let pending: Promise<CurrentLibrdkafka> | undefined;

const LOCK_DIR = `${CURRENT_CONFLUENT_DIR}.lock`;

/**
 * Runs `fn` while holding a lock shared by the test processes (a directory: mkdir is atomic), so that one test file
 * never probes while another replaces the install (between its remove and its rename, a probe would import
 * Debian's older confluent-kafka). A lock older than 10 minutes is left over from a killed run and taken over.
 */
async function withInstallLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(LOCK_DIR), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 600_000) rmSync(LOCK_DIR, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** Installs confluent-kafka into CURRENT_CONFLUENT_DIR if it is not there yet; throws when that fails. */
export function currentLibrdkafka(): Promise<CurrentLibrdkafka> {
  pending ??= withInstallLock(async () => {
    const env = { ...process.env, PYTHONPATH: CURRENT_CONFLUENT_DIR, PYTHONNOUSERSITE: '1' };
    let version = existsSync(CURRENT_CONFLUENT_DIR) ? await probe(env) : undefined;
    if (version === undefined || !isCurrent(version)) {
      // Install beside the target and rename (under the lock: no other test file probes meanwhile).
      const staging = `${CURRENT_CONFLUENT_DIR}.${process.pid}.tmp`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(path.dirname(CURRENT_CONFLUENT_DIR), { recursive: true });
      const r = await runProcess(
        PYTHON,
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', staging, 'confluent-kafka'],
        { timeoutMs: 300_000 },
      );
      if (r.code !== 0) {
        throw new Error(
          `${describeRun('pip install confluent-kafka (a current librdkafka)', r)}\nInstall pip (apt-get install python3-pip) and network access to PyPI.`,
        );
      }
      rmSync(CURRENT_CONFLUENT_DIR, { recursive: true, force: true });
      renameSync(staging, CURRENT_CONFLUENT_DIR);
      version = await probe(env);
    }
    if (version === undefined || !isCurrent(version)) {
      throw new Error(
        `confluent-kafka in ${CURRENT_CONFLUENT_DIR} has librdkafka ${version}, need ${MIN_LIBRDKAFKA.join('.')}+`,
      );
    }
    return { python: PYTHON, env, librdkafka: version };
  });
  return pending;
}
