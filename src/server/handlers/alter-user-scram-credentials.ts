// AlterUserScramCredentials (51): upsert or delete SCRAM credentials, stored in cluster metadata
// (UserScramCredentialRecord / RemoveUserScramCredentialRecord). The client sends the salted password; the broker
// keeps only StoredKey and ServerKey. `kafka-configs.sh --entity-type users --alter --add-config
// 'SCRAM-SHA-512=[password=...]'` and Admin.alterUserScramCredentials use it.
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
} from '../../protocol/generated/messages.ts';
import { credentialFromSaltedPassword, scramMechanismById } from '../../security/scram.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: 51,
  versions: [0, 0],
  handle(ctx, req) {
    const results = ctx.broker.controller.alterUserScramCredentials(req.deletions, req.upsertions, (id, salted) => {
      const m = scramMechanismById(id);
      return m ? credentialFromSaltedPassword(m, salted, Buffer.alloc(0), 0) : undefined;
    });
    return { throttleTimeMs: 0, results };
  },
});
