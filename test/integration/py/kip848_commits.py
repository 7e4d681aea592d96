"""Offset commits from librdkafka consumers using the consumer group protocol (KIP-848, group.protocol=consumer),
for test/integration/kip848-commits.test.ts. Needs a librdkafka with KIP-848 (2.12+: confluent-kafka from PyPI).

Usage: kip848_commits.py BOOTSTRAP MODE TOPIC GROUP
  assign       manual assign() of partition 0 (the consumer never joins the group), read 5 records, commit
               synchronously, then commit an explicit offset 3 for partition 1.
  member       subscribe(), poll until partitions are assigned and 5 records are read, commit synchronously.
Prints one JSON object per line: {"committed": [[partition, offset, error-or-null], ...]} after each commit, and
{"fetched": [[partition, offset], ...]} with the group's committed offsets read back at the end.
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, TopicPartition


def out(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def report(result):
    out({'committed': [[tp.partition, tp.offset, str(tp.error) if tp.error else None] for tp in result]})


def commit(c, **kw):
    try:
        report(c.commit(asynchronous=False, **kw))
    except KafkaException as e:
        out({'commit_error': str(e.args[0])})


def read(c, n, deadline_s=30):
    got = 0
    end = time.time() + deadline_s
    while got < n and time.time() < end:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            out({'error': str(m.error())})
            continue
        got += 1
    return got


def main():
    bootstrap, mode, topic, group = sys.argv[1:5]
    out({'librdkafka': confluent_kafka.libversion()[0]})
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'group.protocol': 'consumer',
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    if mode == 'assign':
        c.assign([TopicPartition(topic, 0, 0)])
        out({'read': read(c, 5)})
        commit(c)
        commit(c, offsets=[TopicPartition(topic, 1, 3)])
    elif mode == 'member':
        c.subscribe([topic])
        out({'read': read(c, 5)})
        commit(c)
    fetched = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
    out({'fetched': [[tp.partition, tp.offset] for tp in fetched]})
    c.close()


main()
