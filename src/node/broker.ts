// A Tributary broker: wires config, storage, metadata, partitions and the network server together.
import { join, resolve } from 'node:path';
import { ConfigService } from '../broker/config-service.ts';
import { ReplicaManager, toLogConfig } from '../broker/replica-manager.ts';
import type { ReplicationOptions } from '../broker/replication.ts';
import type { ClientSecurity } from '../client/security.ts';
import type { CoordinationStore } from '../cluster/coordination/store.ts';
import { ZooKeeperStore } from '../cluster/coordination/zookeeper/index.ts';
import { type BrokerConfig, type Listener, loadBrokerConfig } from '../config/broker-config.ts';
import { ConfigError } from '../config/errors.ts';
import { listenerValue } from '../config/listener-config.ts';
import { ClusterController } from '../controller/controller.ts';
import { BrokerRegistration } from '../controller/registration.ts';
import { SessionKeeper } from '../controller/session-keeper.ts';
import { MetadataFollower } from '../controller/store-log.ts';
import { GroupCoordinatorRuntime } from '../coordinator/group/runtime.ts';
import { ShareRuntime } from '../coordinator/share/runtime.ts';
import { ProducerIdManager } from '../coordinator/transaction/producer-ids.ts';
import { TransactionCoordinatorRuntime } from '../coordinator/transaction/runtime.ts';
import { type ControllerDefaults, LocalController, type MetadataController, newUuid } from '../metadata/controller.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { FileMetadataLog } from '../metadata/metadata-log.ts';
import type { HttpAuthOptions } from '../ops/http-auth.ts';
import { localAddress, OpsHttpServer, parseHttpListener } from '../ops/http-server.ts';
import { ClientQuotaManagers } from '../quota/manager.ts';
import type { FetcherStats } from '../replication/fetcher.ts';
import { listenerSasl } from '../security/sasl.ts';
import { type ScramMechanism, scramMechanismById } from '../security/scram.ts';
import { type ListenerTls, listenerTls, usesTls } from '../security/tls.ts';
import { reloadTlsListeners } from '../security/tls-reload.ts';
import { Dispatcher } from '../server/dispatcher.ts';
import { FetchSessionCache } from '../server/fetch-sessions.ts';
import { supportedApis } from '../server/handlers/index.ts';
import type { BrokerServices } from '../server/services.ts';
import { type BoundListener, SocketServer } from '../server/socket-server.ts';
import type { LogConfig } from '../storage/config.ts';
import { type DirLock, lockDirs } from '../storage/dir-lock.ts';
import { LogManager } from '../storage/log-manager.ts';
import { type ReadBufferPool, SizedBufferPools } from '../storage/read-buffers.ts';
import { createLogger, type Logger, LoggerRegistry } from '../util/log.ts';
import { readCleanShutdownEpoch, writeCleanShutdownEpoch } from './clean-shutdown.ts';
import { clusterIdFromStore, controlledShutdown, retryWhileDisconnected } from './cluster.ts';
import { ClusterMetadata, ClusterProducerIds } from './cluster-metadata.ts';
import { type ClusterParts, offlineReplicaReporter, replicationOptions } from './cluster-wiring.ts';
import { clientTls, interBrokerSecurity } from './inter-broker.ts';
import { directoryIds, ensureMetaProperties, readClusterId } from './meta-properties.ts';
import type { OfflineReplicaReporter } from './offline-replicas.ts';

/** How long a cluster broker waits at start for its registration to reach its metadata (Kafka's default
 * initial.broker.registration.timeout.ms) before the start fails. */
const REGISTRATION_TIMEOUT_MS = 60_000;

export interface BrokerOptions {
  config: BrokerConfig;
  logger?: Logger;
  /** The coordination store of a cluster (startCluster's in-memory one); else zookeeper.connect names it. */
  store?: CoordinationStore;
  /**
   * Called once the broker has stopped itself because every log dir failed (see `allLogDirsFailed`). runBroker (the
   * CLI's broker process) exits with status 1, as Kafka halts; an embedding caller decides for itself.
   */
  onFatal?: (reason: string) => void;
}

/** How long a broker whose log dirs all failed waits for its shutdown before `onFatal` anyway. */
const FATAL_STOP_MS = 30_000;

