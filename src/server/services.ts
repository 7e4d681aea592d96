// What handlers may use. Handlers never reach into storage internals: they go through these services.

import type { ConfigService } from '../broker/config-service.ts';
import type { ReplicaManager } from '../broker/replica-manager.ts';
import type { BrokerConfig } from '../config/broker-config.ts';
import type { GroupCoordinatorRuntime } from '../coordinator/group/runtime.ts';
import type { ShareRuntime } from '../coordinator/share/runtime.ts';
import type { TransactionCoordinatorRuntime } from '../coordinator/transaction/runtime.ts';
import type { MetadataController } from '../metadata/controller.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { ClientQuotaManagers } from '../quota/manager.ts';
import type { Logger } from '../util/log.ts';
import type { FetchSessionCache } from './fetch-sessions.ts';

export interface BrokerServices {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly log: Logger;
  /** The latest metadata image this broker has applied. */
  metadata(): MetadataImage;
  readonly controller: MetadataController;
  readonly replicas: ReplicaManager;
  /** Incremental fetch sessions (KIP-227) of consumers and follower brokers. */
  readonly fetchSessions: FetchSessionCache;
  readonly configs: ConfigService;
  /** The classic group coordinator (consumer groups, committed offsets in __consumer_offsets). */
  readonly groups: GroupCoordinatorRuntime;
  /** Share groups (KIP-932) and the share coordinator (__share_group_state). */
  readonly shares: ShareRuntime;
  /** The transaction coordinator (producer ids, transactions in __transaction_state). */
  readonly transactions: TransactionCoordinatorRuntime;
  /** Client quota enforcement (absent in handler unit tests, which build partial services). */
  readonly quotas?: ClientQuotaManagers;
  /** Versions of every API this broker serves, for ApiVersions. */
  apiVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  readonly clock: () => number;
}
