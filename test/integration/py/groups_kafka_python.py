"""kafka-python group driver for test/integration/groups-kafka-python.test.ts.

Usage: groups_kafka_python.py BOOTSTRAP MODE TOPIC [ARGS]
  produce TOPIC N START  produce {'number': i} for i in START..START+N-1 (acks=all), print offsets
  consume TOPIC GROUP N  KafkaConsumer(TOPIC, group_id=GROUP, auto_offset_reset='earliest') with auto commit:
                         read N records (or until 10 s idle), close (which commits), print what was read
Prints one JSON object on its last stdout line.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer


def produce(bootstrap, topic, n, start):
    producer = KafkaProducer(bootstrap_servers=[bootstrap], acks='all',
                             value_serializer=lambda x: json.dumps(x).encode('utf-8'))
    futures = [producer.send(topic, value={'number': i}) for i in range(start, start + n)]
    producer.flush()
    sent = [[f.get(timeout=30).partition, f.get(timeout=30).offset] for f in futures]
    producer.close()
    return {'sent': sent}


def consume(bootstrap, topic, group, n):
    consumer = KafkaConsumer(topic, bootstrap_servers=[bootstrap], group_id=group,
                             auto_offset_reset='earliest', enable_auto_commit=True,
                             auto_commit_interval_ms=500, consumer_timeout_ms=10000,
                             value_deserializer=lambda x: json.loads(x.decode('utf-8')))
    received = []
    for m in consumer:
        received.append({'partition': m.partition, 'offset': m.offset, 'number': m.value['number']})
        if len(received) >= n:
            break
    consumer.close()  # auto commit: commits the consumed positions
    return {'received': received}


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == 'produce':
        result = produce(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]))
    elif mode == 'consume':
        result = consume(bootstrap, topic, sys.argv[4], int(sys.argv[5]))
    else:
        raise SystemExit('unknown mode ' + mode)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
