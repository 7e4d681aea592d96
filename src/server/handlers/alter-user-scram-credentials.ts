// AlterUserScramCredentials (51): upsert or delete SCRAM credentials, stored in cluster metadata
// (UserScramCredentialRecord / RemoveUserScramCredentialRecord). The client sends the salted password; the broker
// keeps only StoredKey and ServerKey. `kafka-configs.sh --entity-type users --alter --add-config
// 'SCRAM-SHA-512=[password=...]'` and Admin.alterUserScramCredentials use it.

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
  apiKey: 51,
  versions: [0, 0],
  handle(ctx, req) {
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
    const results = ctx.broker.controller.alterUserScramCredentials(req.deletions, req.upsertions, (id, salted) => {
      const m = scramMechanismById(id);
      return m ? credentialFromSaltedPassword(m, salted, Buffer.alloc(0), 0) : undefined;
    });
    return { throttleTimeMs: 0, results };
  },
});
