#!/bin/sh
# Container entry point (Dockerfile). With no arguments: migrate the database, then serve —
# the node equivalents of `npm run db -- migrate` and `npm start` (tsx loaded in-process; `exec`
# makes the server the process that receives SIGTERM).
# With arguments: run them instead, e.g. `docker compose run --rm app npm run db -- status`.
set -eu
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

node --import tsx src/server/db/cli.ts migrate
exec node --import tsx src/server/main.ts
