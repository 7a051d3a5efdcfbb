"""``coopdispatch map import`` and ``map route`` on a tiny hand-made map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatch.cli import app

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" version="1" lat="60.0000" lon="25.0000"/>
  <node id="2" version="1" lat="60.0000" lon="25.0040"/>
  <node id="3" version="1" lat="60.0020" lon="25.0040"/>
  <node id="4" version="1" lat="60.0020" lon="25.0000"/>
  <node id="5" version="1" lat="60.0040" lon="25.0000"/>
  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="residential"/></way>
  <way id="2" version="1"><nd ref="4"/><nd ref="5"/><tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.fixture
def square_map(tmp_path: Path) -> Path:
    """A 4-node square block with a spur to the north."""
    path = tmp_path / "square.osm"
    path.write_text(OSM, encoding="utf-8")
    return path


def run(*args: str):  # type: ignore[no-untyped-def]
    """Invoke the coopdispatch CLI in-process."""
    return CliRunner().invoke(app, list(args))


def test_import_prints_the_summary(square_map: Path, tmp_path: Path) -> None:
    """Importing prints nodes, edges, km and the bounding box, and credits OpenStreetMap."""
    result = run("map", "import", str(square_map), "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 0, result.output
    assert "nodes" in result.output and "5" in result.output
    assert "60.00000,25.00000 .. 60.00400,25.00400" in result.output
    assert "OpenStreetMap" in result.output
    assert list((tmp_path / "c").glob("graph-*.npz"))


def test_import_with_an_area_keeps_only_streets_inside(square_map: Path, tmp_path: Path) -> None:
    """A polygon around the square drops the northern spur."""
    ring = [[24.999, 59.999], [25.005, 59.999], [25.005, 60.003], [24.999, 60.003], [24.999, 59.999]]
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    result = run("map", "import", str(square_map), "--area", str(area), "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 0, result.output
    assert "60.00000,25.00000 .. 60.00200,25.00400" in result.output


def test_import_of_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    """A missing file exits 1 naming the problem."""
    result = run("map", "import", str(tmp_path / "nope.osm.pbf"), "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 1 and "not found" in result.output


def test_route_prints_time_and_distance(square_map: Path, tmp_path: Path) -> None:
    """A route along the square's south side prints its time and distance."""
    result = run("map", "route", "60.0,25.001", "60.0,25.003", "--map", str(square_map),
                 "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 0, result.output
    assert "distance 0.11 km (111 m)" in result.output and "time 0 min 25 s" in result.output


def test_route_from_a_point_far_from_streets_fails(square_map: Path, tmp_path: Path) -> None:
    """A point kilometres away is refused with the snapping message."""
    result = run("map", "route", "61.0,25.0", "60.0,25.003", "--map", str(square_map),
                 "--cache-dir", str(tmp_path / "c"))
    assert result.exit_code == 1 and "from the nearest usable street" in result.output
