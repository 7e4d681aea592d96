"""Failover probe for bench/cluster.ts (confluent-kafka / librdkafka): an idempotent acks=all producer writing one
small record every 5 ms to one partition for SECONDS seconds. Prints READY once the first record is acknowledged,
then at the end one JSON line: for every acknowledged record the wall-clock times (ms) it was produced and
acknowledged, and the failed deliveries. The bench kill -9s the partition's leader meanwhile; a record produced after
the kill can only be acknowledged by the new leader (one produced before may still be answered by the old one, whose
answer was on its way).

Usage: failover_probe.py BOOTSTRAP TOPIC PARTITION SECONDS
"""
import json
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, partition, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    # Short client back-offs, the same for both brokers, so that the time measured is the cluster's, not the
    # client's retry schedule.
    p = Producer({
        'bootstrap.servers': bootstrap,
        'acks': 'all',
        'enable.idempotence': True,
        'linger.ms': 0,
        'message.timeout.ms': 120000,
        'retry.backoff.ms': 10,
        'reconnect.backoff.ms': 10,
        'reconnect.backoff.max.ms': 100,
        'topic.metadata.refresh.fast.interval.ms': 20,
    })
    acks = []
    failed = []

    def report(err, msg):
        if err is not None:
            failed.append(str(err))
        else:
            acks.append([float(msg.value()[6:].split(b'@')[1]), time.time() * 1000])

    ready = False
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        p.produce(topic, value=b'probe-%d@%.3f' % (i, time.time() * 1000), partition=partition, on_delivery=report)
        i += 1
        p.poll(0)
        time.sleep(0.005)
        if not ready and acks:
            ready = True
            print('READY', flush=True)
    p.flush(60)
    print(json.dumps({'sent': i, 'acks': acks, 'failed': failed[:5], 'failedCount': len(failed)}), flush=True)


main()
