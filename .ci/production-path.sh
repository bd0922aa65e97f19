#!/usr/bin/env bash
# The README's build-once production path, in a temporary copy of the repository (without
# node_modules): npm ci, npm run build, npm prune --omit=dev (no Nest CLI left), then on a
# fresh PostgreSQL database: migrations and keys:rotate from compiled JavaScript, start with
# NODE_ENV=production and the required secrets, wait for /health/ready, stop gracefully.
# The database, the copy and the server are removed whatever happens. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { printf '\n==> production path: %s\n' "$*"; }

PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB_NAME="${PRODUCTION_PATH_DB_PREFIX:-paymux_prodpath_}$(date +%s)_$$"
WORK=$(mktemp -d)
APP="$WORK/app"
SERVER_PID=""
# pg from the repository's own node_modules (the copy's is installed later).
pg_admin() { (cd "$ROOT" && node -e "
  const { Client } = require('pg');
  const c = new Client({ connectionString: process.argv[1] });
  c.connect().then(() => c.query(process.argv[2])).then(() => c.end()).catch((e) => { console.error(e.message); process.exit(1); });
" "$PG_ADMIN_URL" "$1"); }
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -KILL -- "-$SERVER_PID" 2>/dev/null || true; fi
  pg_admin "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "copy of the repository in $APP"
mkdir -p "$APP"
tar -C "$ROOT" --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./test-artifacts \
  --exclude=./.git -cf - . | tar -C "$APP" -xf -
cd "$APP"

log "npm ci, build, prune dev dependencies"
npm ci --prefer-offline --no-audit --no-fund
npm run build
npm prune --omit=dev --no-audit --no-fund
# The Nest CLI (what `prestart` needs) is gone. ts-node and typescript stay: the lock file marks them
# devOptional (optional peers of production packages), so nothing below may rely on them being absent.
if [ -e node_modules/@nestjs/cli ]; then echo "the dev dependency @nestjs/cli is still installed after the prune"; exit 1; fi

pg_admin "CREATE DATABASE \"$DB_NAME\""
PG_URL=$(node -e "const u = new URL(process.argv[1]); u.pathname = '/' + process.argv[2]; console.log(u.toString())" \
  "$PG_ADMIN_URL" "$DB_NAME")
export NODE_ENV=production
export DATABASE_URL="$PG_URL"
export DATA_DIR="$WORK/data"
JWT_SECRET=$(node -e "console.log(require('node:crypto').randomBytes(36).toString('base64url'))")
PAYMUX_MASTER_KEY=$(node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))")
export JWT_SECRET PAYMUX_MASTER_KEY

log "migrations and keys:rotate from compiled JavaScript on $DB_NAME"
npm run -s migration:run:prod
npm run -s keys:rotate:prod

PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export PORT
log "npm run start:prod (NODE_ENV=production) on port $PORT"
# In its own process group (setsid), so stopping it stops npm and the node server under it.
(exec setsid npm run -s start:prod >"$WORK/start.log" 2>&1) &
SERVER_PID=$!
ready=""
for _ in $(seq 1 600); do # a ceiling of about 5 minutes on a loaded machine; usually seconds
  if curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; then ready=1; break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then cat "$WORK/start.log"; echo "production path: /health/ready never answered"; exit 1; fi
curl -fsS "http://127.0.0.1:$PORT/health/ready"; echo

log "the console at /admin (console/dist, built before the prune) and one of its hashed assets"
ADMIN_HTML=$(curl -fsS "http://127.0.0.1:$PORT/admin/orders")
ASSET=$(printf '%s' "$ADMIN_HTML" | grep -o '/admin/assets/[^"]*\.js' | head -1 || true)
if [ -z "$ASSET" ] || ! curl -fsS -o /dev/null "http://127.0.0.1:$PORT$ASSET"; then
  echo "$ADMIN_HTML"; echo "production path: /admin does not serve the built console"; exit 1
fi

log "graceful stop"
kill -TERM -- "-$SERVER_PID"
stopped=""
for _ in $(seq 1 60); do
  if ! kill -0 -- "-$SERVER_PID" 2>/dev/null; then stopped=1; break; fi
  sleep 0.5
done
wait "$SERVER_PID" 2>/dev/null || true
if [ -z "$stopped" ] || ! grep -q "shutting down gracefully" "$WORK/start.log"; then
  cat "$WORK/start.log"; echo "production path: no graceful shutdown within 30 s"; exit 1
fi
SERVER_PID=
log "passed"
