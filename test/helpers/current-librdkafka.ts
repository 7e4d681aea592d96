// A current librdkafka for the integration tests: confluent-kafka from PyPI, whose wheel bundles librdkafka 2.1x
// (Debian's python3-confluent-kafka has 2.0.2, too old for KIP-320 validation by seek, KIP-848 and more). The tests
// install it themselves, once, with `pip install --target .cache/pylibs/confluent-kafka confluent-kafka` (.cache/ is
// git-ignored); a failed install is a test failure, never a skip.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
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

/** Installs confluent-kafka into CURRENT_CONFLUENT_DIR if it is not there yet; throws when that fails. */
export function currentLibrdkafka(): Promise<CurrentLibrdkafka> {
  pending ??= (async () => {
    const env = { ...process.env, PYTHONPATH: CURRENT_CONFLUENT_DIR, PYTHONNOUSERSITE: '1' };
    let version = existsSync(CURRENT_CONFLUENT_DIR) ? await probe(env) : undefined;
    if (version === undefined || !isCurrent(version)) {
      // Install beside the target and rename, so a concurrent test file never sees a half-installed package.
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
  })();
  return pending;
}
