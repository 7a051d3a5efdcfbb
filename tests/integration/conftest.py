"""Integration fixtures: the same tests over SQLite and the real PostgreSQL server.

PostgreSQL gets one schema per test run (dropped at the end) and its tables are emptied
between tests; SQLite gets a fresh file per test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from dispatch.app import build_context, create_app
from dispatch.db.engine import make_engine, normalise_url
from dispatch.db.migrate import upgrade
from dispatch.db.models import Base, Coop, Courier, Merchant, User
from dispatch.domain.vehicles import VEHICLES
from dispatch.seed import area_geojson, seed_demo
from dispatch.services.auth import create_api_key, hash_password
from dispatch.settings import Settings
from tests.conftest import POSTGRES_URL, service_missing


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A throwaway schema on the real PostgreSQL, migrated once for the run."""
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to connect means the server is absent
        admin.dispose()
        service_missing(f"PostgreSQL at {POSTGRES_URL}")
    schema = f"cd_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this run of the test uses."""
    return str(request.param)


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[str, Engine, str | None]]:
    """(database URL, engine, schema) migrated and empty."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        yield url, engine, None
        engine.dispose()
        return
    schema = request.getfixturevalue("pg_schema")
    engine = make_engine(POSTGRES_URL, schema=schema)
    _truncate(engine)
    yield POSTGRES_URL, engine, schema
    engine.dispose()


@pytest.fixture
def settings(db: tuple[str, Engine, str | None]) -> Settings:
    return Settings(coopdispatch_env="test", database_url=db[0], dispatch_policy="nearest",
                    dispatch_tick_s=3600)


@pytest.fixture
def ctx(settings: Settings, db: tuple[str, Engine, str | None]) -> Any:
    return build_context(settings, engine=db[1])


@dataclass
class World:
    """Two co-ops: the demo one (``coop``) and a stranger (``other``), with their people."""

    coop_id: str
    merchant_key: str
    merchant_id: str
    password: str
    dispatcher_email: str
    courier_emails: tuple[str, ...]
    other_merchant_key: str
    other_dispatcher_email: str
    other_courier_email: str
    second_merchant_key: str


@pytest.fixture
def world(ctx: Any) -> World:
    """The demo co-op, a second merchant in it, and a second co-op with its own people."""
    with ctx.sessions() as s, s.begin():
        creds = seed_demo(s)
        demo = s.query(Coop).filter_by(slug="demo").one()
        merchant = s.query(Merchant).filter_by(coop_id=demo.id).one()
        second = Merchant(coop_id=demo.id, name="Second shop", address="Aleksanterinkatu 5",
                          lat=60.1690, lon=24.9460)
        s.add(second)
        other = Coop(slug="other", name="Other co-op", service_area=area_geojson(
            [(60.1650, 24.9360), (60.1650, 24.9527), (60.1785, 24.9527), (60.1785, 24.9360)]))
        s.add(other)
        s.flush()
        other_merchant = Merchant(coop_id=other.id, name="Elsewhere", address="x", lat=60.17, lon=24.94)
        s.add(other_merchant)
        s.flush()
        other_key, second_key = create_api_key(s, other_merchant.id), create_api_key(s, second.id)
        password = hash_password(creds.password)
        s.add(User(coop_id=other.id, role="dispatcher", email="d@other.coop", name="D", password_hash=password))
        courier_user = User(coop_id=other.id, role="courier", email="c@other.coop", name="C", password_hash=password)
        s.add(courier_user)
        s.flush()
        v = VEHICLES["bike"]
        s.add(Courier(coop_id=other.id, user_id=courier_user.id, first_name="C", vehicle_kind="bike",
                      capacity_g=v.capacity_g, capacity_ml=v.capacity_ml, speed_pct=v.speed_pct))
        return World(demo.id, creds.merchant_key, merchant.id, creds.password, creds.dispatcher_email,
                      creds.courier_emails, other_key, "d@other.coop", "c@other.coop", second_key)


@pytest.fixture
def app(settings: Settings, ctx: Any) -> Any:
    return create_app(settings, ctx=ctx)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c

