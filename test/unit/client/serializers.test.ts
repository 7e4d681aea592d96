import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBootstrap } from '../../../src/client/cluster.ts';
import {
  jsonDeserializer,
  jsonSerializer,
  stringDeserializer,
  stringSerializer,
} from '../../../src/client/serializers.ts';

test('JSON and string serializers round-trip; null stays null', () => {
  const v = { number: 7, list: ['a'] };
  assert.deepEqual(jsonDeserializer(jsonSerializer(v, 't'), 't'), v);
  assert.equal(stringDeserializer(stringSerializer('héllo', 't'), 't'), 'héllo');
  assert.equal(stringSerializer(null, 't'), null);
  assert.equal(jsonDeserializer(null, 't'), null);
});

test('bootstrap servers: lists, default port, listener prefixes, IPv6', () => {
  assert.deepEqual(parseBootstrap('a:1, b'), [
    { host: 'a', port: 1 },
    { host: 'b', port: 9092 },
  ]);
  assert.deepEqual(parseBootstrap(['PLAINTEXT://h:9093']), [{ host: 'h', port: 9093 }]);
  assert.deepEqual(parseBootstrap('[::1]:9092'), [{ host: '::1', port: 9092 }]);
  assert.deepEqual(parseBootstrap(undefined), [{ host: 'localhost', port: 9092 }]);
  assert.throws(() => parseBootstrap(''), /no bootstrap/);
});
