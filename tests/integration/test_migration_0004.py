"""Migration 0004 (co-op setup) upgrades a database that holds data, on SQLite and PostgreSQL,
and leaves the schema the models describe."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from dispatch.db.engine import make_engine, normalise_url
from dispatch.db.migrate import upgrade
from dispatch.db.models import Base, Coop, User
from dispatch.seed import seed_demo
from tests.conftest import POSTGRES_URL, service_missing


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """An engine on an empty database of each backend (a throwaway PostgreSQL schema)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield engine
        engine.dispose()
        return
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - the server is absent
        admin.dispose()
        service_missing(f"PostgreSQL at {POSTGRES_URL}")
    schema = f"cd_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _seed_at_0003(engine: Any) -> None:
    """The demo co-op written with the columns that existed before 0004."""
    from sqlalchemy.orm import Session

    with Session(engine) as s, s.begin():
        # the ORM would write 0004's columns: insert the old shape by hand from a seeded copy
        s.execute(text("INSERT INTO coops (id, slug, name, timezone, currency, locale, service_area, created_at) "
                       "VALUES ('c1', 'old', 'Old co-op', 'Europe/Helsinki', 'EUR', 'fr', "
                       "'{\"type\": \"Polygon\", \"coordinates\": []}', '2026-01-01 00:00:00')"))
        s.execute(text("INSERT INTO merchants (id, coop_id, name, address, lat, lon, is_member, created_at) "
                       "VALUES ('m1', 'c1', 'Shop', 'Street 1', 60.17, 24.94, true, '2026-01-01 00:00:00')"))
        s.execute(text("INSERT INTO users (id, coop_id, role, email, name, password_hash, created_at) "
                       "VALUES ('u1', 'c1', 'admin', 'a@old.coop', 'A', 'x', '2026-01-01 00:00:00')"))
        s.execute(text("INSERT INTO audit_log (coop_id, action, actor_kind, happened_at, recorded_at) "
                       "VALUES ('c1', 'seed', 'system', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))


def test_upgrading_from_0003_keeps_the_rows_and_fills_the_new_columns(empty_engine):
    """Rows written at 0003 survive 0004: users are active, co-ops on the server map, merchants without contact."""
    upgrade(empty_engine, "0003")
    _seed_at_0003(empty_engine)
    upgrade(empty_engine, "0004")
    with empty_engine.connect() as conn:
        user = conn.execute(text("SELECT email, active FROM users")).one()
        coop = conn.execute(text("SELECT slug, map_id FROM coops")).one()
        merchant = conn.execute(text("SELECT name, contact_email FROM merchants")).one()
        audit = conn.execute(text("SELECT action, details FROM audit_log")).one()
    assert (user[0], bool(user[1])) == ("a@old.coop", True)
    assert tuple(coop) == ("old", None)
    assert tuple(merchant) == ("Shop", "")
    assert tuple(audit) == ("seed", None)


def test_the_schema_after_0004_matches_the_models_for_its_tables(empty_engine):
    """No difference between the migrated tables of issue 17 and models.py."""
    upgrade(empty_engine, "0004")
    mine = {"maps", "coops", "merchants", "merchant_sites", "api_keys", "users", "invitations", "audit_log"}
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    ours = [d for d in diff if _table_of(d) in mine]
    assert ours == []


def test_downgrading_0004_returns_to_0003_and_up_again(empty_engine):
    """0004 is reversible (the demo seeded at head survives a down-and-up of its new columns)."""
    upgrade(empty_engine)
    from sqlalchemy.orm import Session

    with Session(empty_engine) as s, s.begin():
        seed_demo(s)
    from alembic import command

    from dispatch.db.migrate import alembic_config

    cfg = alembic_config()
    with empty_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    upgrade(empty_engine)
    with Session(empty_engine) as s:
        assert s.scalar(select(Coop.slug)) == "demo"
        assert all(s.scalars(select(User.active)))


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "table", None)
        if name is not None and hasattr(name, "name"):
            return str(name.name)
        if hasattr(part, "name") and hasattr(part, "columns") and hasattr(part, "c"):
            return str(part.name)
        if isinstance(part, str):
            return part
    return None
