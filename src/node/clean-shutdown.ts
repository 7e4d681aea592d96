// The broker epoch in the clean-shutdown marker (KIP-966): after the log manager closed every log cleanly and wrote
// `.kafka_cleanshutdown` in a log dir, a cluster broker writes into it the broker epoch of the registration it is
// leaving, as Kafka's CleanShutdownFileHandler does ({"version":0,"brokerEpoch":N}). At the next start, before the
// log manager reads (and removes) the markers, the epoch is read back: when every log dir names the same one, the
// registration carries it as the previous broker epoch, and the controller knows the broker's logs are whole (it
// may stay an eligible leader replica). A kill -9 or power loss leaves no marker: an unclean shutdown.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, fsyncFd, writeFully } from '../storage/file-io.ts';
import { CLEAN_SHUTDOWN_MARKER } from '../storage/log-manager.ts';

/** The broker epoch every log dir's marker names, or null (a dir without a marker or epoch, or dirs disagreeing). */
export function readCleanShutdownEpoch(logDirs: readonly string[]): bigint | null {
  let epoch: bigint | null = null;
  for (const dir of logDirs) {
    const path = join(dir, CLEAN_SHUTDOWN_MARKER);
    if (!existsSync(path)) return null;
    let found: bigint;
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { brokerEpoch?: unknown };
      if (typeof parsed.brokerEpoch !== 'number' && typeof parsed.brokerEpoch !== 'string') return null;
      found = BigInt(parsed.brokerEpoch);
    } catch {
      return null; // an empty marker (a single broker's, or an older Tributary's): no epoch
    }
    if (epoch !== null && found !== epoch) return null;
    epoch = found;
  }
  return epoch;
}

/** Writes `brokerEpoch` into the markers the log manager left (dirs without one were not closed cleanly). */
export function writeCleanShutdownEpoch(logDirs: readonly string[], brokerEpoch: bigint): void {
  for (const dir of logDirs) {
    const path = join(dir, CLEAN_SHUTDOWN_MARKER);
    if (!existsSync(path)) continue;
    // The epoch is a ZooKeeper zxid: below 2^53 in practice, written as a JSON number as Kafka writes it.
    const fd = openSync(path, 'w');
    try {
      writeFully(fd, Buffer.from(JSON.stringify({ version: 0, brokerEpoch: Number(brokerEpoch) })), 0);
      fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
    fsyncDir(dir);
  }
}
