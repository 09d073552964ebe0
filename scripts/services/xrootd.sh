#!/usr/bin/env bash
# Start, stop or check two real XRootD servers for development and tests (Debian's xrootd-server), so that a
# copy between two XRootD endpoints can be third-party:
#   A  root://127.0.0.1:${TARN_TEST_XROOTD_PORT:-1094}    and its HTTP/WebDAV door http://127.0.0.1:${TARN_TEST_XROOTD_HTTP_PORT:-8094}
#   B  root://127.0.0.1:${TARN_TEST_XROOTD_PORT_B:-1095}  and its HTTP/WebDAV door http://127.0.0.1:${TARN_TEST_XROOTD_HTTP_PORT_B:-8095}
# Each exports its own directory read-write without authentication, accepts connections from this host only,
# computes adler32 checksums (xrootd.chksum), and takes third-party copies: root:// ones (ofs.tpc, the
# destination pulls with xrdcp) and HTTP-TPC COPY on its HTTP door (libXrdHttpTPC). Both speak TLS too
# (roots://, https:// on the HTTP door) with a host certificate of a test CA made here once; clients trust
# it with X509_CERT_DIR=<data>/tls/ca (XRootD) or its ca.pem. Logins and opens are logged.
#
#   scripts/services/xrootd.sh start|stop|status|restart|env
#
# xrootd-server, xrootd-client (xrdcp, xrdfs) and python3-xrootd (the client library Tarn uses) are installed
# with apt-get when missing (as root). As root, the servers run as the unprivileged system user tarn-xrootd.
# Files, configuration, pid files and logs live in
#   ${TARN_XROOTD_DATA:-/var/tmp/tarn/xrootd (as root), else ${TARN_CACHE:-$HOME/.cache/tarn}/xrootd}/<port>/
#
# Environment: the four ports above, TARN_XROOTD_START_TIMEOUT seconds (30), TARN_XROOTD_DATA, TARN_CACHE.
set -euo pipefail

CACHE="${TARN_CACHE:-$HOME/.cache/tarn}"
if [[ "$(id -u)" == 0 ]]; then default_data=/var/tmp/tarn/xrootd; else default_data="$CACHE/xrootd"; fi
BASE="${TARN_XROOTD_DATA:-$default_data}"
SERVERS=(
  "${TARN_TEST_XROOTD_PORT:-1094}:${TARN_TEST_XROOTD_HTTP_PORT:-8094}"
  "${TARN_TEST_XROOTD_PORT_B:-1095}:${TARN_TEST_XROOTD_HTTP_PORT_B:-8095}"
)
START_TIMEOUT="${TARN_XROOTD_START_TIMEOUT:-30}"
RUN_AS=tarn-xrootd

log() { echo "xrootd.sh: $*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_xrootd() {
  command -v xrootd >/dev/null && command -v xrdcp >/dev/null && command -v xrdfs >/dev/null &&
    /usr/bin/python3 -c 'import XRootD.client' 2>/dev/null && return 0
  command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]] ||
    die "XRootD is required: install xrootd-server, xrootd-client and python3-xrootd (apt-get install ...), or run this script as root"
  log "installing xrootd-server, xrootd-client and python3-xrootd with apt-get (once)"
  mkdir -p "$BASE"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >"$BASE/apt.log" 2>&1 || true
  apt-get install -y --no-install-recommends xrootd-server xrootd-client python3-xrootd >>"$BASE/apt.log" 2>&1 ||
    { tail -n 20 "$BASE/apt.log" >&2; die "apt-get could not install XRootD (see $BASE/apt.log)"; }
}

# The server's own user: never root.
as_server_user=()
[[ "$(id -u)" == 0 ]] && as_server_user=(setpriv "--reuid=$RUN_AS" "--regid=$RUN_AS" --init-groups)

# Per server: sets PORT, HTTP_PORT, DATA, PID_FILE, LOG_FILE, CONFIG (lib.sh reads PID_FILE, PORT, LOG_FILE).
select_server() {
  PORT="${1%%:*}"
  HTTP_PORT="${1##*:}"
  DATA="$BASE/$PORT"
  PID_FILE="$DATA/xrootd.pid"
  LOG_FILE="$DATA/xrootd.log"
  CONFIG="$DATA/xrootd.cfg"
}

running_pid() { running_pid_matching "xrootd -c $CONFIG"; }

# A real request (the server's version through the XRootD protocol, and an HTTP answer on the HTTP door).
xrootd_answers() {
  port_open || return 1
  timeout 5 env XRD_CONNECTIONRETRY=1 xrdfs "root://127.0.0.1:$PORT" query config version >/dev/null 2>&1 || return 1
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X PROPFIND -H 'Depth: 0' "http://127.0.0.1:$HTTP_PORT/" 2>/dev/null)" || return 1
  [[ "$code" == 207 ]]
}

log_tail() { tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true; }

# A test CA and a certificate for 127.0.0.1/localhost signed by it (once), readable by the server user.
TLS="$BASE/tls"
make_certificates() {
  [[ -f "$TLS/host.pem" && -f "$TLS/ca/ca.pem" ]] && return 0
  command -v openssl >/dev/null || die "openssl is required to make the test servers' TLS certificate (apt-get install openssl)"
  log "making a test CA and a host certificate for 127.0.0.1 in $TLS (once)"
  rm -rf "$TLS.tmp" && mkdir -p "$TLS.tmp/ca"
  (
    cd "$TLS.tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca/ca.pem -days 3650 -subj "/CN=Tarn test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -nodes -keyout host.key -out host.csr -subj "/CN=localhost"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth,clientAuth" >host.ext
    openssl x509 -req -in host.csr -CA ca/ca.pem -CAkey ca.key -CAcreateserial -out host.pem -days 3650 -extfile host.ext
    ln -s ca.pem "ca/$(openssl x509 -hash -noout -in ca/ca.pem).0"
    rm -f ca.key host.csr host.ext ca/ca.srl ca.srl
  ) >"$BASE/openssl.log" 2>&1 || { cat "$BASE/openssl.log" >&2; die "openssl could not make the test certificates"; }
  chmod 600 "$TLS.tmp/host.key"
  mv "$TLS.tmp" "$TLS"
}

