// The server end to end in-process: framing, version negotiation, unsupported APIs, malformed frames.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../../src/client/connection.ts';
import { type RunningBroker, startBroker } from '../../../src/index.ts';
import { ApiKey } from '../../../src/protocol/apis.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import type { ApiVersionsResponse, MetadataResponse } from '../../../src/protocol/generated/messages.ts';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ config: { 'socket.request.max.bytes': '100000' } });
});
after(async () => {
  await broker.stop();
});

async function conn(): Promise<BrokerConnection> {
  return BrokerConnection.open('127.0.0.1', broker.port, 'test');
}

test('ApiVersions v3 lists the served APIs; a too-new version gets a v0 answer with UNSUPPORTED_VERSION', async () => {
  const c = await conn();
  const r = await c.send<ApiVersionsResponse>(ApiKey.ApiVersions, 3, {
    clientSoftwareName: 'test',
    clientSoftwareVersion: '1.0',
  });
  assert.equal(r.errorCode, ErrorCode.NONE);
  const produce = r.apiKeys.find((k) => k.apiKey === ApiKey.Produce);
  assert.deepEqual([produce?.minVersion, produce?.maxVersion], [0, 13]);
  // A version above what we know: raw bytes, header v2 (flexible), version 99.
  const raw = await rawRequest(Buffer.from([0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff, 0]));
  assert.equal(raw.readInt32BE(0), 7); // correlation id, response header v0
  assert.equal(raw.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
  c.close();
});

test('pipelined requests are answered in order', async () => {
  const c = await conn();
  const rs = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      c.send<MetadataResponse>(ApiKey.Metadata, i % 13, { topics: [], allowAutoTopicCreation: false }),
    ),
  );
  for (const r of rs) assert.equal(r.brokers.length, 1);
  c.close();
});

test('an oversized frame closes only that connection', async () => {
  const bad = Buffer.alloc(4);
  bad.writeInt32BE(200000);
  await new Promise<void>((resolve) => {
    const s = connect(broker.port, '127.0.0.1', () => s.write(bad));
    s.on('close', () => resolve());
    s.on('error', () => {});
  });
  const c = await conn();
  const r = await c.send<MetadataResponse>(ApiKey.Metadata, 1, { topics: null });
  assert.equal(r.brokers.length, 1);
  c.close();
});

test('a malformed request body closes the connection', async () => {
  // Metadata v1 whose topic array claims 1000000 entries in a few bytes.
  const body = Buffer.from([0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xff, 0x00, 0x0f, 0x42, 0x40]);
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect(broker.port, '127.0.0.1', () => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      s.write(Buffer.concat([size, body]));
    });
    s.on('data', () => resolve(false));
    s.on('close', () => resolve(true));
    s.on('error', () => {});
  });
  assert.equal(closed, true);
});

test('an API we do not serve answers UNSUPPORTED_VERSION when its response has an error code', async () => {
  const c = await conn();
  // DescribeDelegationToken (41) v1: top-level errorCode.
  const r = await c.send<{ errorCode: number }>(41, 1, { owners: null });
  assert.equal(r.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  c.close();
});

test('DescribeAcls without an authorizer answers SECURITY_DISABLED, as Kafka', async () => {
  const c = await conn();
  const r = await c.send<{ errorCode: number; errorMessage: string }>(29, 1, {
    resourceTypeFilter: 1,
    patternTypeFilter: 3,
    operation: 1,
    permissionType: 1,
  });
  assert.equal(r.errorCode, ErrorCode.SECURITY_DISABLED);
  assert.equal(r.errorMessage, 'No Authorizer is configured on the broker');
  c.close();
});

function rawRequest(payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(broker.port, '127.0.0.1', () => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(payload.length);
      s.write(Buffer.concat([size, payload]));
    });
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        s.destroy();
        resolve(buf.subarray(4));
      }
    });
    s.on('error', reject);
  });
}
