// DescribeQuorum (55): the KRaft metadata quorum (voters, observers, their log end offsets). This broker's
// metadata is kept by one local controller in a metadata log, not by a Raft quorum, so there is no quorum to
// describe: the answer is UNSUPPORTED_VERSION with a message (v2+), as a Kafka broker without KRaft answers. No
// voters or offsets are invented. As Kafka, the principal needs DESCRIBE on the cluster first.

import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeQuorumRequest, DescribeQuorumResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export const NO_QUORUM_MESSAGE =
  'This cluster has no KRaft quorum: its metadata is kept by a single local controller, so there are no voters to describe.';

export default defineHandler<DescribeQuorumRequest, DescribeQuorumResponse>({
  apiKey: ApiKey.DescribeQuorum,
  versions: [0, 2],
  handle(ctx) {
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE))
      return {
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        topics: [],
        nodes: [],
      };
    return {
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      errorMessage: NO_QUORUM_MESSAGE,
      topics: [],
      nodes: [],
    };
  },
});
