"""The contraction-hierarchy engine gives exactly the plain Dijkstra costs."""

from __future__ import annotations

import numpy as np
import pytest

from routing.streets import ch
from routing.streets.ch import CHEngine
from routing.streets.ch_build import build_hierarchy
from routing.streets.matrix import DijkstraEngine, pack, unpack
from routing.streets.network import StreetNetwork, load_network


@pytest.fixture(scope="module")
def helsinki() -> StreetNetwork:
    """The default network (cached graph and hierarchy)."""
    return load_network()


def test_packing_keeps_seconds_and_metres_apart() -> None:
    """Packed costs add exactly and unpack to the summed seconds and metres."""
    a = pack(np.array([12.3456]), np.array([45.67]))
    b = pack(np.array([100.0004]), np.array([1234.56]))
    seconds, metres = unpack(a + b)
    assert (seconds[0], metres[0]) == (112, 1280)


@pytest.mark.parametrize(("n_src", "n_tgt"), [(40, 60), (3, 80), (80, 2)])
def test_hierarchy_costs_equal_dijkstra_costs(helsinki: StreetNetwork, n_src: int, n_tgt: int) -> None:
    """Sweep and bucket queries both reproduce scipy Dijkstra exactly (packed integers)."""
    rng = np.random.default_rng(n_src * 1000 + n_tgt)
    src = rng.choice(helsinki.graph.n_nodes, n_src)
    tgt = rng.choice(helsinki.graph.n_nodes, n_tgt)
    exact = DijkstraEngine(helsinki.graph, helsinki.weights).distances(src, tgt)
    assert np.array_equal(helsinki.engine.distances(src, tgt), exact)


def test_bucket_queries_reuse_memoised_search_spaces(helsinki: StreetNetwork, monkeypatch) -> None:
    """A second small query against the same targets runs only the new sources' searches."""
    engine = CHEngine(helsinki.graph.n_nodes, build_hierarchy(
        helsinki.graph.n_nodes, helsinki.graph.tail(), helsinki.graph.head, helsinki.weights))
    targets = np.arange(0, 300, dtype=np.int64)
    engine.distances(np.array([5]), targets)
    calls: list[int] = []
    real = ch.search_spaces

    def counting(*args):
        calls.append(args[6].shape[0])  # one row of seeds per search
        return real(*args)

    monkeypatch.setattr(ch, "search_spaces", counting)
    engine.distances(np.array([7, 9]), targets)
    assert calls == [2]
