"""Parses Prometheus text exposition format from stdin with prometheus_client's parser (test/helpers/prometheus.ts).

Prints {"types": {family: type}, "samples": [{"name", "labels", "value"}]} as JSON; exits non-zero (the parser's
ValueError) when the text is malformed, and when a family is declared twice or a sample repeats its name and labels.
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    types = {}
    samples = []
    seen = set()
    for family in text_string_to_metric_families(text):
        if family.name in types:
            raise SystemExit('family declared twice: ' + family.name)
        types[family.name] = family.type
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                raise SystemExit('duplicate sample: %s %s' % key)
            seen.add(key)
            value = s.value
            if math.isnan(value) or math.isinf(value):
                value = str(value)
            samples.append({'name': s.name, 'labels': s.labels, 'value': value})
    print(json.dumps({'types': types, 'samples': samples}))


if __name__ == '__main__':
    main()
