// Principals as Kafka names them (`User:<name>`), and the mapping from a client certificate's distinguished name
// to a name (Kafka's SslPrincipalMapper and `ssl.principal.mapping.rules`).
import type { X509Certificate } from 'node:crypto';

export const ANONYMOUS = 'User:ANONYMOUS';

/**
 * The certificate subject in RFC 2253 form, as Java's X500Principal.getName() gives it to Kafka: the most specific
 * attribute first, comma-separated, special characters escaped (`CN=carol,OU=eng,O=Acme\, Inc,C=US`).
 */
export function distinguishedName(cert: X509Certificate): string {
  // Node lists the subject one attribute per line, in certificate order (least specific first), already escaped.
  return cert.subject.split('\n').reverse().join(',');
}

export interface SslPrincipalRule {
  /** null = DEFAULT (the distinguished name as is). */
  readonly pattern: RegExp | null;
  readonly replacement: string;
  readonly toCase: 'L' | 'U' | '';
}

export class PrincipalMappingError extends Error {
  override name = 'PrincipalMappingError';
}

/**
 * Parses `ssl.principal.mapping.rules`: comma-separated `DEFAULT` or `RULE:pattern/replacement/[LU]` entries, where
 * a pattern may itself contain commas and `\/` (Kafka's syntax). Throws PrincipalMappingError naming the bad part.
 */
export function parseSslPrincipalRules(text: string): SslPrincipalRule[] {
  const rules: SslPrincipalRule[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  /** Reads up to the next unescaped '/', unescaping `\/`; other escapes stay for the regular expression. */
  const readPart = (): string => {
    let out = '';
    while (i < text.length && text[i] !== '/') {
      if (text[i] === '\\' && i + 1 < text.length) {
        out += text[i + 1] === '/' ? '/' : text.slice(i, i + 2);
        i += 2;
      } else out += text[i++];
    }
    if (text[i] !== '/') throw new PrincipalMappingError(`invalid rule in '${text}': a '/' is missing`);
    i++;
    return out;
  };
  skipSpace();
  while (i < text.length) {
    if (text.startsWith('DEFAULT', i)) {
      i += 'DEFAULT'.length;
      rules.push({ pattern: null, replacement: '', toCase: '' });
    } else if (text.startsWith('RULE:', i)) {
      i += 'RULE:'.length;
      const source = readPart();
      const replacement = readPart();
      let toCase: 'L' | 'U' | '' = '';
      if (text[i] === 'L' || text[i] === 'U') toCase = text[i++] as 'L' | 'U';
      let pattern: RegExp;
      try {
        // Java's Matcher.matches(): the whole name must match.
        pattern = new RegExp(`^(?:${source})$`);
      } catch (e) {
        throw new PrincipalMappingError(`invalid pattern '${source}': ${(e as Error).message}`);
      }
      rules.push({ pattern, replacement, toCase });
    } else {
      throw new PrincipalMappingError(
        `invalid rule at '${text.slice(i)}': expected DEFAULT or RULE:pattern/replacement/`,
      );
    }
    skipSpace();
    if (i < text.length) {
      if (text[i] !== ',') throw new PrincipalMappingError(`invalid rule at '${text.slice(i)}': expected ','`);
      i++;
      skipSpace();
    }
  }
  return rules;
}

/** The principal name for a distinguished name: the first rule that matches; none matching is an error. */
export function mapDistinguishedName(rules: readonly SslPrincipalRule[], dn: string): string {
  for (const r of rules) {
    if (r.pattern === null) return dn;
    if (!r.pattern.test(dn)) continue;
    const name = dn.replace(r.pattern, r.replacement);
    return r.toCase === 'L' ? name.toLowerCase() : r.toCase === 'U' ? name.toUpperCase() : name;
  }
  throw new PrincipalMappingError(`No rules apply to ${dn}, rules ${rules.length === 0 ? '[]' : 'did not match'}`);
}
