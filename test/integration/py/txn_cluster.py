"""confluent-kafka-python (librdkafka) driver for test/integration/txn-cluster.test.ts.

Usage: txn_cluster.py BOOTSTRAP MODE TOPIC [ARGS]
  txns TXNID FIRST ROUNDS  one transactional producer (init_transactions first): ROUNDS transactions numbered from
                           FIRST, each writing 3 records '<txnid>-<round>-<partition>-<i>' to every partition of
                           TOPIC; round r is aborted when r % 3 == 1, else committed (an abortable error aborts it);
                           prints {"committed": [...], "aborted": [...]}
  read ISO                 read every partition of TOPIC from the beginning with isolation.level ISO until idle;
                           prints {partition: [values]}
Prints one JSON object on its last stdout line.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition


def run_txns(bootstrap, topic, txnid, first, rounds):
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': txnid, 'transaction.timeout.ms': 60000,
                  'message.timeout.ms': 60000, 'retry.backoff.ms': 100, 'linger.ms': 5})
    t0 = time.time()
    p.init_transactions(60)
    sys.stderr.write('init %.2f\n' % (time.time() - t0))
    parts = sorted(p.list_topics(topic, timeout=10).topics[topic].partitions.keys())
    committed, aborted = [], []
    for r in range(first, first + rounds):
        values = ['%s-%d-%d-%d' % (txnid, r, part, i) for part in parts for i in range(3)]
        sys.stderr.write('round %d start %.2f\n' % (r, time.time() - t0))
        p.begin_transaction()
        for v in values:
            p.produce(topic, value=v.encode(), partition=int(v.split('-')[-2]))
        want_commit = r % 3 != 1
        done = False
        while not done:
            try:
                p.flush(60)
                sys.stderr.write('round %d flushed %.2f\n' % (r, time.time() - t0))
                if want_commit:
                    p.commit_transaction(60)
                    committed.extend(values)
                else:
                    p.abort_transaction(60)
                    aborted.extend(values)
                done = True
            except KafkaException as e:
                err = e.args[0]
                if err.retriable():
                    time.sleep(0.2)
                    continue
                if err.txn_requires_abort():
                    sys.stderr.write('round %d: abortable error %s\n' % (r, err))
                    p.abort_transaction(60)
                    aborted.extend(values)
                    done = True
                    continue
                raise
    return {'committed': committed, 'aborted': aborted}


def read(bootstrap, topic, isolation):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'txn-cluster-reader', 'enable.auto.commit': False,
                  'isolation.level': isolation, 'auto.offset.reset': 'earliest'})
    parts = sorted(c.list_topics(topic, timeout=10).topics[topic].partitions.keys())
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    out = {str(p): [] for p in parts}
    idle_since = time.time()
    deadline = time.time() + 60
    while time.time() < deadline and time.time() - idle_since < 3:
        msg = c.poll(0.3)
        if msg is None or msg.error():
            continue
        idle_since = time.time()
        out[str(msg.partition())].append(msg.value().decode())
    c.close()
    return out


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == 'txns':
        result = run_txns(bootstrap, topic, sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif mode == 'read':
        result = read(bootstrap, topic, sys.argv[4])
    else:
        raise SystemExit('unknown mode ' + mode)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
