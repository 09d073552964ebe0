# Tarn's image: every app (the API, the messenger, each daemon, migrations) from one build, on the Node.js 24 LTS.
# Build: docker build -t tarn .       Run everything: docker compose up --build (docker-compose.yml)
# The command picks the app: node dist/apps/<app>/src/main.js (default: the API), node dist/scripts/migrate.js.

FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# Dependencies first, so source edits do not invalidate this layer; the build needs the dev dependencies.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY scripts ./scripts
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production TARN_HOST=0.0.0.0 TARN_PORT=8080 TARN_METRICS_HOST=0.0.0.0 TARN_METRICS_PORT=9464 TARN_HOME=/home/node/.tarn
# kafkajs 2.2 hands Node.js 24 a negative timeout, which Node.js rounds to 1 ms as older releases did silently
# (tulios/kafkajs#1751): the same behaviour, without a warning in every daemon's log.
ENV NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
# The XRootD client library (and its Python bindings) for RSEs with root:// protocols (docs/xrootd.md).
RUN apt-get update && apt-get install -y --no-install-recommends xrootd-client python3-xrootd && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
# The code belongs to root and is read-only for the process, which runs as the image's unprivileged user.
USER node
EXPOSE 8080 9464
CMD ["node", "dist/apps/api/src/main.js"]
