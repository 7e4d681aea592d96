# Tributary broker image: a Kafka-compatible broker on Node.js 24.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

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
EXPOSE 9092
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tributary-entrypoint"]
