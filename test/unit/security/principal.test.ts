import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  mapDistinguishedName,
  PrincipalMappingError,
  parseSslPrincipalRules,
} from '../../../src/security/principal.ts';

describe('ssl.principal.mapping.rules (Kafka SslPrincipalMapper semantics)', () => {
  const map = (rules: string, dn: string) => mapDistinguishedName(parseSslPrincipalRules(rules), dn);

  it('DEFAULT keeps the full distinguished name', () => {
    assert.equal(map('DEFAULT', 'CN=carol,OU=eng,O=Acme\\, Inc,C=US'), 'CN=carol,OU=eng,O=Acme\\, Inc,C=US');
  });

  it('applies the first rule whose pattern matches the whole name, with $n groups and case folding', () => {
    const rules = 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/, RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/L, DEFAULT';
    assert.equal(map(rules, 'CN=svc-a,OU=ServiceUsers,O=Acme,C=US'), 'svc-a');
    assert.equal(map(rules, 'CN=Bob,OU=ENG,O=Acme,C=US'), 'bob@eng');
    assert.equal(map(rules, 'CN=x'), 'CN=x');
    assert.equal(map('RULE:^CN=([^,]*),.*$/$1/U', 'CN=carol,C=US'), 'CAROL');
  });

  it('matches the whole name only (Java Matcher.matches)', () => {
    assert.throws(() => map('RULE:CN=carol/x/', 'CN=carol,C=US'), PrincipalMappingError);
  });

  it('reads escaped slashes and commas inside patterns', () => {
    assert.equal(map('RULE:^CN=(a\\/b),O=(x,y)$/$1-$2/', 'CN=a/b,O=x,y'), 'a/b-x,y');
  });

  it('refuses no matching rule and malformed rules', () => {
    assert.throws(() => map('RULE:^CN=carol$/c/', 'CN=dave'), /No rules apply to CN=dave/);
    for (const bad of ['RULE:abc', 'NOPE', 'RULE:(/x/', 'DEFAULT DEFAULT', 'RULE:a/b/X'])
      assert.throws(() => parseSslPrincipalRules(bad), PrincipalMappingError, bad);
  });
});
