// Security state in cluster metadata: SCRAM credentials and ACLs go through the controller as records, and a
// controller replaying the log (a restart, a failover) ends with exactly the same state (CVE-2024-27309's lesson).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageFromRecords, imageRecords } from '../../../src/controller/store-log.ts';
import { LocalController } from '../../../src/metadata/controller.ts';
import type { MetadataLog, MetadataLogEntry } from '../../../src/metadata/metadata-log.ts';
import { decodeRecord, type MetadataRecord, recordBytes } from '../../../src/metadata/records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { Reader } from '../../../src/protocol/io.ts';
import {
  type Acl,
  AclOperation,
  AclPermission,
  Authorizer,
  PatternType,
  ResourceType,
} from '../../../src/security/authorizer.ts';
import {
  credentialFromSaltedPassword,
  saltedPassword,
  scramMechanismById,
  scramMechanismByName,
} from '../../../src/security/scram.ts';
import { createLogger } from '../../../src/util/log.ts';

class MemoryLog implements MetadataLog {
  readonly entries: MetadataLogEntry[] = [];
  readAll(): MetadataLogEntry[] {
    // As the file log: records come back from their encoded form (Kafka's record frames).
    return this.entries.map((e) => ({ offset: e.offset, record: decodeRecord(new Reader(recordBytes(e.record))) }));
  }
  append(records: MetadataRecord[]): MetadataLogEntry[] {
    const out: MetadataLogEntry[] = [];
    for (const record of records) {
      const e = { offset: this.entries.length, record };
      this.entries.push(e);
      out.push(e);
    }
    return out;
  }
  close(): void {}
}

const logger = createLogger({ level: 'silent' });
const controller = (log: MetadataLog) =>
  new LocalController({
    clusterId: 'c',
    nodeId: 1,
    log,
    logger,
    defaults: { numPartitions: 1, defaultReplicationFactor: 1, validateTopicConfigs: () => [] },
  });
/** What a cluster's controller would rebuild from a snapshot of `c`'s image. */
const fromSnapshot = (c: LocalController) => imageFromRecords('c', imageRecords(c.image), c.image.offset);

describe('SCRAM credentials in metadata', () => {
  const m = scramMechanismByName('SCRAM-SHA-512')!;
  const salt = Buffer.from('salt-salt-salt');
  // As the AlterUserScramCredentials handler sends them: StoredKey and ServerKey derived from the salted password.
  const up = (name: string, iterations = 4096, mechanism = 2) => {
    const keys = credentialFromSaltedPassword(
      scramMechanismById(mechanism) ?? m,
      saltedPassword(m, 'pw', salt, 4096),
      salt,
      iterations,
    );
    return {
      name,
      mechanism,
      iterations,
      salt: salt.toString('base64'),
      storedKey: keys.storedKey.toString('base64'),
      serverKey: keys.serverKey.toString('base64'),
    };
  };

  it('validates as Kafka and replays the stored keys exactly', () => {
    const log = new MemoryLog();
    const c = controller(log);
    const results = c.alterUserScramCredentials(
      [
        { name: 'ghost', mechanism: 2 },
        { name: 'twice', mechanism: 2 },
      ],
      [up('alice'), up('twice'), up(''), up('weak', 1000), up('strong', 20000), up('odd', 4096, 9)],
    );
    assert.deepEqual(
      results.map((r) => [r.user, r.errorCode]),
      [
        ['ghost', ErrorCode.RESOURCE_NOT_FOUND],
        ['twice', ErrorCode.DUPLICATE_RESOURCE],
        ['alice', ErrorCode.NONE],
        ['', ErrorCode.UNACCEPTABLE_CREDENTIAL],
        ['weak', ErrorCode.UNACCEPTABLE_CREDENTIAL],
        ['strong', ErrorCode.UNACCEPTABLE_CREDENTIAL],
        ['odd', ErrorCode.UNSUPPORTED_SASL_MECHANISM],
      ],
    );
    const stored = c.image.scramCredentials.get('alice')!.get(2)!;
    const expected = credentialFromSaltedPassword(m, saltedPassword(m, 'pw', salt, 4096), salt, 4096);
    assert.deepEqual(stored.storedKey, expected.storedKey);
    assert.deepEqual([...c.image.scramCredentials.keys()], ['alice']);
    const replayed = controller(log).image.scramCredentials.get('alice')!.get(2)!;
    assert.deepEqual(replayed, stored);
    assert.deepEqual(fromSnapshot(c).scramCredentials, c.image.scramCredentials);
    assert.equal(c.alterUserScramCredentials([{ name: 'alice', mechanism: 2 }], [])[0]!.errorCode, 0);
    assert.equal(controller(log).image.scramCredentials.size, 0);
  });
});

describe('ACLs in metadata', () => {
  const acl = (p: Partial<Acl>): Acl => ({
    resourceType: ResourceType.TOPIC,
    resourceName: 'orders',
    patternType: PatternType.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: AclOperation.READ,
    permissionType: AclPermission.ALLOW,
    ...p,
  });
  const opts = { superUsers: [], allowEveryoneIfNoAclFound: false };
  const allowed = (c: LocalController, principal: string, op: number) =>
    new Authorizer(c.image.acls.values(), opts).authorize(principal, 'h', op, ResourceType.TOPIC, 'orders');

  it('creates (idempotently), refuses invalid ACLs, deletes by filter, and replays exactly', () => {
    const log = new MemoryLog();
    const c = controller(log);
    const created = c.createAcls([
      acl({}),
      acl({}),
      acl({ principal: 'User:bob', operation: AclOperation.WRITE }),
      acl({ principal: 'User:bob', permissionType: AclPermission.DENY, operation: AclOperation.ALL }),
      acl({ principal: 'User:carol', operation: AclOperation.WRITE }),
      acl({ patternType: PatternType.MATCH }),
    ]);
    assert.deepEqual(
      created.map((r) => r.errorCode),
      [0, 0, 0, 0, 0, ErrorCode.INVALID_REQUEST],
    );
    assert.equal(c.image.acls.size, 4, 'the same ACL twice is stored once');
    assert.equal(allowed(c, 'User:bob', AclOperation.WRITE), false, 'DENY ALL beats ALLOW WRITE');
    // Remove 1 of the 4 (bob's DENY): the other 3 stay enforced, before and after a replay.
    const removed = c.deleteAcls([
      {
        resourceType: ResourceType.ANY,
        resourceName: null,
        patternType: PatternType.ANY,
        principal: 'User:bob',
        host: null,
        operation: AclOperation.ANY,
        permissionType: AclPermission.DENY,
      },
    ]);
    assert.equal(removed[0]!.length, 1);
    assert.deepEqual(fromSnapshot(c).acls, c.image.acls);
    for (const cc of [c, controller(log)]) {
      assert.equal(cc.image.acls.size, 3);
      assert.equal(allowed(cc, 'User:bob', AclOperation.WRITE), true);
      assert.equal(allowed(cc, 'User:alice', AclOperation.READ), true);
      assert.equal(allowed(cc, 'User:carol', AclOperation.WRITE), true);
      assert.equal(allowed(cc, 'User:carol', AclOperation.READ), false);
    }
  });
});
