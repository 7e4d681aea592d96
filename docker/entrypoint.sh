#!/bin/sh
# Container entry point: `docker run -p 9092:9092 tributary` gives a broker reachable at localhost:9092.
# Configure it like Kafka's images: KAFKA_* variables (KAFKA_ADVERTISED_LISTENERS, KAFKA_NUM_PARTITIONS, ...),
# or mount a server.properties and pass `--config /path`. Extra arguments go to `tributary broker`.
set -eu
app=${TRIBUTARY_HOME:-/app}
# The old wurstmeister/kafka images' variables: KAFKA_ADVERTISED_HOST_NAME (and KAFKA_ADVERTISED_PORT, default 9092)
# give one PLAINTEXT advertised listener when KAFKA_ADVERTISED_LISTENERS is not set. Both are then removed: current
# Kafka has no advertised.host.name / advertised.port configs.
if [ -n "${KAFKA_ADVERTISED_HOST_NAME:-}" ] && [ -z "${KAFKA_ADVERTISED_LISTENERS:-}" ]; then
  KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://${KAFKA_ADVERTISED_HOST_NAME}:${KAFKA_ADVERTISED_PORT:-9092}"
fi
unset KAFKA_ADVERTISED_HOST_NAME KAFKA_ADVERTISED_PORT
: "${KAFKA_LISTENERS:=PLAINTEXT://0.0.0.0:9092}"
: "${KAFKA_ADVERTISED_LISTENERS:=PLAINTEXT://localhost:9092}"
: "${KAFKA_LOG_DIRS:=/var/lib/tributary/data}"
# /health, /ready (the image's HEALTHCHECK), /metrics and the console, reachable from outside the container.
# Set but empty (KAFKA_HTTP_LISTENERS=) turns the HTTP listener off; only an unset variable gets the default.
: "${KAFKA_HTTP_LISTENERS=http://0.0.0.0:9644}"
export KAFKA_LISTENERS KAFKA_ADVERTISED_LISTENERS KAFKA_LOG_DIRS KAFKA_HTTP_LISTENERS
if [ "${1:-}" = "tributary" ]; then
  shift
  exec node "$app/dist/cli/bin.js" "$@"
fi
exec node "$app/dist/cli/bin.js" broker "$@"
