// Test certificates made with the openssl command line into a temp dir: a CA, a broker certificate for 127.0.0.1
// and localhost, and client certificates. Keys are written plain and as encrypted PKCS#8 (PBES2/AES and the older
// PBE-SHA1-3DES form Java 17 reads).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './broker.ts';

export interface CertFiles {
  readonly dir: string;
  readonly caCert: string;
  /** PEM key store: the broker's private key (unencrypted) followed by its certificate. */
  readonly brokerKeystore: string;
  readonly brokerKey: string;
  readonly brokerCert: string;
  /** The broker key as encrypted PKCS#8 (AES-256-CBC), password KEY_PASSWORD. */
  readonly brokerKeyEncrypted: string;
  /** The broker key as encrypted PKCS#8 with PBE-SHA1-3DES, password KEY_PASSWORD. */
  readonly brokerKeyPbe3des: string;
  client(cn: string, signedBy?: 'ca' | 'self'): { key: string; cert: string };
  /**
   * Another broker certificate signed by the CA (a new key and serial; by default the same subject and names as
   * brokerCert), with its PEM key store (key then certificate).
   */
  brokerVariant(name: string, subj?: string, san?: string): { key: string; cert: string; keystore: string };
}

export const KEY_PASSWORD = 'key-secret';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCerts(): CertFiles {
  const dir = makeTempDir('tributary-certs-');
  const p = (f: string) => path.join(dir, f);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/O=Tributary Test/CN=Test CA',
    ],
    dir,
  );
  const sign = (name: string, subj: string, ext?: string, ca: 'ca' | 'self' = 'ca') => {
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj],
      dir,
    );
    if (ext) writeFileSync(p(`${name}.ext`), ext);
    const signer = ca === 'ca' ? ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'] : ['-signkey', `${name}.key`];
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        ...signer,
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        ...(ext ? ['-extfile', `${name}.ext`] : []),
      ],
      dir,
    );
  };
  sign('broker', '/O=Tributary Test/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(
    p('broker-keystore.pem'),
    readFileSync(p('broker.key'), 'utf8') + readFileSync(p('broker.pem'), 'utf8'),
  );
  openssl(
    [
      'pkcs8',
      '-topk8',
      '-in',
      'broker.key',
      '-out',
      'broker-enc.key',
      '-v2',
      'aes-256-cbc',
      '-passout',
      `pass:${KEY_PASSWORD}`,
    ],
    dir,
  );
  openssl(
    [
      'pkcs8',
      '-topk8',
      '-in',
      'broker.key',
      '-out',
      'broker-3des.key',
      '-v1',
      'PBE-SHA1-3DES',
      '-passout',
      `pass:${KEY_PASSWORD}`,
    ],
    dir,
  );
  return {
    dir,
    caCert: p('ca.pem'),
    brokerKeystore: p('broker-keystore.pem'),
    brokerKey: p('broker.key'),
    brokerCert: p('broker.pem'),
    brokerKeyEncrypted: p('broker-enc.key'),
    brokerKeyPbe3des: p('broker-3des.key'),
    brokerVariant(
      name: string,
      subj = '/O=Tributary Test/CN=localhost',
      san = 'subjectAltName=IP:127.0.0.1,DNS:localhost\n',
    ) {
      sign(name, subj, san);
      const keystore = p(`${name}-keystore.pem`);
      writeFileSync(keystore, readFileSync(p(`${name}.key`), 'utf8') + readFileSync(p(`${name}.pem`), 'utf8'));
      return { key: p(`${name}.key`), cert: p(`${name}.pem`), keystore };
    },
    client(cn: string, signedBy: 'ca' | 'self' = 'ca') {
      const name = `client-${cn}-${signedBy}`;
      sign(name, `/C=US/O=Tributary Test/CN=${cn}`, undefined, signedBy);
      return { key: p(`${name}.key`), cert: p(`${name}.pem`) };
    },
  };
}
