// DescribeUserScramCredentials (50): which SCRAM mechanisms (and iterations) each user has; never the keys.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: ApiKey.DescribeUserScramCredentials,
  versions: [0, 0],
  handle(ctx, req) {
    // ACLs (when an authorizer is on): DESCRIBE on the cluster.
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE))
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        results: [],
      };
    const creds = ctx.broker.metadata().scramCredentials;
    const describe = (user: string) => {
      const mechs = creds.get(user);
      if (mechs === undefined)
        return {
          user,
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: 'Attempt to describe nonexistent user credential',
          credentialInfos: [],
        };
      const credentialInfos = [...mechs].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations }));
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos };
    };
    let results: DescribeUserScramCredentialsResponse['results'];
    if (req.users === null || req.users.length === 0) {
      results = [...creds.keys()].sort().map(describe);
    } else {
      const count = new Map<string, number>();
      for (const u of req.users) count.set(u.name, (count.get(u.name) ?? 0) + 1);
      results = [...count].map(([user, n]) =>
        n > 1
          ? {
              user,
              errorCode: ErrorCode.DUPLICATE_RESOURCE,
              errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request',
              credentialInfos: [],
            }
          : describe(user),
      );
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
