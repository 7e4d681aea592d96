import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Acl,
  AclPermission,
  Authorizer,
  authorizeAnyOfType,
  filterMatches,
  invalidAcl,
  AclOperation as Op,
  PatternType,
  ResourceType,
} from '../../../src/security/authorizer.ts';

const acl = (p: Partial<Acl>): Acl => ({
  resourceType: ResourceType.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: Op.READ,
  permissionType: AclPermission.ALLOW,
  ...p,
});
const ALLOW = AclPermission.ALLOW;
const DENY = AclPermission.DENY;

// Kafka's documented semantics, one row each: ACLs, request (principal, host, operation, resource), expected.
const TABLE: Array<{
  why: string;
  acls: Acl[];
  req: [string, string, number, number, string];
  allowed: boolean;
  opts?: { superUsers?: string[]; allowIfNone?: boolean };
}> = [
  { why: 'literal ALLOW', acls: [acl({})], req: ['User:alice', '10.0.0.1', Op.READ, 2, 'orders'], allowed: true },
  { why: 'other principal', acls: [acl({})], req: ['User:bob', '10.0.0.1', Op.READ, 2, 'orders'], allowed: false },
  { why: 'other operation', acls: [acl({})], req: ['User:alice', 'h', Op.WRITE, 2, 'orders'], allowed: false },
  { why: 'other topic', acls: [acl({})], req: ['User:alice', 'h', Op.READ, 2, 'orders2'], allowed: false },
  { why: 'other type', acls: [acl({})], req: ['User:alice', 'h', Op.READ, 3, 'orders'], allowed: false },
  {
    why: 'DENY beats ALLOW',
    acls: [acl({}), acl({ permissionType: DENY })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'DENY ALL beats ALLOW READ',
    acls: [acl({}), acl({ permissionType: DENY, operation: Op.ALL, resourceName: '*' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'DENY for another host does not apply',
    acls: [acl({}), acl({ permissionType: DENY, host: '10.9.9.9' })],
    req: ['User:alice', '10.0.0.1', Op.READ, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'host must match',
    acls: [acl({ host: '10.0.0.1' })],
    req: ['User:alice', '10.0.0.2', Op.READ, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'ALL allows any operation',
    acls: [acl({ operation: Op.ALL })],
    req: ['User:alice', 'h', Op.DELETE, 2, 'orders'],
    allowed: true,
  },
  { why: 'READ implies DESCRIBE', acls: [acl({})], req: ['User:alice', 'h', Op.DESCRIBE, 2, 'orders'], allowed: true },
  {
    why: 'WRITE implies DESCRIBE',
    acls: [acl({ operation: Op.WRITE })],
    req: ['User:alice', 'h', Op.DESCRIBE, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'DELETE and ALTER imply DESCRIBE',
    acls: [acl({ operation: Op.DELETE }), acl({ operation: Op.ALTER, resourceName: 'x' })],
    req: ['User:alice', 'h', Op.DESCRIBE, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'CREATE does not imply DESCRIBE',
    acls: [acl({ operation: Op.CREATE })],
    req: ['User:alice', 'h', Op.DESCRIBE, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'ALTER_CONFIGS implies DESCRIBE_CONFIGS',
    acls: [acl({ operation: Op.ALTER_CONFIGS })],
    req: ['User:alice', 'h', Op.DESCRIBE_CONFIGS, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'a DENY on READ does not deny DESCRIBE',
    acls: [acl({ operation: Op.DESCRIBE }), acl({ permissionType: DENY })],
    req: ['User:alice', 'h', Op.DESCRIBE, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'READ does not imply WRITE',
    acls: [acl({})],
    req: ['User:alice', 'h', Op.WRITE, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'prefixed pattern',
    acls: [acl({ patternType: PatternType.PREFIXED, resourceName: 'ord' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'prefixed pattern does not match a shorter name',
    acls: [acl({ patternType: PatternType.PREFIXED, resourceName: 'orders-eu' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'literal * is every resource',
    acls: [acl({ resourceName: '*' })],
    req: ['User:alice', 'h', Op.READ, 2, 'anything'],
    allowed: true,
  },
  {
    why: 'literal name is not a pattern',
    acls: [acl({ resourceName: 'ord*' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'User:* matches every principal',
    acls: [acl({ principal: 'User:*' })],
    req: ['User:zed', 'h', Op.READ, 2, 'orders'],
    allowed: true,
  },
  {
    why: 'prefixed DENY beats literal ALLOW',
    acls: [acl({}), acl({ permissionType: DENY, patternType: PatternType.PREFIXED, resourceName: 'o' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: false,
  },
  {
    why: 'super users bypass DENY',
    acls: [acl({ permissionType: DENY, operation: Op.ALL })],
    req: ['User:admin', 'h', Op.WRITE, 2, 'orders'],
    allowed: true,
    opts: { superUsers: ['User:admin'] },
  },
  { why: 'no ACLs: denied by default', acls: [], req: ['User:alice', 'h', Op.READ, 2, 'orders'], allowed: false },
  {
    why: 'no ACLs: allow.everyone.if.no.acl.found',
    acls: [],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: true,
    opts: { allowIfNone: true },
  },
  {
    why: 'ACLs on the resource for someone else: allow.everyone does not apply',
    acls: [acl({ principal: 'User:bob' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: false,
    opts: { allowIfNone: true },
  },
  {
    why: 'ACLs on other resources only: allow.everyone applies',
    acls: [acl({ resourceName: 'payments' })],
    req: ['User:alice', 'h', Op.READ, 2, 'orders'],
    allowed: true,
    opts: { allowIfNone: true },
  },
];

describe('Authorizer (Kafka StandardAuthorizer semantics)', () => {
  for (const row of TABLE) {
    it(row.why, () => {
      const a = new Authorizer(row.acls, {
        superUsers: row.opts?.superUsers ?? [],
        allowEveryoneIfNoAclFound: row.opts?.allowIfNone ?? false,
      });
      assert.equal(a.authorize(...row.req), row.allowed);
    });
  }

  const anyAcl = fc.record({
    resourceType: fc.constantFrom(ResourceType.TOPIC, ResourceType.GROUP),
    resourceName: fc.constantFrom('a', 'ab', 'abc', '*', 'b'),
    patternType: fc.constantFrom(PatternType.LITERAL, PatternType.PREFIXED),
    principal: fc.constantFrom('User:alice', 'User:bob', 'User:*'),
    host: fc.constantFrom('*', 'h1', 'h2'),
    operation: fc.constantFrom(Op.ALL, Op.READ, Op.WRITE, Op.DESCRIBE, Op.ALTER),
    permissionType: fc.constantFrom(ALLOW, DENY),
  });
  const request = fc.tuple(
    fc.constantFrom('User:alice', 'User:bob'),
    fc.constantFrom('h1', 'h2'),
    fc.constantFrom(Op.READ, Op.WRITE, Op.DESCRIBE, Op.ALTER),
    fc.constantFrom(ResourceType.TOPIC, ResourceType.GROUP),
    fc.constantFrom('a', 'ab', 'abc', 'b'),
  );
  const opts = { superUsers: [], allowEveryoneIfNoAclFound: false };

  it('property: adding a DENY never allows more; adding an ALLOW never allows less', () => {
    fc.assert(
      fc.property(fc.array(anyAcl, { maxLength: 8 }), anyAcl, request, (acls, extra, req) => {
        const before = new Authorizer(acls, opts).authorize(...req);
        const after = new Authorizer([...acls, extra], opts).authorize(...req);
        if (extra.permissionType === DENY) return !after || before;
        return after || !before;
      }),
    );
  });

  it('property: the order of ACLs does not matter, and removing one of N keeps the other N-1 enforced', () => {
    fc.assert(
      fc.property(fc.array(anyAcl, { minLength: 1, maxLength: 8 }), request, fc.nat(), (acls, req, k) => {
        const a = new Authorizer(acls, opts).authorize(...req);
        const b = new Authorizer([...acls].reverse(), opts).authorize(...req);
        const i = k % acls.length;
        const rest = acls.filter((_, j) => j !== i);
        // The CVE-2024-27309 shape: the remaining ACLs decide exactly as an authorizer built from them alone.
        const afterRemove = new Authorizer(rest, opts).authorize(...req);
        const fresh = new Authorizer(rest.slice(), opts).authorize(...req);
        return a === b && afterRemove === fresh;
      }),
    );
  });

  it('authorizeAnyOfType: some ALLOW for the type, unless a wildcard DENY (KIP-679)', () => {
    const opts2 = { superUsers: ['User:root'], allowEveryoneIfNoAclFound: false };
    const acls = [acl({ operation: Op.WRITE, patternType: PatternType.PREFIXED, resourceName: 'alice-' })];
    const a = new Authorizer(acls, opts2);
    assert.equal(authorizeAnyOfType(a, acls, 'User:alice', 'h', Op.WRITE, ResourceType.TOPIC), true);
    assert.equal(authorizeAnyOfType(a, acls, 'User:bob', 'h', Op.WRITE, ResourceType.TOPIC), false);
    assert.equal(authorizeAnyOfType(a, acls, 'User:root', 'h', Op.WRITE, ResourceType.TOPIC), true);
    const denied = [...acls, acl({ operation: Op.WRITE, permissionType: DENY, resourceName: '*' })];
    assert.equal(
      authorizeAnyOfType(new Authorizer(denied, opts2), denied, 'User:alice', 'h', Op.WRITE, ResourceType.TOPIC),
      false,
    );
  });
});

describe('ACL filters and validation', () => {
  const base = {
    resourceType: ResourceType.ANY,
    resourceName: null,
    patternType: PatternType.ANY,
    principal: null,
    host: null,
    operation: Op.ANY,
    permissionType: AclPermission.ANY,
  };
  it('ANY matches everything; fields narrow; MATCH finds every pattern applying to a name', () => {
    const lit = acl({});
    const pre = acl({ patternType: PatternType.PREFIXED, resourceName: 'ord' });
    const star = acl({ resourceName: '*' });
    assert.equal(filterMatches(base, lit), true);
    assert.equal(filterMatches({ ...base, principal: 'User:bob' }, lit), false);
    assert.equal(filterMatches({ ...base, patternType: PatternType.PREFIXED }, lit), false);
    assert.equal(filterMatches({ ...base, resourceName: 'orders', patternType: PatternType.LITERAL }, pre), false);
    const match = { ...base, resourceName: 'orders', patternType: PatternType.MATCH };
    assert.deepEqual(
      [lit, pre, star, acl({ resourceName: 'other' })].map((a) => filterMatches(match, a)),
      [true, true, true, false],
    );
  });
  it('refuses ACLs Kafka refuses', () => {
    assert.equal(invalidAcl(acl({})), null);
    assert.match(invalidAcl(acl({ patternType: PatternType.MATCH }))!, /pattern type/);
    assert.match(invalidAcl(acl({ resourceType: ResourceType.ANY }))!, /resource type/);
    assert.match(invalidAcl(acl({ operation: Op.ANY }))!, /operation/);
    assert.match(invalidAcl(acl({ permissionType: AclPermission.ANY }))!, /permission/);
    assert.match(invalidAcl(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'x' }))!, /kafka-cluster/);
    assert.match(invalidAcl(acl({ principal: 'alice' }))!, /principal/);
  });
});
