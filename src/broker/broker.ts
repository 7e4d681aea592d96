// A Tributary broker: wires config, storage, metadata, partitions and the network server together.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BrokerConfig, loadBrokerConfig } from '../config/broker-config.ts';
import { parseProperties } from '../config/properties.ts';
import { GroupCoordinatorRuntime } from '../coordinator/group/runtime.ts';
import { ProducerIdManager } from '../coordinator/transaction/producer-ids.ts';
import { TransactionCoordinatorRuntime } from '../coordinator/transaction/runtime.ts';
import { LocalController } from '../metadata/controller.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { FileMetadataLog } from '../metadata/metadata-log.ts';
import { listenerSasl } from '../security/sasl.ts';
import type { ScramMechanism } from '../security/scram.ts';
import { listenerTls, usesTls } from '../security/tls.ts';
import { Dispatcher } from '../server/dispatcher.ts';
import { supportedApis } from '../server/handlers/index.ts';
import { type BoundListener, SocketServer } from '../server/socket-server.ts';
import { LogManager } from '../storage/log-manager.ts';
import { type ReadBufferPool, SizedBufferPools } from '../storage/read-buffers.ts';
import { createLogger, type Logger, LoggerRegistry } from '../util/log.ts';
import { ConfigService } from './config-service.ts';
import { ReplicaManager, toLogConfig } from './replica-manager.ts';
import type { BrokerServices } from './services.ts';

export interface BrokerOptions {
  config: BrokerConfig;
  logger?: Logger;
}

export class Broker {
  readonly config: BrokerConfig;
  readonly log: Logger;
  private server: SocketServer | undefined;
  private logs: LogManager | undefined;
  private metadataLog: FileMetadataLog | undefined;
  private replicas: ReplicaManager | undefined;
  private controller: LocalController | undefined;
  private groups: GroupCoordinatorRuntime | undefined;
  private transactions: TransactionCoordinatorRuntime | undefined;
  private timers: NodeJS.Timeout[] = [];
  private bound: BoundListener[] = [];
  private stopping: Promise<void> | undefined;

  constructor(opts: BrokerOptions) {
    this.config = opts.config;
    this.log = opts.logger ?? createLogger({ name: 'broker' });
  }

  /** The listeners as bound (with real ports when port 0 was asked for). */
  get listeners(): readonly BoundListener[] {
    return this.bound;
  }

  /** Memory pooled for fetch reads (for tests and metrics): slabs out while responses are being written. */
  get readBuffers(): ReadBufferPool | undefined {
    return this.replicas?.readBuffers;
  }

  get image(): MetadataImage {
    return this.controller!.image;
  }

