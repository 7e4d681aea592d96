// Examples at the end of each command's --help, as rpk and Kafka's tools show them. Keyed by the command's path
// below `tributary`; a command that already adds its own help text after the options keeps it.
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  '': [
    'tributary broker                                   # a broker on localhost:9092, data in ./data',
    'tributary topics create -t orders -p 3',
    "printf 'k1:hello\\n' | tributary produce -t orders -K :",
    'tributary consume -t orders --from-beginning',
    'tributary <command> --help                         # options and examples of a command',
  ],
  broker: [
    'tributary broker',
    'tributary broker --config server.properties       # or: tributary broker server.properties',
    'tributary broker --override num.partitions=3 --override log.dirs=/var/lib/tributary',
    'KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://myhost:9092 tributary broker',
  ],
  topics: [
    'tributary topics list',
    'tributary topics create -t orders -p 3 -c retention.ms=86400000',
    'tributary topics describe -t orders',
  ],
  'topics list': ['tributary topics list', 'tributary topics list --exclude-internal --json'],
  'topics create': [
    'tributary topics create -t orders',
    'tributary topics create -t orders -p 3 -r 1 -c retention.ms=86400000 -c cleanup.policy=compact',
    'tributary topics create -t orders --if-not-exists',
  ],
  'topics describe': [
    'tributary topics describe                          # every topic',
    'tributary topics describe -t orders -t payments',
    'tributary topics describe -t orders --json',
  ],
  'topics alter': [
    'tributary topics alter -t orders -p 6',
    'tributary topics alter -t orders -c cleanup.policy=compact --delete-config retention.ms',
  ],
  'topics delete': ['tributary topics delete -t orders', 'tributary topics delete -t orders -t payments --if-exists'],
  produce: [
    "echo 'hello' | tributary produce -t orders",
    "printf 'k1:hello\\nk2:world\\n' | tributary produce -t orders -K : -H source=shell",
    'echo \'{"key":"k3","value":{"n":1},"headers":{"h":"v"}}\' | tributary produce -t orders --json',
    'tributary produce -t orders -f lines.txt -z zstd --acks 1',
  ],
  consume: [
    'tributary consume -t orders --from-beginning',
    "tributary consume -t orders --from-beginning -f '%t %p %o %k %s %h\\n'",
    'tributary consume -t orders -o -10 --json            # the last 10 records of each partition',
    'tributary consume -t orders -p 0 -o 42 -c 5',
    'tributary consume -t orders -g billing --follow      # as a group member; Ctrl-C commits and leaves',
  ],
  'share-groups': ['tributary share-groups list', 'tributary share-groups describe -g workers --members'],
  'share-groups list': ['tributary share-groups list', 'tributary share-groups list --json'],
  'share-groups describe': [
    'tributary share-groups describe -g workers              # state, epochs, member count',
    'tributary share-groups describe -g workers --members    # each member and its partitions',
    'tributary share-groups describe -g workers --offsets    # START-OFFSET and LAG per partition',
  ],
  'share-groups reset-offsets': [
    'tributary share-groups reset-offsets -g workers -t orders --to-earliest              # dry run: the plan',
    'tributary share-groups reset-offsets -g workers -t orders --to-offset 1200 --execute',
  ],
  'share-groups delete-offsets': ['tributary share-groups delete-offsets -g workers -t orders'],
  'share-groups delete': ['tributary share-groups delete -g workers', 'tributary share-groups delete -g a -g b'],
  groups: ['tributary groups list', 'tributary groups describe -g billing'],
  'groups list': ['tributary groups list', 'tributary groups list --json'],
  'groups describe': [
    'tributary groups describe -g billing                 # offsets and lag per partition',
    'tributary groups describe -g billing --members',
    'tributary groups describe -g billing --state',
  ],
  'groups reset-offsets': [
    'tributary groups reset-offsets -g billing --topic orders --to-earliest            # dry run',
    'tributary groups reset-offsets -g billing --topic orders:0,1 --shift-by -10 --execute',
    'tributary groups reset-offsets -g billing --all-topics --to-datetime 2025-01-01T00:00:00.000 --execute',
  ],
  'groups delete': ['tributary groups delete -g billing', 'tributary groups delete -g billing -g audit'],
  configs: [
    'tributary configs describe --topic orders',
    'tributary configs alter --topic orders --add-config retention.ms=3600000',
  ],
  'configs describe': [
    'tributary configs describe --topic orders',
    'tributary configs describe --topic orders --all --json',
    'tributary configs describe --broker 1 --all',
    'tributary configs describe --broker-default',
    'tributary configs describe --broker-logger 1',
    'tributary configs describe --group my-group --all',
    'tributary configs describe --entity-type brokers --entity-default',
  ],
  'configs alter': [
    'tributary configs alter --topic orders --add-config retention.ms=3600000,max.message.bytes=2000000',
    'tributary configs alter --topic orders --delete-config cleanup.policy',
    'tributary configs alter --topic orders --add-config cleanup.policy=[compact,delete] --validate-only',
    'tributary configs alter --broker 1 --add-config message.max.bytes=2097152',
    'tributary configs alter --broker-default --add-config log.retention.ms=3600000',
    'tributary configs alter --broker-logger 1 --add-config tributary.storage=DEBUG',
    'tributary configs alter --group my-group --add-config consumer.session.timeout.ms=50000',
  ],
  quotas: [
    'tributary quotas describe',
    'tributary quotas alter --user alice --add-config producer_byte_rate=1048576,consumer_byte_rate=2097152',
  ],
  'quotas describe': [
    'tributary quotas describe                                  # every quota',
    'tributary quotas describe --user alice                     # exactly the user alice',
    'tributary quotas describe --user alice --client-default    # alice with any client id without its own',
    'tributary quotas describe --entity-type users --json       # every user entity',
  ],
  'quotas alter': [
    'tributary quotas alter --user alice --add-config producer_byte_rate=1048576',
    'tributary quotas alter --user-default --add-config consumer_byte_rate=10485760,request_percentage=50',
    'tributary quotas alter --user alice --client app-1 --add-config controller_mutation_rate=10',
    'tributary quotas alter --entity-type clients --entity-name app-1 --delete-config producer_byte_rate',
    'tributary quotas alter --client-default --add-config producer_byte_rate=524288 --validate-only',
  ],
  cluster: ['tributary cluster describe'],
  'cluster describe': ['tributary cluster describe', 'tributary cluster describe --json -b broker1:9092'],
  dev: ['tributary dev cluster --brokers 3'],
  'dev cluster': [
    'tributary dev cluster                              # brokers 1-3 on 127.0.0.1:9092-9094',
    'tributary dev cluster -n 3 --port 19092 --override num.partitions=6',
  ],
  acls: [
    'tributary acls list',
    'tributary acls create --allow-principal User:alice --operation Read --operation Describe --topic orders',
    'tributary acls delete --allow-principal User:alice --topic orders',
  ],
  'acls list': [
    'tributary acls list                                # every ACL',
    'tributary acls list --topic orders                 # ACLs of the literal resource',
    'tributary acls list --topic orders --resource-pattern-type match   # every ACL that applies to it',
    'tributary acls list --principal User:alice --json',
  ],
  'acls create': [
    'tributary acls create --allow-principal User:alice --operation Read --topic orders --group billing',
    'tributary acls create --allow-principal User:bob --producer --topic orders',
    'tributary acls create --allow-principal User:carol --consumer --topic orders --group billing',
    'tributary acls create --allow-principal User:svc --operation All --topic app- --resource-pattern-type prefixed',
    'tributary acls create --deny-principal User:mallory --deny-host 10.0.0.7 --operation Write --topic orders',
    'tributary acls create --allow-principal User:ops --operation Alter --cluster --command-config admin.properties',
  ],
  'acls delete': [
    'tributary acls delete --topic orders                          # every literal ACL of the topic',
    'tributary acls delete --allow-principal User:alice --operation Read --topic orders',
  ],
  users: [
    'tributary users describe',
    'tributary users alter -u alice --mechanism SCRAM-SHA-512 --password-file alice.pw',
    'tributary users delete -u alice --mechanism SCRAM-SHA-512',
  ],
  'users describe': ['tributary users describe', 'tributary users describe -u alice --json'],
  'users alter': [
    'tributary users alter -u alice --mechanism SCRAM-SHA-512 --password alice-secret',
    'tributary users alter -u alice --mechanism SCRAM-SHA-256 --mechanism SCRAM-SHA-512 --password-file alice.pw',
    "tributary users alter -u alice --add-config 'SCRAM-SHA-512=[password=alice-secret,iterations=8192]'",
  ],
  'users delete': [
    'tributary users delete -u alice --mechanism SCRAM-SHA-512',
    'tributary users delete -u alice --delete-config SCRAM-SHA-256,SCRAM-SHA-512',
  ],
  perf: ['tributary perf produce -t perf -n 1000000 -s 1024', 'tributary perf consume -t perf -n 1000000'],
  'perf produce': [
    'tributary perf produce -t perf -n 1000000 -s 1024',
    'tributary perf produce -t perf -n 1000000 -s 1024 --producer-props acks=all linger.ms=5',
    'tributary perf produce -t perf -n 100000 -s 100 --throughput 10000 -z lz4 --json',
  ],
  'perf consume': [
    'tributary perf consume -t perf -n 1000000',
    'tributary perf consume -t perf -n 1000000 -g perf-group',
  ],
};

function path(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds an "Examples:" block after the help of every command in the tree that has examples and no text of its own. */
export function addExamples(cmd: Command): void {
  const examples = EXAMPLES[path(cmd)];
  // commander's Command is an EventEmitter (its typings do not say so); addHelpText listens to 'afterHelp'.
  if (examples && (cmd as unknown as EventEmitter).listenerCount('afterHelp') === 0)
    cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
  for (const sub of cmd.commands) addExamples(sub);
}
