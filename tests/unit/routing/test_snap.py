"""Snapping points onto the nearest usable street."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_osm import BASE_LAT, BASE_LON, write_osm

from routing.streets.network import SnapError, StreetNetwork


@pytest.fixture
def parallel_streets(tmp_path: Path) -> StreetNetwork:
    """Two east-west streets 111 m apart joined at both ends, and a footpath-free motorway."""
    nodes = {1: (0, 0), 2: (0, 4), 3: (1, 0), 4: (1, 4), 5: (0.5, 0), 6: (0.5, 4)}
    ways = [([1, 2], {"highway": "residential"}), ([3, 4], {"highway": "residential"}),
            ([1, 3], {"highway": "residential"}), ([2, 4], {"highway": "residential"}),
            ([5, 6], {"highway": "motorway"})]
    path = write_osm(tmp_path / "p.osm", nodes, ways)
    return StreetNetwork.load(path, cache_dir=tmp_path / "cache")


def test_snapping_picks_the_nearer_of_two_parallel_streets(parallel_streets: StreetNetwork) -> None:
    """A point 30 % of the way north snaps south, 70 % snaps north; never to the motorway."""
    south = parallel_streets.snap(BASE_LAT + 0.0003, BASE_LON + 0.002)
    north = parallel_streets.snap(BASE_LAT + 0.0007, BASE_LON + 0.002)
    assert south.snapped_lat == pytest.approx(BASE_LAT)
    assert north.snapped_lat == pytest.approx(BASE_LAT + 0.001)
    assert south.offset_m == pytest.approx(33.4, abs=0.5)


def test_snapped_point_splits_the_segment_where_it_projects(parallel_streets: StreetNetwork) -> None:
    """The fraction along the segment is where the perpendicular foot lands."""
    p = parallel_streets.snap(BASE_LAT + 0.0001, BASE_LON + 0.001)
    assert p.snapped_lon == pytest.approx(BASE_LON + 0.001)
    assert p.fraction in (pytest.approx(0.25), pytest.approx(0.75))


def test_a_point_too_far_from_any_street_names_the_point(parallel_streets: StreetNetwork) -> None:
    """The error names the point and its distance to the nearest street."""
    with pytest.raises(SnapError, match=r"point \(60\.010000, 25\.002000\) is 1\d{3} m"):
        parallel_streets.snap(BASE_LAT + 0.01, BASE_LON + 0.002)


def test_the_distance_limit_is_configurable(parallel_streets: StreetNetwork) -> None:
    """A point 33 m off the street fails with a 20 m limit and passes with the default."""
    with pytest.raises(SnapError, match="at most 20 m"):
        parallel_streets.snap(BASE_LAT - 0.0003, BASE_LON + 0.002, max_distance_m=20)
    assert parallel_streets.snap(BASE_LAT - 0.0003, BASE_LON + 0.002).offset_m < 40


def test_a_non_finite_coordinate_is_a_snap_error(parallel_streets: StreetNetwork) -> None:
    """NaN coordinates are rejected with SnapError, not a crash."""
    with pytest.raises(SnapError, match="not a valid coordinate"):
        parallel_streets.snap(float("nan"), BASE_LON)
