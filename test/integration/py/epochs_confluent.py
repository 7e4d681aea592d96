"""A current librdkafka (confluent-kafka from PyPI) against the leader-epoch and record-error protocol paths, for
test/integration/leader-epochs.test.ts.

Usage: epochs_confluent.py BOOTSTRAP MODE TOPIC
  record-errors  create TOPIC compacted; produce keyed, keyless, keyed, keyless in one batch; report each delivery
                 (librdkafka maps record_errors to INVALID_RECORD on the bad records, _INVALID_DIFFERENT_RECORD on the
                 others; the per-record message itself is not exposed to the Python binding)
  validate       create TOPIC; produce 10 records; consume them; seek with leader epoch 0 to offset 5 (validated
                 by OffsetForLeaderEpoch, consumed from), then to offset 20 (past the end of epoch 0: a truncation)
Prints one JSON object on its last stdout line.
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def create(bootstrap, topic, config):
    client = AdminClient({'bootstrap.servers': bootstrap})
    client.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=config)],
                         operation_timeout=10)[topic].result(timeout=30)


def record_errors(bootstrap, topic):
    create(bootstrap, topic, {'cleanup.policy': 'compact'})
    reports = []

    def on_delivery(err, msg):
        reports.append({'value': msg.value().decode(), 'offset': msg.offset(),
                        'error': None if err is None else {'code': err.code(), 'name': err.name(), 'str': err.str()}})

    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 200})
    for i, key in enumerate([b'k0', None, b'k2', None]):
        p.produce(topic, key=key, value=f'v{i}'.encode(), partition=0, on_delivery=on_delivery)
    p.flush(30)
    p.produce(topic, key=b'k4', value=b'after', partition=0, on_delivery=on_delivery)
    p.flush(30)
    return {'reports': sorted(reports, key=lambda r: r['value'])}


def poll_until(consumer, want, seconds=20):
    got, errors = [], []
    deadline = time.time() + seconds
    while time.time() < deadline and len(got) < want and not errors:
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error():
            errors.append({'code': m.error().code(), 'name': m.error().name(), 'str': m.error().str()})
        else:
            got.append({'offset': m.offset(), 'leader_epoch': m.leader_epoch()})
    return got, errors


def validate(bootstrap, topic):
    create(bootstrap, topic, {})
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all'})
    for i in range(10):
        p.produce(topic, key=f'k{i}'.encode(), value=f'v{i}'.encode(), partition=0)
    p.flush(30)
    out = {}
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': f'{topic}-g', 'enable.auto.commit': False,
                  'auto.offset.reset': 'error'})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got, errors = poll_until(c, 10)
        out['start'] = {'records': len(got), 'errors': errors}
        # librdkafka validates a position that carries a leader epoch when it is seek()ed to.
        c.seek(TopicPartition(topic, 0, 5, leader_epoch=0))
        got, errors = poll_until(c, 5)
        out['valid'] = {'records': got, 'errors': errors}
        c.seek(TopicPartition(topic, 0, 20, leader_epoch=0))
        got, errors = poll_until(c, 1)
        out['past_epoch'] = {'records': got, 'errors': errors}
    finally:
        c.close()
    return out


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    result = record_errors(bootstrap, topic) if mode == 'record-errors' else validate(bootstrap, topic)
    result['librdkafka'] = confluent_kafka.libversion()[0]
    print(json.dumps(result))


if __name__ == '__main__':
    main()
