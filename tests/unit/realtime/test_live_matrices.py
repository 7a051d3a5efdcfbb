"""The dispatch loop's matrix cache: couriers are origins, stops get exact rows and columns."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dispatch.dispatcher import LiveMatrices
from routing.streets.live_matrix import UNUSED_S
from routing.streets.network import SnapError, StreetNetwork, load_network


@pytest.fixture(scope="module")
def net() -> StreetNetwork:
    return load_network()


def _places(net: StreetNetwork, n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    lat0, lon0, lat1, lon1 = net.bbox
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lat, lon = float(rng.uniform(lat0, lat1)), float(rng.uniform(lon0, lon1))
        try:
            net.snap(lat, lon)
        except SnapError:
            continue
        out.append((lat, lon))
    return out


def _full(net: StreetNetwork, points: list[tuple[float, float]]) -> np.ndarray:
    return net.matrix([net.snap(*p) for p in points])[0]


def test_rounds_with_moving_couriers_match_a_fresh_matrix_on_every_used_entry(net, monkeypatch) -> None:
    """Three rounds: couriers move, a delivery goes, one arrives, and a courier ends up standing
    on a pickup (a key that was an origin must become a stop with a column)."""
    ctx, asked = object(), []

    def coop_map(ctx_, coop_id: str) -> SimpleNamespace:  # the co-op's own map (issue 17), no database
        assert ctx_ is ctx
        asked.append(coop_id)
        return SimpleNamespace(network=net)

    monkeypatch.setattr("dispatch.dispatcher.coop_map", coop_map)
    matrices = LiveMatrices(ctx, "coop-a")  # type: ignore[arg-type]
    couriers, stops = _places(net, 6, 1), _places(net, 8, 2)
    rounds = [
        (couriers, stops),
        (couriers[:3] + _places(net, 3, 3), stops[2:] + _places(net, 2, 4)),
        ([stops[4]] + couriers[1:], stops[2:]),  # courier 0 now stands on a stop's place
    ]
    for round_couriers, round_stops in rounds:
        points = round_couriers + round_stops
        seconds, _ = matrices(points, len(round_couriers))
        want = _full(net, points)
        nc = len(round_couriers)
        assert np.array_equal(seconds[:, nc:], want[:, nc:]), "every ride towards a stop is exact"
        into_couriers = seconds[:, :nc][~np.eye(len(points), dtype=bool)[:, :nc]]
        standing_on_stop = [i for i, c in enumerate(round_couriers) if c in round_stops]
        if not standing_on_stop:
            assert (into_couriers == UNUSED_S).all()
    assert matrices(rounds[-1][0] + rounds[-1][1], 6)[0].shape == (12, 12)
    assert set(asked) == {"coop-a"}, "every round plans on the co-op's own map"
