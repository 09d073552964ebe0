#!/usr/bin/env bash
# Runs schemathesis (from PyPI, in a venv of its own, made on first use) with the arguments given:
#   scripts/schemathesis.sh run http://127.0.0.1:8080/api-docs/json --url http://127.0.0.1:8080 -H "X-Rucio-Auth-Token: $TOKEN"
# The test run (test/api/schemathesis.e2e-spec.ts) and `npm run bench:fuzz` call it against a Tarn API they start.
set -euo pipefail
CACHE=${TARN_CACHE:-$HOME/.cache/tarn}
VERSION=${TARN_SCHEMATHESIS_VERSION:-4.32.5}
VENV=${TARN_SCHEMATHESIS_VENV:-$CACHE/schemathesis-$VERSION}

if [ ! -x "$VENV/bin/st" ]; then
  echo "schemathesis: installing schemathesis==$VERSION into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
exec "$VENV/bin/st" "$@"
