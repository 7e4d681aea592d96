// interBrokerSecurity: the inter-broker listener's protocol, Kafka's keys → the connection settings every
// inter-broker sender uses; credentials and stores that cannot work are config errors naming the key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBrokerConfig } from '../../../src/config/broker-config.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { interBrokerSecurity } from '../../../src/node/inter-broker.ts';
import { makeCerts } from '../../helpers/certs.ts';

const cfg = (extra: string[]) =>
  loadBrokerConfig({
    env: {},
    hostname: 'h',
    overrides: [
      'listeners=PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9093',
      'zookeeper.connect=127.0.0.1:2181',
      'broker.id=1',
      ...extra,
    ],
  });
const SCRAM_JAAS =
  'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker1" password="b1-secret";';

describe('interBrokerSecurity', () => {
  it('PLAINTEXT: nothing to secure', () => {
    assert.deepEqual(
      interBrokerSecurity(
        cfg([
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SSL',
          'inter.broker.listener.name=PLAINTEXT',
        ]),
      ),
      {},
    );
  });

  it('SASL_PLAINTEXT: the inter-broker mechanism with the listener login context credentials', () => {
    const c = cfg([
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
      'inter.broker.listener.name=INTERNAL',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      'listener.name.internal.sasl.enabled.mechanisms=SCRAM-SHA-512',
      `listener.name.internal.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`,
    ]);
    assert.deepEqual(interBrokerSecurity(c), {
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'broker1', password: 'b1-secret' },
    });
    // The broker-wide sasl.jaas.config is the last fallback.
    const wide = cfg([
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
      'inter.broker.listener.name=INTERNAL',
      'sasl.enabled.mechanisms=PLAIN',
      'sasl.mechanism.inter.broker.protocol=PLAIN',
      'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="p" user_a="p";',
    ]);
    assert.deepEqual(interBrokerSecurity(wide).sasl, { mechanism: 'PLAIN', username: 'a', password: 'p' });
  });

  it('SASL without usable credentials is a config error naming the key (never the password)', () => {
    const base = [
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
      'inter.broker.listener.name=INTERNAL',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256',
      'listener.name.internal.sasl.enabled.mechanisms=SCRAM-SHA-256',
    ];
    assert.throws(
      () => interBrokerSecurity(cfg(base)),
      (e: ConfigError) => e instanceof ConfigError && /scram-sha-256\.sasl\.jaas\.config/.test(e.message),
    );
    const noPassword =
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker1" secret="x";';
    assert.throws(
      () => interBrokerSecurity(cfg([...base, `listener.name.internal.scram-sha-256.sasl.jaas.config=${noPassword}`])),
      (e: ConfigError) => /no username=.* password=/.test(e.message) && !e.message.includes('broker1'),
    );
    const plainModule = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="b" password="x";';
    assert.throws(
      () => interBrokerSecurity(cfg([...base, `listener.name.internal.scram-sha-256.sasl.jaas.config=${plainModule}`])),
      /SCRAM-SHA-256 needs org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule/,
    );
  });

  it('SASL_SSL: the listener trust store verifies peers, its key store is the client certificate', () => {
    const certs = makeCerts();
    const tls = [
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL',
      'inter.broker.listener.name=INTERNAL',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      'listener.name.internal.sasl.enabled.mechanisms=SCRAM-SHA-512',
      `listener.name.internal.scram-sha-512.sasl.jaas.config=${SCRAM_JAAS}`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${certs.brokerKeystore}`,
      'listener.name.internal.ssl.truststore.type=PEM',
      `listener.name.internal.ssl.truststore.location=${certs.caCert}`,
    ];
    const s = interBrokerSecurity(cfg(tls));
    const ssl = s.ssl as Exclude<typeof s.ssl, boolean | undefined>;
    assert.match(String(ssl.ca), /BEGIN CERTIFICATE/);
    assert.match(String(ssl.cert), /BEGIN CERTIFICATE/);
    assert.ok(ssl.key !== undefined);
    assert.equal(ssl.rejectUnauthorized, true);
    assert.equal(ssl.skipHostnameCheck, false);
    const noHostCheck = interBrokerSecurity(cfg([...tls, 'ssl.endpoint.identification.algorithm=']));
    assert.equal((noHostCheck.ssl as { skipHostnameCheck: boolean }).skipHostnameCheck, true);
    // A TLS inter-broker listener without a key store fails as the listener itself would.
    assert.throws(
      () => interBrokerSecurity(cfg(tls.filter((k) => !k.startsWith('ssl.keystore')))),
      (e: ConfigError) => e instanceof ConfigError && /ssl\.keystore\.location/.test(e.message),
    );
  });
});
