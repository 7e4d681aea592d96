// ListPartitionReassignments (46): reassignments in progress. Reassignments only complete at once on this broker
// (see alter-partition-reassignments.ts), so none is ever ongoing: the answer lists none, as Kafka's controller does
// when nothing is moving (named topics that do not exist are left out, as there).

import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: ApiKey.ListPartitionReassignments,
  versions: [0, 0],
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
});
