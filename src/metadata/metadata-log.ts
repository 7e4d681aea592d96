// Durable metadata log for the single-node (local) controller: one JSON record per line, fsynced on append.
// A torn last line (crash mid-write) is cut on open. The Raft quorum will replace this with a replicated log.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/log.ts';
import type { MetadataRecord } from './records.ts';

export interface MetadataLogEntry {
  offset: number;
  record: MetadataRecord;
}

export interface MetadataLog {
  readAll(): MetadataLogEntry[];
  append(records: MetadataRecord[]): MetadataLogEntry[];
  close(): void;
}

export class FileMetadataLog implements MetadataLog {
  private fd: number;
  private nextOffset = 0;
  private readonly path: string;
  private readonly entries: MetadataLogEntry[] = [];

  constructor(dir: string, log: Logger) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'metadata.jsonl');
    let valid = 0;
    if (existsSync(this.path)) {
      const text = readFileSync(this.path, 'utf8');
      let pos = 0;
      while (pos < text.length) {
        const nl = text.indexOf('\n', pos);
        if (nl < 0) break;
        try {
          const e = JSON.parse(text.slice(pos, nl)) as MetadataLogEntry;
          if (e.offset !== this.nextOffset) throw new Error(`offset ${e.offset}, expected ${this.nextOffset}`);
          this.entries.push(e);
          this.nextOffset++;
        } catch (err) {
          log.warn({ path: this.path, at: pos, err: String(err) }, 'metadata log has a bad record; cutting the tail');
          break;
        }
        pos = nl + 1;
      }
      valid = Buffer.byteLength(text.slice(0, pos));
      if (valid < Buffer.byteLength(text)) {
        log.warn({ path: this.path, kept: valid }, 'truncating a torn metadata log tail');
      }
    }
    this.fd = openSync(this.path, existsSync(this.path) ? 'r+' : 'w+');
    ftruncateSync(this.fd, valid);
    this.writePos = valid;
  }

  private writePos: number;

  readAll(): MetadataLogEntry[] {
    return this.entries.slice();
  }

  append(records: MetadataRecord[]): MetadataLogEntry[] {
    const out = records.map((record) => ({ offset: this.nextOffset++, record }));
    const bytes = Buffer.from(out.map((e) => `${JSON.stringify(e)}\n`).join(''));
    writeSync(this.fd, bytes, 0, bytes.length, this.writePos);
    this.writePos += bytes.length;
    fsyncSync(this.fd);
    for (const e of out) this.entries.push(e); // not push(...out): a spread of 100k+ overflows the stack
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** For in-memory brokers (tests): nothing survives a restart. */
export class MemoryMetadataLog implements MetadataLog {
  private readonly entries: MetadataLogEntry[] = [];
  readAll(): MetadataLogEntry[] {
    return this.entries.slice();
  }
  append(records: MetadataRecord[]): MetadataLogEntry[] {
    const base = this.entries.length;
    const out = records.map((record, i) => ({ offset: base + i, record }));
    for (const e of out) this.entries.push(e); // not push(...out): a spread of 100k+ overflows the stack
    return out;
  }
  close(): void {}
}
