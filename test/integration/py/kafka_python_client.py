"""kafka-python (python3-kafka) driver for test/integration/kafka-python.test.ts.

Usage: kafka_python_client.py BOOTSTRAP MODE [TOPIC]
  seed   the README example: produce {'number': i} for i in 0..99 to TOPIC, then read them back without a group
  group  the same, read back through a consumer group (group_id)
  admin  create TOPIC (3 partitions) with KafkaAdminClient, check it is listed, delete it, check it is gone
Prints one JSON object on its last stdout line.
"""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic


def seed(bootstrap, topic, group_id=None):
    producer = KafkaProducer(bootstrap_servers=[bootstrap],
                             value_serializer=lambda x: json.dumps(x).encode('utf-8'))
    futures = [producer.send(topic, value={'number': i}) for i in range(100)]
    producer.flush()
    sent = []
    for f in futures:
        md = f.get(timeout=30)
        sent.append([md.partition, md.offset])
    producer.close()

    kwargs = {}
    if group_id is not None:
        kwargs['group_id'] = group_id
    consumer = KafkaConsumer(topic,
                             bootstrap_servers=[bootstrap],
                             auto_offset_reset='earliest',
                             enable_auto_commit=False,
                             consumer_timeout_ms=10000,
                             value_deserializer=lambda x: json.loads(x.decode('utf-8')),
                             **kwargs)
    received = []
    for message in consumer:
        received.append({'partition': message.partition, 'offset': message.offset, 'value': message.value})
        if len(received) >= 100:
            break
    consumer.close()
    return {'sent': sent, 'received': received}


def admin(bootstrap, topic):
    client = KafkaAdminClient(bootstrap_servers=[bootstrap], client_id='tributary-interop')
    client.create_topics([NewTopic(name=topic, num_partitions=3, replication_factor=1)])
    listed_after_create = topic in client.list_topics()
    described = client.describe_topics([topic])
    partitions = sorted(p['partition'] for p in described[0]['partitions']) if described else []
    client.delete_topics([topic])
    listed_after_delete = True
    deadline = time.time() + 15
    while time.time() < deadline:
        listed_after_delete = topic in client.list_topics()
        if not listed_after_delete:
            break
        time.sleep(0.2)
    client.close()
    return {'listedAfterCreate': listed_after_create, 'partitions': partitions,
            'listedAfterDelete': listed_after_delete}


def main():
    bootstrap, mode = sys.argv[1], sys.argv[2]
    topic = sys.argv[3] if len(sys.argv) > 3 else 'numtest'
    if mode == 'seed':
        result = seed(bootstrap, topic)
    elif mode == 'group':
        result = seed(bootstrap, topic, group_id='tributary-interop-group')
    elif mode == 'admin':
        result = admin(bootstrap, topic)
    else:
        raise SystemExit('unknown mode ' + mode)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
