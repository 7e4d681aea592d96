"""Driver for test/integration/cluster-zookeeper.test.ts: kafka-python and confluent-kafka against a 3-broker cluster.

Usage: cluster_clients.py BOOTSTRAP TOPIC
  kafka-python: metadata (brokers), CreateTopics TOPIC with 3 partitions and replication factor 3 (sent to the
  controller, as kafka-python does), describe the partitions (leader, replicas, ISR);
  confluent-kafka: produce 30 keyed records (acks=all), then consume them with a group from the beginning.
Prints one JSON object on its last stdout line.
"""
import json
import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from confluent_kafka import Consumer, Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
out = {}

admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
out['brokers'] = sorted(b['node_id'] for b in admin.describe_cluster()['brokers'])
out['controller'] = admin.describe_cluster()['controller_id']
admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=3)])
desc = admin.describe_topics([topic])[0]
out['partitions'] = sorted(
    ({'partition': p['partition'], 'leader': p['leader'], 'replicas': sorted(p['replicas']), 'isr': sorted(p['isr'])}
     for p in desc['partitions']), key=lambda p: p['partition'])
admin.close()

producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all'})
acked = []
for i in range(30):
    producer.produce(topic, key='k%d' % i, value='v%d' % i,
                     on_delivery=lambda err, msg: acked.append(None if err else msg.partition()))
producer.flush(30)
out['acked'] = len([a for a in acked if a is not None])

consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'cluster-' + topic,
                     'auto.offset.reset': 'earliest'})
consumer.subscribe([topic])
seen = set()
deadline = time.time() + 40
while len(seen) < 30 and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is None or m.error():
        continue
    seen.add(m.value().decode())
consumer.commit(asynchronous=False)
consumer.close()
out['consumed'] = len(seen)
print(json.dumps(out))
