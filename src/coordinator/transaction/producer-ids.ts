// Producer id allocation. Ids are handed out from blocks; a block's end is made durable (a small file in the
// metadata directory, written atomically and fsynced) before any id of it is used, so ids never repeat across
// restarts, clean or not. A restart skips the unused rest of the last block, as Kafka does with ProducerIdsRecord.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const PRODUCER_ID_BLOCK_SIZE = 1000;
export const PRODUCER_ID_FILE = 'producer-id-block';

export class ProducerIdManager {
  private readonly file: string;
  private next: number;
  private blockEnd: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, PRODUCER_ID_FILE);
    let end = 0;
    if (existsSync(this.file)) {
      const m = /next\.block\.start=(\d+)/.exec(readFileSync(this.file, 'utf8'));
      if (!m) throw new Error(`${this.file} is corrupt: cannot allocate producer ids safely`);
      end = Number(m[1]);
    }
    this.next = end;
    this.blockEnd = end;
  }

  /** A producer id never handed out before (by this broker's data, across restarts). */
  generate(): number {
    if (this.next >= this.blockEnd) {
      const end = this.blockEnd + PRODUCER_ID_BLOCK_SIZE;
      const tmp = `${this.file}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, `version=0\nnext.block.start=${end}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      this.next = this.blockEnd;
      this.blockEnd = end;
    }
    return this.next++;
  }
}
