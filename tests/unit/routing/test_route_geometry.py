"""Route shapes on the shipped map follow the street graph, edge by edge."""

from __future__ import annotations

import numpy as np
import pytest

from routing.streets.network import StreetNetwork, load_network
from routing.streets.route_geometry import legs_geometry


@pytest.fixture(scope="module")
def helsinki() -> StreetNetwork:
    """The shipped central Helsinki map (graph cached on disk after the first build)."""
    return load_network()


@pytest.fixture(scope="module")
def ten_stops(helsinki: StreetNetwork) -> list:
    """Eleven points (a position and ten stops) spread over the map, snapped."""
    rng = np.random.default_rng(7)
    lat0, lon0, lat1, lon1 = helsinki.bbox
    snapped = helsinki.snap_many(rng.uniform(lat0, lat1, 30), rng.uniform(lon0, lon1, 30))
    return [p for p in snapped if p is not None][:11]


def test_every_piece_of_a_ten_stop_route_is_an_edge_of_the_graph(helsinki, ten_stops) -> None:
    """Between the snapped ends, each pair of consecutive points is a directed graph edge."""
    g = helsinki.graph
    node_of = {(float(a), float(b)): i for i, (a, b) in enumerate(zip(g.lat, g.lon, strict=True))}
    edges = set(zip(g.tail().tolist(), g.head.tolist(), strict=True))
    legs = legs_geometry(helsinki, ten_stops)
    assert len(legs) == 10
    for leg in legs:
        inner = [node_of[c] for c in leg.coords[1:-1]]
        assert all((a, b) in edges for a, b in zip(inner, inner[1:], strict=False))


def test_each_leg_costs_what_a_single_route_costs(helsinki, ten_stops) -> None:
    """The batched search finds the same fastest way as one route at a time."""
    legs = legs_geometry(helsinki, ten_stops)
    for a, b, leg in zip(ten_stops, ten_stops[1:], legs, strict=False):
        one = helsinki.route(a, b)
        assert (leg.duration_s, leg.distance_m, leg.coords) == (one.duration_s, one.distance_m, one.coords)


def test_a_route_of_one_point_has_no_leg(helsinki, ten_stops) -> None:
    """Nothing to draw for a courier with no stop."""
    assert legs_geometry(helsinki, ten_stops[:1]) == []
