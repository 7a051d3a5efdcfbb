"""The contraction-hierarchy engine gives exactly the plain Dijkstra costs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.streets import ch
from routing.streets.ch import CHEngine
from routing.streets.ch_build import build_hierarchy
from routing.streets.matrix import DijkstraEngine, _same_segment_pairs, block, ends_of, pack, unpack
from routing.streets.network import SnapError, SnappedPoint, StreetNetwork, load_network


@pytest.fixture(scope="module")
def helsinki() -> StreetNetwork:
    """The default network (cached graph and hierarchy)."""
    return load_network()


@pytest.fixture(scope="module")
def doors(helsinki: StreetNetwork) -> list[SnappedPoint]:
    """About seventy random snapped points, some twice a few metres apart (shared segments)."""
    rng = np.random.default_rng(11)
    lat0, lon0, lat1, lon1 = helsinki.bbox
    points: list[SnappedPoint] = []
    while len(points) < 70:
        lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
        try:
            points.append(helsinki.snap(lat, lon))
            if len(points) % 7 == 0:
                points.append(helsinki.snap(lat + 2e-5, lon + 2e-5))
        except SnapError:
            continue
    return points


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


@pytest.mark.parametrize(("n_from", "n_to"), [(70, 70), (45, 30), (20, 70), (70, 5), (9, 9)])
def test_door_to_door_blocks_equal_dijkstra_blocks(
    helsinki: StreetNetwork, doors: list[SnappedPoint], n_from: int, n_to: int
) -> None:
    """Point-to-point blocks (sweep and bucket sizes) equal the plain Dijkstra ones exactly."""
    a = ends_of(helsinki.graph, helsinki.weights, doors[:n_from])
    b = ends_of(helsinki.graph, helsinki.weights, doors[-n_to:])
    exact = block(DijkstraEngine(helsinki.graph, helsinki.weights), a, b)
    assert np.array_equal(block(helsinki.engine, a, b), exact)


def test_shared_segment_pairs_are_all_found() -> None:
    """The sorted join finds exactly the pairs an n x m comparison finds."""
    rng = np.random.default_rng(3)
    seg_a, seg_b = rng.integers(0, 30, 200), rng.integers(0, 30, 150)
    i, j = _same_segment_pairs(seg_a, seg_b)
    mask = np.zeros((200, 150), dtype=bool)
    mask[i, j] = True
    assert i.size == int(mask.sum())
    assert np.array_equal(mask, seg_a[:, None] == seg_b[None, :])


def test_unpack_rounds_each_part_to_the_nearest_unit() -> None:
    """Half units round up, and a large table unpacks like single values."""
    packed = pack(np.array([0.4995, 7200.0, 12.3456]), np.array([0.05, 99999.94, 45.67]))
    seconds, metres = unpack(np.tile(packed, (300, 1)))
    assert seconds[0].tolist() == [1, 7200, 12] and metres[0].tolist() == [0, 100000, 46]
    assert (seconds == seconds[0]).all() and (metres == metres[0]).all()


def test_a_query_without_sources_or_targets_is_an_empty_table(helsinki: StreetNetwork) -> None:
    """No sources (or no targets) gives a table with no rows (or no columns), not an error."""
    none = np.zeros(0, dtype=np.int64)
    assert helsinki.engine.distances(none, np.arange(5)).shape == (0, 5)
    assert helsinki.engine.distances(np.arange(5), none).shape == (5, 0)


@st.composite
def small_graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A random directed graph of up to 40 nodes with small integer costs (many equal paths)."""
    n = draw(st.integers(2, 40))
    m = draw(st.integers(1, 4 * n))
    tails = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    heads = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    costs = np.array(draw(st.lists(st.integers(1, 4), min_size=m, max_size=m)), dtype=np.float64)
    keep = tails != heads
    return n, tails[keep], heads[keep], costs[keep]


@settings(max_examples=80, deadline=None)
@given(small_graphs())
def test_hierarchy_on_any_small_graph_equals_dijkstra(graph: tuple[int, np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Sweep (all pairs) and bucket (a few sources) queries equal Dijkstra, unreachable pairs included."""
    n, tails, heads, costs = graph
    order = np.lexsort((costs, heads, tails))  # parallel edges: the cheapest counts, as in scipy
    tails, heads, costs = tails[order], heads[order], costs[order]
    first = np.ones(tails.size, dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    tails, heads, costs = tails[first], heads[first], costs[first]
    exact = dijkstra(csr_matrix((costs, (tails, heads)), shape=(n, n)))
    engine = CHEngine(n, build_hierarchy(n, tails, heads, costs))
    everyone = np.arange(n, dtype=np.int64)
    assert np.array_equal(engine.ends_distances(
        np.repeat(everyone[:, None], 2, 1), np.zeros((n, 2)), everyone[:, None], np.zeros((n, 1))
    ) if n > ch.BUCKET_MAX_SIDE else engine.distances(everyone, everyone), exact)
    few = everyone[:3]
    assert np.array_equal(engine.distances(few, everyone), exact[:3])
    assert np.array_equal(engine.distances(everyone, few), exact[:, :3])
