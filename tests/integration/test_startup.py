"""Start-up checks: an unmigrated database is refused; production refuses dev secrets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from dispatch.app import create_app
from dispatch.db.engine import make_engine
from dispatch.db.migrate import DatabaseNotMigrated, current_revision, head_revision, upgrade
from dispatch.settings import Settings


def test_the_app_refuses_to_start_on_an_unmigrated_database_and_says_what_to_run(tmp_path):
    """An empty SQLite file stops the start with the command that fixes it."""
    settings = Settings(coopdispatch_env="test", database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotMigrated) as err, TestClient(create_app(settings)):
        pass
    assert "coopdispatch migrate" in str(err.value) and "none (empty)" in str(err.value)


def test_migrating_twice_is_harmless_and_reaches_head(tmp_path):
    """upgrade() is idempotent."""
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_mode(tmp_path):
    """The embedded database uses write-ahead logging so readers never block the writer."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_production_mode_refuses_the_default_secret():
    """Outside dev/test the secret key must be set, and long."""
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(coopdispatch_env="production")
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(coopdispatch_env="production", secret_key="short")
    assert Settings(coopdispatch_env="production", secret_key="x" * 40).secret_key == "x" * 40


def test_settings_default_to_the_embedded_mode(monkeypatch):
    """With no environment, the service uses SQLite, the in-process bus and the shipped map."""
    for name in ("DATABASE_URL", "BUS_URL", "MAP_PATH"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.database_url == "sqlite:///./coopdispatch.db" and s.bus_url == "memory://"
    assert s.map_path is None and s.is_sqlite
