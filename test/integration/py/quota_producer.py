"""Client quota driver for test/integration/quotas.test.ts: a confluent-kafka (librdkafka) producer sending as fast
as it can for a while, to see a producer_byte_rate quota hold it back.

Usage: quota_producer.py BOOTSTRAP TOPIC SECONDS WARMUP_SECONDS VALUE_BYTES
Prints one JSON object on its last stdout line:
  {"delivered": n, "bytes_after_warmup": b, "seconds_after_warmup": s, "throttle_events": k,
   "max_throttle_ms": m, "errors": [...]}
Throttle events are librdkafka's throttle_cb calls: the broker's throttle_time_ms in a response.
"""
import json
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic = sys.argv[1], sys.argv[2]
    seconds, warmup, size = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    throttles = []
    errors = []
    state = {'delivered': 0, 'bytes': 0}
    start = time.time()

    def on_throttle(ev):
        throttles.append(ev.throttle_time * 1000.0)

    def report(err, msg):
        if err is not None:
            if 'urged' not in err.str():  # what purge() drops at the end is not an error
                errors.append(err.str())
            return
        now = time.time() - start
        if now > seconds:
            return  # delivered after the measured span
        state['delivered'] += 1
        if now >= warmup:
            state['bytes'] += len(msg.value())

    producer = Producer({
        'bootstrap.servers': bootstrap,
        'client.id': 'quota-test-producer',
        'linger.ms': 5,
        'batch.size': 16384,
        'acks': 1,
        'compression.type': 'none',
        'message.timeout.ms': 60000,
        'queue.buffering.max.messages': 200,
        'throttle_cb': on_throttle,
        'error_cb': lambda e: errors.append(str(e)),
    })
    value = b'x' * size
    while time.time() - start < seconds:
        try:
            producer.produce(topic, value=value, partition=0, on_delivery=report)
        except BufferError:
            producer.poll(0.05)  # the local queue is full: the broker is holding us back
            continue
        producer.poll(0)
    end = time.time()
    producer.purge()  # what is still queued is not measured: do not wait for it at the quota's pace
    producer.flush(30)
    print(json.dumps({
        'delivered': state['delivered'],
        'bytes_after_warmup': state['bytes'],
        'seconds_after_warmup': end - start - warmup,
        'throttle_events': len(throttles),
        'max_throttle_ms': max(throttles) if throttles else 0,
        'errors': errors[:5],
    }))


main()
