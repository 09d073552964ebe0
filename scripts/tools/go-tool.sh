#!/usr/bin/env bash
# Builds a Go command at a pinned version from its module on the Go module proxy, once, into Tarn's tool cache,
# and prints the binary's path. The module is built as the main module (its own go.mod and go.sum, as its
# authors build it). Idempotent: a cached build is reused.
#   scripts/tools/go-tool.sh compose|helm
# Cache: $TARN_CACHE/tools (default ~/.cache/tarn/tools).
set -euo pipefail
CACHE=${TARN_CACHE:-$HOME/.cache/tarn}/tools

case "${1:-}" in
  # The Compose CLI (`docker compose`), run standalone as docker-compose; `config` needs no Docker engine.
  compose) MODULE=github.com/docker/compose/v5 VERSION=v5.6.0 PACKAGE=./cmd NAME=docker-compose
    STAMP=-X=github.com/docker/compose/v5/internal.Version=$VERSION ;;
  helm) MODULE=helm.sh/helm/v4 VERSION=v4.3.2 PACKAGE=./cmd/helm NAME=helm
    STAMP=-X=helm.sh/helm/v4/internal/version.version=$VERSION ;;
  *) echo "usage: $0 compose|helm" >&2; exit 2 ;;
esac

DIR="$CACHE/$NAME-$VERSION"
if [ ! -x "$DIR/$NAME" ]; then
  command -v go >/dev/null || { echo "$0: the go command is needed to build $NAME $VERSION" >&2; exit 1; }
  echo "building $NAME $VERSION from $MODULE (once; cached in $DIR)" >&2
  SOURCE=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -d "$SOURCE" ] || { echo "$0: go mod download $MODULE@$VERSION gave no source directory" >&2; exit 1; }
  BUILD=$(mktemp -d)
  trap 'chmod -R u+w "$BUILD"; rm -rf "$BUILD"' EXIT
  cp -R "$SOURCE/." "$BUILD/src" && chmod -R u+w "$BUILD/src"
  (cd "$BUILD/src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s $STAMP" -o "$BUILD/$NAME" "$PACKAGE") >&2
  "$BUILD/$NAME" version >/dev/null
  mkdir -p "$DIR" && mv "$BUILD/$NAME" "$DIR/$NAME"
fi
echo "$DIR/$NAME"
