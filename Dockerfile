# syntax=docker/dockerfile:1
# The Longhaul worker: the goal workflow and its activities, polling Temporal. No secrets are baked in:
# OPENAI_API_KEY, SLACK_BOT_TOKEN, TEMPORAL_API_KEY … come from the environment at run time (see DEPLOY.md).
#   docker build -t longhaul-worker .
#   docker run --env-file deploy/longhaul.env -e TEMPORAL_ADDRESS=temporal:7233 -v "$PWD/workspaces:/workspaces" longhaul-worker

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the TypeScript and bundle the workflow code ahead of time ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (a build) needs the sources, copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY goal ./goal
COPY workflows ./workflows
COPY activities ./activities
COPY common ./common
COPY worker ./worker
COPY client ./client
RUN npm run build \
 && node dist/worker/workflow-bundle.js dist/workflow-bundle.js

# ---- runtime: Node, git for the workspaces, production dependencies only ----
FROM ${NODE_IMAGE} AS runtime
# The worker runs as the image's `node` user; give it your uid/gid so it can write the mounted workspaces.
ARG LONGHAUL_UID=1000
ARG LONGHAUL_GID=1000
# Debian's current git and CA roots (for pushes over https); pinning Debian patch versions breaks rebuilds.
# Workspaces are bind mounts whose owner may differ from the worker's user; git refuses those by default,
# hence safe.directory.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupmod -o -g "${LONGHAUL_GID}" node \
 && usermod -o -u "${LONGHAUL_UID}" -g "${LONGHAUL_GID}" node \
 && git config --system --add safe.directory '*' \
 && mkdir -p /var/lib/longhaul /workspaces \
 && chown node:node /var/lib/longhaul /workspaces /home/node
ENV NODE_ENV=production \
    LONGHAUL_HOME=/var/lib/longhaul \
    LONGHAUL_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The dashboard's pages (plain files, no build step): `longhaul dashboard` reads them beside dist/.
COPY client/dashboard/static ./client/dashboard/static
RUN ln -s /app/bin/longhaul.js /usr/local/bin/longhaul
USER ${LONGHAUL_UID}:${LONGHAUL_GID}
ENTRYPOINT ["node", "dist/worker/main.js"]