write_config() {
  cat >"$CONFIG" <<EOF
# Generated by tarn scripts/services/xrootd.sh
all.export /
oss.localroot $DATA/files
all.adminpath $DATA/admin
all.pidpath $DATA/run
xrd.port $PORT
xrd.allow host localhost
xrd.allow host 127.0.0.1
xrootd.chksum max 8 adler32
ofs.tpc autorm pgm /usr/bin/xrdcp --server
xrd.protocol XrdHttp:$HTTP_PORT libXrdHttp.so
http.exthandler xrdtpc libXrdHttpTPC.so
xrd.tls $TLS/host.pem $TLS/host.key
xrd.tlsca certdir $TLS/ca
xrootd.trace login
ofs.trace open
EOF
}

start_one() {
  select_server "$1"
  mkdir -p "$DATA/files" "$DATA/admin" "$DATA/run"
  local pid t0=$SECONDS
  if pid="$(running_pid)"; then
    wait_for_server "$pid" xrootd_answers "the XRootD server" "root://127.0.0.1:$PORT" 0.2
    log "already running (pid $pid) at root://127.0.0.1:$PORT and http://127.0.0.1:$HTTP_PORT"
    return 0
  fi
  if xrootd_answers; then
    log "an XRootD server not started by this script already answers at root://127.0.0.1:$PORT; using it"
    return 0
  fi
  port_open && die "127.0.0.1:$PORT is in use by something that does not answer as XRootD; set TARN_TEST_XROOTD_PORT(_B)"
  (PORT="$HTTP_PORT"; port_open) && die "127.0.0.1:$HTTP_PORT is in use; set TARN_TEST_XROOTD_HTTP_PORT(_B)"
  write_config
  if [[ "$(id -u)" == 0 ]]; then
    chown -R "$RUN_AS:" "$DATA"
    # The server user must reach its directory through the parents.
    local dir="$DATA"
    while [[ "$dir" != / ]]; do dir="$(dirname "$dir")"; chmod o+x "$dir" 2>/dev/null || true; done
  fi
  log "starting xrootd at root://127.0.0.1:$PORT and http://127.0.0.1:$HTTP_PORT (files in $DATA/files)"
  "${as_server_user[@]}" setsid nohup xrootd -c "$CONFIG" -l "$LOG_FILE" -k 3 </dev/null >>"$DATA/stdout.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_for_server "$pid" xrootd_answers "the XRootD server" "root://127.0.0.1:$PORT" 0.2
  log "started (pid $pid) at root://127.0.0.1:$PORT in $((SECONDS - t0))s; log: $LOG_FILE"
}

cmd_start() {
  mkdir -p "$BASE"
  exec 9>"$BASE/.lock"
  flock 9 # one start at a time (parallel test runs)
  install_xrootd
  make_certificates
  [[ "$(id -u)" == 0 ]] && { id "$RUN_AS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS"; chown -R "$RUN_AS:" "$TLS"; }
  command -v curl >/dev/null || die "curl is required to check the XRootD servers' HTTP doors (apt-get install curl)"
  for server in "${SERVERS[@]}"; do start_one "$server"; done
}

cmd_stop() {
  local pid
  for server in "${SERVERS[@]}"; do
    select_server "$server"
    if pid="$(running_pid)"; then stop_server "$pid" 10 0.2; else rm -f "$PID_FILE"; log "root://127.0.0.1:$PORT not running"; fi
  done
}

cmd_status() {
  local pid rc=0
  for server in "${SERVERS[@]}"; do
    select_server "$server"
    if xrootd_answers; then
      if pid="$(running_pid)"; then echo "running (pid $pid) and answering at root://127.0.0.1:$PORT, http://127.0.0.1:$HTTP_PORT"
      else echo "not started by this script, but an XRootD server answers at root://127.0.0.1:$PORT"; fi
    elif pid="$(running_pid)"; then
      echo "process $pid is running but does not answer at root://127.0.0.1:$PORT (starting, or unhealthy: see $LOG_FILE)"
      rc=1
    else
      echo "root://127.0.0.1:$PORT not running"
      rc=3
    fi
  done
  return "$rc"
}

cmd_env() {
  echo "TARN_TEST_XROOTD_CA_DIR=$TLS/ca"
  select_server "${SERVERS[0]}"
  echo "TARN_TEST_XROOTD_URL=root://127.0.0.1:$PORT"
  echo "TARN_TEST_XROOTD_HTTP_URL=http://127.0.0.1:$HTTP_PORT"
  echo "TARN_TEST_XROOTD_LOG=$LOG_FILE"
  select_server "${SERVERS[1]}"
  echo "TARN_TEST_XROOTD_URL_B=root://127.0.0.1:$PORT"
  echo "TARN_TEST_XROOTD_HTTP_URL_B=http://127.0.0.1:$HTTP_PORT"
  echo "TARN_TEST_XROOTD_LOG_B=$LOG_FILE"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop && cmd_start ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|restart|env" >&2; exit 2 ;;
esac
