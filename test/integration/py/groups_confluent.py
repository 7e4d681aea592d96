"""librdkafka (python3-confluent-kafka) group member for test/integration/groups-confluent.test.ts.

Usage: groups_confluent.py BOOTSTRAP consume TOPIC GROUP SESSION_MS [ASSIGNMENT_STRATEGY]
  A subscribe()d consumer in GROUP that runs until killed or until stdin closes. Prints one JSON object per line:
  {"event": "assigned"|"revoked", "partitions": [...]} on rebalances and {"p": partition, "o": offset} per record.
Usage: groups_confluent.py BOOTSTRAP produce TOPIC N START
  Produces N records (value = index) round-robin over the topic's partitions; prints {"sent": N} when all are acked.
"""
import json
import select
import sys

from confluent_kafka import Consumer, Producer


def out(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def consume(bootstrap, topic, group, session_ms, strategy):
    c = Consumer({'partition.assignment.strategy': strategy,
                  'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
                  'session.timeout.ms': session_ms, 'heartbeat.interval.ms': 500,
                  'auto.commit.interval.ms': 500, 'enable.auto.commit': True})
    c.subscribe([topic],
                on_assign=lambda _c, ps: out({'event': 'assigned', 'partitions': [p.partition for p in ps]}),
                on_revoke=lambda _c, ps: out({'event': 'revoked', 'partitions': [p.partition for p in ps]}))
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r and sys.stdin.read(1) == '':
            break
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            out({'error': str(m.error())})
            continue
        out({'p': m.partition(), 'o': m.offset()})
    c.close()
    out({'event': 'closed'})


def produce(bootstrap, topic, n, start):
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'partitioner': 'random'})
    errors = []
    for i in range(start, start + n):
        p.produce(topic, value=str(i).encode(), on_delivery=lambda err, _m: err and errors.append(str(err)))
    p.flush(30)
    out({'sent': n, 'errors': errors})


def main():
    bootstrap, mode, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == 'consume':
        consume(bootstrap, topic, sys.argv[4], int(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else 'range,roundrobin')
    elif mode == 'produce':
        produce(bootstrap, topic, int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