export class Broker {
  readonly config: BrokerConfig;
  readonly log: Logger;
  private server: SocketServer | undefined;
  private logs: LogManager | undefined;
  /** The broker epoch the log dirs' clean-shutdown markers named at start (KIP-966), null after an unclean one. */
  private previousBrokerEpoch: bigint | null = null;
  private metadataLog: FileMetadataLog | undefined;
  private replicas: ReplicaManager | undefined;
  private controller: MetadataController | undefined;
  private cluster: ClusterParts | undefined;
  /** Cluster mode: reports replicas in a failed log dir to the controller (JBOD: the broker keeps running). */
  private offlineReplicas: OfflineReplicaReporter | undefined;
  private readonly store: CoordinationStore | undefined;
  private groups: GroupCoordinatorRuntime | undefined;
  private shares: ShareRuntime | undefined;
  private transactions: TransactionCoordinatorRuntime | undefined;
  private timers: NodeJS.Timeout[] = [];
  private bound: BoundListener[] = [];
  private stopping: Promise<void> | undefined;
  private locks: DirLock[] = [];
  private http: OpsHttpServer | undefined;
  private configService: ConfigService | undefined;
  private interBroker: ClientSecurity | undefined;
  private readonly onFatal: ((reason: string) => void) | undefined;
  /** Incremental fetch sessions (KIP-227) of consumers and followers fetching from this broker. */
  private readonly fetchSessions = new FetchSessionCache({
    maxSlots: () =>
      (this.configService?.effective() ?? this.config).get('max.incremental.fetch.session.cache.slots') as number,
    clock: Date.now,
  });

  constructor(opts: BrokerOptions) {
    this.config = opts.config;
    this.log = opts.logger ?? createLogger({ name: 'broker' });
    this.store = opts.store;
    this.onFatal = opts.onFatal;
  }

  /** The cluster's parts (session, registration, controller candidate, metadata), when this broker is in one. */
  get clusterParts(): Readonly<ClusterParts> | undefined {
    return this.cluster;
  }

  /** The listeners as bound (with real ports when port 0 was asked for). */
  get listeners(): readonly BoundListener[] {
    return this.bound;
  }

  /** Memory pooled for fetch reads (for tests and metrics): slabs out while responses are being written. */
  get readBuffers(): ReadBufferPool | undefined {
    return this.replicas?.readBuffers;
  }

  /** Fetch sessions this broker holds (as a leader) and what its replica fetchers sent (for tests and metrics). */
  get fetchSessionStats(): { sessions: number; partitionsCached: number; fetcher: FetcherStats | undefined } {
    return {
      sessions: this.fetchSessions.size,
      partitionsCached: this.fetchSessions.partitionsCached,
      fetcher: this.replicas?.replication?.fetcherStats,
    };
  }

  /** The operations HTTP listeners as bound (http.listeners; empty when disabled). */
  get httpListeners(): OpsHttpServer['listeners'] {
    return this.http?.listeners ?? [];
  }

  get image(): MetadataImage {
    return this.controller!.image;
  }

  async start(): Promise<void> {
    // Every data directory is locked before anything in it is read or written (a second broker on the same
    // directories stops here having changed nothing); the locks are released by stop() or a failed start.
    const cfg = this.config;
    this.locks = lockDirs([...cfg.logDirs.map((d) => resolve(d)), resolve(cfg.metadataLogDir)]);
    try {
      await this.startLocked();
    } catch (e) {
      try {
        await this.stop();
      } catch (err) {
        this.log.error({ err }, 'cleanup after a failed start failed');
      }
      throw e;
    }
  }

