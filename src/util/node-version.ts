// The Node.js versions Tributary runs on. Kept free of imports: the `tributary` executable (cli/bin.ts) and the
// package entry (index.ts, through require-node.ts) check the version before anything that would fail on an older
// Node with an error that does not say why (e.g. `promisify` of zlib's zstd, which Node has since 22.15).

/** The oldest Node.js supported (package.json `engines` says the same). */
export const MIN_NODE_VERSION = [22, 15] as const;

/** A one-line explanation when `version` (e.g. '20.11.1') is too old, else undefined. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor, minMinor] = MIN_NODE_VERSION;
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return (
    `tributary needs Node.js ${minMajor}.${minMinor} or newer (Node.js 24 recommended), but this is Node.js ${version}: ` +
    'install a current one from https://nodejs.org/ or with nvm (nvm install 24).'
  );
}
