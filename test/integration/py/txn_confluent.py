"""confluent-kafka-python (librdkafka) driver for test/integration/txn-confluent.test.ts.

Usage: txn_confluent.py BOOTSTRAP MODE TOPIC [ARGS]
  idempotent N   produce N records (value = index) with enable.idempotence over 2 partitions, spread over a few
                 seconds (the test kills and restarts the broker meanwhile); prints delivery counts
  consume ISO    read every partition of TOPIC from the beginning (isolation.level ISO) until idle;
                 prints {partition: [values]}
  fill N         produce N records 'in-<i>' to TOPIC (2 partitions, partition i % 2), plain producer
  ctp OUT        consume-transform-produce: group 'ctp', TOPIC -> OUT ('out-<i>'), one transaction per poll batch
                 with send_offsets_to_transaction; stops after 15 s without input (the test may kill it earlier)
  txn            a transactional producer: commit c1-*, abort a-*, commit c2-*; prints what it did
Prints one JSON object on its last stdout line.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


def idempotent(bootstrap, topic, n):
    p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'linger.ms': 5,
                  'message.timeout.ms': 120000, 'retry.backoff.ms': 200,
                  'max.in.flight.requests.per.connection': 5})
    ok = [0]
    errors = []

    def on_delivery(err, msg):
        if err:
            errors.append(str(err))
        else:
            ok[0] += 1

    for i in range(n):
        while True:
            try:
                p.produce(topic, value=str(i).encode(), partition=i % 2, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
        if i % 100 == 99:
            time.sleep(0.05)
    left = p.flush(120)
    return {'delivered': ok[0], 'errors': errors[:10], 'errorCount': len(errors), 'unflushed': left}


def consume(bootstrap, topic, isolation):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'txn-reader', 'enable.auto.commit': False,
                  'isolation.level': isolation, 'auto.offset.reset': 'earliest'})
    md = c.list_topics(topic, timeout=10)
    parts = sorted(md.topics[topic].partitions.keys())
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    out = {str(p): [] for p in parts}
    idle_since = time.time()
    deadline = time.time() + 60
    while time.time() < deadline and time.time() - idle_since < 4:
        msg = c.poll(0.5)
        if msg is None or msg.error():
            continue
        idle_since = time.time()
        out[str(msg.partition())].append(msg.value().decode())
    c.close()
    return out


def txn(bootstrap, topic):
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'ck-txn-' + topic,
                  'transaction.timeout.ms': 30000})
    p.init_transactions(30)
    done = []
    for name, commit in (('c1', True), ('a', False), ('c2', True)):
        p.begin_transaction()
        for i in range(10):
            p.produce(topic, value=('%s-%d' % (name, i)).encode(), partition=i % 2)
        p.flush(30)
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
        done.append(name)
    # A second instance with the same transactional id fences the first.
    p2 = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'ck-txn-' + topic})
    p2.init_transactions(30)
    fenced = None
    try:
        p.begin_transaction()
        p.produce(topic, value=b'zombie', partition=0)
        p.commit_transaction(30)
    except Exception as e:  # noqa: BLE001 - reported
        fenced = str(e)
    p2.begin_transaction()
    p2.produce(topic, value=b'p2-0', partition=0)
    p2.commit_transaction(30)
    return {'done': done, 'fenced': fenced}


def fill(bootstrap, topic, n):
    p = Producer({'bootstrap.servers': bootstrap})
    for i in range(n):
        p.produce(topic, value=('in-%d' % i).encode(), partition=i % 2)
        p.poll(0)
    return {'unflushed': p.flush(30)}


def ctp(bootstrap, topic, out):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'ctp', 'enable.auto.commit': False,
                  'isolation.level': 'read_committed', 'auto.offset.reset': 'earliest',
                  'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500})
    c.subscribe([topic])
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'ctp-' + out, 'linger.ms': 5})
    p.init_transactions(30)
    txns = 0
    idle_since = time.time()
    while time.time() - idle_since < 15:
        msgs = [m for m in c.consume(num_messages=20, timeout=0.5) if not m.error()]
        if not msgs:
            continue
        idle_since = time.time()
        p.begin_transaction()
        for m in msgs:
            p.produce(out, value=m.value().replace(b'in-', b'out-'), partition=m.partition())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        time.sleep(0.2)
        p.commit_transaction(30)
        txns += 1
    c.close()
    return {'transactions': txns}


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == 'idempotent':
        res = idempotent(bootstrap, topic, int(sys.argv[4]))
    elif mode == 'consume':
        res = consume(bootstrap, topic, sys.argv[4])
    elif mode == 'fill':
        res = fill(bootstrap, topic, int(sys.argv[4]))
    elif mode == 'ctp':
        res = ctp(bootstrap, topic, sys.argv[4])
    elif mode == 'txn':
        res = txn(bootstrap, topic)
    else:
        raise SystemExit('unknown mode ' + mode)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
