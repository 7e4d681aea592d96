// SASL/OAUTHBEARER (RFC 7628, KIP-255, KIP-768) on the broker: the client's initial response, and the two token
// validators Kafka ships: the unsecured one (alg "none", for development; OAuthBearerUnsecuredValidatorCallbackHandler)
// and the signed-JWT one (OAuthBearerValidatorCallbackHandler: RS/PS/ES signatures checked against a JWKS, then
// exp/iat/nbf, audience, issuer, subject and scope). Pure logic: the clock is a parameter, the keys come from a
// JwksSource (see jwks.ts). Error messages never contain the token.
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';

/** Kafka's broker-side JWT validator (4.x name, and the 3.x `secured` one). */
export const JWT_VALIDATOR_CLASSES = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
];
export const UNSECURED_VALIDATOR_CLASS =
  'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';

/** A token that failed validation; `scope` is set for a missing required scope (status insufficient_scope). */
export class TokenError extends Error {
  override name = 'TokenError';
  readonly scope: string | undefined;
  constructor(message: string, scope?: string) {
    super(message);
    this.scope = scope;
  }
}

export interface ValidToken {
  readonly principal: string;
  /** The token's `exp`, in ms since the epoch. */
  readonly expiresAtMs: number;
  readonly scope: readonly string[];
}

export interface TokenValidator {
  /** Validates a token at `nowMs`; throws TokenError with a readable reason. */
  validate(token: string, nowMs: number): ValidToken;
}

export interface ClientInitialResponse {
  readonly authzid: string;
  readonly token: string;
  readonly extensions: ReadonlyMap<string, string>;
}

const SEP = '\u0001';
const TOKEN_CHARS = /^[-_.a-zA-Z0-9]+$/;
const EXT_KEY = /^[A-Za-z]+$/;
const EXT_VALUE = /^[\x21-\x7E \t\r\n]+$/;

/**
 * Parses RFC 7628's client initial response `n,[a=authzid],^Aauth=Bearer <token>^A[key=value^A]*^A` as Kafka's
 * OAuthBearerClientInitialResponse. Throws TokenError with Kafka's message.
 */
export function parseClientInitialResponse(bytes: Buffer): ClientInitialResponse {
  const text = bytes.toString('utf8');
  const invalid = (why?: string) =>
    new TokenError(`Invalid OAUTHBEARER client first message${why === undefined ? '' : `: ${why}`}`);
  if (!text.startsWith('n,')) throw invalid();
  const comma = text.indexOf(',', 2);
  if (comma < 0 || text[comma + 1] !== SEP || !text.endsWith(SEP)) throw invalid();
  const gs2 = text.slice(2, comma);
  if (gs2 !== '' && !gs2.startsWith('a=')) throw invalid();
  const authzidRaw = gs2.slice(2);
  if (/[=]/.test(authzidRaw.replace(/=2C|=3D/g, '')) || [...authzidRaw].some((ch) => ch.charCodeAt(0) > 0x7f))
    throw invalid('malformed authorization id');
  const authzid = authzidRaw.replace(/=2C/g, ',').replace(/=3D/g, '=');
  const body = text.slice(comma + 2, -1); // the pairs, each ending with %x01
  if (body !== '' && !body.endsWith(SEP)) throw invalid();
  const pairs = body === '' ? [] : body.slice(0, -1).split(SEP);
  let auth: string | undefined;
  const extensions = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalid();
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!EXT_KEY.test(key) || !EXT_VALUE.test(value)) throw invalid();
    if (key === 'auth') auth = value;
    else extensions.set(key, value);
  }
  if (auth === undefined) throw invalid("'auth' not specified");
  const a = /^(\w+) +(.*)$/.exec(auth);
  if (!a || !TOKEN_CHARS.test(a[2]!)) throw invalid('malformed auth value');
  if (a[1]!.toLowerCase() !== 'bearer') throw invalid(`Invalid scheme in OAUTHBEARER client first message: ${a[1]}`);
  return { authzid, token: a[2]!, extensions };
}

