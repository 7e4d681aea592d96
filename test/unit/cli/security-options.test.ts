// The CLI's security pieces without a broker: Kafka client properties → client security settings, and the ACLs and
// filters `tributary acls` derives from kafka-acls.sh-style options.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { aclFilters, aclsToCreate, parseOperation } from '../../../src/cli/commands/acls.ts';
import { UsageError } from '../../../src/cli/commands/common.ts';
import { ClientPropertiesError, securityFromProperties } from '../../../src/client/properties.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../../src/security/authorizer.ts';
import { makeTempDir } from '../../helpers/broker.ts';

const props = (o: Record<string, string>) => new Map(Object.entries(o));

describe('securityFromProperties', () => {
  it('maps security.protocol, sasl.mechanism, the JAAS credentials and PEM stores', () => {
    const dir = makeTempDir('tributary-props-');
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    assert.deepEqual(securityFromProperties(props({})), {});
    const s = securityFromProperties(
      props({
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-256',
        'sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p w";',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': ca,
        'ssl.endpoint.identification.algorithm': '',
      }),
    );
    assert.deepEqual(s.sasl, { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p w' });
    const ssl = s.ssl as { ca: Buffer; skipHostnameCheck: boolean };
    assert.match(ssl.ca.toString(), /BEGIN CERTIFICATE/);
    assert.equal(ssl.skipHostnameCheck, true);
  });

  it('names the key that cannot work, never the JAAS value', () => {
    const bad = (o: Record<string, string>, re: RegExp) =>
      assert.throws(
        () => securityFromProperties(props(o)),
        (e: Error) => e instanceof ClientPropertiesError && re.test(e.message),
      );
    bad({ 'security.protocol': 'TLS' }, /^security\.protocol: TLS is not one of/);
    bad(
      { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.jaas.config': 'x' },
      /^sasl\.mechanism: GSSAPI is not supported/,
    );
    bad({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' }, /^sasl\.jaas\.config: SASL needs/);
    const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="secret";';
    assert.throws(
      () =>
        securityFromProperties(
          props({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': jaas }),
        ),
      (e: Error) =>
        /needs org\.apache\.kafka\.common\.security\.plain\.PlainLoginModule/.test(e.message) &&
        !e.message.includes('secret'),
    );
    bad({ 'security.protocol': 'SSL', 'ssl.truststore.type': 'JKS', 'ssl.truststore.location': '/x.jks' }, /use PEM/);
    bad(
      { 'security.protocol': 'SSL', 'ssl.truststore.location': '/nonexistent.pem' },
      /cannot read \/nonexistent\.pem/,
    );
  });
});

const base = {
  bootstrapServer: 'x',
  topic: [] as string[],
  group: [] as string[],
  transactionalId: [] as string[],
  allowPrincipal: [] as string[],
  denyPrincipal: [] as string[],
  allowHost: [] as string[],
  denyHost: [] as string[],
  operation: [] as string[],
};

describe('tributary acls options', () => {
  it('operations by Kafka name, any case and separator', () => {
    assert.equal(parseOperation('Read'), AclOperation.READ);
    assert.equal(parseOperation('ALTER_CONFIGS'), AclOperation.ALTER_CONFIGS);
    assert.equal(parseOperation('describeConfigs'), AclOperation.DESCRIBE_CONFIGS);
    assert.throws(() => parseOperation('Any'), UsageError); // a filter value, not an operation
  });

  it('create: principals × hosts × operations × resources; --consumer / --producer expand', () => {
    const acls = aclsToCreate({
      ...base,
      topic: ['t'],
      allowPrincipal: ['User:a'],
      allowHost: ['h1', 'h2'],
      operation: ['Read', 'Write'],
    });
    assert.equal(acls.length, 4);
    assert.ok(acls.every((a) => a.patternType === PatternType.LITERAL && a.permissionType === AclPermission.ALLOW));
    const consumer = aclsToCreate({ ...base, topic: ['t'], group: ['g'], denyPrincipal: ['User:b'], consumer: true });
    assert.deepEqual(
      consumer.map((a) => [a.resourceType, a.operation, a.permissionType, a.host]),
      [
        [ResourceType.TOPIC, AclOperation.READ, AclPermission.DENY, '*'],
        [ResourceType.TOPIC, AclOperation.DESCRIBE, AclPermission.DENY, '*'],
        [ResourceType.GROUP, AclOperation.READ, AclPermission.DENY, '*'],
      ],
    );
    assert.deepEqual(
      aclsToCreate({ ...base, cluster: true, allowPrincipal: ['User:ops'] }).map((a) => [a.resourceName, a.operation]),
      [['kafka-cluster', AclOperation.ALL]],
    );
  });

  it('list / delete filters: everything by default, LITERAL once a resource is named', () => {
    assert.deepEqual(aclFilters({ ...base }), [
      {
        resourceType: ResourceType.ANY,
        resourceName: null,
        patternType: PatternType.ANY,
        principal: null,
        host: null,
        operation: AclOperation.ANY,
        permissionType: AclPermission.ANY,
      },
    ]);
    const [f] = aclFilters({ ...base, group: ['g'], principal: 'User:a' });
    assert.equal(f!.patternType, PatternType.LITERAL);
    assert.equal(f!.principal, 'User:a');
    assert.equal(
      aclFilters({ ...base, topic: ['t'], resourcePatternType: 'match' })[0]!.patternType,
      PatternType.MATCH,
    );
  });
});
