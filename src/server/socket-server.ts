// TCP listeners: accept connections and hand each to a Connection bound to the dispatcher.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../util/log.ts';
import { Connection, type ConnectionOptions, type FrameProcessor } from './connection.ts';

export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BoundListener extends ListenerSpec {
  /** The port actually bound (differs from `port` when it was 0). */
  boundPort: number;
}

export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly listenerNames: string[] = [];
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private readonly processor: FrameProcessor;
  private readonly log: Logger;
  private readonly opts: ConnectionOptions & { maxConnections: number };

  constructor(processor: FrameProcessor, log: Logger, opts: ConnectionOptions & { maxConnections: number }) {
    this.processor = processor;
    this.log = log;
    this.opts = opts;
  }

  async listen(specs: ListenerSpec[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const spec of specs) {
      if (spec.securityProtocol !== 'PLAINTEXT')
        throw new Error(`listener ${spec.name} uses ${spec.securityProtocol}; only PLAINTEXT is supported so far`);
      // Paused until the Connection takes over the socket's reads (see readIntoFrames in connection.ts).
      const server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket, spec));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: spec.host === '' ? undefined : spec.host, port: spec.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : spec.port;
      this.servers.push(server);
      this.listenerNames.push(spec.name);
      bound.push({ ...spec, boundPort });
      this.log.info({ listener: spec.name, host: spec.host, port: boundPort }, 'listening');
    }
    return bound;
  }

  private accept(socket: Socket, spec: ListenerSpec): void {
    if (this.connections.size >= this.opts.maxConnections) {
      this.log.warn({ max: this.opts.maxConnections }, 'max.connections reached; refusing a connection');
      socket.destroy();
      return;
    }
    const conn = new Connection(
      socket,
      {
        id: this.nextId++,
        remoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
        listenerName: spec.name,
        securityProtocol: spec.securityProtocol,
      },
      this.processor,
      this.log,
      this.opts,
      () => this.connections.delete(conn),
    );
    this.connections.add(conn);
  }

  /** Open connections per listener name (for metrics). */
  connectionCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.listenerNames.map((n) => [n, 0]));
    for (const c of this.connections) counts.set(c.info.listenerName, (counts.get(c.info.listenerName) ?? 0) + 1);
    return counts;
  }

  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes every connection. */
  async shutdown(timeoutMs: number): Promise<void> {
    for (const s of this.servers) s.close();
    for (const c of this.connections) c.stopReading();
    const idle = Promise.all([...this.connections].map((c) => c.whenIdle()));
    await Promise.race([idle, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    for (const c of this.connections) c.close('shutdown');
    this.connections.clear();
  }
}
