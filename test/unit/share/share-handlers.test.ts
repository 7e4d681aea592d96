// The share-group handlers driven with a stub context, for what a one-principal broker process cannot reach: a
// ShareGroupDescribe v1 of a group whose members use a topic the principal may not DESCRIBE, and the share.version
// gate of the offset APIs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { AclOperation, AclPermission, PatternType, ResourceType } from '../../../src/security/authorizer.ts';
import type { RequestContext } from '../../../src/server/handler.ts';
import describeShareGroupOffsets from '../../../src/server/handlers/describe-share-group-offsets.ts';
import shareGroupDescribe from '../../../src/server/handlers/share-group-describe.ts';

function ctx(shareVersion: number, deniedTopic: string | null) {
  const acls = new Map(
    deniedTopic === null
      ? []
      : [
          [
            'a1',
            {
              resourceType: ResourceType.TOPIC,
              resourceName: deniedTopic,
              patternType: PatternType.LITERAL,
              principal: 'User:ANONYMOUS',
              host: '*',
              operation: AclOperation.DESCRIBE,
              permissionType: AclPermission.DENY,
            },
          ],
        ],
  );
  const image = new MetadataImage({
    ...MetadataImage.empty('c'),
    features: new Map([['share.version', shareVersion]]),
    acls,
  });
  const config = new Map<string, unknown>([
    ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['allow.everyone.if.no.acl.found', true],
    ['super.users', []],
  ]);
  const member = {
    memberId: 'm',
    rackId: null,
    memberEpoch: 1,
    clientId: 'c',
    clientHost: '/h',
    subscribedTopicNames: ['jobs'],
    assignment: [{ topicId: 'T', topicName: 'jobs', partitions: [0] }],
  };
  const groups = new Map([['g', { groupEpoch: 1, assignmentEpoch: 1, members: new Map([['m', member]]) }]]);
  const broker = {
    nodeId: 1,
    metadata: () => image,
    config: { get: (k: string) => config.get(k) },
    shares: { groups: { groups, state: () => 'Stable' }, restore: async (id: string) => groups.has(id) },
  };
  return {
    apiVersion: 1,
    broker,
    connection: { principal: 'User:ANONYMOUS', remoteAddress: '127.0.0.1:5000' },
  } as unknown as RequestContext;
}

const call = async (
  h: { handle: (c: RequestContext, r: never) => unknown },
  c: RequestContext,
  req: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: handler results are Encodable unions; tests read plain fields
): Promise<any> => await h.handle(c, req as never);

test('ShareGroupDescribe v1: a group using a topic one may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED', async () => {
  const req = { groupIds: ['g'], includeAuthorizedOperations: false };
  const shown = (await call(shareGroupDescribe, ctx(1, null), req)).groups[0];
  assert.equal(shown.errorCode, ErrorCode.NONE);
  assert.equal(shown.members.length, 1);
  const hidden = (await call(shareGroupDescribe, ctx(1, 'jobs'), req)).groups[0];
  assert.equal(hidden.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assert.deepEqual(hidden.members, []);
});

test('share.version 0: ShareGroupDescribe and DescribeShareGroupOffsets answer UNSUPPORTED_VERSION per group', async () => {
  const d = (await call(shareGroupDescribe, ctx(0, null), { groupIds: ['g'], includeAuthorizedOperations: false }))
    .groups[0];
  assert.equal(d.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  const o = await call(describeShareGroupOffsets, ctx(0, null), { groups: [{ groupId: 'g', topics: null }] });
  assert.equal(o.groups[0].errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.match(o.groups[0].errorMessage, /share\.version/);
});
