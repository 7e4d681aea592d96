"""Driver for test/integration/replication-zookeeper.test.ts: an idempotent acks=all confluent-kafka producer.

Usage: replication_producer.py BOOTSTRAP TOPIC COUNT SECONDS
  Produces the values 0..COUNT-1 (as decimal strings) to partition 0 of TOPIC, a few at a time, spread over about
  SECONDS, with enable.idempotence (acks=all, in order, retried through leader changes); then flushes. Prints one JSON
  object on its last stdout line: the values acknowledged, and the delivery errors by name.
Then (mode 'read'): replication_producer.py BOOTSTRAP TOPIC read
  Reads partition 0 from the beginning to its end and prints the values and their offsets.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic = sys.argv[1], sys.argv[2]

if sys.argv[3] == 'read':
    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'replication-check', 'enable.auto.commit': False,
                         'enable.partition.eof': True, 'isolation.level': 'read_uncommitted'})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    values, offsets = [], []
    deadline = time.time() + 60
    while time.time() < deadline:
        m = consumer.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            continue
        values.append(int(m.value().decode()))
        offsets.append(m.offset())
    consumer.close()
    print(json.dumps({'values': values, 'offsets': offsets}))
    sys.exit(0)

count, seconds = int(sys.argv[3]), float(sys.argv[4])
producer = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all',
                     'linger.ms': 5, 'message.timeout.ms': 120000, 'retry.backoff.ms': 100})
acked, errors = [], {}


def on_delivery(err, msg):
    if err is None:
        acked.append(int(msg.value().decode()))
    else:
        errors[err.name()] = errors.get(err.name(), 0) + 1


start = time.time()
for i in range(count):
    # Paced: value i goes out at about start + i * seconds / count.
    while time.time() < start + i * seconds / count:
        producer.poll(0.01)
    while True:
        try:
            producer.produce(topic, value=str(i), partition=0, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
left = producer.flush(120)
print(json.dumps({'acked': acked, 'errors': errors, 'unflushed': left}))
