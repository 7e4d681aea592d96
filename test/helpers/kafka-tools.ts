// Apache Kafka's own command-line tools (kafka-topics.sh, kafka-leader-election.sh, ...) as the test's client: the
// kafka-tools jar and its runtime dependencies come from Maven Central through Maven once, into
// .cache/kafka-tools-<version>/libs (git-ignored), as bench/run.ts fetches Kafka for the benchmark; tests of other
// Kafka versions (3.9's serializers for the versions Kafka 4 removed) ask for those. Each tool runs
// as `java -cp <libs>/* <main class> ...`, what the .sh wrappers do. Java and Maven missing is a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './broker.ts';
import { type RunResult, runProcess } from './clients.ts';

export const KAFKA_TOOLS_VERSION = '4.4.0';

function requireOnPath(bin: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
  if (r.status !== 0)
    throw new Error(
      `${bin} is not on PATH: Kafka's tools need a JDK (17+) and Maven (apt-get install default-jdk maven)`,
    );
}

/**
 * The directory holding kafka-tools (with kafka-clients and its other dependencies) at `version`, fetched on first
 * use. Fetched beside the target and renamed into place, so test files running at once never see a half-filled one.
 */
export function ensureKafkaTools(version = KAFKA_TOOLS_VERSION): string {
  requireOnPath('java');
  const home = path.join(REPO_ROOT, '.cache', `kafka-tools-${version}`);
  const libs = path.join(home, 'libs');
  if (existsSync(libs) && readdirSync(libs).includes(`kafka-tools-${version}.jar`)) return libs;
  requireOnPath('mvn');
  const staging = path.join(home, `staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    path.join(staging, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>dev.tributary</groupId><artifactId>kafka-tools-for-tests</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
${dep('org.apache.kafka', 'kafka-tools', version)}
${dep('org.slf4j', 'slf4j-nop', '1.7.36')}
</dependencies></project>
`,
  );
  execFileSync(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=libs', '-DincludeScope=runtime'],
    { cwd: staging, stdio: 'inherit' },
  );
  try {
    renameSync(path.join(staging, 'libs'), libs);
  } catch (e) {
    // Another test file got there first: its copy is as good as ours.
    if (!existsSync(libs)) throw e;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return libs;
}

/** Runs one of Kafka's tools by main class, e.g. `org.apache.kafka.tools.TopicCommand`. Never rejects. */
export function runKafkaTool(libs: string, mainClass: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return runProcess('java', ['-cp', `${libs}/*`, mainClass, ...args], { timeoutMs });
}
