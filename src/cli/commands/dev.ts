// `tributary dev cluster`: a local multi-broker cluster in this one process (startCluster over the in-memory
// coordination store), for trying clients against several brokers, as `rpk container start -n 3` does for Redpanda.
// A development tool, not a deployment: the cluster's metadata lives in memory and goes with the process.
import type { Command } from 'commander';
import { EXIT_USAGE } from './common.ts';

export function registerDev(program: Command): void {
  const dev = program.command('dev').description('development tools (not for production)');
  dev
    .command('cluster')
    .description('run a local cluster of several brokers in this process (in-memory metadata; stops on Ctrl-C)')
    .option('-n, --brokers <count>', 'number of brokers', '3')
    .option('--port <port>', 'port of the first broker; the next ones use the following ports', '9092')
    .option('--host <host>', 'address to listen on and advertise', '127.0.0.1')
    .option('--data-dir <dir>', "where to keep the brokers' data (default: a temporary directory, removed on exit)")
    .option(
      '--override <key=value>',
      'a broker config for every broker (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .action(async (opts: { brokers: string; port: string; host: string; dataDir?: string; override: string[] }) => {
      const brokers = Number(opts.brokers);
      const port = Number(opts.port);
      const bad = (m: string) => {
        process.stderr.write(`tributary dev cluster: ${m}\n`);
        process.exit(EXIT_USAGE);
      };
      if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9)
        bad(`--brokers must be 1 to 9, got ${opts.brokers}`);
      if (!Number.isInteger(port) || port < 0 || port > 65535) bad(`--port must be a port number, got ${opts.port}`);
      const config: Record<string, string> = {};
      for (const o of opts.override) {
        const eq = o.indexOf('=');
        if (eq <= 0) bad(`--override expects key=value, got ${o}`);
        config[o.slice(0, eq)] = o.slice(eq + 1);
      }
      const { startCluster } = await import('../../node/dev-cluster.ts');
      const cluster = await startCluster({
        brokers,
        basePort: port,
        host: opts.host,
        dataDir: opts.dataDir,
        config,
        logLevel: process.env.TRIBUTARY_LOG_LEVEL ?? 'info',
      });
      process.stdout.write(
        `A development cluster of ${brokers} broker(s) in this process (metadata in memory, lost on exit).\n` +
          `${cluster.brokers.map((b) => `  broker ${b.nodeId}: ${b.bootstrap}`).join('\n')}\n` +
          `bootstrap servers: ${cluster.bootstrap}\n`,
      );
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        cluster.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
