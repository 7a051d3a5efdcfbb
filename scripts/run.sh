#!/usr/bin/env bash
# Set up and run coopdispatch in embedded mode (SQLite + in-process bus + the shipped map),
# with the demo co-op and the live demo feed. HOST/PORT choose the address; other options go
# to `coopdispatch serve` (e.g. --no-demo-feed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DATABASE_URL="${DATABASE_URL:-sqlite:///./coopdispatch.db}"
host="${HOST:-127.0.0.1}"
port="${PORT:-8000}"
.venv/bin/coopdispatch migrate
.venv/bin/coopdispatch seed
cat <<MSG

  Open http://$host:$port/            (merchant, courier and dispatcher views)
       http://$host:$port/docs        (HTTP API)
  Map data © OpenStreetMap contributors. Stop with Ctrl-C.

MSG
exec .venv/bin/coopdispatch serve --host "$host" --port "$port" --demo-feed "$@"
