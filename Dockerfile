# syntax=docker/dockerfile:1
# AI Book in a container: docs/deploy.md, "Containers". CI does not build this image.
#   docker build -t aibook .
#   docker run -p 7860:7860 -v aibook-data:/data --env-file aibook.env aibook
# It runs what the tested path runs (`npm run db -- migrate`, then `npm start`), as node
# commands: deploy/docker-entrypoint.sh.

# ─── build: dependencies (better-sqlite3 may compile), the web app, then production deps only ──
FROM node:20-bookworm-slim AS build
# better-sqlite3 is a native addon: when no prebuilt binary fits, `npm ci` compiles it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# devDependencies are needed for the build (Vite): NODE_ENV must not be production here.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ─── runtime: no compiler, no dev dependencies, not root ──────────────────────────────────
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=7860 \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    SKIP_WEB_BUILD=true
WORKDIR /app
# Owned by root, read-only for the server: it writes only to /data (and tsx's cache in /tmp).
COPY --from=build /app/package.json /app/package-lock.json /app/tsconfig.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src/server ./src/server
COPY --from=build /app/src/shared ./src/shared
COPY --from=build /app/content ./content
COPY --from=build /app/dist/web ./dist/web
COPY --from=build /app/deploy/docker-entrypoint.sh ./deploy/docker-entrypoint.sh
# DATA_DIR: the SQLite database when DATABASE_URL is not PostgreSQL, and the file outbox.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]
EXPOSE 7860
# Liveness only (the process answers). /ready also asks the database: use it in a load balancer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||7860)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
