// Every API this broker serves: one file per API. ApiVersions advertises exactly this list.
import { API_SCHEMAS } from '../../protocol/apis.ts';
import type { SupportedApi } from '../dispatcher.ts';
import type { HandlerDef } from '../handler.ts';
import alterConfigs from './alter-configs.ts';
import apiVersions from './api-versions.ts';
import createPartitions from './create-partitions.ts';
import createTopics from './create-topics.ts';
import deleteTopics from './delete-topics.ts';
import describeCluster from './describe-cluster.ts';
import describeConfigs from './describe-configs.ts';
import describeLogDirs from './describe-log-dirs.ts';
import fetch from './fetch.ts';
import incrementalAlterConfigs from './incremental-alter-configs.ts';
import listOffsets from './list-offsets.ts';
import metadata from './metadata.ts';
import produce from './produce.ts';

const HANDLERS: readonly HandlerDef<never, never>[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
] as readonly HandlerDef<never, never>[];

export function supportedApis(): SupportedApi[] {
  return HANDLERS.map((h) => {
    const api = API_SCHEMAS.get(h.apiKey);
    if (!api) throw new Error(`handler for unknown api ${h.apiKey}`);
    const [min, max] = h.versions ?? api.valid;
    return { api, min, max, handler: h as unknown as HandlerDef };
  });
}
