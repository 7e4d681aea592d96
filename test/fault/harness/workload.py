"""librdkafka (confluent-kafka) workloads of the fault harness. Every observation is one JSON line on stdout
(history events, see history.ts); the harness timestamps nothing itself, so `t` is this process's wall clock.

  workload.py run CONFIG_JSON     producers, consumer-group members, the transactional consume-transform-produce job
                                  and read_committed readers, as threads. Producers stop when stdin closes; then the
                                  job drains its input, the consumers catch up, and the process exits.
  workload.py final CONFIG_JSON   reads every partition of every topic from the log start to the high watermark, with
                                  both isolation levels, as `final` events.

CONFIG: {"bootstrap", "input", "output", "partitions", "producers": [names], "rate": records/s per producer,
         "group": name, "members": [names], "ctp": name, "abort_every": n, "readers": [names], "seed": n}
"""
import json
import random
import sys
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

lock = threading.Lock()
stop_producing = threading.Event()
ctp_finished = threading.Event()
producers_done = threading.Event()


def now():
    return int(time.time() * 1000)


def emit(ev):
    ev.setdefault('t', now())
    line = json.dumps(ev)
    with lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def info(proc, msg):
    emit({'type': 'info', 'proc': proc, 'msg': msg})


COMMON = {'reconnect.backoff.max.ms': 500, 'socket.timeout.ms': 10000, 'topic.metadata.refresh.interval.ms': 2000}


def producer(cfg, name):
    conf = dict(COMMON, **{'bootstrap.servers': cfg['bootstrap'], 'enable.idempotence': True, 'acks': 'all',
                           'linger.ms': 5, 'message.timeout.ms': 60000, 'retry.backoff.ms': 100,
                           'max.in.flight.requests.per.connection': 5})
    topic, parts = cfg['input'], cfg['partitions']
    p = Producer(conf)
    seq = 0
    fatal = []

    def cb(err, msg):
        v = msg.value().decode()
        if err is None:
            emit({'type': 'ack', 'proc': name, 'topic': topic, 'partition': msg.partition(), 'offset': msg.offset(),
                  'value': v})
        else:
            emit({'type': 'fail', 'proc': name, 'topic': topic, 'value': v, 'error': str(err)})
            if err.fatal():
                fatal.append(str(err))

    interval = 1.0 / cfg['rate']
    next_at = time.time()
    while not stop_producing.is_set():
        if fatal:
            # A fatal idempotence error: the producer instance is done; a new one gets a new producer id.
            info(name, 'fatal producer error, new producer: %s' % fatal[0])
            p.flush(10)
            p = Producer(conf)
            fatal.clear()
        value = '%s:%d' % (name, seq)
        try:
            p.produce(topic, value=value.encode(), partition=seq % parts, on_delivery=cb)
            seq += 1
        except BufferError:
            pass
        p.poll(0)
        next_at += interval
        delay = next_at - time.time()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.time()
    left = p.flush(90)
    if left:
        info(name, '%d records without an answer after 90 s' % left)


def on_assign_recorder(cfg, name):
    def on_assign(consumer, partitions):
        record_committed(cfg, name, consumer, partitions)
    return on_assign


def caught_up(c, parts):
    """True when the consumer's position reached the high watermark on every partition in `parts`.

    A partition assigned again after a rebalance has no position until a message is consumed from it; when nothing is
    left to consume it never gets one, so its committed offset stands in for it (else the drain waits for ever)."""
    if not parts:
        return False
    try:
        positions = c.position(parts)
        unknown = [TopicPartition(tp.topic, tp.partition) for tp in positions if tp.offset < 0]
        committed = {(tp.topic, tp.partition): tp.offset for tp in c.committed(unknown, timeout=5)} if unknown else {}
        for tp in positions:
            at = tp.offset if tp.offset >= 0 else committed.get((tp.topic, tp.partition), tp.offset)
            lo, hi = c.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=5)
            if at < hi and not (at < 0 and hi == lo):
                return False
        return True
    except KafkaException:
        return False


def record_committed(cfg, name, consumer, partitions):
    """OffsetFetch of `partitions`, recorded: it must show at least every commit acknowledged before it was sent."""
    if not partitions:
        return
    t0 = now()
    try:
        got = consumer.committed(partitions, timeout=15)
    except KafkaException as e:
        info(name, 'committed() failed: %s' % e)
        return
    t = now()
    for tp in got:
        if tp.error is None:
            emit({'type': 'committed', 't': t, 't0': t0, 'proc': name, 'group': cfg['group'], 'topic': tp.topic,
                  'partition': tp.partition, 'offset': tp.offset if tp.offset >= 0 else -1})


