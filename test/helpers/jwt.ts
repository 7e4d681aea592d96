// Test tokens: unsecured JWS (alg "none") and JWTs signed with keys generated here, plus their JWKS documents.
import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

export function unsecuredJwt(claims: object): string {
  return `${b64({ alg: 'none' })}.${b64(claims)}.`;
}

export function makeKey(alg: string, kid: string): TestKey {
  const pair = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg]! })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

export function jwks(keys: readonly TestKey[]): string {
  return JSON.stringify({
    keys: keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })),
  });
}

/** A compact JWS of `claims` signed with `key` (header overrides in `header`). */
export function signJwt(key: TestKey, claims: object, header: object = {}): string {
  const input = `${b64({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })}.${b64(claims)}`;
  const hash = `sha${key.alg.slice(2)}`;
  const data = Buffer.from(input, 'ascii');
  const sig = key.alg.startsWith('ES')
    ? sign(hash, data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : key.alg.startsWith('PS')
      ? sign(hash, data, {
          key: key.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        })
      : sign(hash, data, key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}
