// Shared pieces of the client commands: the --bootstrap-server option, output (tables, JSON), errors and exit codes.
import type { Command } from 'commander';
import { KafkaClientError, UnsupportedApiError } from '../../client/errors.ts';
import { ClientPropertiesError, securityFromProperties } from '../../client/properties.ts';
import type { ClientSecurity } from '../../client/security.ts';
import { readPropertiesFile } from '../../config/properties.ts';

export const DEFAULT_BOOTSTRAP = process.env.TRIBUTARY_BOOTSTRAP_SERVER ?? 'localhost:9092';

export interface CommonOptions {
  bootstrapServer: string;
  commandConfig?: string;
  json?: boolean;
  commandTimeoutMs?: string;
}

/** Adds --bootstrap-server (and --json for read commands) to a command. */
export function clientCommand(cmd: Command, opts: { json?: boolean } = {}): Command {
  cmd.option('-b, --bootstrap-server <hosts>', 'broker(s) to bootstrap from, host:port[,host:port]', DEFAULT_BOOTSTRAP);
  cmd.option(
    '--command-config <file>',
    'client properties (security.protocol, ssl.*, sasl.mechanism, sasl.jaas.config), as Kafka tools take them',
    process.env.TRIBUTARY_COMMAND_CONFIG,
  );
  if (opts.json) cmd.option('--json', 'print JSON instead of a table');
  return cmd;
}

export function clientOptions(o: CommonOptions) {
  return {
    bootstrapServers: o.bootstrapServer,
    clientId: 'tributary-cli',
    retries: 3,
    connectTimeoutMs: 5000,
    ...commandSecurity(o.commandConfig),
  };
}

/** The security settings of a --command-config file (none without one). */
export function commandSecurity(file: string | undefined): ClientSecurity {
  if (file === undefined) return {};
  try {
    return securityFromProperties(readPropertiesFile(file));
  } catch (e) {
    if (e instanceof ClientPropertiesError) throw new UsageError(`--command-config ${file}: ${e.message}`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--command-config ${file}: no such file`);
    throw e;
  }
}

/** Aligned columns, header first; kafka-consumer-groups style. */
export function table(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

export function printJson(v: unknown): void {
  process.stdout.write(
    `${JSON.stringify(v, (_k, x) => (x instanceof Map ? Object.fromEntries(x) : typeof x === 'bigint' ? Number(x) : x), 2)}\n`,
  );
}

/** Exit codes of every command: 0 success, 1 a failed request, 2 a usage error (as the README says). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a command body: errors go to stderr with Kafka's error name, and the exit code says what failed. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
      process.exitCode ??= 0;
    } catch (e) {
      process.stderr.write(`${describeError(e)}\n`);
      process.exitCode = e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
    }
  };
}

export function describeError(e: unknown): string {
  if (e instanceof KafkaClientError) return `Error: ${e.message}`;
  if (e instanceof UnsupportedApiError) return `Error: ${e.message}`;
  if (e instanceof UsageError) return `Error: ${e.message}`;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ECONNREFUSED') return `Error: cannot connect to the broker (${err.message})`;
  return `Error: ${err?.message ?? String(e)}`;
}

/** `k=v,k2=[a,b]` (kafka-configs --add-config) → pairs. */
export function parseConfigList(s: string): [string, string][] {
  const out: [string, string][] = [];
  let depth = 0;
  let cur = '';
  const flush = () => {
    if (!cur.trim()) return;
    const i = cur.indexOf('=');
    if (i <= 0) throw new UsageError(`invalid config "${cur}" (expected key=value)`);
    let v = cur.slice(i + 1).trim();
    if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    out.push([cur.slice(0, i).trim(), v]);
    cur = '';
  };
  for (const ch of s) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) flush();
    else cur += ch;
  }
  flush();
  return out;
}

export const collectList = (v: string, prev: string[]): string[] => [...prev, v];

export function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got "${v}"`);
  return n;
}