  private async startLocked(): Promise<void> {
    const t0 = performance.now();
    const cfg = this.config;
    const logDirs = cfg.logDirs.map((d) => resolve(d));
    // One pino child per module, so that log levels can be changed at runtime (BROKER_LOGGER configs).
    const loggers = new LoggerRegistry(this.log);
    const configs = new ConfigService(cfg, { logger: loggers.get('tributary.config') });
    this.configService = configs;
    configs.loggers = loggers;
    const defaults: ControllerDefaults = {
      numPartitions: cfg.numPartitions,
      defaultReplicationFactor: cfg.defaultReplicationFactor,
      validateTopicConfigs: (c) => configs.validateTopic(c),
    };
    let clusterId: string;
    let controller: MetadataController;
    if (cfg.zookeeperConnect !== null || this.store !== undefined) {
      // A cluster: the metadata is the log in the coordination store; changes go to the active controller.
      const store = this.store ?? new ZooKeeperStore(cfg.zookeeperConnect!);
      const keeper = new SessionKeeper(store, {
        sessionTimeoutMs: cfg.zookeeperSessionTimeoutMs,
        connectionTimeoutMs: cfg.zookeeperConnectionTimeoutMs,
      });
      try {
        await keeper.start();
      } catch (e) {
        throw new Error(
          `cannot open a session with ${store.description} within zookeeper.connection.timeout.ms ` +
            `(${cfg.zookeeperConnectionTimeoutMs} ms): ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      clusterId = await clusterIdFromStore(keeper, readClusterId(logDirs));
      ensureMetaProperties(logDirs, cfg.nodeId, clusterId);
      const onError = (e: unknown) => loggers.get('tributary.cluster').warn({ err: e }, 'coordination request failed');
      const follower = new MetadataFollower(keeper, clusterId, onError);
      await follower.catchUp();
      const metadata = new ClusterMetadata({
        keeper,
        follower,
        defaults,
        logger: loggers.get('tributary.controller'),
        requestTimeoutMs: 30_000,
      });
      metadata.start();
      this.cluster = { keeper, follower, metadata };
      controller = metadata;
      this.log.info(
        { store: store.description, sessionTimeoutMs: keeper.session.sessionTimeoutMs },
        'joined the cluster store',
      );
    } else {
      clusterId = ensureMetaProperties(logDirs, cfg.nodeId);
      const metadataDir = join(resolve(cfg.metadataLogDir), '__cluster_metadata-0');
      this.metadataLog = new FileMetadataLog(metadataDir, loggers.get('tributary.metadata'));
      controller = new LocalController({
        clusterId,
        nodeId: cfg.nodeId,
        log: this.metadataLog,
        logger: loggers.get('tributary.controller'),
        defaults,
      });
    }
    this.controller = controller;
    // Dynamic broker configs (cluster metadata) apply from the start, topic defaults included.
    configs.attach(() => controller.image);
    const initial = controller.image;
    const logConfigs = new Map<string, LogConfig>();
    // Read before the log manager consumes the markers: the registration says whether the last shutdown was clean.
    this.previousBrokerEpoch = readCleanShutdownEpoch(logDirs);
    this.logs = LogManager.open({
      logDirs,
      logger: loggers.get('tributary.storage'),
      onFlushed: (ms) => this.http?.metrics.observeLogFlush(ms),
      onAllDirsOffline: (failed) => this.allLogDirsFailed(failed),
      onDirOffline: () => {
        // Not from inside the failed write's call stack.
        setImmediate(() => {
          this.replicas?.logsWentOffline();
          this.offlineReplicas?.check();
        });
      },
      configFor: (topic) => {
        // Resolved once per topic, not once per partition.
        let c = logConfigs.get(topic);
        if (c === undefined) {
          c = toLogConfig(configs.topicConfig(initial.topics.get(topic)?.configs ?? {}));
          logConfigs.set(topic, c);
        }
        return c;
      },
    });
    const replicas = new ReplicaManager({
      logs: this.logs,
      log: loggers.get('tributary.replica'),
      nodeId: cfg.nodeId,
      topicConfig: (o) => configs.topicConfig(o),
      replication: this.cluster ? this.replicationOptions(loggers) : undefined,
    });
    this.replicas = replicas;
    if (this.cluster) this.offlineReplicas = this.offlineReplicaReporter(loggers);
    replicas.applyImage(initial, undefined);
    controller.subscribe((image, previous) => {
      replicas.applyImage(image, previous);
      this.resumeIfRegistered(image, loggers.get('tributary.cluster'));
      this.offlineReplicas?.check();
      this.groups?.resignMoved();
      this.transactions?.leadershipChanged();
      // A dynamic broker config changed: topic defaults may have, so every partition's config is resolved again.
      if (image.brokerConfigs !== previous.brokerConfigs) replicas.applyImage(image, undefined);
    });
    const groups = new GroupCoordinatorRuntime({
      config: cfg,
      controller,
      replicas,
      log: loggers.get('tributary.group'),
      clock: Date.now,
    });
    this.groups = groups;
    groups.start();
    const transactions = new TransactionCoordinatorRuntime({
      config: cfg,
      controller,
      replicas,
      producerIds: this.cluster
        ? new ClusterProducerIds(
            this.cluster.metadata,
            cfg.nodeId,
            () => this.cluster?.registration?.epoch ?? null,
            loggers.get('tributary.transaction'),
          )
        : new ProducerIdManager(resolve(cfg.metadataLogDir)),
      log: loggers.get('tributary.transaction'),
      clock: Date.now,
      offsets: groups,
      cluster: this.cluster
        ? { endpoint: (id) => this.interBrokerEndpoint(id), security: this.interBrokerClient() }
        : undefined,
    });
    this.transactions = transactions;
    transactions.start();
    // Share groups (KIP-932): membership, share-partitions and the share coordinator (__share_group_state).
    const shares = new ShareRuntime({
      config: cfg,
      controller,
      replicas,
      log: loggers.get('tributary.share'),
      clock: Date.now,
      groups,
      security: this.cluster ? this.interBrokerClient() : undefined,
    });
    this.shares = shares;

    const services: BrokerServices = {
      nodeId: cfg.nodeId,
      config: cfg,
      log: this.log,
      metadata: () => controller.image,
      controller,
      replicas,
      fetchSessions: this.fetchSessions,
      configs,
      groups,
      shares,
      transactions,
      apiVersions: () => dispatcher.supportedList(),
      clock: Date.now,
      quotas: new ClientQuotaManagers({
        samples: cfg.get('quota.window.num') as number,
        windowMs: (cfg.get('quota.window.size.seconds') as number) * 1000,
      }),
    };
    // The operations HTTP listener and its metrics exist only when http.listeners names an endpoint.
    const http =
      cfg.httpListeners.length === 0
        ? undefined
        : new OpsHttpServer({
            services,
            logs: () => this.logs,
            listening: () => this.bound.length > 0 && this.server?.processing === true && this.stopping === undefined,
            connections: () => this.server?.connectionCounts() ?? new Map(),
            activeController: () => this.cluster === undefined || this.cluster.controller?.active === true,
            kafkaListeners: () => this.bound,
            auth: cfg.get('http.auth') === 'basic' ? this.httpAuth(() => controller.image) : undefined,
            // https:// endpoints: the broker's ssl.* keys (listener.name.http.ssl.* overrides); browsers are not
            // asked for client certificates.
            tls: () => ({
              ...listenerTls(cfg, { name: 'HTTP', host: '', port: 0, securityProtocol: 'SSL' }).options,
              requestCert: false,
              rejectUnauthorized: false,
            }),
            log: loggers.get('tributary.http'),
          });
    this.http = http;
    const dispatcher = new Dispatcher(
      services,
      supportedApis(),
      loggers.get('tributary.server'),
      http?.metrics.observeRequest,
    );
    this.server = new SocketServer(dispatcher, loggers.get('tributary.server'), {
      maxRequestBytes: cfg.socketRequestMaxBytes,
      maxQueuedRequests: Math.max(2, cfg.queuedMaxRequests),
      idleTimeoutMs: cfg.connectionsMaxIdleMs,
      maxConnections: cfg.maxConnections,
      // Large Produce frames are read into reused slabs of 64 KiB to 2 MiB (librdkafka's requests are about 1 MB).
      produceFrames: new SizedBufferPools(),
      // A cluster broker reads no request before its own image shows it registered and unfenced (joinCluster).
      holdUntilEnabled: this.cluster !== undefined,
      connectionThrottleMs: (ip) =>
        services.quotas?.connection.admit(controller.image.clientQuotas, ip, Date.now()) ?? 0,
      onConnectionClosed: (id) => shares.partitions.connectionClosed(id),
    });
    this.bound = await this.server.listen(
      cfg.listeners
        .filter((l) => !cfg.controllerListenerNames.includes(l.name))
        .map((l) => ({
          name: l.name,
          host: l.host,
          port: l.port,
          securityProtocol: l.securityProtocol,
          // The stores in effect: a dynamic listener.name.<l>.ssl.* change survives a restart.
          tls: usesTls(l.securityProtocol) ? this.startupTls(configs, l) : undefined,
          sasl: l.securityProtocol.startsWith('SASL_')
            ? {
                config: listenerSasl(cfg, l, this.log),
                scram: (user: string, m: ScramMechanism) => controller.image.scramCredentials.get(user)?.get(m.id),
              }
            : undefined,
        })),
    );
    // Certificates reloaded without a restart: a change of the dynamic broker configs may give a TLS listener
    // new stores (validated when altered, security/tls-reload.ts); new connections get them.
    // Between brokers, new connections use the inter-broker listener's new stores too (its trust store verifies
    // the other brokers, its key store is this broker's client certificate).
    const server = this.server;
    configs.servedTls = (name) => server.servedTls(name);
    if (configs.effective() !== cfg) this.refreshInterBrokerTls(configs.effective());
    controller.subscribe((image, previous) => {
      if (image.brokerConfigs === previous.brokerConfigs) return;
      const effective = configs.effective();
      const reloaded = reloadTlsListeners(server, effective, this.bound, loggers.get('tributary.server'));
      if (reloaded.includes(cfg.interBrokerListenerName)) this.refreshInterBrokerTls(effective);
    });
    const controllerListeners = cfg.listeners.filter((l) => cfg.controllerListenerNames.includes(l.name));
    if (controllerListeners.length > 0) {
      // A KRaft server.properties names a CONTROLLER listener and the quorum voters: accepted, but nothing to run yet.
      this.log.info(
        {
          listeners: controllerListeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(','),
          voters: cfg.controllerQuorumVoters.join(',') || undefined,
        },
        'controller listener not opened: this broker runs its own local controller (no KRaft quorum yet), ' +
          'controller.quorum.* settings are ignored',
      );
    }
    // As Kafka's broker registration: controller listeners are not broker endpoints.
    const advertised = cfg.advertisedListeners
      .filter((a) => !cfg.controllerListenerNames.includes(a.name))
      .map((a) => {
        const b = this.bound.find((l) => l.name === a.name);
        return {
          name: a.name,
          host: a.host,
          port: a.port === 0 && b ? b.boundPort : a.port,
          securityProtocol: a.securityProtocol,
        };
      });
    if (this.cluster) {
      await this.joinCluster(advertised, loggers, defaults, replicas);
      this.server.enableRequestProcessing();
    } else (controller as LocalController).registerBroker(cfg.nodeId, advertised, cfg.brokerRack);
    await http?.listen(cfg.httpListeners.map(parseHttpListener));
    this.schedule(cfg.logRetentionCheckIntervalMs, () => this.logs!.runRetention(Date.now()));
    this.schedule(Math.min(cfg.logFlushSchedulerIntervalMs, 1000), () => this.logs!.flushDue(Date.now()));
    this.schedule(cfg.logFlushOffsetCheckpointIntervalMs, () => this.logs!.checkpoint());
    // Compaction in small slices (at most ~10 ms of work per tick) so produce and fetch are never held up.
    if (cfg.logCleanerEnable) this.schedule(50, () => this.logs!.cleaner.tick(10));
    if (replicas.replication) {
      const repl = replicas.replication;
      // ISR shrink checks, acks=all timeouts and AlterPartition retries; the HW checkpoint.
      this.schedule(Math.min(1000, Math.max(50, cfg.replicaLagTimeMaxMs / 4)), () => repl.tick());
      this.schedule(cfg.replicaHighWatermarkCheckpointIntervalMs, () => repl.checkpoint());
    }
    this.schedule(cfg.producerIdExpirationCheckIntervalMs, () =>
      replicas.expireProducers(Date.now(), configs.effective().producerIdExpirationMs),
    );
    this.log.info(
      {
        nodeId: cfg.nodeId,
        clusterId,
        listeners: advertised.map((a) => `${a.name}://${a.host}:${a.port}`).join(','),
        logDirs: logDirs.join(','),
        partitions: replicas.count,
        startupMs: Math.round(performance.now() - t0),
      },
      'Tributary broker started',
    );
  }

  /**
   * http.auth=basic: users are checked at (and act through) this broker's first SASL_PLAINTEXT listener, else its
   * first SASL_SSL one (over TLS with the listener's own key store; the peer is this process at the address it bound,
   * so its certificate is not checked against a host name).
   */
  private httpAuth(image: () => MetadataImage): HttpAuthOptions {
    const cfg = this.config;
    return {
      endpoint: () => {
        const bound =
          this.bound.find((l) => l.securityProtocol === 'SASL_PLAINTEXT') ??
          this.bound.find((l) => l.securityProtocol === 'SASL_SSL');
        const listener = bound && cfg.listeners.find((l) => l.name === bound.name);
        if (bound === undefined || listener === undefined) return undefined;
        const ssl =
          bound.securityProtocol === 'SASL_SSL'
            ? { ...clientTls(cfg, listener), rejectUnauthorized: false, skipHostnameCheck: true }
            : undefined;
        // The enabled mechanisms only: listenerSasl would also build validators (and read an OAUTHBEARER JWKS file).
        const mechanisms = listenerValue(cfg, listener.name, 'sasl.enabled.mechanisms') as string[];
        return { bootstrap: localAddress(bound), mechanisms, ssl };
      },
      scramMechanisms: (user) =>
        [...(image().scramCredentials.get(user)?.keys() ?? [])].flatMap((id) => scramMechanismById(id)?.name ?? []),
    };
  }

  /** Cluster mode: broker `id`'s endpoint on the inter-broker listener, from the metadata. */
  private interBrokerEndpoint(id: number): { host: string; port: number } | undefined {
    const b = this.cluster?.metadata.image.brokers.get(id);
    const ep = b?.endpoints.find((e) => e.name === this.config.interBrokerListenerName) ?? b?.endpoints[0];
    return ep === undefined ? undefined : { host: ep.host || 'localhost', port: ep.port };
  }

  /** Cluster mode: replication's settings (cluster-wiring.ts). */
  private replicationOptions(loggers: LoggerRegistry): ReplicationOptions {
    return replicationOptions(this.config, this.cluster!, {
      logger: loggers.get('tributary.replication'),
      effectiveConfig: () => this.configService?.effective() ?? this.config,
      security: this.interBrokerClient(),
      endpoint: (id) => this.interBrokerEndpoint(id),
    });
  }

  /**
   * After a lost session (ReplicaManager.resignAll) the broker leads again only once `image` shows its new
   * registration, current and unfenced, as at start-up: until then the image may still name it leader under the
   * old registration, which the controller is about to fence (and, for a partition it leads again, to bump the
   * epoch of: produces appended in between would be answered for an epoch that is already gone).
   */
  private resumeIfRegistered(image: MetadataImage, log: Logger): void {
    const c = this.cluster;
    const replicas = this.replicas;
    if (c === undefined || replicas === undefined || !replicas.isResigned) return;
    const epoch = c.registration?.epoch ?? null;
    const b = image.brokers.get(this.config.nodeId);
    if (epoch === null || b === undefined || b.epoch !== epoch || b.fenced) return;
    replicas.resume(image);
    this.groups?.resignMoved();
    this.transactions?.leadershipChanged();
    log.info({ brokerEpoch: String(epoch) }, 'registered again under the new session: leading what the metadata says');
  }

  /** Cluster mode: the offline replicas' report (offline-replicas.ts), through the admin queue. */
  private offlineReplicaReporter(loggers: LoggerRegistry): OfflineReplicaReporter {
    return offlineReplicaReporter(this.config.nodeId, this.cluster!, this.logs!, loggers.get('tributary.replica'));
  }

  /** Registers, becomes a controller candidate, and waits until its own image shows it registered and unfenced
   * (its metadata has caught up with its registration): only then does the broker read client requests, as Kafka's
   * broker waits to be unfenced before it enables request processing. Not registered within
   * REGISTRATION_TIMEOUT_MS fails the start. */
  private async joinCluster(
    advertised: Array<{ name: string; host: string; port: number; securityProtocol: string }>,
    loggers: LoggerRegistry,
    defaults: ControllerDefaults,
    replicas: ReplicaManager,
  ): Promise<void> {
    const cfg = this.config;
    const c = this.cluster!;
    const log = loggers.get('tributary.cluster');
    const onError = (e: unknown) => log.warn({ err: e }, 'coordination request failed');
    c.keeper.listen({
      expired: () => {
        // Whatever this broker was told to lead may have moved while it was away (KAFKA-5473): it leads nothing
        // until it has read the log again under its new session.
        replicas.resignAll();
        this.groups?.resignMoved();
        this.transactions?.leadershipChanged();
        log.warn('ZooKeeper session expired: stopped leading partitions, re-registering');
      },
      renewFailed: (e, attempt) =>
        log.warn({ err: e, attempt }, 'could not open a new ZooKeeper session; trying again in a second'),
      newSession: () => {
        void c.follower
          .catchUp()
          .then(() => this.resumeIfRegistered(c.follower.image, log))
          .catch(onError);
        log.info('new ZooKeeper session');
      },
      connection: (state) => {
        if (state === 'disconnected')
          log.warn('ZooKeeper connection lost: serving what this broker leads, no metadata changes until it is back');
        else log.info('ZooKeeper connection back');
      },
    });
    c.registration = new BrokerRegistration(
      c.keeper,
      cfg.nodeId,
      {
        endpoints: advertised,
        rack: cfg.brokerRack,
        incarnationId: newUuid(),
        // Tells a restart of this broker (same log dirs) from a second broker with its id (registration.ts).
        logDirIds: directoryIds(cfg.logDirs.map((d) => resolve(d))),
        // Its last shutdown was clean after that registration: its logs are whole (an ELR member stays one).
        ...(this.previousBrokerEpoch !== null ? { previousBrokerEpoch: String(this.previousBrokerEpoch) } : {}),
      },
      onError,
    );
    const registration = c.registration;
    const epoch = await retryWhileDisconnected(
      () => registration.register(),
      Math.max(cfg.zookeeperConnectionTimeoutMs, 3 * cfg.zookeeperSessionTimeoutMs),
    );
    c.controller = new ClusterController({
      brokerId: cfg.nodeId,
      keeper: c.keeper,
      follower: c.follower,
      settings: {
        defaultPartitions: cfg.numPartitions,
        defaultReplicationFactor: cfg.defaultReplicationFactor,
        uncleanLeaderElection: cfg.uncleanLeaderElectionEnable,
        minInsyncReplicas: cfg.minInsyncReplicas,
      },
      admin: { defaults, logger: loggers.get('tributary.controller') },
      leaderRebalance: cfg.autoLeaderRebalanceEnable
        ? {
            intervalMs: cfg.leaderImbalanceCheckIntervalMs,
            imbalancePercentage: cfg.leaderImbalancePerBrokerPercentage,
          }
        : undefined,
      onRebalance: (partitions) =>
        log.info({ partitions }, 'auto leader rebalance: leadership moved back to the preferred replicas'),
      onError,
      onActivate: (e) => log.info({ controllerEpoch: e }, 'this broker is the active controller'),
      onResign: (e, why) => log.info({ controllerEpoch: e, why }, 'resigned as controller'),
    });
    c.controller.start();
    const registered = () => {
      const b = c.follower.image.brokers.get(cfg.nodeId);
      return b !== undefined && b.epoch >= epoch && !b.fenced;
    };
    if (!registered()) {
      log.info({ brokerEpoch: String(epoch) }, "waiting for the registration to reach this broker's metadata");
      const caughtUp = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), REGISTRATION_TIMEOUT_MS);
        timer.unref();
        c.follower.subscribe(() => {
          if (!registered()) return;
          clearTimeout(timer);
          resolve(true);
        });
      });
      void c.follower.catchUp().catch(onError);
      if (!(await caughtUp))
        throw new Error(
          `broker ${cfg.nodeId} wrote its registration (broker epoch ${epoch}), but its metadata does not show it ` +
            `registered and unfenced after ${REGISTRATION_TIMEOUT_MS} ms: no active controller?`,
        );
    }
    log.info({ brokerEpoch: String(epoch) }, 'registered in the cluster; processing requests');
  }

  /**
   * The one inter-broker client security (replica fetchers, transaction markers, share RPCs, ...): they read it at
   * each connect, so a TLS reload of the inter-broker listener (refreshInterBrokerTls) reaches new connections.
   */
  private interBrokerClient(): ClientSecurity {
    this.interBroker ??= interBrokerSecurity(this.config);
    return this.interBroker;
  }

  private refreshInterBrokerTls(effective: BrokerConfig): void {
    const security = this.interBroker;
    const listener = this.bound.find((l) => l.name === effective.interBrokerListenerName);
    if (security?.ssl === undefined || security.ssl === false || listener === undefined) return;
    try {
      security.ssl = clientTls(effective, listener);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.log.error({ err: e.message }, 'inter-broker TLS keeps its stores: the dynamic ones do not load');
    }
  }

  /** A TLS listener's settings at start: the effective (dynamic) ones, else the static ones if those do not load. */
  private startupTls(configs: ConfigService, l: Listener): ListenerTls {
    const effective = configs.effective();
    if (effective === this.config) return listenerTls(this.config, l);
    try {
      return listenerTls(effective, l);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.log.error({ listener: l.name, err: e.message }, 'dynamic TLS stores do not load; using the static ones');
      return listenerTls(this.config, l);
    }
  }

  private schedule(ms: number, fn: () => unknown): void {
    const t = setInterval(
      () => {
        try {
          fn();
        } catch (e) {
          this.log.error({ err: e }, 'background task failed');
        }
      },
      Math.max(10, ms),
    );
    t.unref();
    this.timers.push(t);
  }

  /**
   * Every log dir is offline (a full disk, EIO): the broker can neither serve nor replicate any partition, yet its
   * session would keep it leader and in the ISR of all of them. So it shuts down, as Kafka's broker does ("Shutdown
   * broker because all log dirs in ... have failed"): in a cluster the controlled shutdown moves its leaderships to the
   * other in-sync replicas at once (were that to fail, its session ending does it); no clean-shutdown marker is
   * written in a failed dir, so the next start recovers it. Then `onFatal` (the broker process exits with 1).
   */
  private allLogDirsFailed(failed: ReadonlyMap<string, Error>): void {
    const dirs = [...failed.keys()].join(',');
    const reason = `Shutdown broker because all log dirs in ${dirs} have failed`;
    this.log.fatal({ errors: [...failed].map(([d, e]) => `${d}: ${e.message}`) }, reason);
    // Not from inside the failed write's call stack; `onFatal` after at most 30 s even if the stop hangs (Kafka halts).
    setImmediate(() => {
      const stopped = this.stop().catch((err: unknown) =>
        this.log.error({ err }, 'shutdown after the log dirs failed did not finish cleanly'),
      );
      const bound = new Promise<void>((r) => setTimeout(r, FATAL_STOP_MS).unref());
      void Promise.race([stopped, bound]).then(() => this.onFatal?.(reason));
    });
  }

  /** Clean shutdown: stop accepting, finish in-flight requests, flush and close every log. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('shutting down');
      const c = this.cluster;
      try {
        if (c?.registration?.epoch != null && !c.keeper.closed) {
          // Controlled shutdown: the partitions this broker leads move to other replicas before it goes.
          await controlledShutdown(c.metadata, this.config.nodeId, c.registration.epoch, this.log);
        }
        await this.http?.close();
        for (const t of this.timers) clearInterval(t);
        this.offlineReplicas?.stop();
        this.groups?.close();
        this.shares?.close();
        this.transactions?.close();
        this.replicas?.close();
        await this.server?.shutdown(5000);
        await this.replicas?.snapshotProducers();
        await this.logs?.shutdown();
        // The logs are closed cleanly: the markers name the registration this broker leaves (KIP-966).
        const leaving = c?.registration?.epoch;
        if (leaving != null)
          writeCleanShutdownEpoch(
            this.config.logDirs.map((d) => resolve(d)),
            leaving,
          );
        this.metadataLog?.close();
        if (c) {
          c.controller?.stop();
          c.registration?.stop();
          c.follower.stop();
          c.metadata.stop();
          await c.keeper.close().catch(() => {});
        }
      } finally {
        // Even after a failed stop: this process no longer uses the directories (the next start recovers them).
        for (const l of this.locks) l.release();
        this.locks = [];
      }
      this.log.info('shutdown complete');
    })();
    return this.stopping;
  }
}

/** Starts a broker from already-loaded configuration (the broker process: it exits with 1 when every log dir fails). */
export async function runBroker(config: BrokerConfig, logger?: Logger): Promise<Broker> {
  const broker = new Broker({ config, logger, onFatal: () => process.exit(1) });
  await broker.start();
  return broker;
}

export { loadBrokerConfig };
