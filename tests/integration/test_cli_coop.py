"""``coopdispatch coop create`` with flags on a tiny map: the co-op, its map and the admin's link;
a bad slug stops before any map is imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from dispatch.cli import app
from dispatch.db.engine import make_engine
from dispatch.db.migrate import upgrade
from dispatch.db.models import Coop, MapRow, RuleSetRow
from dispatch.settings import get_settings
from tests.integration.test_cli_map import OSM


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: Any) -> Any:
    """A migrated, empty SQLite file that the CLI's settings point at."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PUBLIC_URL", "https://coop.example")
    monkeypatch.setenv("COOPDISPATCH_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def test_coop_create_with_flags_imports_the_map_and_prints_the_admins_link(empty_db, tmp_path):
    """The map is recorded, the co-op points at it with its outline as area, rules v1 exist."""
    osm = tmp_path / "square.osm"
    osm.write_text(OSM, encoding="utf-8")
    result = CliRunner().invoke(app, ["coop", "create", "--name", "Carré", "--slug", "carre", "--timezone",
                                      "Europe/Paris", "--map", str(osm), "--admin-email", "a@carre.coop", "-y"])
    assert result.exit_code == 0, result.output
    assert "https://coop.example/accept/#" in result.output
    with empty_db.connect() as conn:
        coop = conn.execute(select(Coop.slug, Coop.map_id, Coop.service_area)).one()
        map_row = conn.execute(select(MapRow.id, MapRow.outline)).one()
        versions = conn.execute(select(RuleSetRow.version)).scalars().all()
    assert coop.slug == "carre" and coop.map_id == map_row.id
    assert coop.service_area == map_row.outline and versions == [1]


def test_a_bad_slug_stops_before_the_map_is_imported(empty_db, tmp_path):
    """Exit code 1 naming the field; no map row written."""
    result = CliRunner().invoke(app, ["coop", "create", "--name", "X", "--slug", "Bad Slug", "--map",
                                      str(tmp_path / "missing.osm"), "--admin-email", "a@x.coop", "-y"])
    assert result.exit_code == 1 and "(slug)" in result.output
    with empty_db.connect() as conn:
        assert conn.execute(select(MapRow.id)).first() is None


def test_coop_set_map_moves_the_coop_onto_a_new_map_and_audits_it(empty_db, tmp_path):
    """The co-op's map_id changes (and its area with --outline-area); an audit row says so."""
    from dispatch.db.models import AuditEntry

    osm = tmp_path / "square.osm"
    osm.write_text(OSM, encoding="utf-8")
    run = CliRunner().invoke
    assert run(app, ["coop", "create", "--name", "A", "--slug", "a", "--admin-email", "a@a.coop", "-y"]).exit_code == 0
    result = run(app, ["coop", "set-map", "a", "--map", str(osm), "--outline-area"])
    assert result.exit_code == 0, result.output
    with empty_db.connect() as conn:
        coop = conn.execute(select(Coop.map_id, Coop.service_area)).one()
        square = conn.execute(select(MapRow.outline).where(MapRow.id == coop.map_id)).scalar_one()
        actions = conn.execute(select(AuditEntry.action, AuditEntry.actor_kind)).all()
    assert coop.service_area == square
    assert ("update_settings", "system") in [tuple(a) for a in actions]


def test_coop_create_is_refused_when_the_default_rules_are_below_the_legal_floor(empty_db, tmp_path, monkeypatch):
    """The server's legal floor raised above the default rules' floor: exit code 1 naming the
    floor, before any map is imported, and no co-op starts below the floor."""
    monkeypatch.setenv("LEGAL_FLOOR_CENTS_PER_HOUR", "5000")
    osm = tmp_path / "square.osm"
    osm.write_text(OSM, encoding="utf-8")
    result = CliRunner().invoke(app, ["coop", "create", "--name", "Carré", "--slug", "carre", "--map", str(osm),
                                      "--admin-email", "a@carre.coop", "-y"])
    assert result.exit_code == 1, result.output
    assert "legal floor of 5000" in result.output and "(courier_floor_cents_per_hour)" in result.output
    with empty_db.connect() as conn:
        assert conn.execute(select(MapRow.id)).first() is None
        assert conn.execute(select(Coop.id)).first() is None
