# Sourced by kafka.sh, s3.sh and webdav.sh: the pid file, the wait for a starting server and its stop.
# The sourcing script sets PID_FILE and PORT, and defines log, die and log_tail (the server's last log lines).

# The pid in $PID_FILE, if that process runs and its command line matches the grep pattern $1.
running_pid_matching() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$1" || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; }

# wait_for_server PID CHECK WHAT WHERE POLL: until the command CHECK succeeds (the server answers), within
# $START_TIMEOUT seconds, polling every POLL seconds; dies with the server's last log lines if it exits or stays silent.
wait_for_server() {
  local pid="$1" check="$2" what="$3" where="$4" poll="$5" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      rm -f "$PID_FILE"
      die "$what exited during start-up (see $LOG_FILE)"
    fi
    "$check" && return 0
    sleep "$poll"
  done
  log_tail
  die "$what (pid $pid) did not answer at $where within ${START_TIMEOUT}s; stop it with: $0 stop"
}

# stop_server PID TIMEOUT POLL: SIGTERM, then SIGKILL after TIMEOUT seconds; forgets the pid file.
stop_server() {
  local pid="$1" deadline=$((SECONDS + $2))
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep "$3"; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}
