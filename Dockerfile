# Archivist's Discord bot. Two stages: the first compiles the native modules (better-sqlite3,
# hnswlib-node, onnxruntime) and the TypeScript; the second runs the compiled JavaScript as a
# non-root user, with no compilers in it.
#
#   docker build -t archivist .
#   docker compose up -d          (see docker-compose.yml: .env, the corpus and the volumes)

# ---- build ----------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS build
# Native modules compile from source when no prebuilt binary matches (better-sqlite3: ~2 min).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm run build \
 && npm prune --omit=dev

# ---- run ------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    INDEX_DIR=/data/index \
    DATA_DIR=/data/feedback \
    MODEL_DIR=/data/models \
    CORPUS_PATHS=/corpus \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The two seed articles, so the image answers something until your articles are mounted on /corpus.
COPY corpus /corpus
# The official image's unprivileged "node" user (uid 1000) owns the data volume; the corpus stays root's (read-only).
RUN mkdir -p /data/index /data/feedback /data/models && chown -R node:node /data
USER node
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
  CMD ["node", "dist/src/bot/healthcheck.js"]
# Node as PID 1 gets SIGTERM from `docker stop`; the bot shuts down cleanly on it.
CMD ["node", "dist/src/bot/main.js"]
