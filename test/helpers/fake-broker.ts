// A stand-in broker for the harness's own tests (test/integration/harness.test.ts): takes the same command line as
// `src/cli/main.ts broker`, logs to stderr, answers ApiVersions with an empty v0 response, stops on SIGTERM.
// `--override fake.mode=exit` exits with code 3 at once; `fake.mode=silent` accepts connections but never answers.
import net from 'node:net';

const overrides = new Map<string, string>();
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--override') {
    const kv = argv[++i] ?? '';
    const eq = kv.indexOf('=');
    overrides.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
}
const mode = overrides.get('fake.mode') ?? 'ok';
const listener = overrides.get('listeners') ?? '';
const m = /^PLAINTEXT:\/\/([^:]+):(\d+)$/.exec(listener);
if (m === null) {
  process.stderr.write(`fake-broker: bad listeners=${listener}\n`);
  process.exit(2);
}
process.stderr.write(`fake-broker: starting mode=${mode} log.dirs=${overrides.get('log.dirs')}\n`);
if (mode === 'exit') {
  process.stderr.write('fake-broker: FATAL simulated startup failure\n');
  process.exit(3);
}

const server = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('error', () => {});
  sock.on('data', (chunk: Buffer) => {
    if (mode === 'silent') return;
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0);
      const correlationId = buf.readInt32BE(8);
      buf = buf.subarray(4 + size);
      const res = Buffer.alloc(4 + 4 + 2 + 4);
      res.writeInt32BE(10, 0);
      res.writeInt32BE(correlationId, 4);
      res.writeInt16BE(0, 8); // error_code
      res.writeInt32BE(0, 10); // api_keys: empty array
      sock.write(res);
    }
  });
});
server.listen(Number(m[2]), m[1], () => process.stderr.write(`fake-broker: listening on ${listener}\n`));
server.on('error', (err) => {
  process.stderr.write(`fake-broker: listen failed: ${err.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  process.stderr.write('fake-broker: SIGTERM, shutting down\n');
  server.close();
  process.exit(0);
});
