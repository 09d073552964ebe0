#!/usr/bin/env bash
# Prints the path of promtool (Prometheus's rule checker and rule unit tester), fetching it once when it is missing:
# the one on the PATH, else the one in Tarn's tool cache, else extracted from Debian's `prometheus` package
# (`apt-get download`, no root and no Prometheus server installed). Idempotent.
# Cache: $TARN_CACHE/tools (default ~/.cache/tarn/tools).
set -euo pipefail
if command -v promtool >/dev/null; then command -v promtool; exit 0; fi
DIR=${TARN_CACHE:-$HOME/.cache/tarn}/tools/promtool
if [ ! -x "$DIR/promtool" ]; then
  command -v apt-get >/dev/null || { echo "$0: promtool is missing and there is no apt-get to fetch Debian's prometheus package: install promtool" >&2; exit 1; }
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  echo "fetching promtool from Debian's prometheus package (once; cached in $DIR)" >&2
  (cd "$WORK" && apt-get download prometheus >&2) || { apt-get update -qq >&2 && (cd "$WORK" && apt-get download prometheus >&2); }
  dpkg-deb -x "$WORK"/prometheus_*.deb "$WORK/root"
  "$WORK/root/usr/bin/promtool" --version >/dev/null
  mkdir -p "$DIR" && mv "$WORK/root/usr/bin/promtool" "$DIR/promtool"
fi
echo "$DIR/promtool"
