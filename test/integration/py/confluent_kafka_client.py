"""confluent-kafka-python (python3-confluent-kafka, librdkafka) driver for test/integration/confluent-kafka.test.ts.

Usage: confluent_kafka_client.py BOOTSTRAP MODE TOPIC
  admin     create TOPIC (2 partitions, retention.ms=3600000), list it, describe its configs, delete it
  roundtrip for each codec: produce 200 keyed records with headers (acks=all) to TOPIC-<codec>, partition 0,
            then read them back with Consumer.assign (no subscribe, no commits)
Prints one JSON object on its last stdout line.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
N = 200


def admin(bootstrap, topic):
    client = AdminClient({'bootstrap.servers': bootstrap})
    futures = client.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1,
                                             config={'retention.ms': '3600000'})], operation_timeout=10)
    futures[topic].result(timeout=30)
    md = client.list_topics(timeout=10)
    listed = topic in md.topics
    partitions = sorted(md.topics[topic].partitions.keys()) if listed else []
    brokers = [{'id': b.id, 'host': b.host, 'port': b.port} for b in md.brokers.values()]
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = client.describe_configs([res])[res].result(timeout=30)
    config_values = {name: entry.value for name, entry in configs.items()}
    client.delete_topics([topic], operation_timeout=10)[topic].result(timeout=30)
    listed_after_delete = True
    deadline = time.time() + 15
    while time.time() < deadline:
        listed_after_delete = topic in client.list_topics(timeout=10).topics
        if not listed_after_delete:
            break
        time.sleep(0.2)
    return {'listed': listed, 'partitions': partitions, 'brokers': brokers, 'configs': config_values,
            'listedAfterDelete': listed_after_delete}


def roundtrip(bootstrap, base_topic, codec):
    topic = base_topic + '-' + codec
    # Create the topic explicitly (single partition); if CreateTopics fails, fall back on auto-creation.
    create_error = None
    try:
        client = AdminClient({'bootstrap.servers': bootstrap})
        client.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)],
                             operation_timeout=10)[topic].result(timeout=30)
    except Exception as e:  # noqa: BLE001 - reported in the result
        create_error = str(e)
    producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'compression.codec': codec,
                         'linger.ms': 5})
    reports = []

    def on_delivery(err, msg):
        reports.append({'error': str(err) if err else None, 'offset': msg.offset(), 'partition': msg.partition()})

    for i in range(N):
        while True:
            try:
                producer.produce(topic, key=('k%d' % i).encode(), value=('v%d-' % i + 'x' * (i % 50)).encode(),
                                 headers=[('h', ('%d' % i).encode()), ('codec', codec.encode())], partition=0,
                                 on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(30)

    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-assign-only',
                         'enable.auto.commit': False, 'enable.auto.offset.store': False,
                         'auto.offset.reset': 'earliest'})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    received = []
    errors = []
    deadline = time.time() + 30
    while len(received) < N and time.time() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF:
                errors.append(str(msg.error()))
            continue
        received.append({'offset': msg.offset(), 'key': msg.key().decode() if msg.key() is not None else None,
                         'value': msg.value().decode() if msg.value() is not None else None,
                         'headers': [[k, v.decode() if v is not None else None] for k, v in (msg.headers() or [])]})
    consumer.close()
    return {'codec': codec, 'createError': create_error, 'unflushed': remaining, 'reports': reports, 'received': received, 'errors': errors}


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == 'admin':
        result = admin(bootstrap, topic)
    elif mode == 'roundtrip':
        codec = sys.argv[4]
        result = roundtrip(bootstrap, topic, codec)
    else:
        raise SystemExit('unknown mode ' + mode)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
