// tributary users describe|alter|delete: SCRAM credentials (kafka-configs.sh --entity-type users with
// SCRAM-SHA-256=[...] / SCRAM-SHA-512=[...]). The password is salted and hashed by the client; the broker keeps only
// salt, iterations, StoredKey and ServerKey.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Admin } from '../../client/admin.ts';
import type { ScramUpsertion } from '../../client/admin-security.ts';
import {
  action,
  type CommonOptions,
  clientCommand,
  clientOptions,
  collectList,
  parseConfigList,
  printJson,
  table,
  UsageError,
} from './common.ts';

const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
type Mechanism = (typeof MECHANISMS)[number];

function mechanism(s: string): Mechanism {
  const m = s.toUpperCase();
  if (!MECHANISMS.includes(m as Mechanism)) throw new UsageError(`unknown mechanism ${s} (${MECHANISMS.join(', ')})`);
  return m as Mechanism;
}

interface AlterOptions extends CommonOptions {
  user: string;
  mechanism: string[];
  password?: string;
  passwordFile?: string;
  iterations?: string;
  addConfig: string[];
}

/** The credentials `users alter` upserts: --mechanism/--password, or kafka-configs' SCRAM-SHA-512=[password=...]. */
export function upsertions(o: AlterOptions): ScramUpsertion[] {
  const out: ScramUpsertion[] = [];
  const iterationsOf = (v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`iterations must be a positive integer, got "${v}"`);
    return n;
  };
  for (const [key, value] of o.addConfig.flatMap(parseConfigList)) {
    const m = mechanism(key);
    const fields = new Map(parseConfigList(value));
    const password = fields.get('password');
    if (!password) throw new UsageError(`${key}=[password=...] needs a password`);
    out.push({ user: o.user, mechanism: m, password, iterations: iterationsOf(fields.get('iterations')) });
  }
  if (o.mechanism.length > 0) {
    if (o.password !== undefined && o.passwordFile !== undefined)
      throw new UsageError('give --password or --password-file, not both');
    const password =
      o.password ?? (o.passwordFile !== undefined ? readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '') : '');
    if (password === '') throw new UsageError('give the password: --password or --password-file');
    for (const m of o.mechanism)
      out.push({ user: o.user, mechanism: mechanism(m), password, iterations: iterationsOf(o.iterations) });
  }
  if (out.length === 0)
    throw new UsageError('give --mechanism with --password, or --add-config SCRAM-SHA-512=[password=...]');
  return out;
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('SCRAM credentials of users (describe, alter, delete)');

  clientCommand(users.command('describe').description('SCRAM mechanisms and iterations per user'), { json: true })
    .option('-u, --user <name>', 'a user (repeatable; default: every user)', collectList, [])
    .action(
      action(async (o: CommonOptions & { user: string[] }) => {
        const admin = new Admin(clientOptions(o));
        try {
          const creds = await admin.describeUserScramCredentials(o.user.length > 0 ? o.user : undefined);
          if (o.json) return printJson(creds);
          const rows = [...creds].flatMap(([user, list]) => list.map((c) => [user, c.mechanism, c.iterations]));
          process.stdout.write(`${table(['USER', 'MECHANISM', 'ITERATIONS'], rows)}\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(users.command('alter').description("create or replace a user's SCRAM credential"))
    .requiredOption('-u, --user <name>', 'the user')
    .option('--mechanism <m>', 'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable)', collectList, [])
    .option('--password <password>', 'the password (visible to other local users in the process list)')
    .option('--password-file <file>', 'read the password from a file (its first line)')
    .option('--iterations <n>', 'PBKDF2 iterations, 4096 (default) to 16384')
    .option(
      '--add-config <config>',
      "kafka-configs.sh form: 'SCRAM-SHA-512=[password=...,iterations=8192]'",
      collectList,
      [],
    )
    .action(
      action(async (o: AlterOptions) => {
        const list = upsertions(o);
        const admin = new Admin(clientOptions(o));
        try {
          // As Kafka, one change per user and request.
          for (const u of list) await admin.alterUserScramCredentials({ upsertions: [u] });
          process.stdout.write(`Altered ${list.map((u) => u.mechanism).join(', ')} for user ${o.user}.\n`);
        } finally {
          await admin.close();
        }
      }),
    );

  clientCommand(users.command('delete').description("remove a user's SCRAM credential"))
    .requiredOption('-u, --user <name>', 'the user')
    .option('--mechanism <m>', 'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable)', collectList, [])
    .option('--delete-config <m>', 'kafka-configs.sh form: SCRAM-SHA-512 (repeatable)', collectList, [])
    .action(
      action(async (o: CommonOptions & { user: string; mechanism: string[]; deleteConfig: string[] }) => {
        const list = [...o.mechanism, ...o.deleteConfig.flatMap((s) => s.split(','))].map((m) => mechanism(m.trim()));
        if (list.length === 0) throw new UsageError('give --mechanism SCRAM-SHA-256 and/or SCRAM-SHA-512');
        const admin = new Admin(clientOptions(o));
        try {
          for (const m of list) await admin.alterUserScramCredentials({ deletions: [{ user: o.user, mechanism: m }] });
          process.stdout.write(`Deleted ${list.join(', ')} for user ${o.user}.\n`);
        } finally {
          await admin.close();
        }
      }),
    );
}
