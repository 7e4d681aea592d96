"""confluent-kafka helper for the log tests (retention, compaction, crash). One JSON line at the end on stdout.

  create BOOTSTRAP TOPIC PARTITIONS key=value...     create a topic with configs
  alter BOOTSTRAP TOPIC key=value...                 AlterConfigs on a topic
  produce BOOTSTRAP TOPIC JSON_RECORDS               [[key, value], ...] (null value = tombstone), acks=all
  read BOOTSTRAP TOPIC                               partition 0 from the beginning to the high watermark
  crashload BOOTSTRAP TOPIC N IDEMPOTENT READY_FILE  producer (acks=all) + concurrent consumer; the broker is
                                                     killed meanwhile; reports acks, failures and what was read
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic


def out(obj):
    print(json.dumps(obj), flush=True)


def kv(args):
    return dict(a.split('=', 1) for a in args)


def create(bootstrap, topic, partitions, *cfgs):
    admin = AdminClient({'bootstrap.servers': bootstrap})
    fs = admin.create_topics([NewTopic(topic, int(partitions), 1, config=kv(cfgs))])
    fs[topic].result(30)
    out({'ok': True})


def alter(bootstrap, topic, *cfgs):
    admin = AdminClient({'bootstrap.servers': bootstrap})
    res = ConfigResource('topic', topic, set_config=kv(cfgs))
    for f in admin.alter_configs([res]).values():
        f.result(30)
    out({'ok': True})


def produce(bootstrap, topic, records):
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 0})
    errors = []

    def cb(err, msg):
        if err is not None:
            errors.append(str(err))

    for item in json.loads(records):
        k, v = item[0], item[1]
        ts = item[2] if len(item) > 2 else 0  # 0: now
        p.produce(topic, key=None if k is None else k.encode(), value=None if v is None else v.encode(),
                  timestamp=ts, callback=cb)
        p.poll(0)
    left = p.flush(30)
    out({'errors': errors, 'unflushed': left})


def read(bootstrap, topic):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'log-read', 'enable.auto.commit': False,
                  'enable.partition.eof': True, 'auto.offset.reset': 'earliest'})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    c.assign([TopicPartition(topic, 0, low)])
    recs = []
    deadline = time.time() + 30
    while time.time() < deadline and high > low:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                break
            out({'error': str(m.error())})
            return
        k = m.key()
        v = m.value()
        recs.append([m.offset(), None if k is None else k.decode(), None if v is None else v.decode()])
        if m.offset() >= high - 1:
            break
    c.close()
    out({'low': low, 'high': high, 'records': recs})


def crashload(bootstrap, topic, n, idempotent, ready_file):
    n = int(n)
    conf = {'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 5, 'batch.size': 16384, 'message.timeout.ms': 120000,
            'retry.backoff.ms': 200, 'reconnect.backoff.max.ms': 1000, 'socket.timeout.ms': 5000}
    if idempotent == '1':
        conf['enable.idempotence'] = True
    else:
        conf['max.in.flight.requests.per.connection'] = 1  # retries can duplicate but not reorder
    p = Producer(conf)
    acked = {}
    failed = []
    consumed = []
    consumer_errors = []
    stop = threading.Event()

    def cb(err, msg):
        i = int(msg.value().decode())
        if err is None:
            acked[i] = msg.offset()
        else:
            failed.append([i, str(err)])

    def consume():
        c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'crash-reader', 'enable.auto.commit': False,
                      'auto.offset.reset': 'earliest', 'reconnect.backoff.max.ms': 1000})
        c.assign([TopicPartition(topic, 0, 0)])
        while not stop.is_set():
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                consumer_errors.append(str(m.error()))
                continue
            consumed.append([m.offset(), int(m.value().decode())])
        c.close()

    t = threading.Thread(target=consume)
    t.start()
    open(ready_file, 'w').write('go')
    for i in range(n):
        while True:
            try:
                p.produce(topic, key=str(i % 100).encode(), value=str(i).encode(), callback=cb)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
        if i % 50 == 0:
            time.sleep(0.01)
    left = p.flush(180)
    # let the consumer catch up with everything acknowledged
    deadline = time.time() + 60
    target = max(acked.values()) if acked else -1
    while time.time() < deadline and (not consumed or consumed[-1][0] < target):
        time.sleep(0.2)
    stop.set()
    t.join()
    out({'acked': sorted(acked.items()), 'failed': failed, 'unflushed': left, 'consumed': consumed,
         'consumerErrors': consumer_errors[:20]})


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    {'create': create, 'alter': alter, 'produce': produce, 'read': read, 'crashload': crashload}[cmd](*args)
