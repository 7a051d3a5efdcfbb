"""Building, caching and routing on tiny hand-made OSM maps."""

from __future__ import annotations

import bz2
import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from tiny_osm import BASE_LAT, BASE_LON, reference_seconds, write_osm

from routing.streets import ch_build
from routing.streets import graph as graph_module
from routing.streets.network import MapError, StreetNetwork
from routing.streets.profile import Profile

# a ring of residential streets, north side one-way west -> east, plus traps
NODES = {1: (0, 0), 2: (0, 2), 3: (0, 4), 4: (2, 0), 5: (2, 2), 6: (2, 4),
         10: (5, 0), 11: (5, 2), 12: (-1, 4)}
RES = {"highway": "residential"}


def ring_ways(north_tags: dict[str, str]) -> list[tuple[list[int], dict[str, str]]]:
    """The ring, a motorway shortcut, a disconnected street and a one-way dead end."""
    return [
        ([1, 2, 3], RES), ([3, 6], RES), ([1, 4], RES),
        ([4, 5, 6], {**RES, **north_tags}),
        ([2, 5], {"highway": "motorway"}),
        ([10, 11], RES),
        ([3, 12], {**RES, "oneway": "yes"}),
    ]


@pytest.fixture
def ring_map(tmp_path: Path) -> Path:
    """Ring whose north street is one-way west to east."""
    return write_osm(tmp_path / "ring.osm", NODES, ring_ways({"oneway": "yes"}))


def load(path: Path, tmp_path: Path, profile: Profile | None = None) -> StreetNetwork:
    """Load with a private cache folder."""
    return StreetNetwork.load(path, profile=profile, cache_dir=tmp_path / "cache")


def at(dlat: float, dlon: float) -> tuple[float, float]:
    """(lat, lon) of an offset in 0.001 degree from the tiny map's origin."""
    return BASE_LAT + dlat * 0.001, BASE_LON + dlon * 0.001


def test_graph_keeps_only_the_strongly_connected_ring(ring_map: Path, tmp_path: Path) -> None:
    """The disconnected street, the one-way dead end and the motorway are dropped."""
    net = load(ring_map, tmp_path)
    assert net.graph.n_nodes == 6
    assert net.graph.n_edges == 2 * 4 + 2  # four two-way pieces, two one-way pieces
    assert net.bbox == pytest.approx((*at(0, 0), *at(2, 4)))


def test_oneway_makes_the_way_back_a_detour(ring_map: Path, tmp_path: Path) -> None:
    """Against the one-way north street a bike rides round the ring."""
    net = load(ring_map, tmp_path)
    west, east = net.snap(*at(2.05, 0.5)), net.snap(*at(2.05, 3.5))
    seconds, metres = net.matrix([west, east])
    assert seconds[1, 0] > 3 * seconds[0, 1]
    assert metres[1, 0] > 3 * metres[0, 1]


def test_contraflow_cycleway_allows_the_direct_way_back(tmp_path: Path) -> None:
    """cycleway=opposite on the one-way lets bikes come straight back."""
    path = write_osm(tmp_path / "c.osm", NODES, ring_ways({"oneway": "yes", "cycleway": "opposite"}))
    net = load(path, tmp_path)
    seconds, _ = net.matrix([net.snap(*at(2.05, 0.5)), net.snap(*at(2.05, 3.5))])
    assert abs(int(seconds[1, 0]) - int(seconds[0, 1])) <= 1


def test_matrix_matches_reference_dijkstra_on_every_pair(ring_map: Path, tmp_path: Path) -> None:
    """Door-to-door seconds equal a networkx Dijkstra on the split graph within 1 s."""
    net = load(ring_map, tmp_path)
    points = [net.snap(*at(a, b)) for a, b in [(0, 0.3), (0.1, 1.7), (1, 0.1), (2, 3), (2, 3.6), (1.3, 4)]]
    seconds, _ = net.matrix(points)
    for i, j in itertools.permutations(range(len(points)), 2):
        assert abs(seconds[i, j] - reference_seconds(net, points[i], points[j])) <= 1
    assert np.all(np.diag(seconds) == 0)


