#!/usr/bin/env bash
# Installs (once) or checks the browser the web UI's tests and benchmark drive: Debian's chromium, run headless
# through playwright-core (which never downloads a browser of its own).
#
#   scripts/services/chromium.sh install|status|path
#
# install: apt-get update, then apt-get install chromium and fonts, unless $TARN_CHROMIUM (default /usr/bin/chromium)
#          already runs. Idempotent; needs root and apt-get when the browser is missing.
# status:  exit 0 when the browser runs (prints its version).
# path:    prints the browser's path.
set -euo pipefail

CHROMIUM="${TARN_CHROMIUM:-/usr/bin/chromium}"
LOG_DIR="${TARN_CACHE:-$HOME/.cache/tarn}"

log() { echo "chromium.sh: $*" >&2; }
die() { log "$*"; exit 1; }

version() { "$CHROMIUM" --headless --no-sandbox --disable-gpu --version 2>/dev/null; }

cmd_install() {
  if version >/dev/null; then return 0; fi
  [[ "$CHROMIUM" == /usr/bin/chromium ]] || die "TARN_CHROMIUM=$CHROMIUM does not run"
  command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]] ||
    die "the web UI's tests need Debian's chromium: install it (apt-get install chromium) or set TARN_CHROMIUM"
  mkdir -p "$LOG_DIR"
  exec 9>"$LOG_DIR/.chromium-install.lock"
  flock 9 # one install at a time (parallel test runs)
  if version >/dev/null; then return 0; fi
  log "installing Debian's chromium with apt-get (once)"
  export DEBIAN_FRONTEND=noninteractive
  local apt_log="$LOG_DIR/chromium-apt.log"
  { apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-liberation; } >"$apt_log" 2>&1 ||
    { tail -n 20 "$apt_log" >&2; die "apt-get could not install chromium (see $apt_log)"; }
  version >/dev/null || die "chromium was installed but $CHROMIUM does not run (see $apt_log)"
  log "installed $(version)"
}

case "${1:-}" in
  install) cmd_install ;;
  status) version || die "$CHROMIUM does not run; install it with: $0 install" ;;
  path) echo "$CHROMIUM" ;;
  *) die "usage: $0 install|status|path" ;;
esac
