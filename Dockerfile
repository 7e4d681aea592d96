# Tributary broker image: a Kafka-compatible broker on Node.js 24.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console ./console
# The broker (tsc) and the web console (vite) into dist/, as `npm pack` builds them.
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY docker/entrypoint.sh /usr/local/bin/tributary-entrypoint
RUN mkdir -p /var/lib/tributary/data && chown -R node:node /var/lib/tributary
USER node
VOLUME /var/lib/tributary
# 9092: Kafka clients; 9644: /health, /ready, /metrics and the web console (http.listeners).
EXPOSE 9092 9644
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9644/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/tributary-entrypoint"]
