// meta.properties in each log dir (Kafka's format): the cluster id, this node id and the directory's own id, read at
// start and written for a new log dir; a log dir of another node or cluster is refused.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProperties } from '../config/properties.ts';

/** The cluster id in the log dirs' meta.properties, if any. */
export function readClusterId(logDirs: string[]): string | null {
  for (const dir of logDirs) {
    const p = join(dir, 'meta.properties');
    if (existsSync(p)) {
      const id = parseProperties(readFileSync(p, 'utf8')).get('cluster.id');
      if (id) return id;
    }
  }
  return null;
}

/** The directory.id of each log dir's meta.properties (written at start by ensureMetaProperties). */
export function directoryIds(logDirs: string[]): string[] {
  const ids: string[] = [];
  for (const dir of logDirs) {
    const p = join(dir, 'meta.properties');
    const id = existsSync(p) ? parseProperties(readFileSync(p, 'utf8')).get('directory.id') : undefined;
    if (id) ids.push(id);
  }
  return ids;
}

/** Reads or writes meta.properties in every log dir (Kafka's format): one cluster id, this node id. In a cluster
 * the id is the cluster's (`expected`, from the store): log dirs of another cluster are refused. */
export function ensureMetaProperties(logDirs: string[], nodeId: number, expected?: string): string {
  let clusterId: string | undefined = expected;
  for (const dir of logDirs) {
    const p = join(dir, 'meta.properties');
    if (!existsSync(p)) continue;
    const props = parseProperties(readFileSync(p, 'utf8'));
    const id = props.get('cluster.id');
    const node = props.get('node.id');
    if (node !== undefined && Number(node) !== nodeId)
      throw new Error(`${p} belongs to node.id ${node}, but this broker is node.id ${nodeId}`);
    if (clusterId && id && id !== clusterId)
      throw new Error(`log dirs belong to different clusters (${clusterId}, ${id})`);
    clusterId = id ?? clusterId;
  }
  clusterId ??= randomBytes(16).toString('base64url');
  for (const dir of logDirs) {
    mkdirSync(dir, { recursive: true });
    const p = join(dir, 'meta.properties');
    if (existsSync(p)) continue;
    const text = `#\n#${new Date().toString()}\nnode.id=${nodeId}\nversion=1\ncluster.id=${clusterId}\ndirectory.id=${randomBytes(16).toString('base64url')}\n`;
    writeFileSync(`${p}.tmp`, text);
    renameSync(`${p}.tmp`, p);
  }
  return clusterId;
}
