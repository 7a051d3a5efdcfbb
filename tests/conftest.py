"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Where ``../shared/data`` is, or an override from COOPDISPATCH_SHARED_DATA."""
    env = os.environ.get("COOPDISPATCH_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real data folder; tests that need it are skipped when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not present at {path}")
    return path


REQUIRE_SERVICES = os.environ.get("COOPDISPATCH_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_missing(what: str) -> None:
    """Skip locally when a production server is absent; fail in CI, where it must run."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI (COOPDISPATCH_REQUIRE_SERVICES=1) but unreachable")
    pytest.skip(f"{what} is not reachable")


_production_passed: dict[str, int] = {"postgres": 0, "redis": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for marker in _production_passed:
            if marker in report.keywords:
                _production_passed[marker] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a run in which no production-mode test passed is a failure, whatever else ran."""
    if not REQUIRE_SERVICES or session.config.option.collectonly:
        return
    if session.config.args and any("::" in a or a.endswith(".py") for a in session.config.args):
        return  # a hand-picked subset, not the suite
    missing = [m for m, n in _production_passed.items() if n == 0]
    if missing:
        print(f"\nproduction-mode tests did not run: {missing}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
