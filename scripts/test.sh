#!/usr/bin/env bash
# Set up and run the whole test suite. Production-mode tests use the PostgreSQL and Redis
# servers on 127.0.0.1 (TEST_POSTGRES_URL, TEST_REDIS_URL); browser tests use Debian's
# Chromium. Under CI=true a missing server or browser is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,bench
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing Debian's chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium: browser tests will be skipped" >&2
fi
if [ "${CI:-}" = "true" ]; then
  export COOPDISPATCH_REQUIRE_SERVICES=1
fi
exec .venv/bin/python -m pytest "$@"
