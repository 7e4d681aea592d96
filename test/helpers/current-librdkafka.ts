// A current librdkafka (2.12+, with KIP-848) for tests: Debian's python3-confluent-kafka bundles 2.0.2, so the
// confluent-kafka wheel from PyPI (which ships its own librdkafka) is installed once with pip into
// .cache/pylibs (git-ignored) and used through PYTHONPATH. A failed install is a test failure, not a skip.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './broker.ts';

export const PYLIBS = path.join(REPO_ROOT, '.cache', 'pylibs');
const PYTHON = '/usr/bin/python3';

function libVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import confluent_kafka; print(confluent_kafka.libversion()[0])'], {
    env: { ...process.env, PYTHONPATH: PYLIBS },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return r.status === 0 ? r.stdout.trim() : null;
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** Python and the environment to run a script with librdkafka >= 2.12; installs the wheel if needed. */
export function currentLibrdkafka(): { python: string; env: NodeJS.ProcessEnv; version: string } {
  let version = libVersion();
  if (version === null || !atLeast(version, 2, 12)) {
    const r = spawnSync(
      PYTHON,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--upgrade',
        '--target',
        PYLIBS,
        'confluent-kafka',
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (r.status !== 0)
      throw new Error(`pip install --target ${PYLIBS} confluent-kafka failed (exit ${r.status}):\n${r.stderr}`);
    version = libVersion();
  }
  if (version === null || !atLeast(version, 2, 12))
    throw new Error(`confluent-kafka in ${PYLIBS} has librdkafka ${version ?? '(none)'}; KIP-848 needs 2.12 or later`);
  return { python: PYTHON, env: { ...process.env, PYTHONPATH: PYLIBS }, version };
}
