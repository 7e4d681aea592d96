// Broker keys that are not topic defaults: identity, networking, storage, replication, groups, transactions, security.
import { AUTHORIZER_CLASS_NAMES } from '../security/authorizer.ts';
import {
  atLeast,
  b,
  type ConfigDef,
  INT_MAX,
  LONG_MAX_STRING,
  listOf,
  MIB,
  oneOf,
  SECURITY_PROTOCOLS,
  type Validator,
} from './config-def.ts';
import { COORDINATOR_KEYS } from './keys-coordinators.ts';

/** http.listeners: http(s)://host:port entries (host may be empty or 0.0.0.0 for every interface; port 0 = any). */
const HTTP_LISTENERS: Validator = {
  expected: 'a comma-separated list of http://host:port or https://host:port endpoints',
  test: (v) => Array.isArray(v) && v.every((e) => /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]*):\d{1,5}$/.test(e)),
};

export const BROKER_KEYS: readonly ConfigDef[] = [
  // ---- Identity and KRaft --------------------------------------------------------------------------------------------
  b('node.id', { type: 'int', default: '1', validator: atLeast(0), doc: 'Id of this node in the cluster.' }),
  b('broker.id', { type: 'int', default: null, validator: atLeast(0), doc: 'Legacy alias of node.id.' }),
  b('process.roles', {
    type: 'list',
    default: 'broker,controller',
    validator: listOf('broker', 'controller'),
    doc: 'Roles this process plays: broker, controller or both (combined mode).',
  }),
  b('controller.quorum.voters', {
    type: 'list',
    default: '',
    doc: 'Static controller quorum as id@host:port entries (accepted; a single Tributary node is its own quorum).',
  }),
  b('controller.quorum.bootstrap.servers', {
    type: 'list',
    default: '',
    doc: 'Controller endpoints for a dynamic quorum (accepted, informational).',
  }),
  b('controller.listener.names', {
    type: 'string',
    default: 'CONTROLLER',
    doc: 'Comma-separated listener names used by controllers; these are never advertised to clients.',
  }),
  b('metadata.log.dir', {
    type: 'string',
    default: null,
    doc: 'Directory of the cluster metadata log; defaults to the first log directory.',
  }),
  b('broker.rack', {
    type: 'string',
    default: null,
    doc: 'Rack of this broker: reported in Metadata, used by rack-aware replica placement and replica.selector.class.',
  }),
  b('replica.selector.class', {
    type: 'class',
    default: null,
    doc:
      'How a leader picks the replica a consumer should fetch from (KIP-392): unset, the leader; ' +
      "org.apache.kafka.common.replica.RackAwareReplicaSelector, a replica in the consumer's client.rack.",
  }),

  // ---- Networking ----------------------------------------------------------------------------------------------------
  b('listeners', {
    type: 'list',
    default: 'PLAINTEXT://127.0.0.1:9092',
    doc: 'Comma-separated NAME://host:port endpoints to bind (empty host or 0.0.0.0 = all interfaces, port 0 = any).',
  }),
  b('advertised.listeners', {
    type: 'list',
    default: null,
    doc: 'Endpoints given to clients in Metadata responses; defaults to the non-controller listeners.',
  }),
  b('listener.security.protocol.map', {
    type: 'string',
    default: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    doc: 'Maps each listener name to its security protocol as NAME:PROTOCOL pairs.',
  }),
  b('inter.broker.listener.name', {
    type: 'string',
    default: null,
    doc: 'Listener brokers use to talk to each other; defaults to the one using security.inter.broker.protocol.',
  }),
  b('security.inter.broker.protocol', {
    type: 'string',
    default: 'PLAINTEXT',
    validator: oneOf(...SECURITY_PROTOCOLS),
    doc: 'Security protocol between brokers when inter.broker.listener.name is not set.',
  }),
  b('socket.request.max.bytes', {
    type: 'int',
    default: '104857600',
    validator: atLeast(1),
    doc: 'Largest request the broker reads; bigger size prefixes close the connection.',
  }),
  b('socket.send.buffer.bytes', {
    type: 'int',
    default: '102400',
    doc: 'SO_SNDBUF of client sockets (-1 = OS default).',
  }),
  b('socket.receive.buffer.bytes', {
    type: 'int',
    default: '102400',
    doc: 'SO_RCVBUF of client sockets (-1 = OS default).',
  }),
  b('socket.listen.backlog.size', {
    type: 'int',
    default: '50',
    validator: atLeast(1),
    doc: 'Backlog of pending connections on each listening socket.',
  }),
  b('num.network.threads', {
    type: 'int',
    default: '3',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Network threads in Kafka (accepted, informational: Tributary uses the event loop).',
  }),
  b('num.io.threads', {
    type: 'int',
    default: '8',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Request handler threads in Kafka (accepted, informational).',
  }),
  b('background.threads', {
    type: 'int',
    default: '10',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Background task threads in Kafka (accepted, informational).',
  }),
  b('connections.max.idle.ms', {
    type: 'long',
    default: '600000',
    doc: 'Idle client connections are closed after this long (-1 = never).',
  }),
  b('max.connections', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(0),
    dynamic: true,
    doc: 'Maximum number of client connections across all listeners.',
  }),
  b('max.connections.per.ip', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(0),
    dynamic: true,
    doc: 'Maximum number of connections from one IP address.',
  }),
  b('max.connection.creation.rate', {
    type: 'int',
    default: String(INT_MAX),
    validator: atLeast(0),
    dynamic: true,
    doc: 'New connections accepted per second across listeners.',
    noEffect: 'connection creation is not rate-limited in Tributary',
  }),
  b('metric.reporters', {
    type: 'list',
    default: '',
    dynamic: true,
    doc: 'Java classes that receive broker metrics (Tributary serves Prometheus metrics on http.listeners).',
    noEffect: 'Tributary does not load Java metric reporters; scrape /metrics on http.listeners',
  }),
  b('queued.max.requests', {
    type: 'int',
    default: '500',
    validator: atLeast(1),
    doc: 'Requests that may be queued per connection before the broker stops reading from it.',
  }),
  b('max.incremental.fetch.session.cache.slots', {
    type: 'int',
    default: '1000',
    validator: atLeast(0),
    doc: 'Number of incremental fetch sessions the broker keeps.',
  }),
  b('fetch.max.bytes', {
    type: 'int',
    default: '57671680',
    validator: atLeast(1024),
    doc: 'Upper bound on the bytes returned by one fetch request.',
  }),

  // ---- Storage -------------------------------------------------------------------------------------------------------
  b('log.dirs', {
    type: 'list',
    default: null,
    doc: 'Comma-separated data directories; when unset, log.dir is used.',
  }),
  b('log.dir', { type: 'string', default: './data', doc: 'Data directory, used when log.dirs is not set.' }),
  b('num.partitions', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Partition count of topics created without one (including auto-created topics).',
  }),
  b('default.replication.factor', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Replication factor of topics created without one.',
  }),
  b('auto.create.topics.enable', {
    type: 'boolean',
    default: 'true',
    doc: 'Create a topic when a client asks for metadata of, or produces to, one that does not exist.',
  }),
  b('delete.topic.enable', { type: 'boolean', default: 'true', doc: 'Allow topics to be deleted.' }),
  b('auto.leader.rebalance.enable', {
    type: 'boolean',
    default: 'true',
    doc: 'Move leadership back to preferred replicas periodically.',
  }),
  b('leader.imbalance.check.interval.seconds', {
    type: 'long',
    default: '300',
    validator: atLeast(1),
    doc: 'How often the controller checks whether partition leadership is balanced.',
  }),
  b('leader.imbalance.per.broker.percentage', {
    type: 'int',
    default: '10',
    validator: atLeast(0),
    doc: 'Share (%) of its preferred partitions a broker may not lead before the controller rebalances.',
  }),
  b('num.recovery.threads.per.data.dir', {
    type: 'int',
    default: '2',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Parallelism of log recovery at startup per data directory.',
  }),
  b('log.retention.check.interval.ms', {
    type: 'long',
    default: '300000',
    validator: atLeast(1),
    doc: 'How often retention is enforced.',
  }),
  b('log.flush.offset.checkpoint.interval.ms', {
    type: 'int',
    default: '60000',
    validator: atLeast(0),
    doc: 'How often recovery points are checkpointed to disk.',
  }),
  b('log.flush.start.offset.checkpoint.interval.ms', {
    type: 'int',
    default: '60000',
    validator: atLeast(0),
    doc: 'How often log start offsets are checkpointed to disk.',
  }),
  b('log.cleaner.enable', { type: 'boolean', default: 'true', doc: 'Run the log cleaner (needed for compaction).' }),
  b('log.cleaner.threads', {
    type: 'int',
    default: '1',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Number of log cleaner workers.',
  }),
  b('log.cleaner.backoff.ms', {
    type: 'long',
    default: '15000',
    validator: atLeast(0),
    dynamic: true,
    doc: 'Pause of the cleaner when there is nothing to clean.',
  }),
  b('log.cleaner.dedupe.buffer.size', {
    type: 'long',
    default: '134217728',
    dynamic: true,
    doc: 'Memory the cleaner may use for its key map.',
  }),
  b('log.cleaner.io.max.bytes.per.second', {
    type: 'double',
    default: '1.7976931348623157E308',
    validator: atLeast(0),
    dynamic: true,
    doc: 'I/O rate limit of the log cleaner (read plus write).',
    noEffect: 'the log cleaner is bounded by time slices on the event loop, not by an I/O rate',
  }),
  b('log.cleaner.io.buffer.size', {
    type: 'int',
    default: '524288',
    validator: atLeast(0),
    dynamic: true,
    doc: 'I/O buffer size of the cleaner.',
  }),

  // ---- Replication ---------------------------------------------------------------------------------------------------
  b('replica.lag.time.max.ms', {
    type: 'long',
    default: '30000',
    doc: 'A follower that has not caught up for this long is removed from the ISR.',
  }),
  b('replica.fetch.max.bytes', {
    type: 'int',
    default: String(MIB),
    validator: atLeast(0),
    doc: 'Bytes per partition a follower fetches at once.',
  }),
  b('replica.socket.timeout.ms', { type: 'int', default: '30000', doc: 'Socket timeout of replica fetchers.' }),
  b('replica.fetch.wait.max.ms', {
    type: 'int',
    default: '500',
    validator: atLeast(0),
    doc: 'How long a follower fetch waits at the leader for data.',
  }),
  b('replica.fetch.min.bytes', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Bytes a follower fetch waits for at the leader (up to replica.fetch.wait.max.ms).',
  }),
  b('replica.fetch.response.max.bytes', {
    type: 'int',
    default: String(10 * MIB),
    validator: atLeast(0),
    doc: 'Bytes of a whole follower fetch response.',
  }),
  b('replica.fetch.backoff.ms', {
    type: 'int',
    default: '1000',
    validator: atLeast(0),
    doc: 'How long a follower waits after a fetch error before fetching the partition again.',
  }),
  b('replica.high.watermark.checkpoint.interval.ms', {
    type: 'long',
    default: '5000',
    validator: atLeast(1),
    doc: 'How often high watermarks are written to replication-offset-checkpoint.',
  }),
  b('num.replica.fetchers', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    dynamic: true,
    doc: 'Fetcher threads per source broker.',
  }),
  // Client quotas (quota/): the windowed rate every quota is measured over.
  b('quota.window.num', {
    type: 'int',
    default: '11',
    validator: atLeast(1),
    doc: 'Samples kept for client quotas (producer/consumer byte rates, request percentage, controller mutations).',
  }),
  b('quota.window.size.seconds', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Length of each client quota sample, in seconds.',
  }),
  b('client.quota.callback.class', {
    type: 'class',
    default: null,
    doc: 'A Java ClientQuotaCallback replacing the default quota rules.',
    noEffect: "Tributary does not load Java classes; quotas follow Kafka's default rules",
  }),
  // Kafka's dynamic-only broker quotas, set by reassignment tools (kafka-reassign-partitions.sh --throttle).
  b('leader.replication.throttled.rate', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    dynamic: true,
    doc: 'Bytes/s a leader may send to throttled replicas (leader.replication.throttled.replicas).',
  }),
  b('follower.replication.throttled.rate', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    dynamic: true,
    doc: 'Bytes/s a follower may fetch for throttled replicas (follower.replication.throttled.replicas).',
  }),
  b('replication.quota.window.num', {
    type: 'int',
    default: '11',
    validator: atLeast(1),
    doc: 'Samples kept to measure replication throttle rates.',
  }),
  b('replication.quota.window.size.seconds', {
    type: 'int',
    default: '1',
    validator: atLeast(1),
    doc: 'Time span of each sample of the replication throttle rates.',
  }),
  b('replica.alter.log.dirs.io.max.bytes.per.second', {
    type: 'long',
    default: LONG_MAX_STRING,
    validator: atLeast(0),
    dynamic: true,
    doc: 'Bytes/s a replica may copy when it moves between log directories.',
    noEffect: 'moving replicas between log directories is not built yet',
  }),

  // ---- Consumer groups, offsets, transactions and idempotence: keys-coordinators.ts
  ...COORDINATOR_KEYS,

  // ---- Security ------------------------------------------------------------------------------------------------------
  // ssl.* and sasl.* keys may also be set per listener as listener.name.<name>.<key> (config/listener-config.ts).
  b('authorizer.class.name', {
    type: 'string',
    default: '',
    validator: oneOf('', ...AUTHORIZER_CLASS_NAMES),
    doc: "Authorizer: one of Kafka's ACL authorizer class names turns on the built-in ACL authorizer; empty = no checks.",
  }),
  b('super.users', {
    type: 'list',
    default: '',
    doc: 'Principals (User:name) that bypass ACL checks, separated by semicolons (or commas).',
  }),
  b('allow.everyone.if.no.acl.found', {
    type: 'boolean',
    default: 'false',
    doc: 'Allow access to resources that have no ACLs.',
  }),
  b('sasl.enabled.mechanisms', {
    type: 'list',
    default: 'GSSAPI',
    doc: 'SASL mechanisms offered to clients: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (GSSAPI is not built).',
  }),
  b('sasl.mechanism.inter.broker.protocol', {
    type: 'string',
    default: 'GSSAPI',
    doc: 'SASL mechanism brokers use among themselves; the inter-broker listener must enable it.',
  }),
  b('sasl.mechanism.controller.protocol', {
    type: 'string',
    default: 'GSSAPI',
    doc: 'SASL mechanism used to reach controllers.',
    noEffect: 'there is no separate controller quorum to reach yet',
  }),
  b('sasl.jaas.config', {
    type: 'password',
    default: null,
    doc: 'JAAS login context of SASL listeners (Kafka syntax), when no listener.name.<l>.<mechanism>.sasl.jaas.config is set.',
  }),
  b('sasl.server.callback.handler.class', {
    type: 'string',
    default: null,
    doc:
      "OAUTHBEARER token validator (as listener.name.<l>.oauthbearer.sasl.server.callback.handler.class): Kafka's " +
      'OAuthBearerValidatorCallbackHandler (signed JWTs) or the unsecured one; no other class is loaded.',
  }),
  b('sasl.oauthbearer.jwks.endpoint.url', {
    type: 'string',
    default: null,
    doc: 'JWKS of the signed-JWT OAUTHBEARER validator: a file: URL (re-read on change); https is refused at start.',
  }),
  b('sasl.oauthbearer.jwks.endpoint.refresh.ms', {
    type: 'long',
    default: '3600000',
    validator: atLeast(1),
    doc: 'How often the JWKS file is re-read even when it looks unchanged.',
  }),
  b('sasl.oauthbearer.expected.audience', {
    type: 'list',
    default: '',
    doc: 'Audiences a signed token must name one of (its aud claim).',
  }),
  b('sasl.oauthbearer.expected.issuer', {
    type: 'string',
    default: null,
    doc: 'Issuer a signed token must name (its iss claim).',
  }),
  b('sasl.oauthbearer.allow.unverified.issuer', {
    type: 'boolean',
    default: 'false',
    doc: 'Accept signed tokens without checking their issuer (otherwise sasl.oauthbearer.expected.issuer is required).',
  }),
  b('sasl.oauthbearer.allow.unverified.audience', {
    type: 'boolean',
    default: 'false',
    doc: 'Accept signed tokens without checking their audience (otherwise sasl.oauthbearer.expected.audience is required).',
  }),
  b('sasl.oauthbearer.clock.skew.seconds', {
    type: 'int',
    default: '30',
    validator: atLeast(0),
    doc: "Clock skew allowed when checking a signed token's exp, iat and nbf.",
  }),
  b('sasl.oauthbearer.scope.claim.name', {
    type: 'string',
    default: 'scope',
    doc: "Claim holding a signed token's scope.",
  }),
  b('sasl.oauthbearer.sub.claim.name', {
    type: 'string',
    default: 'sub',
    doc: "Claim naming a signed token's principal (User:<value>).",
  }),
  b('sasl.server.max.receive.size', {
    type: 'int',
    default: '524288',
    validator: atLeast(1),
    doc: 'Largest request accepted before a SASL connection has authenticated.',
  }),
  b('connections.max.reauth.ms', {
    type: 'long',
    default: '0',
    validator: atLeast(0),
    doc: 'Lifetime of a SASL session (KIP-368): clients re-authenticate before it ends; 0 = no limit.',
  }),
  b('connection.failed.authentication.delay.ms', {
    type: 'int',
    default: '100',
    validator: atLeast(0),
    doc: 'Delay before closing a connection whose authentication failed (slows password guessing).',
  }),
  b('ssl.keystore.location', { type: 'string', default: null, doc: 'Path of the key store.' }),
  b('ssl.keystore.password', { type: 'password', default: null, doc: 'Password of the key store (PKCS12).' }),
  b('ssl.keystore.type', {
    type: 'string',
    default: 'JKS',
    doc: 'Format of the key store: PEM or PKCS12 (JKS is Java-only and refused on TLS listeners).',
  }),
  b('ssl.keystore.key', {
    type: 'password',
    default: null,
    doc: 'PEM private key of the listener (with ssl.keystore.type=PEM), instead of ssl.keystore.location.',
  }),
  b('ssl.keystore.certificate.chain', {
    type: 'password',
    default: null,
    doc: 'PEM certificate chain of the listener (with ssl.keystore.type=PEM), instead of ssl.keystore.location.',
  }),
  b('ssl.key.password', { type: 'password', default: null, doc: 'Password of an encrypted private key.' }),
  b('ssl.truststore.location', { type: 'string', default: null, doc: 'Path of the trust store.' }),
  b('ssl.truststore.password', { type: 'password', default: null, doc: 'Password of the trust store.' }),
  b('ssl.truststore.type', { type: 'string', default: 'JKS', doc: 'Format of the trust store: PEM.' }),
  b('ssl.truststore.certificates', {
    type: 'password',
    default: null,
    doc: 'PEM certificates trusted for client certificates (with ssl.truststore.type=PEM), instead of a file.',
  }),
  b('ssl.client.auth', {
    type: 'string',
    default: 'none',
    validator: oneOf('required', 'requested', 'none'),
    doc: 'Whether clients of SSL listeners must present a certificate (SASL_SSL listeners only per listener).',
  }),
  b('ssl.protocol', { type: 'string', default: 'TLSv1.3', doc: 'Highest TLS protocol version used.' }),
  b('ssl.enabled.protocols', {
    type: 'list',
    default: 'TLSv1.2,TLSv1.3',
    validator: listOf('TLSv1.2', 'TLSv1.3', 'TLSv1.1', 'TLSv1'),
    doc: 'TLS protocol versions accepted from clients.',
  }),
  b('ssl.cipher.suites', {
    type: 'list',
    default: '',
    doc: 'Cipher suites allowed (IANA names as in Kafka, or OpenSSL names); empty = the TLS defaults.',
  }),
  b('ssl.principal.mapping.rules', {
    type: 'string',
    default: 'DEFAULT',
    doc: 'Rules mapping a client certificate distinguished name to a principal name (RULE:pattern/replacement/[LU]).',
  }),
  b('ssl.allow.dn.changes', {
    type: 'boolean',
    default: 'false',
    doc: 'Whether a dynamic key store change may change the certificate subject (distinguished name).',
  }),
  b('ssl.allow.san.changes', {
    type: 'boolean',
    default: 'false',
    doc: 'Whether a dynamic key store change may drop subject alternative names of the certificate.',
  }),
  b('ssl.endpoint.identification.algorithm', {
    type: 'string',
    default: 'https',
    doc: 'Hostname verification of peers ("https", or empty to disable).',
  }),

  b('zookeeper.connect', {
    type: 'string',
    default: null,
    doc:
      'ZooKeeper ensemble of the cluster, host:port[,host:port...][/chroot]; unset: a single broker with its own ' +
      'local metadata log.',
  }),
  b('zookeeper.session.timeout.ms', {
    type: 'int',
    default: '18000',
    validator: atLeast(1),
    doc: 'ZooKeeper session timeout: a broker silent this long loses its registration and its leaderships.',
  }),
  b('zookeeper.connection.timeout.ms', {
    type: 'int',
    default: null,
    validator: atLeast(1),
    doc: 'How long start-up waits to connect to ZooKeeper; unset: zookeeper.session.timeout.ms.',
  }),
  b('log.message.format.version', {
    type: 'string',
    default: '3.0-IV1',
    dynamic: true,
    doc: 'Deprecated (Kafka 3.x): default message.format.version of topics; ignored, batches are always v2.',
    noEffect: 'deprecated since Kafka 3.0 and ignored: record batches are always written in format v2',
    deprecated: true,
  }),

  // ---- Tributary-specific --------------------------------------------------------------------------------------------
  b('http.listeners', {
    type: 'list',
    default: 'http://127.0.0.1:9644',
    validator: HTTP_LISTENERS,
    doc:
      'Tributary: http://host:port endpoints of the operations HTTP listener (/health, /ready, /metrics, the web ' +
      'console); empty disables it. The embedded startBroker() leaves it off unless asked. https://host:port ' +
      'serves TLS with the broker-wide ssl.keystore.* keys (listener.name.http.ssl.* overrides them).',
  }),
  b('http.auth', {
    type: 'string',
    default: 'none',
    validator: oneOf('none', 'basic'),
    doc:
      'Tributary: authentication on the operations HTTP listener. basic: /metrics and the web console ask for ' +
      'HTTP Basic credentials of a SASL user of the broker (a PLAIN user of the JAAS config or a SCRAM user), ' +
      'checked by authenticating to its SASL_PLAINTEXT listener; console actions then run as that user and are ' +
      'authorized by the ACLs. /health and /ready stay open.',
  }),
];
