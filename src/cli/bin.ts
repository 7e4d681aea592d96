#!/usr/bin/env node
// The `tributary` executable. It checks the Node.js version before loading anything else: on an older Node the
// broker's modules fail at import time with errors that do not say why (e.g. `promisify` of zlib's zstd, which Node
// has since 22.15). Keep this file free of static imports and of syntax an old Node cannot parse.

/** The oldest Node.js the broker and the CLI run on (package.json `engines` says the same). */
const MIN_NODE = [22, 15] as const;

/** The one-line message for an unsupported Node version, or undefined when `version` (e.g. '20.11.1') is enough. */
function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return undefined;
  return (
    `tributary needs Node.js ${MIN_NODE.join('.')} or newer (Node.js 24 recommended), but this is Node.js ${version}: ` +
    'install a current one from https://nodejs.org/ or with nvm (nvm install 24), then run the command again.'
  );
}

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import('./main.ts');
