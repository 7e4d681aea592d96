// The official Java client (kafka-clients) for security tests: jars fetched by Maven into .cache/java once, the same
// cache test/integration/java-client.test.ts fills. Java and Maven missing is a failure, never a skip.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './broker.ts';
import { type RunResult, runProcess } from './clients.ts';

const KAFKA_CLIENTS_VERSION = '4.1.1';

function requireOnPath(bin: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${bin} is not on PATH: the Java client tests need a JDK and Maven (.ci/run installs them)`);
  }
}

/** The directory of kafka-clients and its runtime dependencies. */
export function ensureJavaClientJars(): string {
  requireOnPath('java');
  const cache = path.join(REPO_ROOT, '.cache', 'java', KAFKA_CLIENTS_VERSION);
  const libs = path.join(cache, 'libs');
  // jackson-databind: kafka-clients' optional dependency that its OAUTHBEARER login (unsecured JWTs) needs.
  const have = (prefix: string) => existsSync(libs) && readdirSync(libs).some((f) => f.startsWith(prefix));
  if (have('kafka-clients') && have('jackson-databind')) return libs;
  requireOnPath('mvn');
  mkdirSync(cache, { recursive: true });
  writeFileSync(
    path.join(cache, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>dev.tributary</groupId><artifactId>java-interop</artifactId><version>1</version>
<dependencies>
<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>${KAFKA_CLIENTS_VERSION}</version></dependency>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
<dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>2.16.2</version></dependency>
</dependencies></project>`,
  );
  execFileSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`], {
    cwd: cache,
    stdio: 'inherit',
  });
  return libs;
}

/** Runs test/integration/java/<program>.java with the client jars. Never rejects. */
export function runJavaProgram(libs: string, program: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const source = path.join(REPO_ROOT, 'test', 'integration', 'java', `${program}.java`);
  return runProcess('java', ['-cp', `${libs}/*`, source, ...args], { timeoutMs });
}