def test_two_points_on_one_segment_ride_straight_along_it(ring_map: Path, tmp_path: Path) -> None:
    """Along a two-way segment the time is the share of the segment between the points."""
    net = load(ring_map, tmp_path)
    a, b = net.snap(*at(0, 0.5)), net.snap(*at(0, 1.5))
    seconds, metres = net.matrix([a, b])
    assert metres[0, 1] == metres[1, 0] == pytest.approx(55.8, abs=1.5)
    assert seconds[0, 1] == round(metres[0, 1] / (16 / 3.6))


def test_route_polyline_runs_from_snapped_start_to_snapped_end(ring_map: Path, tmp_path: Path) -> None:
    """The route's ends are the snapped points and its figures match the matrix."""
    net = load(ring_map, tmp_path)
    a, b = net.snap(*at(2.05, 3.5)), net.snap(*at(2.05, 0.5))
    path = net.route(a, b)
    seconds, metres = net.matrix([a, b])
    assert (path.duration_s, path.distance_m) == (seconds[0, 1], metres[0, 1])
    assert path.coords[0] == (a.snapped_lat, a.snapped_lon)
    assert path.coords[-1] == (b.snapped_lat, b.snapped_lon)
    assert len(path.coords) == 2 + 5  # 6, 3, 2, 1, 4 round the ring


def test_second_load_reuses_the_cache(ring_map: Path, tmp_path: Path, monkeypatch) -> None:
    """Loading the same file and profile again neither re-reads OSM nor re-contracts."""
    load(ring_map, tmp_path)

    def fail(*_args: object, **_kw: object) -> None:
        raise AssertionError("rebuilt despite a cached graph")

    monkeypatch.setattr(graph_module, "read_segments", fail)
    monkeypatch.setattr(ch_build, "build_hierarchy", fail)
    assert load(ring_map, tmp_path).graph.n_nodes == 6


def test_profile_change_invalidates_the_cache(ring_map: Path, tmp_path: Path) -> None:
    """A profile with other speeds builds (and caches) a new graph with other times."""
    slow = dataclasses.replace(Profile(), speed_kmh={"residential": 8.0})
    first, second = load(ring_map, tmp_path), load(ring_map, tmp_path, slow)
    graphs = [p for p in (tmp_path / "cache").glob("graph-*.npz") if not p.stem.endswith("-ch")]
    assert len(graphs) == 2
    assert second.graph.time_s.sum() == pytest.approx(2 * first.graph.time_s.sum())


def test_compressed_xml_reads_like_plain_xml(ring_map: Path, tmp_path: Path) -> None:
    """An .osm.bz2 file gives the same graph as its plain .osm."""
    packed = tmp_path / "ring.osm.bz2"
    packed.write_bytes(bz2.compress(ring_map.read_bytes()))
    assert load(packed, tmp_path).summary()["km"] == load(ring_map, tmp_path).summary()["km"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.osm", None, "not found"),
        ("empty.osm", b"", "empty"),
        ("corrupt.osm.pbf", b"\x00\x01 not a pbf at all" * 50, "cannot read"),
        ("corrupt.osm", b"<osm><node id='1' lat=", "cannot read"),
    ],
)
def test_bad_files_raise_a_clear_map_error(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    """Missing, empty and corrupt files raise MapError saying what is wrong."""
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MapError, match=message):
        load(path, tmp_path)


def test_a_map_without_usable_streets_raises_map_error(tmp_path: Path) -> None:
    """A file whose only road is a motorway has nothing for a bike."""
    path = write_osm(tmp_path / "m.osm", {1: (0, 0), 2: (0, 1)}, [([1, 2], {"highway": "motorway"})])
    with pytest.raises(MapError, match="no street usable"):
        load(path, tmp_path)
