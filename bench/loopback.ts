// Loopback TCP ceiling: one connection, a Node writer in this process and a Node sink in a child process, one-way.
// Usage: node bench/loopback.ts [seconds] [chunkBytes]  → prints {"mbPerSec":..,"chunkBytes":..,"seconds":..}
import { fork } from 'node:child_process';
import net from 'node:net';

if (process.argv[2] === '--sink') {
  const server = net.createServer((s) => {
    let bytes = 0;
    s.on('data', (d) => {
      bytes += d.length;
    });
    s.on('end', () => {
      process.send?.({ bytes });
      server.close();
      process.disconnect();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address() as net.AddressInfo;
    process.send?.({ port: addr.port });
  });
} else {
  const seconds = Number(process.argv[2] ?? 3);
  const chunkBytes = Number(process.argv[3] ?? 1 << 20);
  const child = fork(import.meta.filename, ['--sink']);
  const port: number = await new Promise((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => sock.once('connect', resolve));
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (performance.now() < deadline) {
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  const done: Promise<{ bytes: number }> = new Promise((resolve) => child.on('message', resolve));
  sock.end();
  const { bytes } = await done;
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ mbPerSec: bytes / secs / 1048576, chunkBytes, seconds: secs }));
}
