// Metadata records: the only way cluster state changes. The controller appends them to the metadata log; every
// broker applies them in order to its MetadataImage.
import type { BrokerEndpoint } from './image.ts';

export type MetadataRecord =
  | { type: 'RegisterBroker'; nodeId: number; endpoints: BrokerEndpoint[]; rack: string | null }
  | { type: 'Topic'; name: string; id: string }
  | {
      type: 'Partition';
      topicId: string;
      partition: number;
      replicas: number[];
      isr: number[];
      leader: number;
      leaderEpoch: number;
      partitionEpoch: number;
    }
  | { type: 'RemoveTopic'; topicId: string }
  | { type: 'Config'; resourceType: 'topic' | 'broker'; resourceName: string; name: string; value: string | null }
  /** A finalized feature level (Kafka's FeatureLevelRecord): level 0 removes the feature. */
  | { type: 'FeatureLevel'; name: string; featureLevel: number };
