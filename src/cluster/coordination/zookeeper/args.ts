// Argument checks made before anything is encoded: ZooKeeper's path rules and what jute can carry.
import { CoordinationError } from '../store.ts';
import { CREATE_FLAGS } from './jute.ts';

function badArguments(path: string, why: string): CoordinationError {
  return new CoordinationError('BAD_ARGUMENTS', path, `invalid path ${JSON.stringify(path)}: ${why}`);
}

/** ZooKeeper's path rules (PathUtils.validatePath); a sequential node's path may end in '/'. */
export function validatePath(path: string, sequential: boolean): void {
  if (typeof path !== 'string' || path.length === 0) throw badArguments(String(path), 'empty');
  if (path[0] !== '/') throw badArguments(path, 'must start with /');
  const p = sequential ? `${path}1` : path;
  if (p === '/') return;
  if (p.endsWith('/')) throw badArguments(path, 'must not end with /');
  for (const name of p.slice(1).split('/')) {
    if (name === '') throw badArguments(path, 'empty node name');
    if (name === '.' || name === '..') throw badArguments(path, 'relative paths are not allowed');
    if (name.includes('\u0000')) throw badArguments(path, 'null character');
  }
}

/** Rejects what would not encode: data that is not bytes, unknown create modes, versions outside int32. */
export function checkArgs(path: string, data: unknown, mode: string | undefined, version: number | undefined): void {
  if (data !== undefined && !(data instanceof Uint8Array)) {
    throw new CoordinationError('BAD_ARGUMENTS', path, `data for ${path} must be a Uint8Array`);
  }
  if (mode !== undefined && !Object.hasOwn(CREATE_FLAGS, mode)) {
    throw new CoordinationError('BAD_ARGUMENTS', path, `unknown create mode ${JSON.stringify(mode)}`);
  }
  if (version !== undefined && (!Number.isInteger(version) || version < -1 || version > 0x7fffffff)) {
    throw new CoordinationError('BAD_ARGUMENTS', path, `bad version ${version} for ${path}`);
  }
}
