"""Real extracts from ../shared/data/osm (skipped when absent): Monaco PBF, West Oakland XML."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_osm import reference_seconds

from routing.streets.network import SnapError, SnappedPoint, StreetNetwork, load_network

pytestmark = pytest.mark.shared_data


def random_points(net: StreetNetwork, count: int, seed: int) -> list[SnappedPoint]:
    """Reproducible random points snapped inside the map's bounding box."""
    rng = np.random.default_rng(seed)
    lat0, lon0, lat1, lon1 = net.bbox
    points: list[SnappedPoint] = []
    while len(points) < count:
        try:
            points.append(net.snap(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)))
        except SnapError:
            continue
    return points


@pytest.mark.parametrize(("name", "min_nodes"), [("monaco.osm.pbf", 15000), ("west-oakland.osm.bz2", 100)])
def test_real_extract_matrix_agrees_with_plain_dijkstra(shared_data, name: str, min_nodes: int) -> None:
    """Fifteen random pairs: matrix seconds within 1 s of networkx Dijkstra, route agrees."""
    net = load_network(shared_data / "osm" / name)
    assert net.graph.n_nodes >= min_nodes
    points = random_points(net, 30, seed=11)
    seconds, metres = net.matrix(points)
    rng = np.random.default_rng(5)
    for _ in range(15):
        i, j = rng.choice(len(points), size=2, replace=False)
        assert abs(seconds[i, j] - reference_seconds(net, points[i], points[j])) <= 1
    path = net.route(points[0], points[1])
    assert (path.duration_s, path.distance_m) == (seconds[0, 1], metres[0, 1])


def test_monaco_one_way_streets_make_the_matrix_asymmetric(shared_data) -> None:
    """In Monaco's one-way old town, going and coming back often differ."""
    net = load_network(shared_data / "osm" / "monaco.osm.pbf")
    seconds, _ = net.matrix(random_points(net, 40, seed=3))
    assert np.count_nonzero(seconds != seconds.T) > 100
