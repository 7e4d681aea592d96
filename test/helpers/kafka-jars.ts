// Apache Kafka's own jars from Maven Central (as bench/run.ts fetches them), for tests that run Kafka's tools
// (kafka-features.sh is `java org.apache.kafka.tools.FeatureCommand`). Cached under .cache/kafka-<version>/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './broker.ts';

export const KAFKA_VERSION = '4.4.0';

/** The directory of kafka-tools (with kafka-clients and its other dependencies) at `version`, fetched once. */
export function kafkaToolsLibs(version = KAFKA_VERSION): string {
  const home = path.join(REPO_ROOT, '.cache', `kafka-${version}`);
  const libs = path.join(home, 'libs');
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('kafka-tools-'))) return libs;
  mkdirSync(home, { recursive: true });
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    path.join(home, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>dev.tributary</groupId><artifactId>kafka-tools</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
${dep('org.apache.kafka', 'kafka-tools', version)}
${dep('org.slf4j', 'slf4j-nop', '2.0.17')}
</dependencies></project>
`,
  );
  execFileSync(
    'mvn',
    ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=libs', '-DincludeScope=runtime'],
    {
      cwd: home,
      stdio: 'inherit',
    },
  );
  return libs;
}
