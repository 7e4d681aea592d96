// Imported first by the package entry (index.ts) for its side effect: on a Node.js that is too old, importing
// `tributary-broker` throws an Error that says which version to install, before any module that would fail obscurely.
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) throw new Error(problem);
