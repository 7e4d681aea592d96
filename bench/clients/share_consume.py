"""librdkafka's share consumer (confluent-kafka's ShareConsumer, librdkafka 2.16+) for `npm run bench -- --share`.

Usage: share_consume.py BOOTSTRAP TOPIC GROUP RECORDS CONSUMERS [TIMEOUT_S]
Starts CONSUMERS processes, each one ShareConsumer of GROUP (implicit acknowledgement: a poll's records are
accepted by the next poll or commit), subscribed to TOPIC. Once all have subscribed, they poll until RECORDS records
were delivered between them, or until none came for TIMEOUT_S seconds (default 20). Each then commits its last
acknowledgements (commit_sync) and closes. Prints one JSON line: records and bytes delivered (a redelivered record
counts again), seconds from the start to the delivery that reached RECORDS, records/s and MB/s over that time (MB =
2^20 bytes, as Kafka's perf tools), the seconds to the first record (joining the group and getting an assignment),
records/s and MB/s from the first record to the last, and the records each consumer got.
"""
import json
import multiprocessing as mp
import sys
import time

from confluent_kafka import ShareConsumer


def worker(bootstrap, topic, group, wanted, timeout_s, index, ready, start, total, total_bytes, first, end, mine):
    c = ShareConsumer({'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': 'bench-share-%d' % index})
    c.subscribe([topic])
    ready.wait()
    got = 0
    last = time.monotonic()
    while total.value < wanted and time.monotonic() - last <= timeout_s:
        batch = c.poll(0.1)
        if not batch:
            continue
        last = time.monotonic()
        size = 0
        for m in batch:
            if m.error():
                raise RuntimeError(str(m.error()))
            v = m.value()
            size += len(v) if v is not None else 0
        got += len(batch)
        with total.get_lock():
            if first.value == 0.0:
                first.value = last - start.value
            total.value += len(batch)
            total_bytes.value += size
            if total.value >= wanted and end.value == 0.0:
                end.value = time.monotonic() - start.value
    mine[index] = got
    c.commit_sync()
    c.close()


def main():
    bootstrap, topic, group = sys.argv[1:4]
    wanted, consumers = int(sys.argv[4]), int(sys.argv[5])
    timeout_s = float(sys.argv[6]) if len(sys.argv) > 6 else 20.0
    ctx = mp.get_context('fork')
    ready = ctx.Barrier(consumers + 1)
    start = ctx.Value('d', 0.0)
    total = ctx.Value('q', 0)
    total_bytes = ctx.Value('q', 0, lock=False)
    first = ctx.Value('d', 0.0, lock=False)
    end = ctx.Value('d', 0.0, lock=False)
    mine = ctx.Array('q', consumers, lock=False)
    procs = [
        ctx.Process(target=worker, args=(bootstrap, topic, group, wanted, timeout_s, i, ready, start, total,
                                         total_bytes, first, end, mine))
        for i in range(consumers)
    ]
    for p in procs:
        p.start()
    ready.wait()
    start.value = time.monotonic()
    for p in procs:
        p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        sys.stderr.write('share consumer processes failed: exit codes %s\n' % failed)
        sys.exit(1)
    secs = end.value if end.value > 0 else time.monotonic() - start.value
    stream = max(secs - first.value, 1e-3)
    out = {
        'records': total.value,
        'bytes': total_bytes.value,
        'seconds': round(secs, 4),
        'recordsPerSec': round(total.value / secs, 1),
        'mbPerSec': round(total_bytes.value / 2**20 / secs, 3),
        'firstRecordSec': round(first.value, 4),
        'streamRecordsPerSec': round(total.value / stream, 1),
        'streamMbPerSec': round(total_bytes.value / 2**20 / stream, 3),
        'perConsumer': list(mine),
    }
    sys.stdout.write(json.dumps(out) + '\n')


if __name__ == '__main__':
    main()
