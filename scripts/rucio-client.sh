#!/usr/bin/env bash
# Creates a Python venv with the stock Rucio client from PyPI and writes a client config that points at a
# running Tarn API. Idempotent.
#
#   scripts/rucio-client.sh [--url URL] [--account ACCOUNT] [--username NAME] [--password PASSWORD] [--config FILE]
#
# Then:  export RUCIO_CONFIG=<printed path>; <venv>/bin/rucio ping
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TARN_CACHE:-$HOME/.cache/tarn}
VERSION=${TARN_RUCIO_CLIENT_VERSION:-41.5.1}
VENV=${TARN_RUCIO_VENV:-$CACHE/rucio-clients-$VERSION}
URL=${TARN_URL:-http://127.0.0.1:${TARN_PORT:-8080}}
ACCOUNT=root
USERNAME=
PASSWORD=${TARN_ROOT_PASSWORD:-}
CONFIG=${TARN_HOME:-$ROOT/.tarn}/rucio/rucio.cfg

while [ $# -gt 0 ]; do
  case "$1" in
    --url) URL=$2; shift 2 ;;
    --account) ACCOUNT=$2; shift 2 ;;
    --username) USERNAME=$2; shift 2 ;;
    --password) PASSWORD=$2; shift 2 ;;
    --config) CONFIG=$2; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
USERNAME=${USERNAME:-$ACCOUNT}

if [ ! -x "$VENV/bin/rucio" ]; then
  echo "rucio-client: installing rucio-clients==$VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "rucio-clients==$VERSION"
fi

mkdir -p "$(dirname "$CONFIG")"
umask 077
cat >"$CONFIG" <<CFG
[client]
rucio_host = $URL
auth_host = $URL
auth_type = userpass
account = $ACCOUNT
username = $USERNAME
password = $PASSWORD
request_retries = 1
ca_cert = /etc/ssl/certs/ca-certificates.crt
CFG
echo "rucio-client: config for $ACCOUNT at $URL written to $CONFIG" >&2
echo "export RUCIO_CONFIG=$CONFIG PATH=$VENV/bin:\$PATH"
