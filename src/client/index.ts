// The TypeScript client: Producer, Consumer, Admin, partitioners, serializers.
export type {
  ConfigChange,
  ConfigEntry,
  ConfigResource,
  GroupDescription,
  GroupLag,
  GroupListing,
  GroupOffset,
  NewTopic,
  OffsetSpec,
  PartitionOffset,
  TopicDescription,
} from './admin.ts';
export { Admin } from './admin.ts';
export type {
  Acl,
  AclFilter,
  DeletedAcl,
  ScramCredentialInfo,
  ScramDeletion,
  ScramUpsertion,
} from './admin-security.ts';
export type { Assignor, GroupMember, Subscription, TopicPartitions } from './assignors.ts';
export { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from './assignors.ts';
export type { BrokerNode, ClientOptions, PartitionMetadata, TopicMetadata } from './cluster.ts';
export { BrokerConnection } from './connection.ts';
export type { ConsumerMessage, ConsumerOptions, TopicPartition, TopicPartitionOffset } from './consumer.ts';
export { Consumer } from './consumer.ts';
export { ClientClosedError, KafkaClientError, UnsupportedApiError } from './errors.ts';
export type { Partitioner } from './partitioner.ts';
export {
  defaultPartitioner,
  murmur2,
  murmur2RandomPartitioner,
  partitionForKey,
  roundRobinPartitioner,
} from './partitioner.ts';
export type {
  Acks,
  CompressionName,
  MessageHeaders,
  ProducerMessage,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
} from './producer.ts';
export { Producer } from './producer.ts';
export type {
  ClientSasl,
  ClientSaslOAuth,
  ClientSaslPassword,
  ClientSecurity,
  ClientTls,
  SaslMechanism,
} from './security.ts';
export type { Deserializer, Serializer } from './serializers.ts';
export {
  bufferDeserializer,
  bufferSerializer,
  deserializers,
  jsonDeserializer,
  jsonSerializer,
  serializers,
  stringDeserializer,
  stringSerializer,
} from './serializers.ts';
