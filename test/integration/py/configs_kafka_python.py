"""DescribeConfigs / AlterConfigs through kafka-python's KafkaAdminClient, as a user of the admin API sees them.

Usage: configs_kafka_python.py BOOTSTRAP STEP. Prints one JSON object (the last line) for the test to check.
"""
import json
import sys

from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import MessageSizeTooLargeError

bootstrap, step = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='configs-test')


def entries(resource, names=None):
    """DescribeConfigs (v1+ with synonyms) of one resource: {name: {value, read_only, source, sensitive, synonyms}}."""
    configs = {n: None for n in names} if names else None
    [resp] = admin.describe_configs([ConfigResource(resource[0], resource[1], configs)], include_synonyms=True)
    [(error_code, error_message, _rtype, _rname, items)] = resp.resources
    if error_code != 0:
        return {'error_code': error_code, 'error_message': error_message}
    out = {}
    for name, value, read_only, source, sensitive, synonyms in items:
        out[name] = {
            'value': value,
            'read_only': read_only,
            'source': source,
            'sensitive': sensitive,
            'synonyms': [[s[0], s[1], s[2]] for s in synonyms],
        }
    return {'api_version': resp.API_VERSION, 'configs': out}


def alter(rtype, name, configs):
    """Legacy AlterConfigs (replaces the entity's whole set): the per-resource error code and message."""
    resp = admin.alter_configs([ConfigResource(rtype, name, configs)])
    [(error_code, error_message, _rtype, _rname)] = resp.resources
    return {'error_code': error_code, 'error_message': error_message}


def produce(topic, size):
    producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=10_000_000, retries=0)
    try:
        producer.send(topic, b'x' * size).get(timeout=20)
        return 'ok'
    except MessageSizeTooLargeError:
        return 'MESSAGE_TOO_LARGE'
    finally:
        producer.close()


BROKER, TOPIC = ConfigResourceType.BROKER, ConfigResourceType.TOPIC
result = {}
if step == 'describe':
    result['broker'] = entries((BROKER, '1'))
    # An old tool setting the deprecated message.format.version: accepted, as Kafka 3.x did.
    admin.create_topics([NewTopic('cfg-old', 1, 1, topic_configs={'message.format.version': '2.8'})])
    result['topic'] = entries((TOPIC, 'cfg-old'), ['retention.ms', 'message.format.version', 'max.message.bytes'])
elif step == 'alter':
    result['before'] = produce('cfg-old', 5000)
    result['default'] = alter(BROKER, '', {'message.max.bytes': '2000', 'log.retention.ms': '7200000'})
    result['after'] = produce('cfg-old', 5000)
    result['small'] = produce('cfg-old', 500)
    result['per_broker'] = alter(BROKER, '1', {'message.max.bytes': '3000'})
    result['broker'] = entries((BROKER, '1'), ['message.max.bytes', 'log.retention.ms'])
    result['topic'] = entries((TOPIC, 'cfg-old'), ['max.message.bytes', 'retention.ms'])
    result['read_only'] = alter(BROKER, '1', {'log.dirs': '/elsewhere'})
    result['unknown'] = alter(BROKER, '1', {'log.retention.hour': '1'})
    result['invalid'] = alter(BROKER, '1', {'message.max.bytes': 'lots'})
    result['other_broker'] = alter(BROKER, '7', {'message.max.bytes': '3000'})
    result['no_effect'] = alter(BROKER, '1', {'message.max.bytes': '3000', 'num.io.threads': '16'})
elif step == 'after-restart':
    result['topic'] = entries((TOPIC, 'cfg-old'), ['max.message.bytes'])
    result['after'] = produce('cfg-old', 5000)
    # Legacy AlterConfigs replaces the whole set: an empty set removes the per-broker overrides.
    result['clear'] = alter(BROKER, '1', {})
    result['broker'] = entries((BROKER, '1'), ['message.max.bytes', 'num.io.threads'])
admin.close()
print(json.dumps(result))
