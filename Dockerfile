# syntax=docker/dockerfile:1
# Three stages: compile the TypeScript, install production dependencies only, then a small runtime
# image that runs as the unprivileged `node` user. Every service of docker-compose.yml uses it.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 protobufjs
COPY tsconfig.json tsconfig.build.json ./
# No bench/ and no test/: the benchmarks and test kits build apart (tsconfig.bench.json, dist-bench/).
COPY adapter ./adapter
COPY cli ./cli
COPY docs-site ./docs-site
COPY ingestion ./ingestion
COPY lib ./lib
COPY scheduler ./scheduler
COPY simulator ./simulator
# esbuild bundles the pages' browser code (docs-site/browser, scheduler/browser) into dist/.
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 protobufjs

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    BAMBUZLED_DB=/data/print_history.db
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json workflow_settings.yaml ./
COPY bin ./bin
COPY definitions ./definitions
COPY includes ./includes
COPY ingestion/config.example.json ./ingestion/config.example.json
# The database volume and the compile cache must be writable by the unprivileged user.
RUN mkdir -p /data /app/.bambuzled && chown node:node /data /app/.bambuzled
USER node
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/bambuzled.js"]
CMD ["start"]
