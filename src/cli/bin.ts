#!/usr/bin/env node
// The `tributary` executable (package.json `bin`, `npm start`, the Docker entry point). It checks the Node.js version
// before loading the command line, so an old Node gets one line saying what to install and exit code 1 instead of
// an import-time TypeError. node-version.ts has no imports; keep this file free of syntax an old Node cannot parse.
import { nodeVersionProblem } from '../util/node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
await import('./main.ts');