def member(cfg, name):
    topic, group = cfg['input'], cfg['group']
    c = Consumer(dict(COMMON, **{'bootstrap.servers': cfg['bootstrap'], 'group.id': group,
                                 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
                                 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500}))
    c.subscribe([topic], on_assign=on_assign_recorder(cfg, name))
    last_commit = time.time()
    commits = 0
    final_deadline = None
    while True:
        if producers_done.is_set() and ctp_finished.is_set() and final_deadline is None:
            final_deadline = time.time() + 30
        if final_deadline is not None and (time.time() > final_deadline or caught_up(c, c.assignment())):
            break
        m = c.poll(0.2)
        if m is not None:
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    info(name, 'consume error: %s' % m.error())
            else:
                emit({'type': 'read', 'proc': name, 'isolation': 'read_uncommitted', 'topic': topic,
                      'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()})
        if time.time() - last_commit > 1.0:
            last_commit = time.time()
            commit(c, cfg, name)
            commits += 1
            if commits % 3 == 0:
                # Every few seconds, read the committed offsets back: commits must survive every fault.
                record_committed(cfg, name, c, c.assignment())
    commit(c, cfg, name)
    c.close()


def commit(c, cfg, name):
    t0 = now()
    try:
        res = c.commit(asynchronous=False)
    except KafkaException as e:
        if e.args[0].code() != KafkaError._NO_OFFSET:
            info(name, 'commit failed: %s' % e)
        return
    t = now()
    for tp in res or []:
        if tp.error is None and tp.offset >= 0:
            emit({'type': 'commit', 't': t, 't0': t0, 'proc': name, 'group': cfg['group'], 'topic': tp.topic,
                  'partition': tp.partition, 'offset': tp.offset})


def rewind(c):
    """After an abort: back to the group's committed offsets (the aborted transaction's offsets were not)."""
    parts = c.assignment()
    if not parts:
        return
    for tp in c.committed(parts, timeout=15):
        c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))


def ctp(cfg, name):
    """Consume-transform-produce, exactly once: input (read_committed) -> output as `<txn>|<value>`."""
    rng = random.Random(cfg['seed'])
    src, dst = cfg['input'], cfg['output']
    restarts = 0
    transactions = 0
    drained = False
    give_up = None
    while True:
        c = Consumer(dict(COMMON, **{'bootstrap.servers': cfg['bootstrap'], 'group.id': name,
                                     'enable.auto.commit': False, 'isolation.level': 'read_committed',
                                     'auto.offset.reset': 'earliest', 'session.timeout.ms': 10000,
                                     'heartbeat.interval.ms': 500}))
        p = Producer(dict(COMMON, **{'bootstrap.servers': cfg['bootstrap'], 'transactional.id': name,
                                     'transaction.timeout.ms': 20000, 'linger.ms': 5, 'message.timeout.ms': 15000}))
        try:
            p.init_transactions(30)
            c.subscribe([src])
            while True:
                if producers_done.is_set() and give_up is None:
                    give_up = time.time() + 120
                msgs = [m for m in c.consume(num_messages=200, timeout=0.5) if not m.error()]
                if not msgs:
                    if producers_done.is_set() and c.assignment() and caught_up(c, c.assignment()):
                        drained = True
                        break
                    if give_up is not None and time.time() > give_up:
                        break
                    continue
                txn = '%s-%d-%d' % (name, restarts, transactions)
                transactions += 1
                p.begin_transaction()
                for m in msgs:
                    p.produce(dst, value=('%s|%s' % (txn, m.value().decode())).encode(), partition=m.partition())
                try:
                    p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
                    if rng.random() < 1.0 / cfg['abort_every']:
                        p.abort_transaction(30)
                        emit({'type': 'txn', 'proc': name, 'txn': txn, 'outcome': 'abort', 'records': len(msgs)})
                        rewind(c)
                        continue
                    commit_txn(p)
                    emit({'type': 'txn', 'proc': name, 'txn': txn, 'outcome': 'commit', 'records': len(msgs)})
                except KafkaException as e:
                    err = e.args[0]
                    if err.txn_requires_abort():
                        p.abort_transaction(30)
                        emit({'type': 'txn', 'proc': name, 'txn': txn, 'outcome': 'abort', 'records': len(msgs),
                              'error': str(err)})
                        rewind(c)
                    else:
                        raise
            break
        except KafkaException as e:
            # Fatal or not retriable here: the outcome of the open transaction is unknown; start over (the new
            # producer's init_transactions fences and aborts whatever the old one left open).
            emit({'type': 'txn', 'proc': name, 'txn': '%s-%d-%d' % (name, restarts, transactions - 1),
                  'outcome': 'unknown', 'records': 0, 'error': str(e)})
            restarts += 1
            try:
                c.close()
            except Exception:  # noqa: BLE001 - the instance is being replaced
                pass
            time.sleep(1)
            if give_up is not None and time.time() > give_up:
                break
            continue
    try:
        c.close()
    except Exception:  # noqa: BLE001
        pass
    emit({'type': 'ctp-done', 'proc': name, 'drained': drained, 'transactions': transactions, 'restarts': restarts})
    ctp_finished.set()


