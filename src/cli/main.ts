#!/usr/bin/env node
// The `tributary` command line. Run it through src/cli/bin.ts (the package's `tributary` executable), which checks the
// Node.js version first. Exit codes: 0 success, 1 a failed request (the broker said no, or could not be reached),
// 2 a usage error (unknown command or option, missing or invalid argument), commander's own usage errors included.
import { Command, CommanderError } from 'commander';
import { registerAcls } from './commands/acls.ts';
import { EXIT_USAGE } from './commands/common.ts';
import { registerCluster, registerConfigs } from './commands/configs.ts';
import { registerConsume } from './commands/consume.ts';
import { registerDev } from './commands/dev.ts';
import { registerGroups } from './commands/groups.ts';
import { registerPerf } from './commands/perf.ts';
import { registerProduce } from './commands/produce.ts';
import { registerQuotas } from './commands/quotas.ts';
import { registerShareGroups } from './commands/share-groups.ts';
import { registerTopics } from './commands/topics.ts';
import { registerUsers } from './commands/users.ts';
import { addExamples } from './examples.ts';

const program = new Command();
program
  .name('tributary')
  .description('A Kafka-compatible event streaming broker, and tools to use any Kafka cluster')
  .version('0.1.0')
  .showSuggestionAfterError()
  // Inherited by every command added below: commander throws a CommanderError instead of exiting with 1.
  .exitOverride();

program
  .command('broker')
  .description('start a broker (Kafka server.properties keys, KAFKA_* environment variables, --override key=value)')
  .option('-c, --config <file>', 'a server.properties file')
  .option('--override <key=value>', 'set a config key (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
  .argument('[config]', 'a server.properties file (as kafka-server-start.sh takes it)')
  .action(async (configArg: string | undefined, opts: { config?: string; override: string[] }) => {
    // Loaded here so that the client commands start without the broker's modules.
    const { runBroker } = await import('../node/broker.ts');
    const { loadBrokerConfig } = await import('../config/broker-config.ts');
    const { ConfigError } = await import('../config/errors.ts');
    const { createLogger } = await import('../util/log.ts');
    const log = createLogger({ name: 'tributary' });
    let config: ReturnType<typeof loadBrokerConfig>;
    try {
      config = loadBrokerConfig({ configFile: opts.config ?? configArg, overrides: opts.override, logger: log });
    } catch (e) {
      if (e instanceof ConfigError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        log.fatal(`invalid configuration: ${(e as Error).message}`);
        process.exit(EXIT_USAGE);
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
      if (signal === 'parent exited')
        log.info({ ppid: process.ppid }, 'the process that started the broker (npm) is gone');
      else log.info({ signal }, 'received signal');
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
    // Started by npm (`npm start`, `npm run`, `npx tributary broker`): npm forwards SIGTERM/SIGINT to its child, and
    // when that child is the `sh -c` npm runs scripts with (npx always, scripts without `exec`), the shell dies and
    // the broker would be left running, orphaned. So the broker also stops cleanly when the process that started it
    // goes away. Not otherwise: a broker started in the background from a shell (nohup, &) outlives that shell.
    if (process.env.npm_command !== undefined) {
      const parent = process.ppid;
      setInterval(() => {
        if (process.ppid !== parent) shutdown('parent exited');
      }, 250).unref();
    }
  });

registerTopics(program);
registerProduce(program);
registerConsume(program);
registerGroups(program);
registerShareGroups(program);
registerConfigs(program);
registerQuotas(program);
registerCluster(program);
registerAcls(program);
registerUsers(program);
registerPerf(program);
registerDev(program);
addExamples(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // commander has already written the message (or the help) to the right stream.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
  throw e;
}
// Client commands are done once their action returns: leave even if a socket or timer lingers.
// `broker` and `dev cluster` run until a signal stops them.
if (!['broker', 'dev'].includes(program.args[0] ?? '') && !['broker', 'dev'].includes(process.argv[2] ?? ''))
  process.exit(process.exitCode ?? 0);
