# Archivist's Discord bot and its `archivist` command. Two stages: the first compiles the native modules
# (better-sqlite3, hnswlib-node) and the TypeScript, then drops what the runtime never uses; the second
# runs the compiled JavaScript as the unprivileged `node` user, with no compilers in it.
#
#   docker build -t archivist .
#   docker compose up -d          (see docker-compose.yml: .env, the corpus and the volumes)
#   docker compose run --rm archivist archivist ask "…"

# ---- build ----------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS build
# Native modules compile from source when no prebuilt binary matches (better-sqlite3: ~2 min).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/ensure-build.mjs scripts/slim-node-modules.sh ./scripts/
# Its `prepare` step builds nothing yet (no sources): the dependencies stay a cached layer.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
# export-feedback is an operator command that lives beside the training code it shares.
COPY eval/*.ts ./eval/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && scripts/slim-node-modules.sh

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
# `archivist` on the PATH. The official image's unprivileged "node" user (uid 1000) owns the data
# volume (a bind-mounted folder must be writable by uid 1000 too); the corpus stays root's (read-only).
RUN ln -s /app/dist/src/cli/archivist.js /usr/local/bin/archivist \
 && mkdir -p /data/index /data/feedback /data/models && chown -R node:node /data
USER node
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
  CMD ["node", "dist/src/bot/healthcheck.js"]
# Node as PID 1 gets SIGTERM from `docker stop`; the bot shuts down cleanly on it.
CMD ["node", "dist/src/cli/archivist.js", "start"]
