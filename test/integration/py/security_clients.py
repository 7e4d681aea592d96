"""Security driver for test/integration/security-*.test.ts: confluent-kafka (librdkafka) and kafka-python over
SSL, mTLS and SASL.

Usage: security_clients.py CLIENT SPEC_JSON
  CLIENT     confluent | kafka-python
  SPEC_JSON  {"bootstrap": ..., "topic": ..., "n": 20, "group": "g" or null, "security": {...}}
             security: {"protocol": "SSL"|"SASL_SSL"|"SASL_PLAINTEXT", "ca": path, "cert": path, "key": path,
                        "mechanism": "PLAIN"|"SCRAM-SHA-256"|"SCRAM-SHA-512", "user": ..., "password": ...}
                        (confluent only: "mechanism": "OAUTHBEARER", "oauthConfig": "principal=alice")
Produces n records to partition 0 of topic, then reads them back (through the group when one is given).
Prints one JSON object on its last stdout line: {"produced": [offsets], "consumed": [values], "error": str|null}.
"""
import json
import logging
import sys
import time


def confluent(spec):
    from confluent_kafka import Consumer, KafkaException, Producer
    sec = spec['security']
    conf = {'bootstrap.servers': spec['bootstrap'], 'security.protocol': sec['protocol']}
    if 'ca' in sec:
        conf['ssl.ca.location'] = sec['ca']
    if 'cert' in sec:
        conf['ssl.certificate.location'] = sec['cert']
        conf['ssl.key.location'] = sec['key']
    if sec.get('mechanism') == 'OAUTHBEARER':
        # librdkafka's built-in unsecured JWT (alg none), e.g. oauthConfig "principal=alice".
        conf.update({'sasl.mechanism': 'OAUTHBEARER', 'enable.sasl.oauthbearer.unsecure.jwt': True,
                     'sasl.oauthbearer.config': sec['oauthConfig']})
    elif 'mechanism' in sec:
        conf.update({'sasl.mechanism': sec['mechanism'], 'sasl.username': sec['user'],
                     'sasl.password': sec['password']})
    errors = []
    conf['error_cb'] = lambda e: errors.append(str(e))
    producer = Producer(dict(conf, **{'message.timeout.ms': 15000}))
    produced = []
    failed = []

    def report(err, msg):
        if err is not None:
            failed.append(err.str())
        else:
            produced.append(msg.offset())
    for i in range(spec['n']):
        producer.produce(spec['topic'], value=('v%d' % i).encode(), partition=0, on_delivery=report)
    producer.flush(20)
    if failed or not produced:
        # The delivery report says "Message timed out"; the reason (an authentication failure) is in error_cb.
        return {'produced': produced, 'consumed': [], 'error': '; '.join((failed + errors)[:4]) or 'nothing produced'}
    cconf = dict(conf, **{'group.id': spec.get('group') or 'security-test', 'auto.offset.reset': 'earliest',
                          'enable.auto.commit': False})
    consumer = Consumer(cconf)
    if spec.get('group'):
        consumer.subscribe([spec['topic']])
    else:
        from confluent_kafka import TopicPartition
        consumer.assign([TopicPartition(spec['topic'], 0, 0)])
    consumed = []
    error = None
    deadline = time.time() + 30
    while len(consumed) < spec['n'] and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            error = m.error().str()
            break
        consumed.append(m.value().decode())
    if spec.get('group') and error is None:
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as e:
            error = str(e)
    consumer.close()
    return {'produced': produced, 'consumed': consumed, 'error': error}


class _Collect(logging.Handler):
    """Keeps kafka-python's warnings: a failed authentication surfaces only there (the exception is just
    NoBrokersAvailable)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def kafka_python(spec):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    logs = _Collect()
    logging.getLogger('kafka').addHandler(logs)
    sec = spec['security']
    conf = {'bootstrap_servers': [spec['bootstrap']], 'security_protocol': sec['protocol']}
    if 'ca' in sec:
        conf.update({'ssl_cafile': sec['ca'], 'ssl_check_hostname': True})
    if 'cert' in sec:
        conf.update({'ssl_certfile': sec['cert'], 'ssl_keyfile': sec['key']})
    if 'mechanism' in sec:
        conf.update({'sasl_mechanism': sec['mechanism'], 'sasl_plain_username': sec['user'],
                     'sasl_plain_password': sec['password']})
    try:
        producer = KafkaProducer(max_block_ms=15000, **conf)
        futures = [producer.send(spec['topic'], value=('v%d' % i).encode(), partition=0) for i in range(spec['n'])]
        producer.flush(20)
        produced = [f.get(timeout=20).offset for f in futures]
        producer.close()
    except Exception as e:  # noqa: BLE001 - the test reads the error's name and message
        keys = ('uthorized', 'uthorization', 'uthentication failed', 'SASL', 'SCRAM')
        auth = [m for m in logs.messages if any(k in m for k in keys)][:3] or logs.messages[:3]
        return {'produced': [], 'consumed': [], 'error': '; '.join(['%s: %s' % (type(e).__name__, e)] + auth)}
    consumed = []
    error = None
    try:
        if spec.get('group'):
            consumer = KafkaConsumer(spec['topic'], group_id=spec['group'], auto_offset_reset='earliest',
                                     enable_auto_commit=False, consumer_timeout_ms=15000, **conf)
        else:
            consumer = KafkaConsumer(auto_offset_reset='earliest', consumer_timeout_ms=15000, **conf)
            consumer.assign([TopicPartition(spec['topic'], 0)])
        for m in consumer:
            consumed.append(m.value.decode())
            if len(consumed) >= spec['n']:
                break
        if spec.get('group'):
            consumer.commit()
        consumer.close()
    except Exception as e:  # noqa: BLE001
        error = '%s: %s' % (type(e).__name__, e)
    return {'produced': produced, 'consumed': consumed, 'error': error}


if __name__ == '__main__':
    spec = json.loads(sys.argv[2])
    result = confluent(spec) if sys.argv[1] == 'confluent' else kafka_python(spec)
    print(json.dumps(result))
