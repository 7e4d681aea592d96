// Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint):
//   line 1: version (0), line 2: entry count, then one `topic partition offset` line per entry.
// Written atomically: tmp file -> fsync -> rename -> fsync directory.
import { closeSync, openSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, fsyncFd, writeFully } from './file-io.ts';
import type { StorageLogger } from './segment.ts';

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function writeCheckpoint(path: string, entries: CheckpointEntry[]): void {
  const lines = ['0', String(entries.length), ...entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`)];
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFully(fd, Buffer.from(`${lines.join('\n')}\n`), 0);
    fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** Reads a checkpoint into a map keyed by `topic-partition`; a missing file is empty, a malformed one is ignored. */
export function readCheckpoint(path: string, logger?: StorageLogger): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const fail = (why: string): Map<string, number> => {
    logger?.warn({ path, why }, 'ignoring malformed checkpoint file');
    return new Map();
  };
  if (lines[0] !== '0') return fail(`unsupported version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) return fail('entry count mismatch');
  for (const line of lines.slice(2)) {
    const parts = line.split(' ');
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isInteger(partition) || !Number.isSafeInteger(offset)) {
      return fail(`bad line ${JSON.stringify(line)}`);
    }
    out.set(partitionKey(parts[0]!, partition), offset);
  }
  return out;
}
