// AlterUserScramCredentials (51): upsert or delete SCRAM credentials, stored in cluster metadata
// (UserScramCredentialRecord / RemoveUserScramCredentialRecord). The client sends the salted password; the broker
// keeps only StoredKey and ServerKey. `kafka-configs.sh --entity-type users --alter --add-config
// 'SCRAM-SHA-512=[password=...]'` and Admin.alterUserScramCredentials use it.

import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { credentialFromSaltedPassword, scramMechanismById } from '../../security/scram.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: ApiKey.AlterUserScramCredentials,
  versions: [0, 0],
  async handle(ctx, req) {
    // ACLs (when an authorizer is on): ALTER on the cluster.
    if (!authorizedCluster(ctx, AclOperation.ALTER)) {
      const users = [...new Set([...req.deletions, ...req.upsertions].map((x) => x.name))];
      return {
        throttleTimeMs: 0,
        results: users.map((user) => ({
          user,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'Cluster authorization failed.',
        })),
      };
    }
    // StoredKey and ServerKey are derived here: the salted password never leaves this broker (an unknown
    // mechanism is refused by the controller).
    const upsertions = req.upsertions.map((u) => {
      const m = scramMechanismById(u.mechanism);
      const keys = m ? credentialFromSaltedPassword(m, u.saltedPassword, u.salt, u.iterations) : undefined;
      return {
        name: u.name,
        mechanism: u.mechanism,
        iterations: u.iterations,
        salt: u.salt.toString('base64'),
        storedKey: keys?.storedKey.toString('base64') ?? '',
        serverKey: keys?.serverKey.toString('base64') ?? '',
      };
    });
    const results = await ctx.broker.controller.alterUserScramCredentials(req.deletions, upsertions);
    return { throttleTimeMs: 0, results };
  },
});
