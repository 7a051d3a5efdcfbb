#!/usr/bin/env bash
# Set up and run coopdispatch in embedded mode (SQLite + in-process bus + the shipped map),
# with the demo co-op and the live demo feed. Options are passed to `coopdispatch serve`
# (e.g. --no-demo-feed, --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DATABASE_URL="${DATABASE_URL:-sqlite:///./coopdispatch.db}"
.venv/bin/coopdispatch migrate
.venv/bin/coopdispatch seed
cat <<MSG

  Open http://127.0.0.1:8000/            (merchant, courier and dispatcher views)
       http://127.0.0.1:8000/docs        (HTTP API)
  Map data © OpenStreetMap contributors. Stop with Ctrl-C.

MSG
exec .venv/bin/coopdispatch serve --demo-feed "$@"
