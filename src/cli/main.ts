#!/usr/bin/env node
// The `tributary` command line.
import { Command } from 'commander';
import { runBroker } from '../broker/broker.ts';
import { loadBrokerConfig } from '../config/broker-config.ts';
import { ConfigError } from '../config/errors.ts';
import { createLogger } from '../util/log.ts';

const program = new Command();
program.name('tributary').description('A Kafka-compatible event streaming broker').version('0.1.0');

program
  .command('broker')
  .description('start a broker (Kafka server.properties keys, KAFKA_* environment variables, --override key=value)')
  .option('-c, --config <file>', 'a server.properties file')
  .option('--override <key=value>', 'set a config key (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
  .argument('[config]', 'a server.properties file (as kafka-server-start.sh takes it)')
  .action(async (configArg: string | undefined, opts: { config?: string; override: string[] }) => {
    const log = createLogger({ name: 'tributary' });
    let config: ReturnType<typeof loadBrokerConfig>;
    try {
      config = loadBrokerConfig({ configFile: opts.config ?? configArg, overrides: opts.override, logger: log });
    } catch (e) {
      if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        log.fatal(`invalid configuration: ${(e as Error).message}`);
        process.exit(2);
      }
      throw e;
    }
    let broker: Awaited<ReturnType<typeof runBroker>>;
    try {
      broker = await runBroker(config, log);
    } catch (e) {
      log.fatal({ err: e }, `broker failed to start: ${(e as Error).message}`);
      process.exit(1);
    }
    let signalled = false;
    const shutdown = (signal: string) => {
      if (signalled) return;
      signalled = true;
      log.info({ signal }, 'received signal');
      broker.stop().then(
        () => process.exit(0),
        (e) => {
          log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

await program.parseAsync(process.argv);
