// A ZooKeeper session owner in its own process, for the zombie test in zookeeper-client.test.ts: it creates an
// ephemeral node and keeps writing it every 50 ms, printing one JSON line per state change and per write result, so
// the test can SIGSTOP it past its session timeout and watch what it does after SIGCONT.
// Usage: node session-owner.ts <connect string> <path> <session timeout ms>
import { CoordinationError } from '../../../src/cluster/coordination/store.ts';
import { ZooKeeperStore } from '../../../src/cluster/coordination/zookeeper/index.ts';

const [connect, path, timeout] = process.argv.slice(2);
if (connect === undefined || path === undefined || timeout === undefined) {
  console.error('usage: session-owner.ts <connect string> <path> <session timeout ms>');
  process.exit(2);
}
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const session = await new ZooKeeperStore(connect).connect({ sessionTimeoutMs: Number(timeout) });
session.onStateChange((state) => print({ state }));
await session.create(path, new TextEncoder().encode('owner'), 'ephemeral');
print({ ready: true, sessionId: session.sessionId.toString() });
let n = 0;
setInterval(() => {
  const seq = ++n;
  session.setData(path, new TextEncoder().encode(`write ${seq}`)).then(
    () => print({ write: 'ok', seq }),
    (e: unknown) => print({ write: e instanceof CoordinationError ? e.code : String(e), seq }),
  );
}, 50);
