"""librdkafka's share consumer (KIP-932, confluent-kafka's ShareConsumer: confluent-kafka from PyPI, librdkafka
2.16+), for test/integration/share-clients.test.ts. The same scenarios as test/integration/java/ShareClient.java.

Usage: share_confluent.py BOOTSTRAP SCENARIO TOPIC GROUP
  split  two share consumers of one group (implicit acknowledgement), polled in turn, read every record of a
         one-partition topic between them.
  acks   one consumer in explicit mode: offset % 3 == 0 ACCEPT, == 1 REJECT, == 2 RELEASE (every time).
Creates the topic, sets the group's share.auto.offset.reset=earliest (a GROUP config), produces the records, and
prints one line `RESULT {json}`: {"consumers": [[offsets], [offsets]]} or {"deliveries": [[offset, count], ...]}.
"""
import json
import sys
import time

from confluent_kafka import AcknowledgeType, Producer, ShareConsumer
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)


def prepare(bootstrap, topic, group, records):
    admin = AdminClient({'bootstrap.servers': bootstrap})
    for f in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        f.result(30)
    res = ConfigResource(
        ResourceType.GROUP,
        group,
        incremental_configs=[ConfigEntry('share.auto.offset.reset', 'earliest',
                                         incremental_operation=AlterConfigOpType.SET)],
    )
    for f in admin.incremental_alter_configs([res]).values():
        f.result(30)
    # Batches of 10: a share fetch acquires whole stored batches (batch-optimized, as Kafka's brokers do), so two
    # consumers can only split the partition between them when it holds several batches.
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5})
    for i in range(records):
        p.produce(topic, value=('r%d' % i).encode())
        if i % 10 == 9:
            assert p.flush(30) == 0, 'records left unsent'
    assert p.flush(30) == 0, 'records left unsent'


def consumer(bootstrap, group, client_id, explicit):
    # Small polls, so both consumers of the split scenario get work.
    conf = {'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': client_id, 'max.poll.records': 10}
    if explicit:
        conf['share.acknowledgement.mode'] = 'explicit'
    return ShareConsumer(conf)


def split(bootstrap, topic, group, records):
    consumers = [consumer(bootstrap, group, 'share-%d' % i, False) for i in range(2)]
    got = [[], []]
    for c in consumers:
        c.subscribe([topic])
    deadline = time.time() + 90
    while len(set(got[0]) | set(got[1])) < records and time.time() < deadline:
        for i, c in enumerate(consumers):
            for m in c.poll(0.3):
                if m.error():
                    raise RuntimeError(str(m.error()))
                assert m.value() == ('r%d' % m.offset()).encode(), 'wrong value at %d' % m.offset()
                got[i].append(m.offset())
            c.commit_sync()
        time.sleep(0.1)
    for c in consumers:
        c.close()
    return {'consumers': got}


def acks(bootstrap, topic, group, records):
    c = consumer(bootstrap, group, 'share-acks', True)
    c.subscribe([topic])
    deliveries = []
    deadline = time.time() + 90
    quiet_since = time.time()
    while time.time() < deadline:
        batch = c.poll(0.3)
        if len(batch) == 0:
            # Done once records came and nothing more for 3 s (released ones come back at once).
            if deliveries and time.time() - quiet_since > 3:
                break
            continue
        quiet_since = time.time()
        for m in batch:
            if m.error():
                raise RuntimeError(str(m.error()))
            deliveries.append([m.offset(), m.delivery_count()])
            kind = m.offset() % 3
            c.acknowledge(m, AcknowledgeType.ACCEPT if kind == 0 else
                          AcknowledgeType.REJECT if kind == 1 else AcknowledgeType.RELEASE)
        c.commit_sync()
    c.close()
    return {'deliveries': deliveries}


def main():
    bootstrap, scenario, topic, group = sys.argv[1:5]
    records = 400 if scenario == 'split' else 12
    prepare(bootstrap, topic, group, records)
    result = split(bootstrap, topic, group, records) if scenario == 'split' else acks(bootstrap, topic, group, records)
    sys.stdout.write('RESULT ' + json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
