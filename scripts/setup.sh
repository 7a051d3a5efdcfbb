#!/usr/bin/env bash
# Create .venv and install coopdispatch with the given extras; skips work already done.
# Usage: scripts/setup.sh [extras]   e.g. scripts/setup.sh test,bench
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "coopdispatch needs Python >= 3.11 (found $("$python" --version))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras//,/-}"
if [ ! -f "$stamp" ]; then
  echo "==> installing coopdispatch${extras:+ [$extras]} into .venv (first run takes a minute)"
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  .venv/bin/python -m pip install --quiet -e "$spec" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import dispatch, routing, courier_app" # fail here if the install did not work
  touch "$stamp"
fi
# The map library the web views serve from /static/vendor (pinned in courier_app/package-lock.json;
# the browser never fetches it from anywhere else). Needs npm (Node.js >= 18).
if [ ! -f courier_app/node_modules/maplibre-gl/dist/maplibre-gl.js ] \
   || [ courier_app/package-lock.json -nt courier_app/node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "==> installing the map library (npm ci in courier_app/)"
    (cd courier_app && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "npm not found: the web views will have no map (install Node.js >= 18, then rerun)" >&2
  fi
fi