/** The client initial response for a token (what Kafka's OAuthBearerSaslClient sends). */
export function clientInitialResponse(token: string, authzid = ''): Buffer {
  const a = authzid === '' ? '' : `a=${authzid.replace(/=/g, '=3D').replace(/,/g, '=2C')}`;
  return Buffer.from(`n,${a},${SEP}auth=Bearer ${token}${SEP}${SEP}`, 'utf8');
}

/** The JSON error challenge of RFC 7628 §3.2.2, as Kafka's OAuthBearerSaslServer writes it. */
export function errorChallenge(err: TokenError): string {
  return err.scope === undefined
    ? '{"status":"invalid_token"}'
    : `{"status":"insufficient_scope", "scope":${JSON.stringify(err.scope)}}`;
}

export interface DecodedJws {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  /** `<header>.<payload>` as sent: what the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
  readonly signatureText: string;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function jsonPart(part: string, what: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new TokenError(`The token's ${what} is not Base64URL`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(`The token's ${what} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TokenError(`The token's ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Splits a JWS compact serialization (three dot-separated Base64URL parts) and decodes the header and claims. */
export function decodeJws(token: string): DecodedJws {
  const parts = token.split('.');
  if (parts.length !== 3)
    throw new TokenError(`A JWS compact serialization has 3 dot-separated Base64URL values, not ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const header = jsonPart(h, 'header');
  const claims = jsonPart(p, 'payload');
  if (!B64URL.test(s)) throw new TokenError("The token's signature is not Base64URL");
  return { header, claims, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url'), signatureText: s };
}

/**
 * The scope claim as Kafka reads it: a string is ONE scope element (trimmed, not split on spaces), a list gives its
 * non-blank elements. Another type is an error for the unsecured validator and no scope for the JWT one.
 */
function scopeOf(claims: Record<string, unknown>, name: string, strict: boolean): string[] {
  const v = claims[name];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.trim() === '' ? [] : [v.trim()];
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === 'string' && x.trim() !== '' ? [x.trim()] : []));
  if (!strict) return [];
  throw new TokenError(`The '${name}' claim was not of type List: ${typeof v}`);
}

function numericClaim(claims: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const v = claims[name];
  if (v === undefined || v === null) {
    if (required) throw new TokenError(`Required claim missing: ${name}`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TokenError(`The ${name} claim had the incorrect type: ${typeof v}`);
  return v;
}

function stringClaim(claims: Record<string, unknown>, name: string): string {
  const v = claims[name];
  if (v === undefined || v === null) throw new TokenError(`Required claim missing: ${name}`);
  if (typeof v !== 'string') throw new TokenError(`The ${name} claim had the incorrect type: ${typeof v}`);
  if (v.trim() === '') throw new TokenError(`The ${name} claim is empty`);
  return v;
}

export interface UnsecuredOptions {
  readonly principalClaim: string;
  readonly scopeClaim: string;
  readonly requiredScope: readonly string[];
  readonly clockSkewMs: number;
}

/** Reads the `unsecuredValidator*` JAAS options (Kafka's defaults: sub, scope, no scope, no skew). */
export function unsecuredOptions(options: ReadonlyMap<string, string>): UnsecuredOptions {
  const opt = (k: string) => options.get(`unsecuredValidator${k}`)?.trim() ?? '';
  const skewText = opt('AllowableClockSkewMs');
  const skew = skewText === '' ? 0 : Number(skewText);
  if (!Number.isInteger(skew) || skew < 0)
    throw new TokenError(`unsecuredValidatorAllowableClockSkewMs must be a non-negative integer, not ${skewText}`);
  const scope = opt('RequiredScope');
  return {
    principalClaim: opt('PrincipalClaimName') || 'sub',
    scopeClaim: opt('ScopeClaimName') || 'scope',
    requiredScope: scope === '' ? [] : scope.split(' ').filter((s) => s !== ''),
    clockSkewMs: skew,
  };
}

/** Kafka's OAuthBearerUnsecuredValidatorCallbackHandler: alg "none", no signature, then the claim checks. */
export class UnsecuredValidator implements TokenValidator {
  private readonly opts: UnsecuredOptions;
  constructor(opts: UnsecuredOptions) {
    this.opts = opts;
  }

  validate(token: string, nowMs: number): ValidToken {
    const jws = decodeJws(token);
    if (jws.signatureText !== '') throw new TokenError('An unsecured JWS must have an empty signature');
    if (jws.header.alg !== 'none') throw new TokenError('An unsecured JWS must have the header alg "none"');
    const { principalClaim, scopeClaim, requiredScope, clockSkewMs } = this.opts;
    const principal = stringClaim(jws.claims, principalClaim);
    const iat = numericClaim(jws.claims, 'iat', false);
    if (iat !== undefined && iat * 1000 > nowMs + clockSkewMs)
      throw new TokenError(
        `The Issued At value (${iat} seconds) was after the indicated time (${nowMs} ms) plus allowable clock skew (${clockSkewMs} ms)`,
      );
    const exp = numericClaim(jws.claims, 'exp', true)!;
    if (nowMs - clockSkewMs >= exp * 1000)
      throw new TokenError(
        `The indicated time (${nowMs} ms) minus allowable clock skew (${clockSkewMs} ms) was on or after the Expiration Time value (${exp} seconds)`,
      );
    if (iat !== undefined && exp <= iat)
      throw new TokenError(`The Expiration Time (${exp} seconds) was not after the Issued At time (${iat} seconds)`);
    const scope = scopeOf(jws.claims, scopeClaim, true);
    for (const s of requiredScope)
      if (!scope.includes(s))
        throw new TokenError(
          `The provided scope ([${scope.join(', ')}]) was missing a required scope (${s}). All required scope elements: [${requiredScope.join(', ')}]`,
          `[${requiredScope.join(', ')}]`,
        );
    return { principal, expiresAtMs: exp * 1000, scope };
  }
}

/** A JSON Web Key as a node:crypto public key, with what selects it. */
export interface Jwk {
  readonly kid: string | undefined;
  readonly kty: string;
  readonly alg: string | undefined;
  readonly use: string | undefined;
  readonly crv: string | undefined;
  readonly key: KeyObject;
}

/** Parses a JWK Set document; keys that are not public RSA/EC signature keys are skipped, as jose4j does. */
export function parseJwks(text: string): Jwk[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new TokenError('the JWKS is not JSON');
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new TokenError('the JWKS has no "keys" array');
  const out: Jwk[] = [];
  for (const k of keys as Record<string, unknown>[]) {
    if (typeof k !== 'object' || k === null) continue;
    if (k.kty !== 'RSA' && k.kty !== 'EC') continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    if ('d' in k) continue; // a private key has no business in a JWKS: never use it
    let key: KeyObject;
    try {
      key = createPublicKey({ key: k as never, format: 'jwk' });
    } catch {
      continue;
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    out.push({ kid: str(k.kid), kty: k.kty as string, alg: str(k.alg), use: str(k.use), crv: str(k.crv), key });
  }
  return out;
}

interface AlgSpec {
  readonly kty: 'RSA' | 'EC';
  readonly hash: string;
  readonly pss?: boolean;
  readonly crv?: string;
  readonly sigBytes?: number;
}

const ALGS: Readonly<Record<string, AlgSpec>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', hash: 'sha256', crv: 'P-256', sigBytes: 64 },
  ES384: { kty: 'EC', hash: 'sha384', crv: 'P-384', sigBytes: 96 },
  ES512: { kty: 'EC', hash: 'sha512', crv: 'P-521', sigBytes: 132 },
};
export const SIGNATURE_ALGORITHMS = Object.keys(ALGS);

/** Checks a JWS signature with one key; false for any mismatch (never throws for bad input). */
export function verifySignature(alg: string, jwk: Jwk, signingInput: string, signature: Buffer): boolean {
  const spec = ALGS[alg];
  if (spec === undefined || jwk.kty !== spec.kty) return false;
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return false;
  if (spec.sigBytes !== undefined && signature.length !== spec.sigBytes) return false;
  const data = Buffer.from(signingInput, 'ascii');
  try {
    if (spec.pss)
      return verify(
        spec.hash,
        data,
        { key: jwk.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    if (spec.kty === 'EC') return verify(spec.hash, data, { key: jwk.key, dsaEncoding: 'ieee-p1363' }, signature);
    return verify(spec.hash, data, jwk.key, signature);
  } catch {
    return false;
  }
}

/** Where the signed validator finds its keys; `refresh` asks for a re-read (an unknown `kid`). */
export interface JwksSource {
  keys(nowMs: number): readonly Jwk[];
  refresh(nowMs: number): readonly Jwk[];
}

export interface JwtOptions {
  /** sasl.oauthbearer.expected.audience: the token's aud must contain one of these (empty = not checked). */
  readonly audience: readonly string[];
  /** sasl.oauthbearer.expected.issuer (null = not checked). */
  readonly issuer: string | null;
  readonly clockSkewSeconds: number;
  readonly scopeClaim: string;
  readonly subClaim: string;
}

/** Kafka's broker JWT validator (BrokerJwtValidator): signature against the JWKS, then the registered claims. */
export class JwtValidator implements TokenValidator {
  private readonly jwks: JwksSource;
  private readonly opts: JwtOptions;
  constructor(jwks: JwksSource, opts: JwtOptions) {
    this.jwks = jwks;
    this.opts = opts;
  }

  validate(token: string, nowMs: number): ValidToken {
    const jws = decodeJws(token);
    const alg = jws.header.alg;
    if (typeof alg !== 'string' || ALGS[alg] === undefined)
      throw new TokenError(
        `The token's algorithm ${JSON.stringify(alg ?? null)} is not accepted (${SIGNATURE_ALGORITHMS.join(', ')})`,
      );
    if (jws.header.crit !== undefined)
      throw new TokenError('The token has critical header parameters (crit): not supported');
    const kid = typeof jws.header.kid === 'string' ? jws.header.kid : undefined;
    const candidates = (keys: readonly Jwk[]) =>
      keys.filter(
        (k) =>
          k.kty === ALGS[alg]!.kty &&
          (k.alg === undefined || k.alg === alg) &&
          (kid === undefined ? true : k.kid === kid),
      );
    let keys = candidates(this.jwks.keys(nowMs));
    if (keys.length === 0) keys = candidates(this.jwks.refresh(nowMs));
    if (keys.length === 0)
      throw new TokenError(
        kid === undefined
          ? `No key in the JWKS fits the token's algorithm ${alg}`
          : `No key with kid ${JSON.stringify(kid)} for algorithm ${alg} in the JWKS`,
      );
    if (kid === undefined && keys.length > 1)
      throw new TokenError(`The token has no kid and ${keys.length} keys in the JWKS fit its algorithm ${alg}`);
    if (!keys.some((k) => verifySignature(alg, k, jws.signingInput, jws.signature)))
      throw new TokenError('The token signature is invalid');
    const c = jws.claims;
    const skewMs = this.opts.clockSkewSeconds * 1000;
    const exp = numericClaim(c, 'exp', true)!;
    if (nowMs - skewMs >= exp * 1000)
      throw new TokenError(`The token expired at ${new Date(exp * 1000).toISOString()} (clock skew ${skewMs} ms)`);
    const iat = numericClaim(c, 'iat', true)!;
    if (iat * 1000 > nowMs + skewMs)
      throw new TokenError(`The token is issued in the future (${new Date(iat * 1000).toISOString()})`);
    const nbf = numericClaim(c, 'nbf', false);
    if (nbf !== undefined && nbf * 1000 > nowMs + skewMs)
      throw new TokenError(`The token is not valid before ${new Date(nbf * 1000).toISOString()}`);
    if (this.opts.issuer !== null && c.iss !== this.opts.issuer)
      throw new TokenError(
        `The token's issuer ${JSON.stringify(c.iss ?? null)} is not the expected ${JSON.stringify(this.opts.issuer)}`,
      );
    if (this.opts.audience.length > 0) {
      const aud = typeof c.aud === 'string' ? [c.aud] : Array.isArray(c.aud) ? c.aud : [];
      if (!aud.some((a) => this.opts.audience.includes(a as string)))
        throw new TokenError(
          `The token's audience ${JSON.stringify(c.aud ?? null)} has none of the expected ${this.opts.audience.join(', ')}`,
        );
    }
    const principal = stringClaim(c, this.opts.subClaim);
    const scope = scopeOf(c, this.opts.scopeClaim, false);
    return { principal, expiresAtMs: exp * 1000, scope };
  }
}
