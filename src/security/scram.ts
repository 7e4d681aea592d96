// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer runs it: credentials are stored as
// salt, iterations, StoredKey and ServerKey (never the password); the server checks the client proof in constant
// time and verifies the nonce. Pure logic over node:crypto; the nonce source is injected for tests.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ScramMechanism {
  readonly name: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  /** Kafka's ScramMechanism type id (UserScramCredentialRecord.mechanism). */
  readonly id: 1 | 2;
  readonly hash: 'sha256' | 'sha512';
  readonly keyLength: number;
}

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [
  { name: 'SCRAM-SHA-256', id: 1, hash: 'sha256', keyLength: 32 },
  { name: 'SCRAM-SHA-512', id: 2, hash: 'sha512', keyLength: 64 },
];

export const scramMechanismByName = (name: string) => SCRAM_MECHANISMS.find((m) => m.name === name);
export const scramMechanismById = (id: number) => SCRAM_MECHANISMS.find((m) => m.id === id);

/** Kafka's bounds on iterations (ScramMechanism.minIterations / the controller's maximum). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer) => createHmac(m.hash, key).update(data).digest();
const digest = (m: ScramMechanism, data: Buffer) => createHash(m.hash).update(data).digest();

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC-H. */
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m.keyLength, m.hash);
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials sends). */
export function credentialFromSaltedPassword(
  m: ScramMechanism,
  salted: Buffer,
  salt: Buffer,
  iterations: number,
): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, iterations, storedKey: digest(m, clientKey), serverKey: hmac(m, salted, 'Server Key') };
}

export function credentialFromPassword(m: ScramMechanism, password: string, iterations: number): ScramCredential {
  const salt = randomBytes(m.keyLength);
  return credentialFromSaltedPassword(m, saltedPassword(m, password, salt, iterations), salt, iterations);
}

export class ScramError extends Error {
  override name = 'ScramError';
}

/** `=2C` and `=3D` in a SCRAM username (RFC 5802 saslname). */
function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new ScramError('Invalid username in the client first message');
  return s.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) throw new ScramError(`Invalid SCRAM message attribute '${part.slice(0, 20)}'`);
    if (!map.has(m[1]!)) map.set(m[1]!, m[2]!);
  }
  return map;
}

export type ScramLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

/**
 * One server-side SCRAM exchange: `first(clientFirst)` → server-first message, `final(clientFinal)` → server-final
 * message; then `user` is authenticated. Throws ScramError for any failure (the caller answers with Kafka's
 * generic message). An unknown user gets a made-up salt and is refused at the proof, as a wrong password is, so the
 * answer does not tell which users exist.
 */
export class ScramServer {
  private readonly m: ScramMechanism;
  private readonly lookup: ScramLookup;
  private readonly nonce: () => string;
  private readonly fakeSecret: Buffer;
  private state: 'first' | 'final' | 'done' | 'failed' = 'first';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private fullNonce = '';
  private credential: ScramCredential | undefined;
  private known = false;
  /** The authenticated user once `final` succeeded. */
  user = '';
  /** authzid the client asked for ('' when none). */
  authzid = '';

  constructor(m: ScramMechanism, lookup: ScramLookup, fakeSecret: Buffer, nonce?: () => string) {
    this.m = m;
    this.lookup = lookup;
    this.fakeSecret = fakeSecret;
    this.nonce = nonce ?? (() => randomBytes(24).toString('base64url'));
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  /** Which client message comes next ('done' / 'failed': none). */
  get stage(): 'first' | 'final' | 'done' | 'failed' {
    return this.state;
  }

  first(clientFirst: string): string {
    if (this.state !== 'first') throw new ScramError('Unexpected client first message');
    this.state = 'failed';
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(clientFirst);
    if (!m) throw new ScramError('Invalid client first message');
    if (m[1]!.startsWith('p=')) throw new ScramError('Channel binding is not supported');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.authzid = m[2] ? decodeSaslName(m[2].slice(2)) : '';
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || clientNonce === undefined || clientNonce === '')
      throw new ScramError('Invalid client first message: n= and r= are required');
    if (this.clientFirstBare.startsWith('m=')) throw new ScramError('Mandatory extensions are not supported');
    this.user = decodeSaslName(user);
    if (this.authzid !== '' && this.authzid !== this.user)
      throw new ScramError(
        'Authentication failed: Client requested an authorization id that is different from username',
      );
    const found = this.lookup(this.user, this.m);
    this.known = found !== undefined;
    this.credential = found ?? this.fakeCredential(this.user);
    this.fullNonce = clientNonce + this.nonce();
    this.serverFirst = `r=${this.fullNonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return this.serverFirst;
  }

  final(clientFinal: string): string {
    if (this.state !== 'final') throw new ScramError('Unexpected client final message');
    this.state = 'failed';
    const p = clientFinal.lastIndexOf(',p=');
    if (p < 0) throw new ScramError('Invalid client final message: no proof');
    const withoutProof = clientFinal.slice(0, p);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64'))
      throw new ScramError('Invalid channel binding in the client final message');
    // As Kafka's ScramSaslServer: the nonce must end with the one the server sent (librdkafka before 2.2 sends its
    // own nonce in front of the server's full nonce). The server's fresh part still defeats replays.
    if (!(attrs.get('r') ?? '').endsWith(this.fullNonce))
      throw new ScramError('Invalid client nonce in the final client message.');
    const proof = Buffer.from(clientFinal.slice(p + 3), 'base64');
    const cred = this.credential!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.m, cred.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('Invalid client credentials');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const ok = timingSafeEqual(digest(this.m, clientKey), cred.storedKey);
    if (!ok || !this.known) throw new ScramError('Invalid client credentials');
    this.state = 'done';
    return `v=${hmac(this.m, cred.serverKey, authMessage).toString('base64')}`;
  }

  private fakeCredential(user: string): ScramCredential {
    const salt = hmac(this.m, this.fakeSecret, `salt:${user}`);
    const key = hmac(this.m, this.fakeSecret, `key:${user}`);
    return { salt, storedKey: key, serverKey: key, iterations: MIN_ITERATIONS };
  }
}

/** The client side, for tests and the TypeScript client: returns the messages in order. */
export class ScramClient {
  private readonly m: ScramMechanism;
  private readonly user: string;
  private readonly password: string;
  private readonly clientNonce: string;
  private clientFirstBare = '';
  private serverSignature: Buffer | undefined;

  constructor(m: ScramMechanism, user: string, password: string, nonce?: string) {
    this.m = m;
    this.user = user;
    this.password = password;
    this.clientNonce = nonce ?? randomBytes(18).toString('base64url');
  }

  first(): string {
    const name = this.user.replaceAll('=', '=3D').replaceAll(',', '=2C');
    this.clientFirstBare = `n=${name},r=${this.clientNonce}`;
    return `n,,${this.clientFirstBare}`;
  }

  final(serverFirst: string): string {
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r')!;
    if (!nonce.startsWith(this.clientNonce)) throw new ScramError('server nonce does not extend the client nonce');
    const salt = Buffer.from(attrs.get('s')!, 'base64');
    const salted = saltedPassword(this.m, this.password, salt, Number(attrs.get('i')));
    const clientKey = hmac(this.m, salted, 'Client Key');
    const storedKey = digest(this.m, clientKey);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(this.m, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = hmac(this.m, hmac(this.m, salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Whether the server-final message proves the server knew the credential. */
  verify(serverFinal: string): boolean {
    const v = attributes(serverFinal).get('v');
    return (
      v !== undefined && this.serverSignature !== undefined && Buffer.from(v, 'base64').equals(this.serverSignature)
    );
  }
}
