#!/bin/sh
# Container entry point: `docker run -p 9092:9092 tributary` gives a broker reachable at localhost:9092.
# Configure it like Kafka's images: KAFKA_* variables (KAFKA_ADVERTISED_LISTENERS, KAFKA_NUM_PARTITIONS, ...),
# or mount a server.properties and pass `--config /path`. Extra arguments go to `tributary broker`.
set -eu
app=${TRIBUTARY_HOME:-/app}
: "${KAFKA_LISTENERS:=PLAINTEXT://0.0.0.0:9092}"
: "${KAFKA_ADVERTISED_LISTENERS:=PLAINTEXT://localhost:9092}"
: "${KAFKA_LOG_DIRS:=/var/lib/tributary/data}"
# /health, /ready (the image's HEALTHCHECK), /metrics and the console, reachable from outside the container.
: "${KAFKA_HTTP_LISTENERS:=http://0.0.0.0:9644}"
export KAFKA_LISTENERS KAFKA_ADVERTISED_LISTENERS KAFKA_LOG_DIRS KAFKA_HTTP_LISTENERS
if [ "${1:-}" = "tributary" ]; then
  shift
  exec node "$app/dist/cli/bin.js" "$@"
fi
exec node "$app/dist/cli/bin.js" broker "$@"
