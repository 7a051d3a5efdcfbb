"""Crash safety, short version of scripts/chaos_crash.py: SIGKILL the server twice under load."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from dispatch.db.engine import normalise_url

from tests.conftest import POSTGRES_URL, REDIS_URL, REPO, service_missing
from tests.e2e.conftest import _require_redis


def _require_postgres() -> None:
    engine = create_engine(normalise_url(POSTGRES_URL))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to connect means the server is absent
        service_missing(f"PostgreSQL at {POSTGRES_URL}")
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.redis
def test_no_acknowledged_write_is_lost_or_doubled_across_sigkills():
    """Every 2xx the client journaled is in the database exactly once; every event published."""
    _require_postgres()
    _require_redis()
    out = subprocess.run([sys.executable, "scripts/chaos_crash.py", "--kills", "2", "--rate", "10",
                          "--min-gap-s", "1", "--max-gap-s", "2", "--seed", "3",
                          "--database-url", POSTGRES_URL, "--bus-url", REDIS_URL],
                         cwd=REPO, capture_output=True, text=True, timeout=240)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    m = re.fullmatch(r"RESULT acked=(\d+) missing=(\d+) duplicated=(\d+) kills=(\d+)", last)
    assert m, out.stdout[-2000:] + out.stderr[-2000:]
    acked, missing, duplicated, kills = map(int, m.groups())
    assert (missing, duplicated, kills) == (0, 0, 2)
    assert acked >= 3 and out.returncode == 0
