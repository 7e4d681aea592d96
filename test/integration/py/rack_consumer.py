"""A confluent-kafka (librdkafka) consumer with client.rack, for test/integration/replication-follower-fetch.test.ts:
it reads partition 0 of TOPIC from offset 0 until COUNT records have arrived (or 60 s pass) and prints one JSON
object: the librdkafka version and the records' offsets and values.

Usage: rack_consumer.py BOOTSTRAP TOPIC COUNT RACK
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, TopicPartition


def main():
    bootstrap, topic, count, rack = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': 'rack-consumer',
        'client.id': 'rack-consumer',
        'client.rack': rack,
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'fetch.wait.max.ms': 200,
    })
    c.assign([TopicPartition(topic, 0, 0)])
    offsets, values, errors = [], [], []
    deadline = time.time() + 60
    while len(offsets) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            errors.append(m.error().str())
            continue
        offsets.append(m.offset())
        values.append(m.value().decode())
    c.close()
    print(json.dumps({'librdkafka': confluent_kafka.libversion()[0], 'offsets': offsets, 'values': values,
                      'errors': errors}))


if __name__ == '__main__':
    main()