def commit_txn(p):
    for attempt in range(10):
        try:
            p.commit_transaction(30)
            return
        except KafkaException as e:
            if not e.args[0].retriable() or attempt == 9:
                raise
            time.sleep(0.5)


def reader(cfg, name):
    """A read_committed reader of the transactional copy, from the beginning, no group."""
    topic = cfg['output']
    c = Consumer(dict(COMMON, **{'bootstrap.servers': cfg['bootstrap'], 'group.id': name,
                                 'enable.auto.commit': False, 'isolation.level': 'read_committed'}))
    parts = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(cfg['partitions'])]
    c.assign(parts)
    final_deadline = None
    while True:
        if producers_done.is_set() and ctp_finished.is_set() and final_deadline is None:
            final_deadline = time.time() + 30
        if final_deadline is not None and (time.time() > final_deadline or caught_up(c, c.assignment())):
            break
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        emit({'type': 'read', 'proc': name, 'isolation': 'read_committed', 'topic': topic,
              'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()})
    c.close()


def guarded(fn, cfg, name):
    def run():
        try:
            fn(cfg, name)
        except Exception as e:  # noqa: BLE001 - reported in the history, the run goes on
            info(name, 'worker died: %r' % e)
            if fn is ctp:
                emit({'type': 'ctp-done', 'proc': name, 'drained': False, 'transactions': -1, 'restarts': -1})
                ctp_finished.set()
    t = threading.Thread(target=run, name=name, daemon=True)
    t.start()
    return t


def run(cfg):
    prod = [guarded(producer, cfg, n) for n in cfg['producers']]
    others = [guarded(member, cfg, n) for n in cfg['members']]
    if cfg['ctp'] is not None:
        others += [guarded(ctp, cfg, cfg['ctp'])]
    else:
        ctp_finished.set()  # no transactional job (cluster mode without --txn, see run.ts)
    others += [guarded(reader, cfg, n) for n in cfg['readers']]
    emit({'type': 'info', 'proc': 'workload', 'msg': 'ready'})
    sys.stdin.read()  # the harness closes stdin to stop the producers
    stop_producing.set()
    for t in prod:
        t.join()
    # The harness's own producers stopped before it closed stdin: every input record is written or failed now.
    producers_done.set()
    for t in others:
        t.join()
    emit({'type': 'info', 'proc': 'workload', 'msg': 'done'})


def final(cfg):
    for iso in ('read_uncommitted', 'read_committed'):
        for topic in (cfg['input'], cfg['output']):
            if iso == 'read_committed' and topic == cfg['input']:
                continue
            for part in range(cfg['partitions']):
                c = Consumer({'bootstrap.servers': cfg['bootstrap'], 'group.id': 'final', 'isolation.level': iso,
                              'enable.auto.commit': False, 'enable.partition.eof': True})
                lo, hi = c.get_watermark_offsets(TopicPartition(topic, part), timeout=30)
                c.assign([TopicPartition(topic, part, lo)])
                recs = []
                deadline = time.time() + 120
                while time.time() < deadline and hi > lo:
                    m = c.poll(0.5)
                    if m is None:
                        if c.position([TopicPartition(topic, part)])[0].offset >= hi:
                            break
                        continue
                    if m.error():
                        if m.error().code() == KafkaError._PARTITION_EOF:
                            break
                        raise KafkaException(m.error())
                    recs.append([m.offset(), m.value().decode()])
                c.close()
                emit({'type': 'final', 'isolation': iso, 'topic': topic, 'partition': part, 'logStart': lo,
                      'high': hi, 'records': recs})


if __name__ == '__main__':
    mode, conf = sys.argv[1], json.loads(sys.argv[2])
    {'run': run, 'final': final}[mode](conf)
