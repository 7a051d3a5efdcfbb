"""Migration 0007 (webhook event order) upgrades a database with attempts in it, on SQLite and
PostgreSQL, down and up again, and leaves ``webhook_attempts`` as the models describe it."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from dispatch.db.migrate import alembic_config, upgrade
from dispatch.db.models import Base
from tests.integration.test_migration_0004 import empty_engine  # noqa: F401 - the fixture


def _downgrade(engine: Any, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _attempts(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        return {row.id: row.next_attempt_at for row in conn.execute(
            text("SELECT id, next_attempt_at FROM webhook_attempts"))}


def test_0007_clears_next_attempt_of_finished_attempts_and_goes_down_and_up_again(empty_engine):  # noqa: F811
    """A delivered attempt loses its next_attempt_at, a pending one keeps it; the table then
    matches the models (subject_id and its index); down to 0006 and back up works."""
    upgrade(empty_engine, "0006")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO coops (id, slug, name, timezone, currency, locale, service_area, created_at) "
                          "VALUES ('c1', 'c', 'C', 'Europe/Helsinki', 'EUR', 'fr', '{}', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO merchants (id, coop_id, name, address, lat, lon, is_member, created_at) "
                          "VALUES ('m1', 'c1', 'Shop', 'Street 1', 60.17, 24.94, true, '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO webhook_endpoints (id, coop_id, merchant_id, url, secret, event_types, "
                          "created_at) VALUES ('e1', 'c1', 'm1', 'https://example.org/h', 'whsec_x', '[]', "
                          "'2026-01-01 00:00:00')"))
        for attempt_id, state in (("a1", "delivered"), ("a2", "pending")):
            conn.execute(text(
                "INSERT INTO webhook_attempts (id, endpoint_id, event_seq, event_id, payload, state, attempts, "
                "next_attempt_at, created_at) VALUES (:id, 'e1', :seq, :evt, '{}', :state, 1, "
                "'2026-01-01 00:01:00', '2026-01-01 00:00:00')"),
                {"id": attempt_id, "seq": int(attempt_id[1]), "evt": f"evt_{attempt_id[1]}", "state": state})
    upgrade(empty_engine, "0007")
    after = _attempts(empty_engine)
    assert after["a1"] is None and after["a2"] is not None
    with empty_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert not [d for d in diffs if "webhook_attempts" in repr(d)], diffs
    _downgrade(empty_engine, "0006")
    assert all(v is not None for v in _attempts(empty_engine).values())
    upgrade(empty_engine)
