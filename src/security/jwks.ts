// The keys of the signed-JWT validator, from `sasl.oauthbearer.jwks.endpoint.url` when it is a `file:` URL: read at
// start (a missing or unreadable file stops the broker), then re-read when the file changes (checked at most once a
// second, on use), every sasl.oauthbearer.jwks.endpoint.refresh.ms, and when a token names an unknown kid. A re-read
// that fails keeps the previous keys and logs why. https URLs are refused at start: fetching is not built, and no
// other URL is ever fetched.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Jwk, type JwksSource, parseJwks, TokenError } from './oauthbearer.ts';

export interface JwksLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Why a JWKS URL cannot be used (undefined when it is a usable file: URL). */
export function jwksUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol === 'file:') return undefined;
  if (u.protocol === 'https:' || u.protocol === 'http:')
    return (
      "fetching a JWKS over HTTP(S) is not built in Tributary: save the provider's JWKS to a local file and set a " +
      'file: URL (file:///path/to/jwks.json); the broker re-reads it when it changes'
    );
  return `the ${u.protocol} scheme is not supported (use a file: URL)`;
}

export class JwksFile implements JwksSource {
  readonly path: string;
  private readonly refreshMs: number;
  private readonly log: JwksLog | undefined;
  private current: readonly Jwk[] = [];
  private stamp = '';
  private lastCheck = 0;
  private lastRead = 0;

  /** Reads the file now; throws TokenError when it cannot be read or holds no usable key. */
  constructor(url: string, refreshMs: number, log?: JwksLog, nowMs: number = Date.now()) {
    const problem = jwksUrlProblem(url);
    if (problem !== undefined) throw new TokenError(problem);
    this.path = fileURLToPath(url);
    this.refreshMs = refreshMs;
    this.log = log;
    this.read(nowMs, true);
  }

  keys(nowMs: number): readonly Jwk[] {
    if (nowMs - this.lastCheck >= 1000) {
      this.lastCheck = nowMs;
      if (this.fileStamp() !== this.stamp || nowMs - this.lastRead >= this.refreshMs) this.read(nowMs, false);
    }
    return this.current;
  }

  /** An unknown kid: re-read now if the file changed (rotation), at most once a second. */
  refresh(nowMs: number): readonly Jwk[] {
    if (nowMs - this.lastCheck >= 1000) {
      this.lastCheck = nowMs;
      if (this.fileStamp() !== this.stamp) this.read(nowMs, false);
    }
    return this.current;
  }

  private fileStamp(): string {
    try {
      const s = statSync(this.path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  }

  private read(nowMs: number, first: boolean): void {
    const stamp = this.fileStamp();
    let keys: Jwk[];
    try {
      keys = parseJwks(readFileSync(this.path, 'utf8'));
      if (keys.length === 0) throw new TokenError('it holds no public RSA or EC signature key');
    } catch (e) {
      const why = e instanceof TokenError ? e.message : (e as Error).message;
      if (first) throw new TokenError(`cannot use the JWKS file ${this.path}: ${why}`);
      this.stamp = stamp; // do not retry a broken file every second; its next change is re-read
      this.log?.warn(
        { path: this.path },
        `JWKS file re-read failed (${why}); keeping the ${this.current.length} previous keys`,
      );
      return;
    }
    const changed = !first && keys.map((k) => k.kid).join(',') !== this.current.map((k) => k.kid).join(',');
    this.current = keys;
    this.stamp = stamp;
    this.lastRead = nowMs;
    if (changed) this.log?.info({ path: this.path, keys: keys.length }, 'JWKS file re-read: the keys changed');
  }
}
