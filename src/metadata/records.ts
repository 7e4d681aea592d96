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
  | {
      type: 'Config';
      /** Kafka's ConfigResource types: TOPIC, BROKER ("" = the cluster-wide default entity), GROUP. */
      resourceType: 'topic' | 'broker' | 'group';
      resourceName: string;
      name: string;
      value: string | null;
    }
  /** Kafka's UserScramCredentialRecord (bytes as base64): one user's credential for one SCRAM mechanism. */
  | {
      type: 'UserScramCredential';
      name: string;
      /** Kafka's ScramMechanism id: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512. */
      mechanism: number;
      salt: string;
      storedKey: string;
      serverKey: string;
      iterations: number;
    }
  /** Kafka's RemoveUserScramCredentialRecord. */
  | { type: 'RemoveUserScramCredential'; name: string; mechanism: number }
  /** Kafka's AccessControlEntryRecord: one ACL, with the id DeleteAcls removes it by. */
  | {
      type: 'AccessControlEntry';
      id: string;
      resourceType: number;
      resourceName: string;
      patternType: number;
      principal: string;
      host: string;
      operation: number;
      permissionType: number;
    }
  /** Kafka's RemoveAccessControlEntryRecord. */
  | { type: 'RemoveAccessControlEntry'; id: string };