  async start(): Promise<void> {
    const t0 = performance.now();
    const cfg = this.config;
    const logDirs = cfg.logDirs.map((d) => resolve(d));
    const clusterId = ensureMetaProperties(logDirs, cfg.nodeId);
    const metadataDir = join(resolve(cfg.metadataLogDir), '__cluster_metadata-0');
    // One pino child per module, so that log levels can be changed at runtime (BROKER_LOGGER configs).
    const loggers = new LoggerRegistry(this.log);
    this.metadataLog = new FileMetadataLog(metadataDir, loggers.get('tributary.metadata'));
    const configs = new ConfigService(cfg, { logger: loggers.get('tributary.config') });
    configs.loggers = loggers;
    const controller = new LocalController({
      clusterId,
      nodeId: cfg.nodeId,
      log: this.metadataLog,
      logger: loggers.get('tributary.controller'),
      defaults: {
        numPartitions: cfg.numPartitions,
        defaultReplicationFactor: cfg.defaultReplicationFactor,
        validateTopicConfigs: (c) => configs.validateTopic(c),
      },
    });
    this.controller = controller;
    // Dynamic broker configs (cluster metadata) apply from the start, topic defaults included.
    configs.attach(() => controller.image);
    const initial = controller.image;
    this.logs = LogManager.open({
      logDirs,
      logger: loggers.get('tributary.storage'),
      configFor: (topic) => toLogConfig(configs.topicConfig(initial.topics.get(topic)?.configs ?? {})),
    });
    const replicas = new ReplicaManager({
      logs: this.logs,
      log: loggers.get('tributary.replica'),
      nodeId: cfg.nodeId,
      topicConfig: (o) => configs.topicConfig(o),
    });
    this.replicas = replicas;
    replicas.applyImage(initial, undefined);
    controller.subscribe((image, previous) => {
      replicas.applyImage(image, previous);
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
      producerIds: new ProducerIdManager(resolve(cfg.metadataLogDir)),
      log: loggers.get('tributary.transaction'),
      clock: Date.now,
      offsets: groups,
    });
    this.transactions = transactions;
    transactions.start();

    const services: BrokerServices = {
      nodeId: cfg.nodeId,
      config: cfg,
      log: this.log,
      metadata: () => controller.image,
      controller,
      replicas,
      configs,
      groups,
      transactions,
      apiVersions: () => dispatcher.supportedList(),
      clock: Date.now,
    };
    const dispatcher = new Dispatcher(services, supportedApis(), loggers.get('tributary.server'));
    this.server = new SocketServer(dispatcher, loggers.get('tributary.server'), {
      maxRequestBytes: cfg.socketRequestMaxBytes,
      maxQueuedRequests: Math.max(2, cfg.queuedMaxRequests),
      idleTimeoutMs: cfg.connectionsMaxIdleMs,
      maxConnections: cfg.maxConnections,
      // Large Produce frames are read into reused slabs of 64 KiB to 2 MiB (librdkafka's requests are about 1 MB).
      produceFrames: new SizedBufferPools(),
    });
    this.bound = await this.server.listen(
      cfg.listeners
        .filter((l) => !cfg.controllerListenerNames.includes(l.name))
        .map((l) => ({
          name: l.name,
          host: l.host,
          port: l.port,
          securityProtocol: l.securityProtocol,
          tls: usesTls(l.securityProtocol) ? listenerTls(cfg, l) : undefined,
          sasl: l.securityProtocol.startsWith('SASL_')
            ? {
                config: listenerSasl(cfg, l),
                scram: (user: string, m: ScramMechanism) => controller.image.scramCredentials.get(user)?.get(m.id),
              }
            : undefined,
        })),
    );
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
    controller.registerBroker(cfg.nodeId, advertised, cfg.brokerRack);
    this.schedule(cfg.logRetentionCheckIntervalMs, () => this.logs!.runRetention(Date.now()));
    this.schedule(Math.min(cfg.logFlushSchedulerIntervalMs, 1000), () => this.logs!.flushDue(Date.now()));
    this.schedule(cfg.logFlushOffsetCheckpointIntervalMs, () => this.logs!.checkpoint());
    // Compaction in small slices (at most ~10 ms of work per tick) so produce and fetch are never held up.
    if (cfg.logCleanerEnable) this.schedule(50, () => this.logs!.cleaner.tick(10));
    this.schedule(cfg.producerIdExpirationCheckIntervalMs, () =>
      replicas.expireProducers(Date.now(), configs.effective().producerIdExpirationMs),
    );
    this.log.info(
      {
        nodeId: cfg.nodeId,
        clusterId,
        listeners: advertised.map((a) => `${a.name}://${a.host}:${a.port}`).join(','),
        logDirs: logDirs.join(','),
        partitions: [...replicas.all()].length,
        startupMs: Math.round(performance.now() - t0),
      },
      'Tributary broker started',
    );
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

  /** Clean shutdown: stop accepting, finish in-flight requests, flush and close every log. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('shutting down');
      for (const t of this.timers) clearInterval(t);
      this.groups?.close();
      this.transactions?.close();
      this.replicas?.close();
      await this.server?.shutdown(5000);
      this.replicas?.snapshotProducers();
      await this.logs?.shutdown();
      this.metadataLog?.close();
      this.log.info('shutdown complete');
    })();
    return this.stopping;
  }
}

/** Reads or writes meta.properties in every log dir (Kafka's format): one cluster id, this node id. */
function ensureMetaProperties(logDirs: string[], nodeId: number): string {
  let clusterId: string | undefined;
  for (const dir of logDirs) {
    const p = join(dir, 'meta.properties');
    if (!existsSync(p)) continue;
    const props = parseProperties(readFileSync(p, 'utf8'));
    const id = props.get('cluster.id');
    const node = props.get('node.id');
    if (node !== undefined && Number(node) !== nodeId)
      throw new Error(`${p} belongs to node.id ${node}, but this broker is node.id ${nodeId}`);
    if (clusterId && id && id !== clusterId)
      throw new Error(`log dirs belong to different clusters (${clusterId}, ${id})`);
    clusterId = id ?? clusterId;
  }
  clusterId ??= randomBytes(16).toString('base64url');
  for (const dir of logDirs) {
    mkdirSync(dir, { recursive: true });
    const p = join(dir, 'meta.properties');
    if (existsSync(p)) continue;
    const text = `#\n#${new Date().toString()}\nnode.id=${nodeId}\nversion=1\ncluster.id=${clusterId}\ndirectory.id=${randomBytes(16).toString('base64url')}\n`;
    writeFileSync(`${p}.tmp`, text);
    renameSync(`${p}.tmp`, p);
  }
  return clusterId;
}

/** Starts a broker from already-loaded configuration. */
export async function runBroker(config: BrokerConfig, logger?: Logger): Promise<Broker> {
  const broker = new Broker({ config, logger });
  await broker.start();
  return broker;
}

export { loadBrokerConfig };
