// `tributary acls`, `tributary users` and --command-config against a broker with the built-in authorizer: an admin
// (PLAIN over SASL_PLAINTEXT, a super user) creates a SCRAM user and grants it ACLs; that user, over SASL_SSL with
// SCRAM-SHA-512 from a Kafka-style client.properties, is refused until the ACLs exist; ACLs are listed (literal,
// prefixed, match), deleted, and a deleted credential no longer authenticates. Usage errors exit 2.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import {
  type BrokerHandle,
  freePort,
  makeTempDir,
  printLogsOnFailure,
  REPO_ROOT,
  sharedSetup,
  startBrokerProcess,
} from '../helpers/broker.ts';
import { makeCerts } from '../helpers/certs.ts';
import { runProcess } from '../helpers/clients.ts';

const CLI = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";';

describe('tributary acls / users with --command-config', { timeout: 300_000 }, () => {
  let broker: BrokerHandle | undefined;
  const setup = sharedSetup(async () => {
    const certs = makeCerts();
    const [saslSsl, saslPlain] = [await freePort(), await freePort()];
    broker = await startBrokerProcess({
      extraListeners: `SASL_SSL://127.0.0.1:${saslSsl},SASL_PLAINTEXT://127.0.0.1:${saslPlain}`,
      overrides: {
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT',
        'inter.broker.listener.name': 'PLAINTEXT',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerKeystore,
        'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
        'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin;User:ANONYMOUS',
      },
    });
    const dir = makeTempDir('tributary-cli-security-');
    const admin = path.join(dir, 'admin.properties');
    writeFileSync(
      admin,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=PLAIN',
        'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\',
        '    username="admin" password="admin-secret";',
      ].join('\n'),
    );
    const alice = path.join(dir, 'alice.properties');
    writeFileSync(
      alice,
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caCert}`,
      ].join('\n'),
    );
    const pw = path.join(dir, 'alice.pw');
    writeFileSync(pw, 'alice-secret\n');
    return {
      admin: ['-b', `127.0.0.1:${saslPlain}`, '--command-config', admin],
      alice: ['-b', `127.0.0.1:${saslSsl}`, '--command-config', alice],
      pw,
    };
  });
  after(async () => {
    await broker?.stop();
  });
  afterEach((t) => printLogsOnFailure(t, broker));

  const cli = async (args: string[], expectCode = 0, input?: string) => {
    const r = await runProcess(process.execPath, [CLI, ...args], { timeoutMs: 60_000, input });
    assert.equal(r.code, expectCode, `tributary ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };

  test('users alter / describe / delete; ACLs gate what the user may do; acls list / delete', async () => {
    const { admin, alice, pw } = await setup.get();
    assert.match(
      (await cli(['users', 'alter', '-u', 'alice', '--mechanism', 'SCRAM-SHA-512', '--password-file', pw, ...admin]))
        .stdout,
      /Altered SCRAM-SHA-512 for user alice/,
    );
    await cli([
      'users',
      'alter',
      '-u',
      'alice',
      '--add-config',
      'SCRAM-SHA-256=[password=x256,iterations=8192]',
      ...admin,
    ]);
    const described = JSON.parse((await cli(['users', 'describe', '-u', 'alice', '--json', ...admin])).stdout);
    assert.deepEqual(
      described.alice.sort((a: { mechanism: string }, b: { mechanism: string }) =>
        a.mechanism.localeCompare(b.mechanism),
      ),
      [
        { mechanism: 'SCRAM-SHA-256', iterations: 8192 },
        { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
      ],
    );
    assert.match(
      (await cli(['users', 'describe', ...admin])).stdout,
      /^USER\s+MECHANISM\s+ITERATIONS\nalice\s+SCRAM-SHA/,
    );

    // alice authenticates, but has no ACLs.
    const denied = await cli(['topics', 'create', '-t', 'orders', ...alice], 1);
    assert.match(denied.stderr, /AUTHORIZATION_FAILED/);

    await cli([
      'acls',
      'create',
      '--allow-principal',
      'User:alice',
      '--operation',
      'Create',
      '--operation',
      'Describe',
      '--topic',
      'orders',
      ...admin,
    ]);
    await cli(['acls', 'create', '--allow-principal', 'User:alice', '--producer', '--topic', 'orders', ...admin]);
    assert.match((await cli(['topics', 'create', '-t', 'orders', ...alice])).stdout, /Created topic orders/);
    await cli(['produce', '-t', 'orders', ...alice], 0, 'a\nb\n');
    // Reading needs READ: refused, then allowed by a prefixed ACL.
    const noRead = await cli(['consume', '-t', 'orders', '--from-beginning', '-c', '2', ...alice], 1);
    assert.match(noRead.stderr, /TOPIC_AUTHORIZATION_FAILED/);
    await cli([
      'acls',
      'create',
      '--allow-principal',
      'User:alice',
      '--operation',
      'read',
      '--topic',
      'ord',
      '--resource-pattern-type',
      'prefixed',
      ...admin,
    ]);
    const consumed = await cli(['consume', '-t', 'orders', '--from-beginning', '-c', '2', ...alice]);
    assert.equal(consumed.stdout, 'a\nb\n');

    const literal = JSON.parse((await cli(['acls', 'list', '--topic', 'orders', '--json', ...admin])).stdout) as {
      operation: string;
    }[];
    // Create, Describe (given twice: once by hand, once by --producer) and Write: the broker keeps distinct ACLs.
    assert.deepEqual([...new Set(literal.map((a) => a.operation))].sort(), ['CREATE', 'DESCRIBE', 'WRITE']);
    const match = (await cli(['acls', 'list', '--topic', 'orders', '--resource-pattern-type', 'match', ...admin]))
      .stdout;
    assert.match(match, /TOPIC\s+ord\s+PREFIXED\s+User:alice\s+\*\s+READ\s+ALLOW/);
    const all = (await cli(['acls', 'list', '--principal', 'User:alice', ...admin])).stdout;
    assert.equal(all.trim().split('\n').length - 1, literal.length + 1);

    assert.match(
      (
        await cli([
          'acls',
          'delete',
          '--allow-principal',
          'User:alice',
          '--operation',
          'Write',
          '--topic',
          'orders',
          ...admin,
        ])
      ).stdout,
      /^Deleted 1 ACL\(s\):/,
    );
    await cli(['produce', '-t', 'orders', ...alice], 1, 'c\n');
    await cli(['acls', 'delete', '--topic', 'orders', ...admin]);
    await cli(['acls', 'delete', '--topic', 'ord', '--resource-pattern-type', 'prefixed', ...admin]);
    assert.equal((await cli(['acls', 'list', ...admin])).stdout.trim().split('\n').length, 1); // the header only

    await cli(['users', 'delete', '-u', 'alice', '--mechanism', 'SCRAM-SHA-512', ...admin]);
    const gone = await cli(['topics', 'list', ...alice], 1);
    assert.match(gone.stderr, /SASL_AUTHENTICATION_FAILED/);
  });

  test('usage errors exit 2 with a message', async () => {
    const { admin } = await setup.get();
    const usage = async (args: string[], re: RegExp) => assert.match((await cli([...args, ...admin], 2)).stderr, re);
    await usage(['acls', 'create', '--topic', 't'], /--allow-principal and\/or --deny-principal/);
    await usage(['acls', 'create', '--allow-principal', 'User:a'], /name a resource/);
    await usage(['acls', 'create', '--allow-principal', 'alice', '--topic', 't'], /invalid principal "alice"/);
    await usage(
      ['acls', 'create', '--allow-principal', 'User:a', '--operation', 'Fly', '--topic', 't'],
      /unknown --operation Fly/,
    );
    await usage(
      ['acls', 'create', '--allow-principal', 'User:a', '--topic', 't', '--resource-pattern-type', 'match'],
      /not valid here \(literal, prefixed\)/,
    );
    await usage(
      ['acls', 'create', '--allow-principal', 'User:a', '--consumer', '--topic', 't'],
      /--consumer needs --topic and --group/,
    );
    await usage(['acls', 'delete'], /name a resource or a principal/);
    await usage(
      ['users', 'alter', '-u', 'x', '--mechanism', 'SCRAM-SHA-1', '--password', 'p'],
      /unknown mechanism SCRAM-SHA-1/,
    );
    await usage(['users', 'alter', '-u', 'x', '--mechanism', 'SCRAM-SHA-512'], /give the password/);
    const missing = await cli(['topics', 'list', '--command-config', '/nonexistent/client.properties'], 2);
    assert.match(missing.stderr, /--command-config \/nonexistent\/client.properties: no such file/);
    const help = (await cli(['acls', 'create', '--help'])).stdout;
    assert.match(help, /Examples:\n\s+\$ tributary acls create --allow-principal User:alice/);
  });
});
