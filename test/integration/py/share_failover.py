"""librdkafka's share consumer (confluent-kafka's ShareConsumer, librdkafka 2.16+) around a share-partition leader's
failover, for test/integration/share-failover.test.ts.

Usage: share_failover.py BOOTSTRAP MODE TOPIC GROUP ARG
  hold  N      sets the group's share.auto.offset.reset=earliest, then in explicit acknowledgement mode ACCEPTs the
               records of its polls (commit_sync after each) until it accepted N or more; the records of the next
               poll it keeps acquired and unacknowledged, prints `RESULT {"accepted": [...], "held": [...]}` and dies
               at once (os._exit: no acknowledgement, no leave).
  drain  SECS  ACCEPTs everything it gets until nothing came for SECS seconds (after something came), then prints
               `RESULT {"deliveries": [[offset, delivery count], ...]}` and closes.
"""
import json
import os
import sys
import time

from confluent_kafka import AcknowledgeType, ShareConsumer
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType


def earliest(bootstrap, group):
    admin = AdminClient({'bootstrap.servers': bootstrap})
    res = ConfigResource(
        ResourceType.GROUP,
        group,
        incremental_configs=[ConfigEntry('share.auto.offset.reset', 'earliest',
                                         incremental_operation=AlterConfigOpType.SET)],
    )
    for f in admin.incremental_alter_configs([res]).values():
        f.result(30)


def consumer(bootstrap, group, client_id):
    return ShareConsumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'client.id': client_id,
        'max.poll.records': 10,
        'share.acknowledgement.mode': 'explicit',
    })


def hold(bootstrap, topic, group, n):
    earliest(bootstrap, group)
    c = consumer(bootstrap, group, 'share-hold')
    c.subscribe([topic])
    accepted = []
    deadline = time.time() + 40
    while time.time() < deadline:
        batch = [m for m in c.poll(0.5) if not m.error()]
        if not batch:
            continue
        if len(accepted) >= n:
            held = [m.offset() for m in batch]
            sys.stdout.write('RESULT ' + json.dumps({'accepted': accepted, 'held': held}) + '\n')
            sys.stdout.flush()
            os._exit(0)
        for m in batch:
            c.acknowledge(m, AcknowledgeType.ACCEPT)
            accepted.append(m.offset())
        c.commit_sync()
    raise RuntimeError('accepted %d records and held none in 40 s' % len(accepted))


def drain(bootstrap, topic, group, quiet):
    c = consumer(bootstrap, group, 'share-drain')
    c.subscribe([topic])
    deliveries = []
    deadline = time.time() + 45
    last = time.time()
    while time.time() < deadline:
        batch = c.poll(0.5)
        if not batch:
            if deliveries and time.time() - last > quiet:
                break
            continue
        last = time.time()
        for m in batch:
            if m.error():
                sys.stderr.write('poll error: %s\n' % m.error())
                continue
            deliveries.append([m.offset(), m.delivery_count()])
            c.acknowledge(m, AcknowledgeType.ACCEPT)
        c.commit_sync()
    c.close()
    sys.stdout.write('RESULT ' + json.dumps({'deliveries': deliveries}) + '\n')


def main():
    bootstrap, mode, topic, group, arg = sys.argv[1:6]
    if mode == 'hold':
        hold(bootstrap, topic, group, int(arg))
    else:
        drain(bootstrap, topic, group, float(arg))


if __name__ == '__main__':
    main()
