#!/usr/bin/env bash
# Start, stop or check a real WebDAV server for development and tests, on 127.0.0.1:${TARN_TEST_WEBDAV_PORT:-8090}:
# `rclone serve webdav` (Debian's rclone) over a local directory, with basic authentication. It implements
# PROPFIND, MKCOL, MOVE, COPY, DELETE and ranged GETs.
#
#   scripts/services/webdav.sh start|stop|status|restart|env
#
# rclone is installed with apt-get when missing (as root). Files, pid file and log live in
#   ${TARN_WEBDAV_DATA:-${TARN_CACHE:-$HOME/.cache/tarn}/webdav-data}   (webdav-data-<port> if the port is not 8090)
#
# Environment: TARN_TEST_WEBDAV_PORT (8090), TARN_TEST_WEBDAV_USER (tarn-test), TARN_TEST_WEBDAV_PASSWORD
# (tarn-test-secret), TARN_WEBDAV_START_TIMEOUT seconds (30), TARN_CACHE, TARN_WEBDAV_DATA, RCLONE (rclone).
set -euo pipefail

CACHE="${TARN_CACHE:-$HOME/.cache/tarn}"
PORT="${TARN_TEST_WEBDAV_PORT:-8090}"
USER_NAME="${TARN_TEST_WEBDAV_USER:-tarn-test}"
PASSWORD="${TARN_TEST_WEBDAV_PASSWORD:-tarn-test-secret}"
if [[ "$PORT" == 8090 ]]; then default_data="$CACHE/webdav-data"; else default_data="$CACHE/webdav-data-$PORT"; fi
DATA="${TARN_WEBDAV_DATA:-$default_data}"
ROOT="$DATA/root"
PID_FILE="$DATA/rclone.pid"
LOG_FILE="$DATA/rclone.log"
START_TIMEOUT="${TARN_WEBDAV_START_TIMEOUT:-30}"
RCLONE="${RCLONE:-rclone}"
URL="http://127.0.0.1:$PORT"

log() { echo "webdav.sh: $*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_rclone() {
  command -v "$RCLONE" >/dev/null && return 0
  [[ "$RCLONE" == rclone ]] || die "RCLONE=$RCLONE is not an executable"
  command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]] ||
    die "rclone is required to run the WebDAV server: install it (apt-get install rclone) or set RCLONE"
  log "installing rclone with apt-get (once)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends rclone >"$DATA/apt.log" 2>&1; then
    # A fresh machine may have no package lists yet.
    apt-get update >>"$DATA/apt.log" 2>&1 || true
    apt-get install -y --no-install-recommends rclone >>"$DATA/apt.log" 2>&1 ||
      { tail -n 20 "$DATA/apt.log" >&2; die "apt-get could not install rclone (see $DATA/apt.log)"; }
  fi
}

running_pid() { running_pid_matching 'serve webdav'; }

# A real WebDAV request (PROPFIND of the root, authenticated), not just an open port.
webdav_answers() {
  port_open || return 1
  command -v curl >/dev/null || die "curl is required to check the WebDAV server (apt-get install curl)"
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X PROPFIND -H 'Depth: 0' \
    --user "$USER_NAME:$PASSWORD" "$URL/" 2>/dev/null)" || return 1
  [[ "$code" == 207 ]]
}

log_tail() { tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true; }

wait_until_ready() { wait_for_server "$1" webdav_answers "the WebDAV server" "$URL" 0.2; }

cmd_start() {
  mkdir -p "$ROOT"
  exec 9>"$DATA/.lock"
  flock 9 # one start at a time (parallel test runs)
  local pid t0=$SECONDS
  if pid="$(running_pid)"; then
    wait_until_ready "$pid"
    log "already running (pid $pid) at $URL"
    return 0
  fi
  if webdav_answers; then
    log "a WebDAV server not started by this script already answers at $URL with the test credentials; using it"
    return 0
  fi
  port_open && die "127.0.0.1:$PORT is in use by something that does not answer as WebDAV with the test credentials; set TARN_TEST_WEBDAV_PORT"
  install_rclone
  log "starting rclone serve webdav at $URL (files in $ROOT)"
  # The password goes through the environment, not the command line (visible in ps).
  # --dir-cache-time: the directory cache only ever sees this server's own changes, but keep it short anyway.
  RCLONE_PASS="$PASSWORD" setsid nohup "$RCLONE" serve webdav "$ROOT" --addr "127.0.0.1:$PORT" \
    --user "$USER_NAME" --dir-cache-time 2s --log-level NOTICE --config /dev/null \
    >>"$LOG_FILE" 2>&1 9>&- </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_until_ready "$pid"
  log "started (pid $pid) at $URL in $((SECONDS - t0))s; log: $LOG_FILE"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  stop_server "$pid" 10 0.2
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if webdav_answers; then
      echo "running (pid $pid) and answering at $URL"
      return 0
    fi
    echo "process $pid is running but does not answer at $URL (starting, or unhealthy: see $LOG_FILE)"
    return 1
  fi
  if webdav_answers; then
    echo "not started by this script, but a WebDAV server answers at $URL with the test credentials"
    return 0
  fi
  echo "not running"
  return 3
}

cmd_env() {
  echo "TARN_TEST_WEBDAV_URL=$URL"
  echo "TARN_TEST_WEBDAV_USER=$USER_NAME"
  echo "TARN_TEST_WEBDAV_PASSWORD=$PASSWORD"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop && cmd_start ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|restart|env" >&2; exit 2 ;;
esac
